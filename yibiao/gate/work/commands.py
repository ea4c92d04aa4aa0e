"""`yibiao gate work …` (alias `yibiao workload …`): tasks and inspections through the gate;
beside them, as before the gate was one, the joint calendar, reports of what slipped past
it and their burden figures — each subcommand calls the function the web view calls."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Callable

from yibiao.cli import CommandError, setup_django
from yibiao.refusals import Refusal

FREQUENCIES = ["once", "weekly", "monthly", "quarterly", "yearly"]


def _evidence(text: str) -> tuple[str, str]:
    what, sep, why = text.partition("=")
    if not sep or not what.strip():
        raise argparse.ArgumentTypeError(f"--evidence 应写成 材料=理由，而不是“{text}”")
    return what.strip(), why.strip()


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期“{text}”看不懂，请写成 2026-06-01") from None


def command_adder(sub: argparse._SubParsersAction) -> Callable[..., argparse.ArgumentParser]:
    """`add(name, help, handler)`: a subcommand with the common --user option."""

    def add(name: str, help_text: str, handler: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_text)
        parser.add_argument("--user", default=None, help="以哪个账号操作（默认 YIBIAO_USER 或 cli-operator）")
        parser.set_defaults(handler=handler)
        return parser

    return add


def add_commands(sub: argparse._SubParsersAction, *, legacy: bool = False) -> None:
    """A task's or inspection's steps; `legacy` (the `workload` name) adds, as before the
    gate was one, the calendar, slipped-past reports and the figures beside them."""
    add = command_adder(sub)

    create = add("create", "提交一项工作任务或督查检查，先自动分析（重叠、社区负担、检查次数）再等待审核", cmd_create)
    create.add_argument("--kind", required=True, choices=["task", "inspection"])
    create.add_argument("--department", required=True)
    create.add_argument("--title", required=True)
    create.add_argument("--basis", default="", help="政策依据：文件名称和文号")
    create.add_argument("--scope", required=True, help="范围：组织代码")
    create.add_argument("--start", required=True, type=_date)
    create.add_argument("--end", required=True, type=_date)
    create.add_argument("--frequency", default="once", choices=FREQUENCIES)
    create.add_argument("--hours", required=True, type=float, help="每个社区每次预计工时")
    create.add_argument("--estimate", default="", help="工时是怎样测算的")
    create.add_argument("--subjects", default="", help="对象代码，逗号分隔，如 rental_houses,elderly_alone")
    create.add_argument("--subjects-note", default="")
    create.add_argument("--description", default="")
    create.add_argument("--evidence", action="append", type=_evidence, default=[], metavar="WHAT=WHY",
                        help="一项留痕要求及其理由，可多次给出")
    create.add_argument("--json", action="store_true")

    analyse = add("analyse", "按当前已准入的事项重新分析", cmd_analyse)
    analyse.add_argument("item_id", type=int)
    analyse.add_argument("--json", action="store_true")

    review = add("review", "审核：准入、退回修改、不予准入或撤销", cmd_review)
    review.add_argument("item_id", type=int)
    review.add_argument("action", choices=["admit", "return", "reject", "withdraw"])
    review.add_argument("--reason", default="")

    strike = add("strike", "删除一项留痕要求（过度留痕）", cmd_strike)
    strike.add_argument("item_id", type=int)
    strike.add_argument("evidence_id", type=int)
    strike.add_argument("--reason", required=True)

    merge = add("merge", "把两项督查检查合并为一次联合检查（多检合一）", cmd_merge)
    merge.add_argument("item_id", type=int)
    merge.add_argument("other_id", type=int)
    merge.add_argument("--reason", default="")
    merge.add_argument("--hours", type=float, default=None, help="联合检查每社区工时（默认取两者较大者）")

    listing = add("list", "列出可见的工作任务和督查检查", cmd_list)
    listing.add_argument("--status", default=None)
    listing.add_argument("--json", action="store_true")

    rules = add("rules", "设置负担上限：每人每周工时、每季度检查次数、每社区人数（= yibiao gate rules）", cmd_rules)
    rules.add_argument("--org", required=True)
    rules.add_argument("--ceiling", type=float, default=None)
    rules.add_argument("--max-inspections", type=int, default=None)
    rules.add_argument("--workers", type=int, default=None)
    if legacy:
        from yibiao.agenda import commands as agenda_commands
        from yibiao.burden import commands as burden_commands
        from yibiao.slipped import commands as slipped_commands

        agenda_commands.add_commands(add)
        slipped_commands.add_commands(add)
        burden_commands.add_work_figures(add)



def _user(args: argparse.Namespace):  # noqa: ANN202
    from yibiao.accounts.operators import cli_user

    return cli_user(args.user)


def _guarded(action: Callable[[], object]) -> object:
    """Run a domain call; scope and period problems become a CommandError (its refusals,
    WorkRefused and ReportRefused, reach `cli.main` as they are, with every reason)."""
    from yibiao.accounts.scope import OutOfScope
    from yibiao.reports.periods import PeriodError

    try:
        return action()
    except (OutOfScope, PeriodError) as error:
        raise CommandError(str(error)) from None


def _item(user: object, item_id: int):  # noqa: ANN202
    from yibiao.accounts import scope

    found = scope.visible_work_items(user).filter(pk=item_id).first()
    if found is None:
        raise Refusal("no_such_item", id=item_id)
    return found


def _print_item(item: object, as_json: bool) -> None:
    a = item.analysis or {}
    if as_json:
        print(json.dumps({"id": item.pk, "status": item.status, "kind": item.kind, "title": item.title,
                          "department": item.department.name,
                          "evidence": [{"id": e.pk, "what": e.what, "struck": e.struck}
                                       for e in item.evidence.all()], **a},
                         ensure_ascii=False, indent=2, default=str))
        return
    print(f"第 {item.pk} 号《{item.title}》（{item.department.name}，{item.get_kind_display()}）："
          f"{item.get_status_display()}")
    if a.get("verdict"):
        print(f"结论：{a['verdict']}")
    for e in item.evidence.all():
        print(f"  留痕 {e.pk}: {e.what}{'（已删除）' if e.struck else ''}")


def cmd_create(args: argparse.Namespace) -> int:
    setup_django()
    from . import workflow

    new = workflow.NewWorkItem(
        kind=args.kind, title=args.title, department=args.department, basis=args.basis,
        scope_code=args.scope, start=args.start, end=args.end, hours_per_community=args.hours,
        estimate_basis=args.estimate, frequency=args.frequency,
        subjects=[s.strip() for s in args.subjects.split(",") if s.strip()],
        subjects_note=args.subjects_note, description=args.description,
        evidence=[workflow.Evidence(what, why) for what, why in args.evidence])
    item = _guarded(lambda: workflow.submit(_user(args), new))
    _print_item(item, args.json)
    return 0


def cmd_analyse(args: argparse.Namespace) -> int:
    from yibiao.gate.commands import analyse_and_show

    return analyse_and_show(args, args.item_id, _item, _print_item)


def cmd_review(args: argparse.Namespace) -> int:
    setup_django()
    from . import workflow

    user = _user(args)
    item = _guarded(lambda: workflow.decide(user, _item(user, args.item_id), args.action, args.reason))
    _print_item(item, False)
    return 0


def cmd_strike(args: argparse.Namespace) -> int:
    setup_django()
    from . import workflow

    user = _user(args)
    demand = _guarded(lambda: workflow.strike(user, _item(user, args.item_id), args.evidence_id, args.reason))
    print(f"已删除留痕要求 {demand.pk}：{demand.what}")
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    setup_django()
    from . import workflow

    user = _user(args)
    joint = _guarded(lambda: workflow.merge(user, _item(user, args.item_id), _item(user, args.other_id),
                                            args.reason, args.hours))
    _print_item(joint, False)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts import scope

    items = scope.visible_work_items(_user(args)).order_by("pk")
    if args.status:
        items = items.filter(status=args.status)
    rows = [{"id": i.pk, "kind": i.kind, "title": i.title, "department": i.department.name,
             "status": i.status, "scope": i.scope.code, "start": i.start_date.isoformat(),
             "end": i.end_date.isoformat(), "hours_per_community": i.hours_per_community,
             "verdict": (i.analysis or {}).get("verdict", "")} for i in items]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for row in rows:
            print(f"{row['id']:>4} {row['status']:<10} {row['kind']:<10} {row['department']:<12} "
                  f"{row['start']}—{row['end']} {row['title']}")
    return 0







def cmd_rules(args: argparse.Namespace) -> int:
    """The old spelling of `yibiao gate rules --ceiling/--max-inspections/--workers`."""
    from yibiao.gate.commands import cmd_rules as gate_rules

    args.weekly_hours_ceiling, args.max_inspections_per_quarter = args.ceiling, args.max_inspections
    args.workers_per_community = args.workers
    return gate_rules(args)
