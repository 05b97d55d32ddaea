"""Titles name the area they cover and mark the sample ledgers; the annual report speaks
of the area, not the district; the dossier in Chinese has no English words left."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from rich.console import Console

from povcli import document, dossier, render, reports
from povcli.annual import annual_figures
from povcli.read.load import open_ledgers
from povcli.model import restrict

from conftest import SAMPLE

AREA = "铁厂镇"
MARK = "sample ledgers · 示例数据"


@pytest.fixture(scope="module")
def ledgers():
    return open_ledgers(Path(SAMPLE))


@pytest.fixture(scope="module")
def township(ledgers):
    return restrict(ledgers, township=AREA)


def plain(renderable, width=120) -> str:
    out = io.StringIO()
    Console(file=out, width=width, force_terminal=True, color_system=None).print(renderable)
    return " ".join(out.getvalue().split())


def area_report(township):
    report = reports.exits(township)
    report.meta.update(area=AREA, sample=True)
    return report


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_table_and_markdown_titles_name_the_area(township, lang):
    report = area_report(township)
    for text in (plain(render.rich_table(report, lang=lang)),
                 render.render(report, "markdown", lang=lang)):
        assert AREA in text and MARK in text


def test_dashboard_title_names_the_area(township):
    from povcli.summary import summary

    report = summary(township)
    report.meta.update(area=AREA, sample=True)
    text = plain(render.summary_dashboard(report, lang="zh"))
    assert AREA in text and MARK in text


def test_no_area_no_marker_in_titles(ledgers):
    text = plain(render.rich_table(reports.exits(ledgers)))
    assert MARK not in text and AREA not in text.split("┏")[0]


def test_xlsx_names_the_area(township, tmp_path):
    render.to_xlsx(area_report(township), tmp_path / "x.xlsx")
    book = openpyxl.load_workbook(tmp_path / "x.xlsx")
    assert AREA in book.active.title and "示例数据" in book.active.title
    assert AREA in book.properties.title and MARK in book.properties.title


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_annual_report_speaks_of_the_area(township, lang, tmp_path):
    fig = annual_figures(township, 2017)
    fig.update(area=AREA, sample=True)
    sentences = document.sentences(fig, lang)
    assert not any("全区" in s for s in sentences)
    assert not any("the district" in s for s in sentences)
    assert AREA in sentences[0]
    page = document.html_document(fig, lang)
    heading = re.search(r"<h1>(.*?)</h1>", page).group(1)
    assert AREA in heading and MARK in heading
    assert all(AREA in h for h in re.findall(r"<h2>(.*?)</h2>", page))
    md = document.markdown(fig, lang, tmp_path / "r_files")
    assert AREA in md.splitlines()[0] and MARK in md.splitlines()[0]


def test_annual_report_of_the_whole_district(ledgers):
    fig = annual_figures(ledgers, 2017)
    assert document.sentences(fig, "zh")[0].startswith("截至2017年12月31日，全区")
    assert MARK not in document.html_document(fig, "zh")


ENGLISH = re.compile(r"[A-Za-z]{2,}")


def test_dossier_in_chinese_has_no_english_words(ledgers):
    households = ledgers.frame("households")["household_id"]
    changes = set(ledgers.frame("changes")["household_id"])
    exits = set(ledgers.frame("exits")["household_id"])
    chosen = [h for h in households if h in changes and h in exits][:3]
    assert chosen
    for hid in chosen:
        d = dossier.dossier(ledgers, hid)
        text = plain(render.dossier_view(d, lang="zh"), width=160)
        words = set(ENGLISH.findall(text)) - {"BF", "XM"}  # ids: BF0001, XM2016-01
        assert not words, (hid, words, text)
        assert "识别" in text and "脱贫退出" in text
