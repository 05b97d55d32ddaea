"""The docs are checked against the code, as sqlite-utils checks its docs.

README.md and docs/guide.md show real runs; docs/commands.md, ledgers.md, rules.md,
reports.md and counting.md are written from the code by scripts/make_docs.py. Each test
here fails when a doc and the code part ways.
"""

from __future__ import annotations

import difflib
import re
import sys

import pytest
import typer.main

from povcli.cli import app
from povcli.registry import COMMANDS

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import make_docs  # noqa: E402

README = (ROOT / "README.md").read_text(encoding="utf-8")
GUIDE = (ROOT / "docs" / "guide.md").read_text(encoding="utf-8")
COMMAND_NAMES = [c.name or c.callback.__name__ for c in app.registered_commands]
WRITTEN = ["README.md", "docs/guide.md", *(f"docs/{name}" for name in make_docs.GENERATED)]


@pytest.fixture(scope="module")
def expected():
    return make_docs.expected()


@pytest.mark.parametrize("name", WRITTEN)
def test_the_docs_are_what_the_code_writes(expected, name):
    path = ROOT / name
    have = path.read_text(encoding="utf-8") if path.exists() else ""
    want = expected[path]
    if have != want:
        diff = "".join(list(difflib.unified_diff(have.splitlines(True), want.splitlines(True),
                                                 name, "what the code writes"))[:40])
        pytest.fail(f"{name} is stale: run python scripts/make_docs.py\n{diff}")


def test_a_stale_example_is_caught():
    text = "<!-- run: povcli education --format csv -->\n```\nyear,students\n2017,999\n```\n"
    fresh = make_docs.with_runs(text)
    assert fresh != text and "2017,32,32,40000.00" in fresh
    assert make_docs.with_runs(fresh) == fresh


def test_every_generated_doc_says_it_is_generated_and_how_to_regenerate(expected):
    for name in make_docs.GENERATED:
        assert expected[make_docs.DOCS / name].startswith(make_docs.HEAD)
    assert "python scripts/make_docs.py" in make_docs.HEAD


# --------------------------------------------------------------------------- README

def _section(text: str, heading: str) -> str:
    return text.split(f"\n## {heading}", 1)[1].split("\n## ", 1)[0]


def test_quick_start_is_two_commands_and_ci_runs_the_test_one():
    quick = _section(README, "Quick start")
    blocks = re.findall(r"```sh\n(.*?)\n```", quick, re.S)
    assert len(blocks) == 2 and all("\n" not in b for b in blocks)
    assert blocks[0].startswith("pip install . && povcli summary")
    assert blocks[1] == 'pip install ".[test]" && python -m pytest'
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert blocks[1] in ci, "the README's test command must be the line CI runs"


def test_no_single_quotes_in_the_commands_a_newcomer_types():
    # cmd.exe passes single quotes on to pip, which then cannot parse '.[test]'
    quick = _section(README, "Quick start")
    for code in re.findall(r"`([^`\n]+)`", quick) + re.findall(r"```sh\n(.*?)\n```", quick):
        assert "'" not in code, code


def test_the_python_version_is_the_one_pyproject_requires():
    # (tomllib is 3.11's; povcli runs on 3.10)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    version = re.search(r'^requires-python = ">=(\d+\.\d+)"$', pyproject, re.M).group(1)
    assert f"Python {version} or newer" in README
    assert f"Python {version} 或更高版本" in README


def test_the_venv_step_is_there_for_each_shell():
    quick = _section(README, "Quick start")
    for step in ("python3 -m venv .venv", ". .venv/bin/activate", "py -m venv .venv",
                 r".venv\Scripts\activate", r".venv\Scripts\Activate.ps1"):
        assert f"`{step}`" in quick, step


def test_the_chinese_section_has_the_same_two_commands():
    quick = _section(README, "Quick start")
    chinese = _section(README, "中文说明")
    for command in re.findall(r"```sh\n(.*?)\n```", quick):
        assert f"`{command}`" in chinese
    assert "--show-ids" in chinese and "povcli cache clear" in chinese


def test_the_readme_stays_a_newcomers_page():
    # the guide and the reference live in docs/; the README is one or two screens of
    # prose around its three examples
    prose = re.sub(r"<!-- run.*?-->\n```.*?```\n", "", README, flags=re.S)
    assert len(prose.splitlines()) < 130
    for doc in ("docs/guide.md", "docs/commands.md", "docs/ledgers.md", "docs/rules.md",
                "docs/reports.md", "docs/contract.md", "docs/counting.md"):
        assert f"({doc})" in README, doc


def test_the_readme_has_three_examples():
    english = README.split("\n## 中文说明", 1)[0]
    assert len(re.findall(r"<!-- run", english)) == 3


def test_the_exit_codes_in_the_readme_are_the_cli_s():
    from povcli import cli

    codes = _section(README, "Exit codes")
    for code in (cli.EXIT_OK, cli.EXIT_FINDINGS, cli.EXIT_USAGE, cli.EXIT_INTERNAL, 130):
        assert re.search(rf"(^|\s){code}\s", codes), code


# --------------------------------------------------------------------------- guide

@pytest.mark.parametrize("command", COMMAND_NAMES)
def test_every_command_is_in_the_guide(command):
    assert f"povcli {command}" in GUIDE


def _options():
    group = typer.main.get_command(app)
    seen = set()
    for name in [None, *COMMAND_NAMES]:
        command = group if name is None else group.commands[name]  # type: ignore[attr-defined]
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--"):
                    seen.add(opt)
    return sorted(seen)


@pytest.mark.parametrize("option", _options())
def test_every_option_is_in_the_guide(option):
    assert f"`{option}" in GUIDE


# --------------------------------------------------------------------------- reference

def test_every_column_of_the_schema_has_a_meaning():
    assert make_docs.meaning_problems() == []


def test_a_column_without_a_meaning_is_caught(monkeypatch):
    monkeypatch.delitem(make_docs.MEANINGS, ("exits", "food_clothing"))
    monkeypatch.setitem(make_docs.MEANINGS, ("exits", "no_such_column"), "gone")
    problems = make_docs.meaning_problems()
    assert any("exits.food_clothing" in p for p in problems)
    assert any("no_such_column" in p for p in problems)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_command_s_help_names_only_its_own_options(name):
    command = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    options = {o for p in command.params for o in [*p.opts, *p.secondary_opts]}
    spec = COMMANDS[name]
    for text in (spec.help_en, spec.help_zh):
        for option in re.findall(r"--[a-z][a-z-]*", text):
            assert option in options, f"{name}'s help names {option}, which it does not take"
