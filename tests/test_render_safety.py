"""Output that is safe: no terminal injection, no formula injection in csv for people,
markdown and html that escape ledger text, resident IDs masked by value in every
format, xlsx that never crashes on a control character, no -0.00."""

from __future__ import annotations

import io
import json
import zipfile

import openpyxl
import pandas as pd
import pytest

from povcli import render
from povcli.findings import UsageError
from povcli.reports import Report

PAYLOADS = {
    "link": "[link=https://evil.example]click[/link]",
    "close": "a[/b]b",
    "red": "[red]x[/red]",
    "clear": "before\x1b[2Jafter",
    "osc52": "x\x1b]52;c;ZWNobyBoaQ==\x07y",
    "c1": "c1\x9bm",
    "bidi": "abc\u202edcba",
    "newline": "two\nlines\ttab",
}


def hostile_report(**meta) -> Report:
    frame = pd.DataFrame({"village": list(PAYLOADS.values()),
                          "households": list(range(len(PAYLOADS)))})
    return Report("find", "Title [red]t[/red] \x1b[2J", frame,
                  totals=[{"village": "[/b]total\x1b[2J", "households": 99}], meta=meta)


def printed(renderable, width=200) -> str:
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=width, force_terminal=True, color_system="truecolor").print(
        renderable)
    return out.getvalue()


def plain(renderable, width=200) -> str:
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=width, force_terminal=True, color_system=None).print(renderable)
    return out.getvalue()


@pytest.mark.parametrize("text,shown", [
    ("\x1b[2J", "␛[2J"), ("a\x07b", "a\\x07b"), ("\x9b", "\\x9b"), ("\x7f", "\\x7f"),
    ("a\nb\tc", "a\\nb\\tc"), ("\u202e", "\\u202e"), ("\u2066", "\\u2066"), ("平常", "平常"),
])
def test_safe_shows_controls_visibly(text, shown):
    assert render.safe(text, markup=False) == shown


def test_safe_escapes_markup():
    from rich.text import Text

    for payload in (PAYLOADS["link"], PAYLOADS["close"], PAYLOADS["red"]):
        assert Text.from_markup(render.safe(payload)).plain == payload


def test_hostile_cells_reach_no_terminal():
    out = printed(render.rich_table(hostile_report()))
    # colours of povcli's own title are the only escape sequences: SGR, nothing else
    import re
    others = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert "\x1b" not in others and "\x07" not in others and "\x9b" not in others
    assert "\u202e" not in out and "\x1b]8;" not in out  # no hyperlink
    text = plain(render.rich_table(hostile_report()))
    for shown in ("[link=https://evil.example]click[/link]", "a[/b]b", "[red]x[/red]",
                  "before␛[2Jafter", "x␛]52;c;ZWNobyBoaQ==\\x07y", "abc\\u202edcba",
                  "two\\nlines\\ttab", "[/b]total␛[2J", "Title [red]t[/red] ␛[2J"):
        assert shown in text, shown


def test_hostile_text_in_the_dossier_and_dashboard():
    d = {"household_id": "[red]0101[/red]", "as_of": "2017-12-31", "township": "镇\x1b[2J",
         "village": "[link=https://x]v[/link]", "head_name": "[/b]", "head_id": "x",
         "category": "general", "cause": "illness", "identified_on": "2014-01-01",
         "housing_grade": None, "on_rolls": True, "poor": False,
         "members": [{"name": "\x1b]52;c;AAAA\x07", "person_id": "220503198001010015",
                      "relation": "head", "sex": "M", "age": 37, "on_rolls": True}],
         "timeline": [], "subsidies": [], "subsidy_total": 0.0,
         "cadres": [{"cadre_name": "[/i]", "cadre_id": None, "unit": "u", "leader": "l",
                     "since": None}],
         "projects": [{"project_id": "P1", "name": "[blink]p", "kind": "other", "year": 2017}]}
    out = plain(render.dossier_view(d))
    assert "\x1b" not in out and "\x07" not in out
    for shown in ("[red]0101[/red]", "镇␛[2J", "[link=https://x]v[/link]", "[/b]", "[/i]",
                  "[blink]p"):
        assert shown in out, shown
    summary = Report("summary", "2017 [/b] \x1b[2J",
                     pd.DataFrame({"metric": ["year", "households"], "value": [2017, 3]}))
    out = plain(render.summary_dashboard(summary))
    assert "\x1b" not in out and "2017 [/b] ␛[2J" in out


