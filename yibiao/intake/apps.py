from __future__ import annotations

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "yibiao.intake"
    verbose_name = "台账导入"

    def ready(self) -> None:
        from .limits import install

        install()  # the spreadsheet readers' limits, from settings
