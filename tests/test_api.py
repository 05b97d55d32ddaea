"""povcli as a library: the same reports as the command line, as DataFrames."""

from __future__ import annotations

import pytest

from povcli import api
from povcli.findings import LedgerError, UsageError

from conftest import SAMPLE, make_ledgers


def test_run_gives_the_frame_the_cli_prints(run):
    frame = api.run("exits", SAMPLE, year=2017).frame
    rows = run.rows("exits", "-d", SAMPLE, "--year", "2017")
    assert frame["people"].tolist() == [int(r["people"]) for r in rows] == [90]


def test_every_report_of_the_registry_builds_on_the_sample():
    ledgers = api.open_ledgers(SAMPLE)
    for name in api.reports():
        report = api.build(name, ledgers)
        assert len(report.frame.columns), name


def test_one_place_decides_year_and_area():
    ledgers = api.open_ledgers(SAMPLE, "villages")
    report = api.build("villages", ledgers, township="铁厂镇")
    assert report.meta["year"] == 2017 and report.meta["area"] == "铁厂镇"
    assert set(report.frame["township"]) == {"铁厂镇"}
    whole = api.build("summary", api.open_ledgers(SAMPLE))
    part = api.build("summary", api.open_ledgers(SAMPLE), township="铁厂镇")
    people = {r.metric: r.value for r in whole.frame.itertuples()}["people"]
    assert {r.metric: r.value for r in part.frame.itertuples()}["people"] < people == 404


def test_bad_ledgers_raise_with_every_finding(tmp_path):
    make_ledgers(tmp_path, households=[["H1", "乡", "村", "名", "1", "general", "illness",
                                        "2017-02-30", ""]], members=[])
    with pytest.raises(LedgerError) as err:
        api.run("summary", tmp_path)
    assert any("impossible date" in str(f) for f in err.value.findings)


def test_an_unknown_report_is_a_usage_error():
    with pytest.raises(UsageError):
        api.build("nothing", api.open_ledgers(SAMPLE))