# ---- csv formula injection

FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def formula_report() -> Report:
    return Report("find", "t", pd.DataFrame({
        "name": FORMULAS + ["平常"], "amount": [-300.0, 1, 2, 3, 4, 5, 6]}))


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_csv_for_people_neutralises_formulas(fmt):
    import csv

    text = render.render(formula_report(), fmt, for_people=True)
    rows = list(csv.reader(io.StringIO(text), delimiter="," if fmt == "csv" else "\t"))
    names = [r[0] for r in rows[1:]]
    assert names == ["'" + f for f in FORMULAS] + ["平常"]
    assert rows[1][1] == "-300.00"  # a negative amount stays a number


def test_csv_for_scripts_stays_raw():
    import csv

    rows = list(csv.reader(io.StringIO(render.render(formula_report(), "csv"))))
    assert [r[0] for r in rows[1:]] == FORMULAS + ["平常"]


def test_csv_written_with_o_is_neutralised(run, tmp_path):
    from conftest import household, make_ledgers, member
    folder = make_ledgers(tmp_path / "d", [household("0101", village="=HYPERLINK(\"x\")")],
                          [member(1, "0101")])
    target = tmp_path / "f.csv"
    result = run("find", "0101", "--data", folder, "-o", target)
    assert result.exit_code == 0, result.output
    assert "'=HYPERLINK" in target.read_text(encoding="utf-8")
    piped = run("find", "0101", "--data", folder, "--format", "csv")
    assert '"=HYPERLINK' in piped.stdout and "'=HYPERLINK" not in piped.stdout


# ---- markdown and html

def test_markdown_escapes_cells():
    frame = pd.DataFrame({"village": ["a|b", "two\nlines", "<script>alert(1)</script>",
                                      "`code` *b* [l](http://x)"], "households": [1, 2, 3, 4]})
    text = render.to_markdown(Report("find", "t", frame))
    lines = text.splitlines()
    assert len(lines) == 2 + 4  # header, rule and one line a row
    assert all(line.count("|") - line.count("\\|") == 3 for line in lines)
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "\\`code\\`" in text and "\\*b\\*" in text and "\\[l\\]" in text


def _figures(village: str, area=None) -> dict:
    metrics = {"households": 3, "people": 9, "poor_households": 1, "poor_people": 2,
               "exited_people_total": 7, "added_people_year": 1, "removed_people_year": 0,
               "pairing_cadres": 2, "pairing_households_covered": 3, "pairing_leaders": 1,
               "pairing_units": 1}
    frame = pd.DataFrame({"year": [2017], "village": [village], "township": ["t"],
                          "households": [3]})
    return {"year": 2017, "metrics": metrics, "area": area,
            "incidence_by_village": [(village, 0.01)],
            "tables": {"villages": Report("villages", "Villages", frame)}}


HOSTILE_VILLAGE = "<script>alert(1)</script>|$x^2$|220503198001010015"


def test_html_document_escapes_ledger_text():
    from povcli import document

    text = document.html_document(_figures(HOSTILE_VILLAGE, area="<b>镇</b>"), "zh")
    assert "<script>" not in text and "<b>镇" not in text
    assert "&lt;script&gt;" in text
    assert "220503198001010015" not in text


def test_markdown_document_escapes_ledger_text(tmp_path):
    from povcli import document

    text = document.markdown(_figures(HOSTILE_VILLAGE, area="# <i>镇</i>|"), "zh",
                             tmp_path / "r_files")
    assert "<script>" not in text and "<i>" not in text
    assert "220503198001010015" not in text
    assert "\\|" in text
    svg = (tmp_path / "r_files" / "villages.svg").read_text(encoding="utf-8")
    assert "$x^2$" in svg  # drawn as written, not as mathtext


def test_chart_with_dollars_in_a_name_does_not_crash():
    from povcli import document

    fig = _figures("a$b")
    fig["incidence_by_village"] = [("$\\frac{$", 0.01), ("$x^{$", 0.02)]
    assert len(document.charts(fig, "en")) == 1


# ---- resident IDs by value

ID = "220503198001010015"


def id_report() -> Report:
    return Report("find", f"households of {ID}", pd.DataFrame({
        "name": [f"张三 {ID}", "李四"], "message": [f"see {ID}", "x"], f"col {ID}": [1, 2],
        "households": [1, 2]}))


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "markdown"])
def test_ids_masked_by_value_in_text_formats(fmt):
    text = render.render(id_report(), fmt)
    assert ID not in text and "220503" in text and "0015" in text
    assert ID in render.render(id_report(), fmt, show_ids=True)


