"""`yibiao init`: bring a database to the current schema and reference data. Idempotent."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.management import call_command
from django.db import connection


@dataclass(frozen=True)
class InitResult:
    database: str
    org_units: int
    elements: int
    code_lists: int

    def summary(self) -> str:
        return (
            f"数据库：{self.database}\n"
            f"区划：{self.org_units} 个组织；数据字典：{self.elements} 个核心数据元，"
            f"{self.code_lists} 个代码表"
        )


def database_label() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"SQLite {settings['NAME']}"
    return f"{connection.vendor} {settings.get('HOST') or 'localhost'}/{settings['NAME']}"


def initialise() -> InitResult:
    from yibiao.dictionary.builtin import load_builtin_dictionary
    from yibiao.orgunits.divisions import load_divisions

    call_command("migrate", interactive=False, verbosity=0)
    divisions = load_divisions()
    dictionary = load_builtin_dictionary()
    return InitResult(database_label(), divisions.total, dictionary.elements, dictionary.code_lists)
