"""`yibiao workload …`: tasks and inspections through the gate, the joint calendar, reports of
what slipped past it, and their burden figures — each subcommand calls the function the
web view calls."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

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


def register(subparsers: argparse._SubParsersAction) -> None:
    workload = subparsers.add_parser("workload", help="工作任务与督查检查：准入、联合日历、未经准入事项报告")
    sub = workload.add_subparsers(dest="workload_command", metavar="SUBCOMMAND", required=True)

    def add(name: str, help_text: str, handler: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_text)
        parser.add_argument("--user", default=None, help="以哪个账号操作（默认 YIBIAO_USER 或 cli-operator）")
        parser.set_defaults(handler=handler)
        return parser

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

    calendar = add("calendar", "导出一个社区或街道的联合日历（iCalendar）", cmd_calendar)
    calendar.add_argument("--org", required=True)
    calendar.add_argument("--from", dest="first", type=_date, default=None)
    calendar.add_argument("--to", dest="last", type=_date, default=None)
    calendar.add_argument("-o", "--output", required=True, type=Path)

    inbox = add("inbox", "一个账号的待办清单：经准入的报表、任务和检查，按截止日期", cmd_inbox)
    inbox.add_argument("--json", action="store_true")

    report = add("report", "社区工作者报告一项未经准入就发来的报表、任务或检查", cmd_report)
    report.add_argument("--department", required=True)
    report.add_argument("--channel", required=True, choices=["wechat", "phone", "paper", "email", "other"])
    report.add_argument("--kind", required=True, choices=["table", "task", "inspection"])
    report.add_argument("--description", default="")
    report.add_argument("--file", type=Path, default=None, help="照片或收到的文件")
    report.add_argument("--org", default="", help="收到的社区（默认账号所在组织）")

    reports = add("reports", "列出可见的未经准入事项报告", cmd_reports)
    reports.add_argument("--status", default=None, choices=["new", "converted", "dismissed"])
    reports.add_argument("--json", action="store_true")

    resolve = add("resolve", "处理报告：要求部门按规定报审（convert）或驳回（dismiss）", cmd_resolve)
    resolve.add_argument("report_id", type=int)
    resolve.add_argument("action", choices=["convert", "dismiss"])
    resolve.add_argument("--note", default="")

    rules = add("rules", "设置负担上限：每人每周工时、每季度检查次数、每社区人数", cmd_rules)
    rules.add_argument("--org", required=True)
    rules.add_argument("--ceiling", type=float, default=None)
    rules.add_argument("--max-inspections", type=int, default=None)
    rules.add_argument("--workers", type=int, default=None)

    figures = add("figures", "工作任务和检查的减负账：工时、删除的留痕、联合检查、未经准入报告（按部门）", cmd_figures)
    figures.add_argument("--org", required=True)
    figures.add_argument("--from", dest="first", required=True, help="起始报告期，如 2026-01")
    figures.add_argument("--to", dest="last", required=True, help="截止报告期，如 2026-12")
    figures.add_argument("--json", action="store_true")


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
    setup_django()
    from . import workflow

    user = _user(args)
    item = _item(user, args.item_id)
    _guarded(lambda: workflow.reanalyse(user, item))
    _print_item(item, args.json)
    return 0


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


def cmd_calendar(args: argparse.Namespace) -> int:
    setup_django()
    from django.utils import timezone

    from yibiao.accounts import scope

    from . import agenda

    user = _user(args)
    today = timezone.localdate()
    first = args.first or today - dt.timedelta(days=31)
    last = args.last or today + dt.timedelta(days=366)
    unit = _guarded(lambda: scope.get_visible_org_unit(user, args.org))
    found = agenda.events(user, unit, first, last)
    args.output.write_bytes(agenda.to_ics(unit, found, timezone.now()))
    print(f"已导出 {len(found)} 项到 {args.output}")
    return 0


def cmd_inbox(args: argparse.Namespace) -> int:
    setup_django()
    from .inbox import inbox_items

    items = inbox_items(_user(args))
    if args.json:
        print(json.dumps([{"kind": i.kind, "title": i.title, "department": i.department, "place": i.place,
                           "due": i.due.isoformat(), "hours": i.hours, "joint": i.joint,
                           "evidence": i.evidence} for i in items], ensure_ascii=False, indent=2))
    else:
        for i in items:
            print(f"{i.due}  {i.kind_label:<4} {i.title}（{i.department}）约 {i.hours:g} 小时")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    setup_django()
    from . import slipped

    attachment = None
    if args.file is not None:
        if not args.file.exists():
            raise Refusal("no_such_file", path=str(args.file))
        if too_big := slipped.size_problems(args.file.name, args.file.stat().st_size):
            raise CommandError(too_big[0])
        attachment = slipped.Attachment(args.file.name, args.file.read_bytes())
    filed = _guarded(lambda: slipped.report(
        _user(args), department=args.department, channel=args.channel, kind=args.kind,
        description=args.description, attachment=attachment, org_code=args.org))
    print(f"已报告：第 {filed.pk} 号（{filed.department_name}），已送减负办审核")
    return 0


def cmd_reports(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts import scope

    reports = scope.visible_unadmitted_reports(_user(args)).order_by("pk")
    if args.status:
        reports = reports.filter(status=args.status)
    rows = [{"id": r.pk, "department": r.department_name, "kind": r.kind, "channel": r.channel,
             "org": r.org_unit.code, "status": r.status, "description": r.description,
             "created_at": r.created_at.isoformat()} for r in reports]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for row in rows:
            print(f"{row['id']:>4} {row['status']:<10} {row['department']:<12} {row['kind']:<10} "
                  f"{row['channel']:<7} {row['org']} {row['description']}")
    return 0


def cmd_resolve(args: argparse.Namespace) -> int:
    setup_django()
    from . import slipped

    user = _user(args)
    filed = _guarded(lambda: slipped.resolve(user, slipped.get_report(user, args.report_id),
                                             args.action, args.note))
    print(f"第 {filed.pk} 号报告：{filed.get_status_display()}。{filed.reviewer_note}")
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    setup_django()
    from . import workflow

    rules = _guarded(lambda: workflow.set_load_rules(
        _user(args), args.org, ceiling=args.ceiling, max_inspections=args.max_inspections,
        workers=args.workers))
    print(f"{rules.org_unit.full_name}：每人每周上限 {rules.weekly_hours_ceiling:g} 小时，"
          f"每社区每季度检查不超过 {rules.max_inspections_per_quarter} 次，"
          f"每社区按 {rules.workers_per_community} 人计")
    return 0


def cmd_figures(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts import scope
    from yibiao.reports.periods import parse_period

    from .accounting import workload_figures

    user = _user(args)
    result = _guarded(lambda: workload_figures(
        user, scope.get_visible_org_unit(user, args.org), parse_period(args.first), parse_period(args.last)))
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return 0
    r = result
    print(f"{r.org_name}  {r.first} — {r.last}")
    print(f"工作任务 {r.task_hours:g} 工时，督查检查 {r.inspection_hours:g} 工时；"
          f"收到 {r.items_received} 项，准入 {r.items_admitted}，不予准入 {r.items_rejected}")
    print(f"留痕要求 {r.evidence_demanded} 项，删除 {r.evidence_struck} 项；联合检查 {r.joint_inspections} 次，"
          f"替代 {r.inspections_replaced} 次单独检查，节省 {r.hours_saved_by_joint:g} 工时")
    print(f"未经准入事项报告 {r.reports}：待处理 {r.reports_new}，已要求报审 {r.reports_converted}，"
          f"驳回 {r.reports_dismissed}")
    for d in r.by_department:
        print(f"  {d.department:<14} 任务 {d.task_hours:g} 检查 {d.inspection_hours:g} "
              f"删除留痕 {d.evidence_struck} 报告 {d.reports}")
    return 0