def test_ids_masked_by_value_in_tables_and_xlsx(tmp_path):
    assert ID not in plain(render.rich_table(id_report()))
    render.to_xlsx(id_report(), tmp_path / "x.xlsx")
    book = zipfile.ZipFile(tmp_path / "x.xlsx")
    assert all(ID not in book.read(n).decode("utf-8", "replace") for n in book.namelist())


# ---- xlsx

def test_xlsx_control_characters_do_not_crash(tmp_path):
    frame = pd.DataFrame({"name": ["a\x01b", "c\x1b[2J"], "households": [1, 2]})
    render.to_xlsx(Report("find", "t", frame), tmp_path / "x.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "x.xlsx").active
    assert sheet.cell(row=2, column=1).value == "a\\x01b"
    assert sheet.cell(row=3, column=1).value == "c␛[2J"


def test_xlsx_refuses_too_many_rows_up_front(tmp_path):
    frame = pd.DataFrame({"households": pd.RangeIndex(render.XLSX_MAX_ROWS + 1)})
    with pytest.raises(UsageError) as caught:
        render.to_xlsx(Report("find", "t", frame), tmp_path / "x.xlsx")
    assert caught.value.msg == "render.xlsx_too_many_rows"
    assert "csv" in caught.value.text("en") and "csv" in caught.value.text("zh")
    assert not (tmp_path / "x.xlsx").exists()


# ---- no negative zero

def test_no_negative_zero():
    frame = pd.DataFrame({"amount": [-0.0, -0.004, -1.5], "pass_rate": [-0.0, 0.5, 1.0]})
    report = Report("find", "t", frame)
    text = plain(render.rich_table(report))
    assert "-0.00" not in text and "-0.0%" not in text and "-1.50" in text
    assert "-0.00" not in render.render(report, "csv")
    assert all(r["amount"] != 0 or str(r["amount"]) == "0.0"
               for r in json.loads(render.render(report, "json")))
    assert render.display_text(-0.001, render.AMOUNT) == "0.00"


# ---- through the command line: refused or shown, never an internal error

def test_cli_hostile_ledger_text(run, tmp_path, monkeypatch):
    from povcli import cli
    from conftest import household, make_ledgers, member

    hostile = "[/b]\x1b]52;c;AAAA\x07<script>|$x$"
    folder = make_ledgers(tmp_path / "d", [household("0101", village=hostile)],
                          [member(1, "0101")])
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    for args in (["find", "0101"], ["villages"], ["show", "0101"], ["summary"]):
        result = run(*args, "--data", folder, "--format", "table")
        assert result.exit_code == 0, (args, result.output)
        assert "internal error" not in result.output and "\x07" not in result.stdout
    for name in ("v.xlsx", "v.md", "v.csv"):
        result = run("villages", "--data", folder, "-o", tmp_path / name)
        assert result.exit_code == 0, (name, result.output)
    result = run("report", "--data", folder, "-o", tmp_path / "r.html")
    assert result.exit_code == 0, result.output
    assert "<script>" not in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_dossier_json_masks_ids_by_value():
    d = {"household_id": "01", "head_id": ID, "head_name": f"张三{ID}",
         "members": [{"person_id": ID, "name": f"李四 {ID}"}],
         "timeline": [{"person_id": None, "detail": f"moved {ID}"}], "cadres": []}
    text = render.dossier_json(d)
    assert ID not in text and text.count("220503********0015") == 5
    assert text.count(ID) == 0 and ID in render.dossier_json(d, show_ids=True)


def test_messages_keep_their_language_when_masked(tmp_path):
    from povcli.checks import Said

    said = Said(f"a long English message about {ID}", lambda lang: f"中文说明 {ID}" if
                lang == "zh" else f"a long English message about {ID}")
    report = Report("check", "t", pd.DataFrame({"message": pd.Series([said], dtype=object),
                                                "households": [1]}))
    text = plain(render.rich_table(report, lang="zh"))
    assert "中文说明 220503********0015" in text and ID not in text
    render.to_xlsx(report, tmp_path / "x.xlsx", lang="zh")
    assert openpyxl.load_workbook(tmp_path / "x.xlsx").active["A2"].value == \
        "中文说明 220503********0015"
    assert ID not in render.render(report, "csv")
