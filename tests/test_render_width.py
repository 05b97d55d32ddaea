"""Tables at 80 columns: no id, date or number wrapped or cropped, no line longer than the
terminal, columns left out said so; a screenful of rows on a terminal, the rest counted."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from rich.cells import cell_len
from rich.console import Console

from povcli import flow, programs, reports, render, summary
from povcli.read.load import open_ledgers
from povcli.reports import Report

from conftest import SAMPLE

NUMERIC = (render.COUNT, render.AMOUNT, render.RATE, render.NUMBER, render.YEAR)
FIXED_NAMES = re.compile(r".*(_id|date|_on|since)$|year|exit_year|voucher|code")


@pytest.fixture(scope="module")
def ledgers():
    return open_ledgers(Path(SAMPLE))


def all_reports(ledgers):
    out = [
        reports.exits(ledgers), reports.exits(ledgers, by="village"),
        reports.exits(ledgers, listing=True), reports.changes(ledgers),
        reports.changes(ledgers, by="village"), reports.changes(ledgers, listing=True),
        reports.subsidies(ledgers), reports.subsidies(ledgers, by="village"),
        reports.subsidies(ledgers, listing=True), programs.projects(ledgers),
        programs.projects(ledgers, by="kind"), programs.projects(ledgers, by="village"),
        programs.projects(ledgers, listing=True), programs.pairing(ledgers),
        programs.pairing(ledgers, uncovered=True), programs.villages(ledgers),
        programs.villages(ledgers, listing=True), programs.housing(ledgers),
        programs.housing(ledgers, listing=True), programs.education(ledgers),
        programs.education(ledgers, listing=True), programs.policy(ledgers),
        flow.flow(ledgers, 2017), summary.summary(ledgers),
        summary.summary(ledgers, listing=True)]
    return out


def shown(renderable, width=80, height=25) -> str:
    out = io.StringIO()
    Console(file=out, width=width, height=height, force_terminal=True,
            color_system=None).print(renderable)
    return out.getvalue()


def fixed_values(report, count: int) -> dict[str, list[str]]:
    """The id, date and number values of each column, as the table shows them."""
    from povcli.findings import ID_COLUMNS, mask_id

    frame = report.frame.iloc[:count]
    frame = frame.assign(**{c: frame[c].map(mask_id) for c in ID_COLUMNS & set(frame)})
    values = {}
    for col, kind in zip(frame.columns, render._kinds(report)):
        if kind in NUMERIC or col == "value" or FIXED_NAMES.fullmatch(col):
            values[col] = []
            for row in frame.to_dict(orient="records"):
                k = render._row_kinds(report, row)[col]
                values[col].append(render.display_text(row[col], k))
    return values


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_report_fits_80_columns(ledgers, lang):
    for report in all_reports(ledgers):
        text = shown(render.rich_table(report, lang=lang), height=46)  # 40 rows
        lines = text.splitlines()
        assert max(cell_len(ln) for ln in lines) <= 80, (report.name, text)
        caption = " ".join((text[text.rfind("┘"):] if "┘" in text else text).split())
        for col, values in fixed_values(report, 40).items():
            header = getattr(render.i18n, "header", render.i18n.column)(col, lang, report.name)
            if header in caption and ("left out" in caption or "未显示" in caption):
                continue  # announced as left out
            for value in values:
                if value:
                    assert any(value in ln for ln in lines), (report.name, col, value, text)


def test_projects_at_80_columns_keep_ids_and_totals(ledgers):
    report = programs.projects(ledgers)
    text = shown(render.rich_table(report))
    total = render.display_text(report.totals[0]["funds_total"], render.AMOUNT)
    assert total in text
    for pid in report.frame["project_id"]:
        assert pid in text


def test_left_out_columns_are_announced():
    frame = pd.DataFrame({"household_id": ["0102001001"], "name": ["x x " * 8],
                          "matched": ["y y " * 8], "township": ["z z " * 8],
                          "village": ["w w " * 8], "amount": [1234567.5]})
    text = shown(render.rich_table(Report("find", "t", frame)), width=60)
    assert "left out" in text and "0102001001" in text and "1,234,567.50" in text
    assert max(cell_len(ln) for ln in text.splitlines()) <= 60


def test_headers_for_people_in_tables_keys_in_csv():
    frame = pd.DataFrame({"household_id": ["01"], "amount_per_household": [1.0]})
    report = Report("subsidies", "t", frame)
    text = shown(render.rich_table(report), width=120)
    assert "household_id" not in text and "amount per household" in text
    assert render.render(report, "csv").startswith("household_id,amount_per_household")


def test_a_terminal_shows_a_screenful_of_rows():
    frame = pd.DataFrame({"household_id": [f"{i:07d}" for i in range(5000)],
                          "people": range(5000)})
    report = Report("find", "t", frame)
    text = shown(render.rich_table(report), height=30)
    assert "0000023" in text and "0000024" not in text  # 30 - 6 rows
    assert "4,976 more rows: use --format csv for all" in text
    zh = shown(render.rich_table(report, lang="zh"), height=30)
    assert "另有4,976行未显示" in zh
    small = shown(render.rich_table(report), height=10)
    assert "0000019" in small and "0000020" not in small  # at least 20
    # off a terminal (a file): every row
    out = io.StringIO()
    Console(file=out, width=100, force_terminal=False).print(render.rich_table(report))
    assert "0004999" in out.getvalue()


def test_a_big_listing_on_a_terminal_is_quick():
    import time

    n = 1_600_000
    frame = pd.DataFrame({"household_id": pd.RangeIndex(n).astype(str),
                          "person_id": "220503198001010015", "name": "张三"})
    start = time.perf_counter()
    text = shown(render.rich_table(Report("find", "t", frame)))
    assert time.perf_counter() - start < 5
    assert f"{n - 20:,} more rows" in text


def test_notes_wrap_at_words_on_a_narrow_terminal():
    from rich.cells import cell_len

    from povcli.cli import wrapped
    note = ("povcli: note: year 2023: the latest year of the monitoring ledger (give --year "
            "for another) 以最新年度为准，如需其他年度请用 --year 指定年度")
    lines = wrapped(note, 40).splitlines()
    assert len(lines) > 2 and all(cell_len(line) <= 40 for line in lines)
    assert all(not line.endswith(" ") for line in lines)
    words = note.replace("，", " ").split()
    assert all(w in wrapped(note, 40) for w in words if cell_len(w) < 20 and w.isascii())


def test_chinese_says_warnings_and_lists_with_the_enumeration_comma():
    """In Chinese a warning is 警告 in the table and in the totals alike (提示 is a note),
    and the columns left out for the width are listed with 、."""
    import povcli.cli  # noqa: F401 - its messages join the catalogue on import
    from povcli.messages import say

    assert say("cli.check_totals", "zh", errors=2, warnings=3).endswith("2个错误，3个警告")
    assert say("match.totals", "zh", errors=2, warnings=3).endswith("2个错误，3个警告")
    frame = pd.DataFrame({"household_id": ["0102001001"], "name": ["x x " * 8],
                          "matched": ["y y " * 8], "township": ["z z " * 8],
                          "village": ["w w " * 8], "amount": [1234567.5]})
    text = shown(render.rich_table(Report("find", "t", frame), lang="zh"), width=60)
    hidden = [ln for ln in text.splitlines() if "因终端宽度未显示" in ln]
    assert hidden and "、" in hidden[0] and ", " not in hidden[0]
