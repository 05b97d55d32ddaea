"""What a clerk does must never lose data or end in an internal error: -o never touches
a ledger, files are written whole or not at all, formats are those a command offers,
the language is the user's, and failures are messages with their own exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import povcli.cli as cli
from povcli.registry import COMMANDS

from conftest import SAMPLE, household, make_ledgers, member

D = ["--data", str(SAMPLE)]


@pytest.fixture
def ledgers(tmp_path):
    folder = tmp_path / "ledgers"
    shutil.copytree(SAMPLE, folder)
    return folder


def snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# ---- -o never writes over a ledger

@pytest.mark.parametrize("spelling", ["relative", "absolute", "dotted", "symlink", "hardlink"])
def test_output_onto_a_ledger_is_refused(run, ledgers, monkeypatch, tmp_path, spelling):
    before = snapshot(ledgers)
    monkeypatch.chdir(ledgers)
    target = {"relative": "exits.csv", "absolute": str(ledgers / "exits.csv"),
              "dotted": f"../{ledgers.name}/./exits.csv"}.get(spelling)
    if spelling == "symlink":
        target = str(tmp_path / "link.csv")
        os.symlink(ledgers / "exits.csv", target)
    if spelling == "hardlink":
        target = str(tmp_path / "hard.csv")
        os.link(ledgers / "exits.csv", target)
    result = run("exits", "-o", target)
    assert result.exit_code == 2 and result.stdout == ""
    assert "never changes a ledger" in result.stderr
    assert snapshot(ledgers) == before


def test_output_that_would_become_a_ledger_is_refused(run, ledgers, monkeypatch):
    (ledgers / "projects.csv").unlink()
    monkeypatch.chdir(ledgers)
    for name in ("projects.csv", "扶贫项目台账.xlsx", "PROJECTS.tsv"):
        result = run("exits", "-o", name)
        assert result.exit_code == 2 and "would be read as the projects ledger" in result.stderr
        assert not (ledgers / name).exists()
    # any other name in the folder is fine
    assert run("exits", "-o", "exits_report.csv").exit_code == 0


def test_output_onto_a_workbook_read_as_ledgers_is_refused(run, tmp_path):
    from test_cli import sample_workbook

    book = sample_workbook(tmp_path / "台账.xlsx")
    before = book.read_bytes()
    result = run("summary", "-d", book, "-o", book)
    assert result.exit_code == 2 and book.read_bytes() == before


# ---- written whole or not at all

def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(run, tmp_path, monkeypatch):
    import povcli.render as render

    target = tmp_path / "r.xlsx"
    target.write_bytes(b"the old report")
    real = render.to_xlsx

    def half_then_ctrl_c(report, path, **kw):
        real(report, path, **kw)
        Path(path).write_bytes(Path(path).read_bytes()[:100])
        raise KeyboardInterrupt
    monkeypatch.setattr(render, "to_xlsx", half_then_ctrl_c)
    result = run("exits", *D, "-o", target)
    assert result.exit_code == 130 and "interrupted" in result.stderr
    assert target.read_bytes() == b"the old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.xlsx"]


@pytest.mark.parametrize("command", ["summary", "check", "exits"])
def test_a_bad_output_is_refused_before_anything_is_read(run, ledgers, monkeypatch, tmp_path,
                                                         command):
    """-o onto a ledger, into a folder not there, onto a folder: refused at once, before
    the ledgers are read (at national size the reading takes half an hour)."""
    from povcli.read import load

    def no_reading(*a, **k):
        raise AssertionError("the ledgers were read")
    from povcli import shards

    monkeypatch.setattr(load, "read_ledgers", no_reading)
    monkeypatch.setattr(load, "open_ledgers", no_reading)
    monkeypatch.setattr(shards, "stream_dataset", no_reading)
    for target, said in ((ledgers / "members.csv", "never changes a ledger"),
                         (ledgers / "家庭成员台账.xlsx", "would be read as the members ledger"),
                         (tmp_path / "no such folder" / "x.csv", "No such file or directory"),
                         (tmp_path, "Is a directory")):
        result = run(command, "-d", ledgers, "-o", target, "--memory", "1")
        assert result.exit_code == 2 and result.stdout == "", result.stderr
        assert said in result.stderr and "internal error" not in result.stderr


def test_an_unwritable_place_is_a_message(run, tmp_path):
    result = run("exits", *D, "-o", tmp_path / "no such folder" / "x.csv")
    assert result.exit_code == 2 and "cannot write" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_stdout_is_a_message_not_a_traceback():
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "povcli", "exits", *D, "-f", "csv"],
                              stdout=full, stderr=subprocess.PIPE, text=True)
    assert proc.returncode == 2, proc.stderr
    assert "cannot write the output" in proc.stderr and "Traceback" not in proc.stderr


# ---- formats: only those a command renders

@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_offers_only_the_formats_the_command_writes(run, name):
    text = run(name, "--help").stdout
    assert "--format" in text
    for fmt in ("html", "xlsx", "csv"):
        assert (fmt in text.split("--format", 1)[1].split("--", 1)[0]) == \
            (fmt in COMMANDS[name].formats), (name, fmt)


@pytest.mark.parametrize("name", [n for n in sorted(COMMANDS) if "html" not in
                                  COMMANDS[n].formats])
def test_a_format_not_offered_is_refused_by_option_parsing(run, name):
    args = {"show": ["01010001"], "find": ["张"]}.get(name, [])
    result = run(name, *args, *D, "--format", "html")
    assert result.exit_code == 2 and result.stdout == ""
    assert "internal error" not in result.stderr


def test_report_without_o_on_a_terminal_writes_a_file_and_says_where(run, tmp_path,
                                                                     monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    result = run("report", *D)
    assert result.exit_code == 0 and result.stdout == ""
    assert (tmp_path / "report_2017.html").read_text(encoding="utf-8").startswith("<!DOCTYPE")
    assert "report_2017.html" in result.stderr


def test_report_into_a_file_of_another_format_is_refused(run, tmp_path):
    result = run("report", *D, "-o", tmp_path / "r.xlsx")
    assert result.exit_code == 2 and not (tmp_path / "r.xlsx").exists()


def test_show_piped_writes_its_plain_form():
    proc = subprocess.run(f"'{sys.executable}' -m povcli show 01010001 -d '{SAMPLE}' | cat",
                          shell=True, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "01010001" in proc.stdout and "\x1b[" not in proc.stdout


# ---- the user's language, years, exit codes

def test_the_locale_chooses_chinese(run, tmp_path):
    result = run("exits", "-d", tmp_path / "nowhere", env={"LANG": "zh_CN.UTF-8"})
    assert result.exit_code == 2 and "台账中有1处问题" in result.stderr


@pytest.mark.parametrize("args,env", [(["--lang", "fr"], {}), ([], {"POVCLI_LANG": "fr"})])
def test_an_unsupported_language_is_a_usage_error(run, args, env):
    result = run("exits", *D, *args, env=env)
    assert result.exit_code == 2 and result.stdout == "" and "fr" in result.stderr


@pytest.mark.parametrize("year", ["0", "-5", "99999"])
def test_an_impossible_year_is_a_usage_error(run, year):
    result = run("summary", *D, "--year", year)
    assert result.exit_code == 2 and result.stdout == "" and "--year" in result.stderr


@pytest.mark.parametrize("year", ["2030", "1990"])
def test_a_year_outside_the_ledgers_says_so(run, year):
    # the sample's case file runs 2014-2017, its monitoring ledger to 2023
    result = run("summary", *D, "--year", year, "--format", "csv")
    assert result.exit_code == 0 and "outside the years" in result.stderr
    assert "2014–2023" in result.stderr
    assert "outside" not in run("monitor", *D, "--year", "2021", "-f", "csv").stderr


def test_an_internal_error_has_its_own_exit_status(run, monkeypatch):
    import povcli.reports as reports

    def broken(*a, **k):
        raise RuntimeError("a bug")
    monkeypatch.setattr(reports, "exits", broken)
    result = run("exits", *D)
    assert result.exit_code == cli.EXIT_INTERNAL == 3
    assert "internal error" in result.stderr and result.stdout == ""


# ---- where the ledgers are

def test_workbook_ledgers_in_the_current_folder_are_found(run, tmp_path, monkeypatch):
    from test_cli import sample_workbook

    sample_workbook(tmp_path / "台账.xlsx")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POVCLI_DATA", raising=False)
    result = run("summary", "--format", "csv")
    assert result.exit_code == 0 and "sample" not in result.stderr
    assert "people,404" in result.stdout


def test_per_household_programs_have_no_people_count(run):
    rows = {r["program"]: r for r in run.rows("subsidies", *D, "--year", "2017")}
    assert rows["photovoltaic"]["people"] == "" and rows["education"]["people"] == "32"
    data = {r["program"]: r for r in run.json("subsidies", *D, "--year", "2017")}
    assert data["photovoltaic"]["people"] is None


# ---- every command in every format it offers, on the sample and on the smallest set

def _args(name: str, folder: Path = SAMPLE) -> list[str]:
    examples = SAMPLE.parent / "examples"
    return {"show": ["01010001"], "find": ["张"],
            "compare": [str(examples / "diff" / "figures.csv")],
            "match": ["death", str(examples / "match" / "deaths.csv")],
            "diff": [str(folder), str(folder)]}.get(name, [])


@pytest.fixture(scope="module")
def smallest(tmp_path_factory):
    folder = tmp_path_factory.mktemp("smallest")
    make_ledgers(folder, households=[household("H1"), household("H2", head=2)],
                 members=[member(1, "H1"), member(2, "H2"), member(3, "H2", "child")])
    return folder


MATRIX = [(n, f) for n in sorted(COMMANDS) for f in COMMANDS[n].formats]


@pytest.mark.parametrize("name,fmt", MATRIX)
@pytest.mark.parametrize("where", ["sample", "smallest"])
def test_every_command_in_every_format_it_offers(run, smallest, tmp_path, name, fmt, where):
    folder = SAMPLE if where == "sample" else smallest
    args = _args(name) if where == "sample" else {"show": ["H1"], "find": ["H"]}.get(
        name, _args(name, folder))
    target = tmp_path / f"out{'.md' if fmt == 'markdown' else '.txt' if fmt == 'table' else '.' + fmt}"
    result = run(name, *args, "-d", folder, "--format", fmt, "-o", target)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    needs = COMMANDS[name].needs
    if where == "smallest" and needs:
        # a command that cannot do without its ledger says which file is missing
        assert result.exit_code == 2 and "not found" in result.stderr
        return
    assert result.exit_code in (0, 1), result.stderr  # 1: check found errors
    if name == "check" and result.exit_code == 0 and not target.exists():
        return
    assert target.exists() and target.stat().st_size > 0
    if fmt == "json":
        json.loads(target.read_text(encoding="utf-8"))


# ---- --lang zh leaves no English sentence behind (found trying it as a new user)

def test_chinese_reaches_notes_errors_and_list_cells(run, tmp_path):
    result = run("show", "ZZZ", *D, "--lang", "zh")
    assert result.exit_code == 2 and "台账中没有户编号为“ZZZ”的户" in result.stderr
    found = run("find", "张", *D, "--lang", "zh", "-f", "markdown").stdout
    assert "成员" in found and "member" not in found
    assert "member" in run("find", "张", *D, "-f", "csv").stdout  # csv stays English
    folder = make_ledgers(tmp_path / "t", households=[household("H1")], members=[member(1, "H1")])
    text = (folder / "households.csv").read_text(encoding="utf-8")
    (folder / "households.csv").write_text("二道江区贫困户台账\n" + text, encoding="utf-8")
    result = run("exits", "-d", folder, "--lang", "zh")
    assert "表头上方" in result.stderr or "标题行" in result.stderr, result.stderr
    assert "title row" not in result.stderr
    assert "找不到脱贫退出台账" in result.stderr
    villages = run("villages", *D, "--lang", "zh", "-f", "markdown").stdout
    assert "19个村中19个村有结对企业" in villages and "villages paired" not in villages
