"""`yibiao gate …`: every demand through the one gate. `gate table` and `gate work` are each
kind's own steps; `yibiao request …` and `yibiao workload …` are their older names, kept."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

from yibiao.cli import CommandError, setup_django
from yibiao.refusals import Refusal

from .tables import commands as table_commands
from .work import commands as work_commands

# Each limit of the gate's rules as a command-line option: (option, attribute, type, help).
RULE_OPTIONS = [
    ("--max-frequency", "max_frequency", str, "无紧急情况时的最高频次：once|yearly|quarterly|monthly|weekly"),
    ("--ceiling", "weekly_hours_ceiling", float, "每人每周派出工作上限（小时）"),
    ("--max-inspections", "max_inspections_per_quarter", int, "每社区每季度督查检查上限（次）"),
    ("--inspections-per-year", "max_inspections_per_department_year", int, "每个部门每年督查检查上限（次）"),
    ("--workers", "workers_per_community", int, "每社区工作人员数（账号较少时按此计）"),
    ("--new-cells-per-year", "max_new_typed_cells_per_year", int, "部门每年新增填报格数上限（只减不增，0 为不得增加）"),
    ("--seconds-per-cell", "seconds_per_cell", float, "每格耗时（秒）"),
    ("--seconds-per-form", "seconds_per_form", float, "每表每期固定耗时（秒）"),
]


def register(subparsers: argparse._SubParsersAction) -> None:
    gate = subparsers.add_parser("gate", help="准入：部门派发的报表、工作任务和督查检查，一道准入、一个清单")
    sub = gate.add_subparsers(dest="gate_command", metavar="SUBCOMMAND", required=True)
    table = sub.add_parser("table", help="报表需求：提交、分析、审核（旧名 yibiao request）")
    table_commands.add_commands(table.add_subparsers(dest="table_command", metavar="SUBCOMMAND", required=True))
    work = sub.add_parser("work", help="工作任务与督查检查（旧名 yibiao workload）")
    work_commands.add_commands(work.add_subparsers(dest="work_command", metavar="SUBCOMMAND", required=True))

    listing = sub.add_parser("list", help="列出可见的全部事项：报表、工作任务、督查检查")
    listing.add_argument("--kind", default=None, choices=["table", "task", "inspection"])
    listing.add_argument("--status", default=None)
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--user", default=None)
    listing.set_defaults(handler=cmd_list)

    history = sub.add_parser("history", help="一个事项的全部状态变化：谁、何时、为什么")
    history.add_argument("demand_id", type=int)
    history.add_argument("--json", action="store_true")
    history.add_argument("--user", default=None)
    history.set_defaults(handler=cmd_history)

    rules = sub.add_parser("rules", help="设置准入规则：频次、工时、检查次数、只减不增（本级及以下适用）")
    rules.add_argument("--org", required=True)
    for option, dest, kind, help_text in RULE_OPTIONS:
        rules.add_argument(option, dest=dest, type=kind, default=None, help=help_text)
    rules.add_argument("--user", default=None)
    rules.set_defaults(handler=cmd_rules)

    request = subparsers.add_parser("request", help="= yibiao gate table：部门报表需求")
    table_commands.add_commands(request.add_subparsers(dest="request_command", metavar="SUBCOMMAND", required=True))
    workload = subparsers.add_parser("workload", help="= yibiao gate work：工作任务与督查检查，联合日历，未经准入事项报告")
    work_commands.add_commands(workload.add_subparsers(dest="workload_command", metavar="SUBCOMMAND", required=True),
                               legacy=True)
    table_commands.add_catalogue(subparsers)


def _user(args: argparse.Namespace):  # noqa: ANN202
    from yibiao.accounts.operators import cli_user

    return cli_user(args.user)


def cmd_list(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts import scope

    demands = scope.visible_demands(_user(args)).order_by("pk")
    if args.kind:
        demands = demands.filter(kind=args.kind)
    if args.status:
        demands = demands.filter(status=args.status)
    rows = [{"id": d.pk, "kind": d.kind, "title": d.title, "department": d.department.name,
             "status": d.status, "scope": d.scope.code, "frequency": d.frequency,
             "verdict": (d.analysis or {}).get("verdict", "")} for d in demands]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for row in rows:
            print(f"{row['id']:>4} {row['kind']:<10} {row['status']:<10} {row['department']:<12} {row['title']}")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts import scope

    demand = scope.visible_demands(_user(args)).filter(pk=args.demand_id).first()
    if demand is None:
        raise Refusal("no_such_item", id=args.demand_id)
    from django.utils import timezone

    # The time as the pages show it (YIBIAO_TIME_ZONE), with its offset.
    rows = [{"at": timezone.localtime(h.at).isoformat(timespec="seconds"), "action": h.action, "from": h.from_status, "to": h.to_status,
             "by": h.by.get_username(), "reason": h.reason} for h in demand.history.select_related("by")]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for row in rows:
            print(f"{row['at'][:19]} {row['action']:<9} {row['from'] or '—':>9} → {row['to']:<9} "
                  f"{row['by']} {row['reason']}")
    return 0


def analyse_and_show(args: argparse.Namespace, demand_id: int, find: Callable, show: Callable) -> int:
    """`… analyse ID` for every kind: found as the kind finds it (its own refusal when the
    user may not see it), re-analysed as now (gate.analysis.reanalyse), shown the kind's way."""
    setup_django()
    from yibiao.accounts import scope

    from .analysis import reanalyse

    user = _user(args)
    demand = find(user, demand_id)
    try:
        reanalyse(user, demand)
    except scope.OutOfScope as error:
        raise CommandError(str(error)) from None
    show(demand, args.json)
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts import scope

    from . import rules

    user = _user(args)
    changes = {dest: getattr(args, dest) for _option, dest, _kind, _help in RULE_OPTIONS
               if getattr(args, dest, None) is not None}
    try:
        saved = rules.configure(user, scope.get_visible_org_unit(user, args.org), **changes)
    except scope.OutOfScope as error:
        raise CommandError(str(error)) from None
    print(f"{saved.org_unit.full_name}：每人每周上限 {saved.weekly_hours_ceiling:g} 小时，"
          f"每社区每季度检查不超过 {saved.max_inspections_per_quarter} 次，"
          f"每社区按 {saved.workers_per_community} 人计；最高频次 {saved.get_max_frequency_display()}"
          + (f"；每个部门每年检查不超过 {saved.max_inspections_per_department_year} 次"
             if saved.max_inspections_per_department_year is not None else "")
          + (f"；部门每年新增填报不超过 {saved.max_new_typed_cells_per_year} 格"
             if saved.max_new_typed_cells_per_year is not None else ""))
    return 0
