"""The README documents every command and setting the program has (as datasette does)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from yibiao.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def command_names(parser: argparse.ArgumentParser, prefix: str = "yibiao") -> list[str]:
    names = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                full = f"{prefix} {name}"
                nested = command_names(sub, full)
                names.extend(nested or [full])
    return names


# Two names for one group of commands: each command is documented once, under either name,
# and both groups have their own line in the README saying so.
ALIASES = {"yibiao request": "yibiao gate table", "yibiao workload": "yibiao gate work"}


def other_name(command: str) -> str:
    for alias, canonical in ALIASES.items():
        for one, two in ((alias, canonical), (canonical, alias)):
            if command.startswith(one + " "):
                return two + command[len(one):]
    return command


def test_every_command_is_in_the_readme():
    documented = set(re.findall(r"^- `(yibiao(?: [a-z][a-z\-]*)+)", README, re.M))
    commands = set(command_names(build_parser()))
    missing = {c for c in commands if c not in documented and other_name(c) not in documented}
    assert missing == set(), "commands missing from README's CLI reference"
    groups = {" ".join(c.split()[:n]) for c in commands for n in range(2, len(c.split()))}
    assert set(ALIASES) | set(ALIASES.values()) <= documented, "each name of a group has its line"
    assert documented - commands - groups == set(), "README documents commands that do not exist"


def test_every_setting_is_in_the_readme():
    settings_source = (ROOT / "yibiao" / "settings.py").read_text(encoding="utf-8")
    variables = set(re.findall(r'(?:environ\.get|env_[a-z]+)\("([A-Z_]+)"', settings_source))
    assert variables, "settings read no environment variables?"
    missing = {name for name in variables if f"`{name}`" not in README}
    assert missing == set()


def test_help_lists_every_subcommand(capsys):
    try:
        build_parser().parse_args(["--help"])
    except SystemExit:
        pass
    out = capsys.readouterr().out
    for name in command_names(build_parser()):
        assert name.split()[1] in out
