"""`yibiao report fill` and `yibiao tasks generate`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from yibiao.cli import CommandError, setup_django
from yibiao.refusals import Refusal


def register(subparsers: argparse._SubParsersAction) -> None:
    report = subparsers.add_parser("report", help="报表：按部门模板生成")
    sub = report.add_subparsers(dest="report_command", metavar="SUBCOMMAND", required=True)
    fill = sub.add_parser("fill", help="用台账填写部门模板（街道、区县级为各社区合并）")
    fill.add_argument("request_id", type=int)
    fill.add_argument("--org", required=True, help="社区、街道或区县代码")
    fill.add_argument("--period", required=True, help="报告期：2026-11、2026W48、2026Q4 或 2026")
    fill.add_argument("-o", "--output", required=True, type=Path, help="输出 .xlsx")
    fill.add_argument("--json", action="store_true")
    fill.add_argument("--user", default=None)
    fill.set_defaults(handler=cmd_fill)

    task = subparsers.add_parser("tasks", help="报表任务")
    task_sub = task.add_subparsers(dest="tasks_command", metavar="SUBCOMMAND", required=True)
    generate = task_sub.add_parser("generate", help="为已准入的周期性报表生成本期任务（每天运行，可重复）")
    generate.add_argument("--date", default=None, help="按哪一天所在的报告期（默认今天）")
    generate.set_defaults(handler=cmd_generate)


def cmd_fill(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts import scope
    from yibiao.accounts.operators import cli_user
    from yibiao.reports.export import export_report
    from yibiao.reports.periods import PeriodError, parse_period

    user = cli_user(args.user)
    request = scope.visible_requests(user).filter(pk=args.request_id).first()
    if request is None:
        raise Refusal("no_such_request", id=args.request_id)
    try:
        unit = scope.get_visible_org_unit(user, args.org)
        result = export_report(user, request, unit, parse_period(args.period), args.output)
    except (scope.OutOfScope, PeriodError) as error:
        raise CommandError(str(error)) from None
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False))
    else:
        print(f"已生成 {result.path}：{result.rows} 行，{result.cells} 个单元格，"
              f"系统填 {result.auto_filled}，待补 {result.missing}")
        for note in result.notes:
            print(f"  注意：{note}")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    setup_django()
    import datetime as dt

    from yibiao.reports.tasks import generate_due_tasks

    day = dt.date.fromisoformat(args.date) if args.date else None
    print(f"新建任务 {generate_due_tasks(day)} 个")
    return 0
