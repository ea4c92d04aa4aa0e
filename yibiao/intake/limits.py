"""The read limits of yibiao.sheets, from settings (the sheets package itself has no Django).

Set when the app starts and again whenever a test overrides one of the settings, so
`override_settings(YIBIAO_MAX_ROWS=10)` reaches every reader: template inspection,
request analysis, the roster import, the CLI.
"""
from __future__ import annotations

from dataclasses import replace

from django.conf import settings
from django.core.signals import setting_changed

from yibiao.sheets.budget import MIB
from yibiao.sheets.safety import DEFAULT_LIMITS, Limits, configure

SETTINGS = ("YIBIAO_MAX_ROWS", "YIBIAO_MAX_CELLS", "YIBIAO_PARSE_MEMORY_MB", "YIBIAO_INSPECT_SECONDS",
            "YIBIAO_READ_SECONDS")


def limits_from_settings() -> Limits:
    """0 (or less) for a memory or time setting means no limit."""
    memory = settings.YIBIAO_PARSE_MEMORY_MB
    return replace(
        DEFAULT_LIMITS,
        max_data_rows=settings.YIBIAO_MAX_ROWS,
        max_cells=settings.YIBIAO_MAX_CELLS,
        max_parse_bytes=int(memory * MIB) if memory > 0 else None,
        inspect_seconds=settings.YIBIAO_INSPECT_SECONDS if settings.YIBIAO_INSPECT_SECONDS > 0 else None,
        read_seconds=settings.YIBIAO_READ_SECONDS if settings.YIBIAO_READ_SECONDS > 0 else None,
    )


def _changed(setting: str, **kwargs: object) -> None:
    if setting in SETTINGS:
        configure(limits_from_settings())


def install() -> None:
    configure(limits_from_settings())
    setting_changed.connect(_changed, dispatch_uid="yibiao.intake.limits")
