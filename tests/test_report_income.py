"""The annual report shows incomes and monitoring when their ledgers are there."""

from __future__ import annotations

import shutil

from conftest import SAMPLE


def test_report_has_an_income_histogram_and_a_monitoring_section(run, tmp_path):
    out = tmp_path / "r.html"
    assert run("report", "-d", SAMPLE, "-o", out, "--lang", "zh").exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "人均纯收入分布" in text and "脱贫标准 3,300" in text
    assert "<h2>防返贫监测对象</h2>" in text and "<h2>家庭收入</h2>" in text


def test_without_those_ledgers_the_report_has_neither(run, tmp_path):
    folder = tmp_path / "l"
    shutil.copytree(SAMPLE, folder)
    (folder / "incomes.csv").unlink()
    (folder / "monitoring.csv").unlink()
    out = tmp_path / "r.html"
    assert run("report", "-d", folder, "-o", out).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "Per-capita net income" not in text and "Monitoring objects" not in text
