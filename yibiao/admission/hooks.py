"""What happens after a transition: admitted requests create work (fill issue adds tasks)."""

from __future__ import annotations

from .models import FormRequest


def after_transition(request: FormRequest, previous: str, target: str) -> None:
    """Extension point called inside the transition's transaction."""
