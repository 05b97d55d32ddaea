"""A ledger set built in memory from DataFrames: typed by the same schema and checked by
the same rules as files, every problem a finding, all of them at once."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from povcli import api
from povcli.findings import LedgerError, UsageError
from povcli.read.decode import decode
from povcli.read.files import find_files
from povcli.read.frames import open_frames, read_frames
from povcli.read.load import open_ledgers
from povcli.summary import summary

from conftest import SAMPLE, household, ledger_frames, member, pid


def _sample_as_text_frames() -> dict[str, pd.DataFrame]:
    """The sample's files as pandas reads them: every cell text, named by file stem."""
    sources, _ = find_files(SAMPLE)
    frames = {}
    for name, source in sources.items():
        text, _ = decode(source.path.read_bytes(), None)
        frames[source.path.stem] = pd.read_csv(io.StringIO(text), dtype=str,
                                               keep_default_na=False)
    return frames


def test_the_sample_from_frames_is_typed_as_from_its_files():
    files = open_ledgers(SAMPLE)
    frames = open_frames(_sample_as_text_frames())  # Chinese names and headers among them
    assert sorted(frames.loaded) == sorted(files.loaded)
    for name in files.loaded:
        pd.testing.assert_frame_equal(frames.frame(name), files.frame(name), obj=name)
    assert summary(frames, 2017).frame.equals(summary(files, 2017).frame)


def test_bad_cells_of_every_ledger_are_found_at_once():
    frames = ledger_frames(
        households=[household("H1"), household("H2", "2017-02-30"), household("H3", "soon")],
        members=[member(1, "H1"), member(2, "H2", "uncle"), member(3, "H3")],
        exits=[["H1", "2016", "pass", "", "lots"], ["H2", "二〇一六", "pass", "", ""]])
    with pytest.raises(LedgerError) as err:
        open_frames(frames)
    got = [(f.file, f.line, f.column, f.msg, f.value) for f in err.value.findings]
    assert got == [
        ("exits", 1, "per_capita_income", "reader.not_amount", "lots"),
        ("exits", 2, "exit_year", "reader.not_year", "二〇一六"),
        ("households", 2, "identified_on", "reader.impossible_date", "2017-02-30"),
        ("households", 3, "identified_on", "reader.not_date", "soon"),
        ("members", 2, "relation", "reader.unknown.relation", "uncle")]
    assert err.value.findings[2].text() == \
        "households:2: column identified_on: impossible date (value '2017-02-30')"
    zh = err.value.findings[2].text("zh")
    assert zh == "households:2: identified_on列：日期不存在（值 '2017-02-30'）"


def test_keys_and_references_are_checked_as_for_files():
    frames = ledger_frames(
        households=[household("H1"), household("H1")],
        members=[member(1, "H1"), member(2, "H9")],
        changes=[["2017-05-01", "H1", pid(2), "out", "moved"]])
    with pytest.raises(LedgerError) as err:
        open_frames(frames)
    got = [(f.file, f.line, f.msg, f.code) for f in err.value.findings]
    assert got == [("changes", 1, "reader.belongs", "L03"),
                   ("households", 2, "reader.duplicate_key", "L02"),
                   ("members", 2, "reader.not_in", "L03")]


def test_typed_cells_are_read_as_their_text_would_be():
    text = ledger_frames(households=[household("H1")], members=[member(1, "H1")],
                         exits=[["H1", "2016", "pass", "2016-12-11", "6776.5"]],
                         subsidies=[["2017-03-01", "H1", "", "dibao", "￥1,000.00", "", ""]])
    typed = {k: v.copy() for k, v in text.items()}
    typed["households"]["identified_on"] = pd.to_datetime(text["households"]["identified_on"])
    typed["members"]["birth_date"] = [pd.Timestamp("1980-01-01").date()]
    typed["exits"]["exit_year"] = [2016]
    typed["exits"]["verified_on"] = pd.to_datetime(["2016-12-11"])
    typed["exits"]["per_capita_income"] = [6776.5]
    typed["subsidies"]["amount"] = [1000.0]
    typed["subsidies"]["program"] = pd.Categorical(["dibao"])
    a, b = open_frames(text), open_frames(typed)
    for name in text:
        pd.testing.assert_frame_equal(a.frame(name), b.frame(name), obj=name)


def test_missing_columns_and_ledgers_are_findings():
    frames = ledger_frames(households=[household("H1")], members=[member(1, "H1")])
    ledgers, findings = read_frames({"households": frames["households"].drop(columns="village")})
    assert sorted((f.file, f.msg) for f in findings) == [
        ("households", "reader.missing_column"), ("members", "reader.missing_ledger")]
    assert ledgers.loaded == {}


def test_an_unknown_ledger_name_is_a_usage_error():
    with pytest.raises(UsageError, match="no ledger 'household'"):
        read_frames({"household": pd.DataFrame()})


def test_the_library_builds_reports_from_frames():
    ledgers = api.ledgers_from_frames(ledger_frames(
        households=[household("H1")], members=[member(1, "H1"), member(2, "H1", "spouse")],
        exits=[["H1", "2016", "pass", "", ""]]))
    rows = api.build("exits", ledgers).frame.to_dict("records")
    assert [(r["year"], r["households"], r["people"]) for r in rows] == [(2016, 1, 2)]
