"""Excel output, Chinese labels and the annual report."""

from __future__ import annotations

import re

import openpyxl
import pytest

from povcli.annual import annual_figures
from povcli.findings import mask_text
from povcli.i18n import COLUMNS
from povcli.read.load import open_ledgers

from conftest import SAMPLE

D = ["--data", str(SAMPLE)]


# ---- xlsx out

def test_xlsx_has_numbers_as_numbers_ids_as_text_and_no_formulas(run, tmp_path):
    target = tmp_path / "subsidies.xlsx"
    result = run("subsidies", *D, "--list", "--show-ids", "-o", target)
    assert result.exit_code == 0, result.stderr
    sheet = openpyxl.load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    assert header[:3] == ["year", "program", "date"]
    first = dict(zip(header, rows[1]))
    assert isinstance(first["year"], int) and isinstance(first["amount"], (int, float))
    assert first["date"] == "2016-03-25" or re.fullmatch(r"\d{4}-\d\d-\d\d", first["date"])
    assert isinstance(first["household_id"], str) and first["household_id"].startswith("0")
    ids = [dict(zip(header, r))["person_id"] for r in rows[1:]]
    assert any(isinstance(i, str) and len(i) == 18 for i in ids)  # text, every digit kept
    assert sheet.column_dimensions["A"].width >= 6


def test_xlsx_text_that_looks_like_a_formula_stays_text(tmp_path):
    import pandas as pd
    from povcli.render import to_xlsx
    from povcli.reports import Report

    frame = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "平常"],
                          "people": [1, 2, 3, 4, 5]})
    to_xlsx(Report("find", "t", frame), tmp_path / "f.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "f.xlsx").active
    cells = [sheet.cell(row=r, column=1) for r in range(2, 7)]
    assert [c.data_type for c in cells] == ["s"] * 5
    assert [c.value for c in cells][:4] == ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)"]
    assert all(c.quotePrefix for c in cells[:4])
    # the stored XML holds no formula element at all
    import zipfile
    xml = zipfile.ZipFile(tmp_path / "f.xlsx").read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml


def test_xlsx_column_widths_fit_chinese_text(run, tmp_path):
    target = tmp_path / "v.xlsx"
    assert run("villages", *D, "--lang", "zh", "-o", target).exit_code == 0
    sheet = openpyxl.load_workbook(target).active
    assert sheet.cell(row=1, column=1).value == "乡镇"
    # 通化福源钢铁配套有限公司: 12 wide characters, 24 cells
    enterprise = [c.column_letter for c in sheet[1] if c.value == "结对企业"][0]
    assert sheet.column_dimensions[enterprise].width >= 24


def test_xlsx_needs_a_file(run):
    result = run("exits", *D, "--format", "xlsx")
    assert result.exit_code == 2 and "-o FILE.xlsx" in result.stderr


# ---- --lang zh

def test_lang_zh_changes_headers_titles_and_labels_but_not_csv(run, monkeypatch):
    table = run("changes", *D, "--year", "2017", "--lang", "zh", "--format", "markdown").stdout
    assert "调整方向" in table and "死亡" in table and "增加" in table
    assert "death" not in table
    csv_zh = run("changes", *D, "--lang", "zh", "--format", "csv").stdout
    csv_en = run("changes", *D, "--format", "csv").stdout
    assert csv_zh == csv_en
    json_zh = run("exits", *D, "--lang", "zh", "--format", "json").stdout
    assert json_zh == run("exits", *D, "--format", "json").stdout


def test_lang_from_environment(run):
    out = run("exits", *D, "--format", "markdown", env={"POVCLI_LANG": "zh"}).stdout
    assert "通过率" in out
    assert "通过率" not in run("exits", *D, "--format", "markdown").stdout


def test_unknown_lang(run):
    result = run("exits", *D, "--lang", "fr", "--format", "table")
    assert result.exit_code == 2 and "--lang" in result.stderr


def test_the_catalogue_names_every_column_of_every_report(run):
    for args in (["summary"], ["exits"], ["changes"], ["subsidies"], ["projects"],
                 ["projects", "--by", "kind"], ["pairing"], ["villages"], ["housing"],
                 ["education"], ["policy"], ["flow"], ["find", "样子沟"],
                 ["check", "--list-rules"], ["readiness"], ["readiness", "--list"]):
        header = run(*args, *D, "--format", "csv").stdout.splitlines()[0].split(",")
        missing = [c for c in header if c not in COLUMNS]
        assert not missing, (args, missing)


def test_dashboard_in_chinese(run, monkeypatch):
    import povcli.cli as cli
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    out = run("summary", *D, "--lang", "zh", env={"COLUMNS": "150"}).stdout
    for text in ["2017年度汇总", "建档立卡（截至2017-12-31）", "2017年脱贫退出", "动态调整", "识别不准",
                 "光伏收益", "包保帮扶"]:
        assert text in out, text


# ---- the annual report

def test_report_html_is_self_contained_with_charts_and_chinese(run, tmp_path):
    target = tmp_path / "report.html"
    result = run("report", *D, "--year", "2017", "--lang", "zh", "-o", target)
    assert result.exit_code == 0, result.stderr
    page = target.read_text(encoding="utf-8")
    assert page.count("<svg") == 5  # rolls, changes, subsidies, villages, incomes
    assert not re.search(r"<(script|link|img|iframe)\b", page)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "@import" not in page and not re.search(r"url\((?!#)", page)  # only #ids inside
    for text in ["全区现有建档立卡农村贫困人口233户404人", "2016年和2017年共实现脱贫310人",
                 "完成入户查验90人，通过率为100.0%", "动态进入3人，动态减少5人",
                 "争取上级资金600.0万元", "本级筹集490.0万元", "光伏扶贫受益人口127人",
                 "户均收益4,000元", "重点产业项目8个", "26名区级领导、52个包保单位和235名结对帮扶责任人",
                 "19个行政村", "贫困学生62名", "7.0万元", "完成危房改造22户（C级13户，D级9户）",
                 "农村低保标准为每人每年3,600元"]:
        assert text in page, text
    assert "@media print" in page


