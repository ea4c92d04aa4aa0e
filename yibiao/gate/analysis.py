"""One interface to each kind's analysis: `analyse(demand)` gives what the reviewer reads
(`verdict`, and `as_dict()` to store), whatever the kind. A table is analysed against the
ledger (columns held, derivable, new; overlaps; burden in cells and hours); a task or
inspection against what is already admitted (overlaps, hours per worker per week,
inspections per quarter). A new kind adds its module here."""

from __future__ import annotations

from typing import Protocol

from .models import TABLE_KINDS, Demand


class Analysis(Protocol):
    verdict: str

    def as_dict(self) -> dict: ...


def analyse(demand: Demand) -> Analysis:
    if demand.kind in TABLE_KINDS:
        from .tables import analysis as table_analysis

        return table_analysis.analyse(demand)
    from .work import analysis as work_analysis

    return work_analysis.analyse(demand)


def reanalyse(actor: object, demand: Demand) -> Analysis:
    """Rewrites the stored analysis against the ledger and the gate as they are now: for
    those who may change the demand (its department, reviewers)."""
    from yibiao.accounts import scope

    scope.require_may(actor, scope.CHANGE, demand)
    result = analyse(demand)
    type(demand).objects.filter(pk=demand.pk).update(analysis=result.as_dict())
    demand.analysis = result.as_dict()
    return result
