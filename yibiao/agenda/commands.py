"""`yibiao calendar …`: the joint calendar as iCalendar, and a user's inbox of admitted work.
(Also reachable under their older names `yibiao workload calendar|inbox`.)"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

from yibiao.cli import setup_django
from yibiao.gate.work.commands import _date, _guarded, _user, command_adder


def register(subparsers: argparse._SubParsersAction) -> None:
    calendar = subparsers.add_parser("calendar", help="联合日历：导出 iCalendar，查看待办清单")
    add_commands(command_adder(calendar.add_subparsers(dest="calendar_command", metavar="SUBCOMMAND",
                                                       required=True)), export_name="export")


def add_commands(add: Callable[..., argparse.ArgumentParser], export_name: str = "calendar") -> None:
    calendar = add(export_name, "导出一个社区或街道的联合日历（iCalendar）", cmd_calendar)
    calendar.add_argument("--org", required=True)
    calendar.add_argument("--from", dest="first", type=_date, default=None)
    calendar.add_argument("--to", dest="last", type=_date, default=None)
    calendar.add_argument("-o", "--output", required=True, type=Path)

    inbox = add("inbox", "一个账号的待办清单：经准入的报表、任务和检查，按截止日期", cmd_inbox)
    inbox.add_argument("--json", action="store_true")



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