def test_report_markdown_writes_charts_beside_it(run, tmp_path):
    target = tmp_path / "report.md"
    result = run("report", *D, "--year", "2017", "-o", target)
    assert result.exit_code == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    charts = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(charts) == 5
    for chart in charts:
        assert (tmp_path / chart).read_text(encoding="utf-8").startswith("<svg")
    assert "233 registered poor households and 404 people" in text
    assert "| year" in text  # the tables behind the sentences


def test_report_figures_are_the_commands_figures(run):
    fig = annual_figures(open_ledgers(SAMPLE), 2017)
    metrics = {r["metric"]: r["value"] for r in run.rows("summary", *D, "--year", "2017")}
    for key, value in fig["metrics"].items():
        if value is None:
            assert metrics[key] == ""
        else:
            assert float(metrics[key]) == pytest.approx(float(value)), key
    exits = {int(r["year"]): int(r["people"]) for r in run.rows("exits", *D)}
    assert dict(fig["exits_by_year"]) == exits
    changes = [(r["direction"], r["reason"], int(r["people"]))
               for r in run.rows("changes", *D, "--year", "2017")]
    assert fig["changes_by_reason"] == changes
    paid = [(r["program"], float(r["amount"])) for r in run.rows("subsidies", *D, "--year", "2017")]
    assert fig["subsidies_by_program"] == paid
    people = {int(r["year"]): int(r["people"]) for r in
              (dict(r, year=y) for y in range(2014, 2018)
               for r in [{"people": {m["metric"]: m["value"] for m in run.rows(
                   "summary", *D, "--year", str(y))}["people"]}])}
    assert {y: p for y, p, _ in fig["rolls_by_year"]} == people


def test_report_markdown_needs_a_file_and_refuses_csv(run):
    assert run("report", *D, "--format", "markdown").exit_code == 2
    assert run("report", *D, "--format", "csv").exit_code == 2


def test_report_opens_in_headless_chromium(run, tmp_path):
    import shutil
    import subprocess
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium fonts-noto-cjk)")
    page = tmp_path / "report.html"
    assert run("report", *D, "--year", "2017", "--lang", "zh", "-o", page).exit_code == 0
    shot = tmp_path / "shot.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1000,2000",
                    f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 20_000


def test_dossier_and_rules_in_chinese(run, monkeypatch):
    import povcli.cli as cli
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    hid = run.json("find", *D, "样子沟村")[0]["household_id"]
    out = run("show", hid, *D, "--lang", "zh", env={"COLUMNS": "120"}).stdout
    for text in ["建档立卡户档案", "家庭成员", "与户主关系", "时间线", "户主"]:
        assert text in out, text
    rules = run("check", "--list-rules", "--lang", "zh", "--format", "markdown").stdout
    assert "身份证号校验位错误" in rules and "依据" in rules


def test_xlsx_opens_in_libreoffice_with_ids_intact_and_no_formulas(run, tmp_path):
    import shutil
    import subprocess
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("no LibreOffice on this machine (apt-get install libreoffice-calc)")
    import pandas as pd
    from povcli.render import to_xlsx
    from povcli.reports import Report

    frame = pd.DataFrame({"name": ["=1+1", "+2", "-3", "@SUM(A1)", "平常"],
                          "household_id": ["007", "01010005", "x", "y", "z"],
                          "people": [1, 2, 3, 4, 5]})
    book = tmp_path / "f.xlsx"
    to_xlsx(Report("find", "t", frame), book)
    subprocess.run([soffice, "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                    "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir",
                    str(tmp_path), str(book)], capture_output=True, timeout=180)
    text = (tmp_path / "f.csv").read_text(encoding="utf-8")
    assert text.splitlines()[1:] == ["=1+1,007,1", "+2,01010005,2", "-3,x,3", "@SUM(A1),y,4",
                                     "平常,z,5"]


def test_check_messages_in_chinese_but_csv_stays_english(run):
    from conftest import ROOT
    audit = ROOT / "examples" / "audit"
    table = run("check", "-d", audit, "--year", "2017", "--lang", "zh", "-f", "markdown").stdout
    assert "发放时此人已不在册（2017-03-08死亡）" in table and "校验位错误" in table
    assert "recover the payment" not in table
    csv_zh = run("check", "-d", audit, "--year", "2017", "--lang", "zh", "-f", "csv").stdout
    assert "recover the payment" in csv_zh and "发放时" not in csv_zh


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_village_chart_shows_the_highest_incidence_when_villages_are_many(lang):
    from povcli import document

    many = [(f"村{i:04d}", (i % 97) / 1000) for i in range(500)]
    few = many[:12]
    for villages, bars in ((many, document.VILLAGE_BARS), (few, 12)):
        made = dict((name, (caption, svg)) for name, caption, svg in document.charts(
            {"year": 2020, "incidence_by_village": villages}, lang))
        caption, svg = made["villages"]
        shown = [v for v, _ in villages if mask_text(v) in svg]
        assert len(shown) == bars
        if bars < len(villages):
            assert "500" in caption
            highest = sorted(villages, key=lambda vx: vx[1], reverse=True)[:bars]
            assert set(shown) == {v for v, _ in highest}
