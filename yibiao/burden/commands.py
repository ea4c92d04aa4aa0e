"""`yibiao burden`: the burden ledger's figures, the same as the dashboard's."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

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


def add_work_figures(add: Callable[..., argparse.ArgumentParser]) -> None:
    """`yibiao workload figures`: the tasks' and inspections' side of the burden ledger."""
    figures = add("figures", "工作任务和检查的减负账：工时、删除的留痕、联合检查、未经准入报告（按部门）", cmd_figures)
    figures.add_argument("--org", required=True)
    figures.add_argument("--from", dest="first", required=True, help="起始报告期，如 2026-01")
    figures.add_argument("--to", dest="last", required=True, help="截止报告期，如 2026-12")
    figures.add_argument("--json", action="store_true")


def cmd_figures(args: argparse.Namespace) -> int:
    setup_django()
    from yibiao.accounts import scope
    from yibiao.accounts.operators import cli_user
    from yibiao.gate.work.commands import _guarded as _guarded_call
    from yibiao.reports.periods import parse_period

    from .accounting import workload_figures

    user = cli_user(args.user)
    result = _guarded_call(lambda: workload_figures(
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
