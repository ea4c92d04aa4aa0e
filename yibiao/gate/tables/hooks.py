"""What happens after a transition: an admitted request creates its first tasks."""

from __future__ import annotations

from yibiao.gate.models import FormRequest, Status


def after_transition(request: FormRequest, previous: str, target: str) -> None:
    """Called inside the transition's transaction."""
    if target == Status.ADMITTED:
        from yibiao.reports.tasks import create_tasks, current_period

        create_tasks(request, current_period(request))
