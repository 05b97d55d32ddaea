"""The README is checked against the code, as sqlite-utils checks its docs."""

from __future__ import annotations

import re
import sys

import pytest
import typer.main

from povcli.cli import app

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import readme  # noqa: E402

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = [c.name or c.callback.__name__ for c in app.registered_commands]


def test_readme_examples_are_real_runs():
    assert readme.updated(README) == README, "README is stale: run python scripts/readme.py"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command):
    assert f"povcli {command}" in README


def _options():
    group = typer.main.get_command(app)
    seen = set()
    for name in [None, *COMMANDS]:
        command = group if name is None else group.commands[name]
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--"):
                    seen.add(opt)
    return sorted(seen)


@pytest.mark.parametrize("option", _options())
def test_every_option_is_in_the_readme(option):
    assert f"`{option}" in README


def test_quick_start_is_two_commands_and_ci_runs_the_test_one():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)\n```", quick, re.S)
    assert len(blocks) == 2 and all("\n" not in b for b in blocks)
    assert blocks[0].startswith("pip install . && povcli summary")
    ci = (ROOT / ".ci" / "run").read_text()
    assert blocks[1] in ci
