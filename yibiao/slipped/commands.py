"""`yibiao slipped …`: a worker reports what reached them outside the gate; a reviewer
converts or dismisses it. (Also under the older names `yibiao workload report|reports|resolve`.)"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from yibiao.cli import CommandError, setup_django
from yibiao.gate.work.commands import _guarded, _user, command_adder
from yibiao.refusals import Refusal

NAMES = {"report": "report", "reports": "reports", "resolve": "resolve"}


def register(subparsers: argparse._SubParsersAction) -> None:
    slipped = subparsers.add_parser("slipped", help="未经准入事项报告：社区报告，减负办处理")
    add_commands(command_adder(slipped.add_subparsers(dest="slipped_command", metavar="SUBCOMMAND",
                                                      required=True)), names={"reports": "list"})


def add_commands(add: Callable[..., argparse.ArgumentParser], names: dict[str, str] | None = None) -> None:
    names = NAMES | (names or {})
    report = add(names["report"], "社区工作者报告一项未经准入就发来的报表、任务或检查", cmd_report)
    report.add_argument("--department", required=True)
    report.add_argument("--channel", required=True, choices=["wechat", "phone", "paper", "email", "other"])
    report.add_argument("--kind", required=True, choices=["table", "task", "inspection"])
    report.add_argument("--description", default="")
    report.add_argument("--file", type=Path, default=None, help="照片或收到的文件")
    report.add_argument("--org", default="", help="收到的社区（默认账号所在组织）")

    reports = add(names["reports"], "列出可见的未经准入事项报告", cmd_reports)
    reports.add_argument("--status", default=None, choices=["new", "converted", "dismissed"])
    reports.add_argument("--json", action="store_true")

    resolve = add(names["resolve"], "处理报告：要求部门按规定报审（convert）或驳回（dismiss）", cmd_resolve)
    resolve.add_argument("report_id", type=int)
    resolve.add_argument("action", choices=["convert", "dismiss"])
    resolve.add_argument("--note", default="")



def cmd_report(args: argparse.Namespace) -> int:
    setup_django()
    from . import reports as slipped

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
    from . import reports as slipped

    user = _user(args)
    filed = _guarded(lambda: slipped.resolve(user, slipped.get_report(user, args.report_id),
                                             args.action, args.note))
    print(f"第 {filed.pk} 号报告：{filed.get_status_display()}。{filed.reviewer_note}")
    return 0
