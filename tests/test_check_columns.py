"""check's findings as columns (issue 12): the same findings, order, words and masking as
one Finding at a time, on the sample, the broken fixture and a generated set where most
rows are findings; and check reads through the reports' loader and cache."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import date

import numpy as np
import pandas as pd
import pytest

from povcli import cache, render
from povcli.checks import _id_problems, findings_frame, id_problem, run_frame
from povcli.findframe import FindingFrame
from povcli.read.load import read_ledgers
from povcli.reports import Report

from conftest import ROOT, SAMPLE

TODAY = pd.Timestamp("2026-01-01")


@pytest.fixture(scope="module")
def broken_set(tmp_path_factory):
    """A generated set of 300 households, most IDs mangled, payments breaking rules."""
    out = tmp_path_factory.mktemp("broken") / "ledgers"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--households",
                    "300", "--out", str(out), "--broken", "--seed", "3"], check=True)
    # two unreadable cells on one line (the message orders them) and a resident ID typed
    # as a voucher number, twice (masked in the message and the value)
    with open(out / "subsidies.csv", "a", encoding="utf-8") as handle:
        handle.write("2019-03-05,0000000001,,xyz,abc,central,V-bad\n"
                     "2019-03-01,0000000002,,dibao,100.00,central,220503198001010015\n"
                     "2019-03-02,0000000003,,dibao,200.00,central,220503198001010015\n")
    return out


def _sets(broken_set):
    return [SAMPLE, ROOT / "tests" / "fixtures" / "broken", broken_set]


def _one_at_a_time(frame: FindingFrame, show_ids: bool, fmt: str, for_people: bool) -> str:
    """What check wrote before findings were columns: Finding objects (their own words
    and masking), sorted by their own key, through the report renderer."""
    findings = sorted(frame.to_findings(), key=lambda f: (f.file, f.line or 0, f.code or "",
                                                          f.reason))
    if not show_ids:
        findings = [f.masked() for f in findings]
    report = Report("check", "Findings", findings_frame(findings), kinds={"line": "year"})
    return render.render(report, fmt, show_ids=show_ids, for_people=for_people)


@pytest.mark.parametrize("show_ids", [False, True])
def test_columns_write_what_findings_one_at_a_time_wrote(broken_set, show_ids):
    for folder in _sets(broken_set):
        ledgers, read = read_ledgers(folder)
        frame = run_frame(ledgers, read, today=TODAY)
        shown = frame if show_ids else frame.masked()
        for fmt, for_people in (("csv", False), ("csv", True), ("tsv", False),
                                ("json", False)):
            out = io.StringIO()
            if fmt == "json":
                render.write_findings_json(shown, out, show_ids)
            else:
                render.write_findings_csv(shown, out, "\t" if fmt == "tsv" else ",",
                                          show_ids, for_people)
            assert out.getvalue() == _one_at_a_time(frame, show_ids, fmt, for_people), \
                (folder, fmt, for_people)
        if folder != SAMPLE:
            assert len(frame) > 0


def test_the_broken_set_is_mostly_findings_and_chinese_words_agree(broken_set):
    ledgers, read = read_ledgers(broken_set)
    frame = run_frame(ledgers, read, today=TODAY).masked()
    rows = sum(len(one.frame) for name, one in ledgers.loaded.items()
               if name in ("members", "subsidies"))
    assert len(frame) > rows / 2  # most rows of the big ledgers are findings
    codes = set(frame.column("code").tolist())
    assert {"I01", "I05", "S01", "S02", "S03", "S04", "S05", "S06"} <= codes
    findings = frame.to_findings()
    assert frame.messages("zh") == [_with_column_zh(f) for f in findings]


def _with_column_zh(f) -> str:
    text = f.message("zh")
    return text if f.column is None else f"{f.header or f.column}列：{text}"


def test_sorted_is_the_order_of_file_line_rule_message(broken_set):
    ledgers, read = read_ledgers(broken_set)
    frame = run_frame(ledgers, read, today=TODAY)
    findings = frame.to_findings()
    assert findings == sorted(findings, key=lambda f: (f.file, f.line or 0, f.code or "",
                                                       f.reason))
    for year in (2016, 2019):
        kept = frame.in_year(year).to_findings()
        assert kept == [f for f in findings if f.year is None or f.year == year]
        assert 0 < len(kept) < len(findings)


def test_id_problems_at_once_agree_with_id_problem_one_by_one():
    rng = np.random.default_rng(7)
    bodies = [f"{a}{y:04d}{m:02d}{d:02d}{s:03d}" for a, y, m, d, s in zip(
        rng.choice(["220503", "110101", "999999", "220581"], 400),
        rng.choice([1500, 1930, 1987, 2003, 2090, 9999], 400), rng.integers(0, 14, 400),
        rng.integers(0, 33, 400), rng.integers(0, 1000, 400))]
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    right = [b + "10X98765432"[sum(int(c) * w for c, w in zip(b, weights)) % 11]
             for b in bodies]
    ids = right + [b + "0" for b in bodies] + [b[:15] + "000" for b in right] + [
        "2.20503E+17", "220503800101001", "22050319800101001", "22050319800101001Y",
        "220503198001010010", f"220503{date.today().year + 1}0101001" + "0"]
    found = _id_problems(pd.Series(ids))
    for i, number in enumerate(ids):
        want = id_problem(number)
        if want is None:
            assert i not in found.index, number
            continue
        code, msg, params = want
        row = found.loc[i]
        assert (row["code"], row["msg"]) == (code, msg), number
        for key in ("digit", "area"):
            assert (None if pd.isna(row[key]) else row[key]) == params.get(key), number


def test_check_reads_through_the_cache(tmp_path, monkeypatch, run):
    monkeypatch.setenv("POVCLI_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "THRESHOLD", 0.0)
    folder = ROOT / "tests" / "fixtures" / "broken"
    env = {"POVCLI_CACHE_DIR": str(tmp_path / "cache")}
    first = run("check", "--data", folder, "--format", "csv", env=env)
    entries = list((tmp_path / "cache").rglob("*"))
    assert entries, "check wrote nothing to the cache"
    second = run("check", "--data", folder, "--format", "csv", env=env)
    assert (second.exit_code, second.stdout) == (first.exit_code, first.stdout)
    assert first.exit_code == 1 and first.stdout.count("\n") > 1
    ledgers, _ = read_ledgers(folder, use_cache=True)
    assert set(ledgers.fresh) < set(ledgers.loaded)  # some ledger came from the cache
