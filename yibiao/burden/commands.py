"""`yibiao burden`: the burden ledger's figures, the same as the dashboard's."""

from __future__ import annotations

import argparse
import json

from yibiao.cli import CommandError, setup_django


def register(subparsers: argparse._SubParsersAction) -> None:
    burden = subparsers.add_parser("burden", help="减负账本：要求填写、自动填、人工填写、节省工时、拦下的报表")
    burden.add_argument("--org", required=True, help="组织代码")
    burden.add_argument("--from", dest="first", required=True, help="起始报告期，如 2026-01")
    burden.add_argument("--to", dest="last", required=True, help="截止报告期，如 2026-12")
    burden.add_argument("--json", action="store_true")
    burden.add_argument("--user", default=None)
    burden.set_defaults(handler=cmd_burden)


def cmd_burden(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts import scope
    from yibiao.accounts.operators import cli_user
    from yibiao.burden.ledger import figures
    from yibiao.reports.periods import PeriodError, parse_period

    user = cli_user(args.user)
    try:
        unit = scope.get_visible_org_unit(user, args.org)
        result = figures(user, unit, parse_period(args.first), parse_period(args.last))
    except (scope.OutOfScope, PeriodError) as error:
        raise CommandError(str(error)) from None
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return 0
    t, g, a = result.total, result.gate, result.assumptions
    print(f"{result.org_name}  {result.period_from} — {result.period_to}")
    print(f"收到报表需求 {g.received}，准入 {g.admitted}，不予准入 {g.rejected}（其中重复 {g.duplicates_stopped}），"
          f"退回 {g.returned}，待审 {g.pending}")
    print(f"任务 {t.tasks}：要求填写 {t.cells_asked} 格，系统自动填 {t.cells_auto} 格（{t.share_auto:.1%}），"
          f"人工填写 {t.cells_typed} 格，未填 {t.cells_empty} 格")
    print(f"工时：实际 {t.hours_spent}，若手工 {t.hours_by_hand}，节省 {t.hours_saved}"
          f"（每格 {a.seconds_per_cell} 秒，每表每期 {a.seconds_per_form} 秒）")
    print(f"审核拦下的报表全年本需 {g.stopped_cells_per_year} 格，约 {g.stopped_hours_per_year} 工时")
    return 0
