"""Every command and format through the CLI, on the sample ledgers and tiny ones."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from rich.cells import cell_len

import povcli.cli as cli
from povcli.reports import CHANGE_COLUMNS, EXIT_COLUMNS, SUBSIDY_COLUMNS

from conftest import SAMPLE, household, make_ledgers, member

COMMANDS = ["summary", "exits", "changes", "subsidies"]
CONTRACT = {"exits": EXIT_COLUMNS, "changes": CHANGE_COLUMNS, "subsidies": SUBSIDY_COLUMNS,
            "summary": ["metric", "value"]}
D = ["--data", str(SAMPLE)]


def metrics(run, *args):
    return {r["metric"]: r["value"] for r in run.rows("summary", *D, *args)}


# ---- the source document's figures F1-F4, from the sample ledgers

def test_f1_rolls_at_end_of_2017(run):
    m = metrics(run, "--year", "2017")
    assert (m["households"], m["people"]) == ("233", "404")


def test_f2_people_exited_2016_2017_and_together(run):
    rows = {r["year"]: r for r in run.rows("exits", *D)}
    assert (rows["2016"]["people"], rows["2017"]["people"]) == ("220", "90")
    assert set(rows) == {"2016", "2017"}  # no exits before 2016
    assert metrics(run, "--year", "2017")["exited_people_total"] == "310"
    assert metrics(run, "--year", "2017")["exited_people_year"] == "90"


def test_f3_2017_exits_verified_at_home_all_passed(run):
    (row,) = run.rows("exits", *D, "--year", "2017")
    assert (row["verified_people"], row["passed_people"], row["pass_rate"]) == ("90", "90", "1.0")


def test_f4_2017_dynamic_changes(run):
    m = metrics(run)  # without --year: the latest year in the ledgers, 2017
    assert (m["year"], m["added_people_year"], m["removed_people_year"]) == ("2017", "3", "5")
    rows = run.rows("changes", *D, "--year", "2017")
    added = sum(int(r["people"]) for r in rows if r["direction"] == "in")
    removed = sum(int(r["people"]) for r in rows if r["direction"] == "out")
    assert (added, removed) == (3, 5)


# ---- formats and the contract's columns

@pytest.mark.parametrize("command", COMMANDS)
def test_csv_has_the_contract_columns_in_order(run, command):
    result = run(command, *D, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    header = result.stdout.splitlines()[0].split(",")
    assert header[:len(CONTRACT[command])] == CONTRACT[command]


def test_summary_csv_has_every_contract_metric(run):
    m = metrics(run)
    for key in ["year", "households", "people", "poor_households", "poor_people",
                "exited_people_year", "exited_people_total", "added_people_year",
                "removed_people_year", "subsidy_amount_year"]:
        assert m[key] != "", key
    assert m["subsidy_amount_year"].endswith(".00") or "." in m["subsidy_amount_year"]


@pytest.mark.parametrize("command", COMMANDS)
def test_json_rows_equal_csv_rows(run, command):
    rows = run.rows(command, *D)
    data = run.json(command, *D)
    assert [list(r) for r in data] == [list(r) for r in rows]
    assert len(data) == len(rows)
    for r_json, r_csv in zip(data, rows):
        for key, value in r_json.items():
            if value is None:
                assert r_csv[key] == ""
            else:
                assert float(value) == pytest.approx(float(r_csv[key])) if isinstance(
                    value, (int, float)) else value == r_csv[key]


def test_csv_amounts_have_two_decimals_and_no_separators(run):
    rows = run.rows("subsidies", *D)
    for r in rows:
        assert "," not in r["amount"] and r["amount"].split(".")[1].__len__() == 2
    data = run.json("subsidies", *D)
    assert all(isinstance(r["amount"], float) and isinstance(r["payments"], int) for r in data)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("fmt", ["table", "tsv", "markdown"])
def test_every_command_in_every_format(run, command, fmt):
    result = run(command, *D, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip()
    if fmt == "tsv":
        assert result.stdout.splitlines()[0].split("\t")[:len(CONTRACT[command])] == \
            CONTRACT[command]
    if fmt == "markdown":
        assert result.stdout.splitlines()[1].startswith("|")


def test_table_has_title_units_separators_and_totals(run):
    out = run("subsidies", *D, "--format", "table").stdout
    assert "Subsidy payments" in out and "yuan" in out
    assert "308,000.00" in out  # photovoltaic 2017
    assert "total" in out


def test_piped_output_defaults_to_csv(run):
    result = run("exits", *D)
    assert result.stdout.splitlines()[0] == ",".join(EXIT_COLUMNS)


def test_terminal_output_defaults_to_a_table(run, monkeypatch):
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    result = run("exits", *D)
    assert "┃" in result.stdout or "│" in result.stdout


def test_summary_dashboard_on_a_terminal(run, monkeypatch):
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    out = run("summary", *D, env={"COLUMNS": "140"}).stdout
    for text in ["On the rolls at 2017-12-31", "233", "404", "Exits 2017", "310", "100.0%",
                 "Dynamic changes 2017", "misidentified", "Subsidies 2017", "photovoltaic"]:
        assert text in out, text


def test_no_color_is_honoured(run, monkeypatch):
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    coloured = run("exits", *D, env={"FORCE_COLOR": "1", "COLUMNS": "120"}).stdout
    assert ";36m" in coloured  # the cyan title
    plain = run("exits", *D, env={"FORCE_COLOR": "1", "NO_COLOR": "1", "COLUMNS": "120"}).stdout
    assert ";36m" not in plain and "Exits from poverty" in plain


def test_tables_line_up_with_chinese_text(run):
    out = run("changes", *D, "--by", "village", "--format", "table").stdout
    lines = [ln for ln in out.splitlines() if ln.startswith(("┃", "│", "┡", "├", "└", "┏"))]
    assert any("样子沟村" in ln or "菇园村" in ln for ln in lines)
    assert len({cell_len(ln) for ln in lines}) == 1


# ---- output files

@pytest.mark.parametrize("name,first", [("x.csv", "year,households"), ("x.json", "["),
                                        ("x.md", "| year"), ("x.tsv", "year\thouseholds"),
                                        ("x.txt", "Exits")])
def test_output_file_format_from_extension(run, tmp_path, name, first):
    target = tmp_path / name
    result = run("exits", *D, "-o", target)
    assert result.exit_code == 0 and result.stdout == ""
    raw = target.read_bytes()
    # csv and tsv files are for Excel on a Chinese Windows too: a UTF-8 BOM, none elsewhere
    assert raw.startswith(b"\xef\xbb\xbf") == name.endswith((".csv", ".tsv"))
    assert raw.decode("utf-8-sig").lstrip().startswith(first)


def test_stdout_csv_has_no_bom_and_dash_means_stdout(run):
    plain = run("exits", *D, "--format", "csv")
    dash = run("exits", *D, "--format", "csv", "-o", "-")
    assert plain.stdout == dash.stdout and not plain.stdout.startswith("\ufeff")
    assert dash.stdout.startswith("year,")


def test_extension_must_agree_with_the_format(run, tmp_path):
    target = tmp_path / "x.csv"
    result = run("exits", *D, "-o", target, "--format", "json")
    assert result.exit_code == 2 and "does not agree" in result.stderr
    assert not target.exists() and result.stdout == ""
    # a name without an extension takes the format given
    plain = tmp_path / "exits_json"
    assert run("exits", *D, "-o", plain, "--format", "json").exit_code == 0
    assert json.loads(plain.read_text())[0]["year"] == 2016


def test_unknown_extension_is_a_usage_error(run, tmp_path):
    result = run("exits", *D, "-o", tmp_path / "x.pdf")
    assert result.exit_code == 2 and "cannot tell the format" in result.stderr
    assert result.stdout == ""


# ---- filters and grouping

def test_township_and_village_filters(run):
    whole = metrics(run)
    parts = [metrics(run, "--township", t) for t in ["二道江乡", "五道江镇", "鸭园镇", "铁厂镇"]]
    for key in ["households", "people", "poor_people", "exited_people_total"]:
        assert sum(int(p[key]) for p in parts) == int(whole[key]), key
    one = run.rows("exits", *D, "--village", "样子沟村")
    assert 0 < sum(int(r["people"]) for r in one) < 310


def test_unknown_village_says_which_exist(run):
    result = run("exits", *D, "--village", "不存在村")
    assert result.exit_code == 2 and "no household is in village '不存在村'" in result.stderr
    assert "样子沟村" in result.stderr and result.stdout == ""


@pytest.mark.parametrize("command", ["exits", "changes", "subsidies"])
def test_by_township_sums_to_the_whole(run, command):
    whole = run.rows(command, *D)
    by = run.rows(command, *D, "--by", "township")
    assert list(by[0])[:2] == ["year", "township"]
    column = {"exits": "people", "changes": "people", "subsidies": "payments"}[command]
    assert sum(int(r[column]) for r in by) == sum(int(r[column]) for r in whole)


def test_subsidies_program_filter_english_or_chinese(run):
    a = run.rows("subsidies", *D, "--program", "photovoltaic")
    b = run.rows("subsidies", *D, "--program", "光伏收益")
    assert a == b and {r["program"] for r in a} == {"photovoltaic"}
    assert a[0]["households"] == "77" and a[0]["amount"] == "308000.00"
    result = run("subsidies", *D, "--program", "lottery")
    assert result.exit_code == 2 and "unknown program" in result.stderr


def test_year_without_rows_gives_only_the_header(run):
    result = run("exits", *D, "--year", "2012", "--format", "csv")
    assert result.exit_code == 0 and result.stdout.strip() == ",".join(EXIT_COLUMNS)


# ---- where the data is

def test_data_from_environment(run):
    assert run.rows("exits", env={"POVCLI_DATA": str(SAMPLE)}) == run.rows("exits", *D)


def test_data_from_current_folder(run, tmp_path, monkeypatch):
    make_ledgers(tmp_path, households=[household("H1")], members=[member(1, "H1")],
                 exits=[["H1", "2016", "pass", "", ""]])
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POVCLI_DATA", raising=False)
    assert run.rows("exits")[0]["people"] == "1"


def test_bundled_sample_when_nothing_else(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POVCLI_DATA", raising=False)
    result = run("summary", "--format", "csv")
    assert result.exit_code == 0 and "bundled sample ledgers" in result.stderr
    assert "people,404" in result.stdout
    # said once: the shard planner and the loader both ask where the ledgers are
    for command in ("summary", "exits", "subsidies", "villages"):
        said = run(command, "--format", "csv").stderr
        assert said.count("bundled sample ledgers") == 1, (command, said)


def test_command_that_needs_a_missing_ledger(run, tmp_path):
    make_ledgers(tmp_path, households=[household("H1")], members=[member(1, "H1")])
    result = run("exits", "-d", tmp_path)
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{tmp_path / 'exits.csv'}: not found" in result.stderr
    # summary does without it and says so
    result = run("summary", "-d", tmp_path, "--format", "csv", "--year", "2017")
    assert result.exit_code == 0 and "no exits ledger" in result.stderr


# ---- start-up, pipes, help

def _modules_after(args: list[str]) -> bool:
    code = ("import sys\nfrom povcli.cli import app\ntry:\n    app(%r, prog_name='povcli')\n"
            "except SystemExit:\n    pass\nprint('pandas' in sys.modules)" % (args,))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1] == "True"


@pytest.mark.parametrize("args", [["--help"], ["summary", "--help"], ["exits", "--help"],
                                  ["cache", "--help"], ["cache", "info", "--help"]])
def test_help_does_not_import_pandas(args):
    assert _modules_after(args) is False
    assert _modules_after(["summary", "-d", str(SAMPLE), "-f", "csv"]) is True  # the probe works


def test_closed_pipe_ends_quietly():
    proc = subprocess.run(f"'{sys.executable}' -m povcli exits -d '{SAMPLE}' -f csv | head -1",
                          shell=True, capture_output=True, text=True)
    assert proc.stdout == ",".join(EXIT_COLUMNS) + "\n"
    assert "Traceback" not in proc.stderr and "Broken pipe" not in proc.stderr


def test_version(run):
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.startswith("povcli ")


def test_unknown_option_is_a_usage_error(run):
    result = run("exits", "--colour")
    assert result.exit_code == 2 and result.stdout == ""


# ---- the sample ledgers as one Excel workbook give the same figures

def sample_workbook(path):
    """The sample ledgers as one workbook, cells typed the way Excel keeps them."""
    import csv as _csv
    import datetime
    import re as _re

    import openpyxl

    from povcli.read.decode import decode
    from povcli.read.files import find_files
    book = openpyxl.Workbook()
    book.remove(book.active)
    files, _ = find_files(SAMPLE)
    for name, source in files.items():
        text, _ = decode(source.path.read_bytes(), None)
        sheet = book.create_sheet(source.path.stem)  # English or Chinese, as the file
        for i, row in enumerate(_csv.reader(io.StringIO(text.lstrip("\ufeff")))):
            out = []
            for cell in row:
                if i and _re.fullmatch(r"[1-9]\d{0,13}", cell):
                    out.append(int(cell))
                elif i and _re.fullmatch(r"-?\d+\.\d+", cell):
                    out.append(float(cell))
                elif i and _re.fullmatch(r"\d{4}-\d\d-\d\d", cell):
                    out.append(datetime.datetime.strptime(cell, "%Y-%m-%d"))
                else:
                    out.append(cell)
            sheet.append(out)
    book.save(path)
    return path


@pytest.mark.parametrize("args", [["summary"], ["exits"], ["changes"], ["subsidies"],
                                  ["projects", "--by", "kind"], ["pairing"], ["villages"],
                                  ["housing"], ["education"], ["flow"], ["check"]])
def test_a_workbook_gives_the_same_figures_as_the_csv_files(run, tmp_path, args):
    book = sample_workbook(tmp_path / "台账.xlsx")
    from_csv = run(*args, *D, "--format", "csv")
    from_book = run(*args, "--data", book, "--format", "csv")
    assert from_book.exit_code == from_csv.exit_code == 0, from_book.stderr
    assert from_book.stdout == from_csv.stdout


def chinese_ledgers(folder):
    """The sample ledgers as a Chinese office might keep every one of them: Chinese file
    names and headers, GB18030, Chinese labels, dates as 2017年7月13日, years as 2017年."""
    import csv as _csv
    import re as _re

    from povcli.read.decode import decode
    from povcli.read.files import find_files
    from povcli.schema import ENUMS, LEDGERS, header_index

    folder.mkdir()
    files, _ = find_files(SAMPLE)
    for name, source in files.items():
        ledger = LEDGERS[name]
        text, _ = decode(source.path.read_bytes(), None)
        rows = list(_csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        index = header_index(ledger)
        cols = [ledger.column(index[h.strip().casefold()]) if h.strip().casefold() in index
                else None for h in rows[0]]
        out = [[c.zh if c else h for c, h in zip(cols, rows[0])]]
        for row in rows[1:]:
            cells = []
            for c, v in zip(cols, row):
                if c is not None and c.enum and v in ENUMS[c.enum].labels:
                    v = ENUMS[c.enum].labels[v]
                elif c is not None and c.type == "date" and _re.fullmatch(r"\d{4}-\d\d-\d\d", v):
                    y, m, d = v.split("-")
                    v = f"{y}年{int(m)}月{int(d)}日"
                elif c is not None and c.type == "year" and v:
                    v = f"{v}年"
                cells.append(v)
            out.append(cells)
        buf = io.StringIO()
        _csv.writer(buf, lineterminator="\r\n").writerows(out)
        (folder / ledger.zh_filename).write_bytes(buf.getvalue().encode("gb18030"))
    return folder


@pytest.mark.parametrize("args", [["summary"], ["exits"], ["changes"], ["subsidies"],
                                  ["projects"], ["pairing"], ["villages"], ["housing"],
                                  ["education"], ["policy"], ["flow"], ["check"]])
def test_all_chinese_ledgers_give_the_same_figures(run, tmp_path, args):
    folder = chinese_ledgers(tmp_path / "中文台账")
    from_zh = run(*args, "--data", folder, "--format", "csv")
    from_en = run(*args, *D, "--format", "csv")
    assert from_zh.exit_code == from_en.exit_code == 0, from_zh.stderr[:500]
    assert from_zh.stdout == from_en.stdout
