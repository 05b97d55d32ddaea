"""The counting rules of the contract on tiny hand-made ledgers."""

from __future__ import annotations

import pandas as pd
import pytest

from povcli import reports
from povcli.summary import summary
from povcli.read.frames import open_frames
from povcli.read.load import open_ledgers
from povcli.model import Rolls, latest_year, year_end

from conftest import household, ledger_frames, make_ledgers, member, pid


@pytest.fixture(params=["frames", "files"])
def ledgers_of(request, tmp_path):
    """Ledgers from rows, built in memory from DataFrames or written and read as files:
    every rule must count the same either way."""
    sets = iter(range(100))

    def build(**rows):
        if request.param == "files":
            return open_ledgers(make_ledgers(tmp_path / f"set{next(sets)}", **rows))
        return open_frames(ledger_frames(**rows))
    return build


def summary_of(ledgers, year):
    report = summary(ledgers, year)
    return dict(zip(report.frame["metric"], report.frame["value"]))


def test_member_without_changes_is_on_from_identification(ledgers_of):
    ledgers = ledgers_of(households=[household("H1", "2015-03-01")],
                         members=[member(1, "H1"), member(2, "H1", "spouse")])
    rolls = Rolls(ledgers)
    assert rolls.members_on(pd.Timestamp("2015-02-28")).sum() == 0
    assert rolls.members_on(pd.Timestamp("2015-03-01")).sum() == 2
    assert summary_of(ledgers, 2014)["households"] == 0
    assert summary_of(ledgers, 2015)["people"] == 2


def test_member_who_joins_later_is_not_on_before_the_change(ledgers_of):
    ledgers = ledgers_of(
        households=[household("H1")],
        members=[member(1, "H1"), member(2, "H1", "child")],
        changes=[["2017-05-01", "H1", pid(2), "in", "birth"]])
    assert summary_of(ledgers, 2016)["people"] == 1
    assert summary_of(ledgers, 2017)["people"] == 2
    s = summary_of(ledgers, 2017)
    assert (s["added_people_year"], s["removed_people_year"]) == (1, 0)


def test_out_and_back_in(ledgers_of):
    ledgers = ledgers_of(
        households=[household("H1")],
        members=[member(1, "H1"), member(2, "H1", "child")],
        changes=[["2016-03-01", "H1", pid(2), "out", "enlisted"],
                 ["2018-03-01", "H1", pid(2), "in", "other_in"]])
    assert summary_of(ledgers, 2015)["people"] == 2
    assert summary_of(ledgers, 2016)["people"] == 1
    assert summary_of(ledgers, 2017)["people"] == 1
    assert summary_of(ledgers, 2018)["people"] == 2


def test_same_date_later_row_in_the_file_decides(ledgers_of):
    ledgers = ledgers_of(
        households=[household("H1")], members=[member(1, "H1"), member(2, "H1")],
        changes=[["2017-05-01", "H1", pid(2), "in", "other_in"],
                 ["2017-05-01", "H1", pid(2), "out", "moved"]])
    assert summary_of(ledgers, 2017)["people"] == 1


def test_household_with_nobody_left_is_off_the_rolls(ledgers_of):
    ledgers = ledgers_of(
        households=[household("H1"), household("H2", head=2)],
        members=[member(1, "H1"), member(2, "H2")],
        changes=[["2017-05-01", "H2", pid(2), "out", "death"]])
    s = summary_of(ledgers, 2017)
    assert (s["households"], s["people"], s["removed_people_year"]) == (1, 1, 1)


def test_exit_people_are_members_on_the_rolls_at_31_december(ledgers_of):
    ledgers = ledgers_of(
        households=[household("H1"), household("H2", head=3)],
        members=[member(1, "H1"), member(2, "H1", "spouse"), member(3, "H2"),
                 member(4, "H2", "child")],
        changes=[["2016-12-31", "H1", pid(2), "out", "death"],
                 ["2017-01-01", "H2", pid(4), "in", "birth"]],
        exits=[["H1", "2016", "pass", "", ""], ["H2", "2016", "", "", ""]])
    rows = reports.exits(ledgers).frame.to_dict("records")
    # H1: one left at year end; H2: the child born on 1 January does not count; an empty
    # verification is a pre-exit (pending): not an exit, not verified
    assert rows == [{"year": 2016, "households": 1, "people": 1, "verified_people": 1,
                     "passed_people": 1, "pass_rate": 1.0, "pending_people": 1}]


def test_failed_then_passed_verification(ledgers_of):
    ledgers = ledgers_of(
        households=[household("H1")],
        members=[member(1, "H1"), member(2, "H1", "spouse")],
        exits=[["H1", "2016", "fail", "2016-11-01", "2500"],
               ["H1", "2017", "pass", "2017-11-01", "4000"]])
    rows = reports.exits(ledgers).frame.to_dict("records")
    assert rows[0] == {"year": 2016, "households": 0, "people": 0, "verified_people": 2,
                       "passed_people": 0, "pass_rate": 0.0, "pending_people": 0}
    assert rows[1] == {"year": 2017, "households": 1, "people": 2, "verified_people": 2,
                       "passed_people": 2, "pass_rate": 1.0, "pending_people": 0}
    s16, s17 = summary_of(ledgers, 2016), summary_of(ledgers, 2017)
    assert (s16["poor_households"], s16["poor_people"], s16["exited_people_total"]) == (1, 2, 0)
    assert (s17["poor_households"], s17["poor_people"], s17["exited_people_total"]) == (0, 0, 2)


def test_pass_rate_is_empty_when_nobody_was_verified(ledgers_of):
    ledgers = ledgers_of(households=[household("H1")], members=[member(1, "H1")],
                         exits=[["H1", "2016", "pending", "", ""]])
    rows = reports.exits(ledgers).frame.to_dict("records")
    assert rows[0]["pending_people"] == 1 and pd.isna(rows[0]["pass_rate"])


def test_return_to_poverty_and_second_exit(ledgers_of):
    ledgers = ledgers_of(
        households=[household("H1")],
        members=[member(1, "H1"), member(2, "H1", "spouse")],
        changes=[["2017-03-01", "H1", pid(1), "in", "returned"],
                 ["2017-03-01", "H1", pid(2), "in", "returned"]],
        exits=[["H1", "2016", "pass", "", ""], ["H1", "2018", "pass", "", ""]])
    s16, s17, s18 = (summary_of(ledgers, y) for y in (2016, 2017, 2018))
    assert (s16["poor_people"], s16["exited_people_total"]) == (0, 2)
    # a returned row is an addition, though the people never left the rolls
    assert (s17["people"], s17["poor_people"], s17["added_people_year"]) == (2, 2, 2)
    assert (s18["poor_people"], s18["exited_people_year"], s18["exited_people_total"]) == (0, 2, 4)


def test_returned_in_the_exit_year_itself_does_not_undo_that_exit(ledgers_of):
    ledgers = ledgers_of(
        households=[household("H1")], members=[member(1, "H1")],
        changes=[["2016-06-01", "H1", pid(1), "in", "returned"]],
        exits=[["H1", "2016", "pass", "", ""]])
    assert summary_of(ledgers, 2016)["poor_households"] == 0


def test_member_first_in_by_returned_counts_from_identification(ledgers_of):
    ledgers = ledgers_of(
        households=[household("H1", "2014-01-01")], members=[member(1, "H1")],
        changes=[["2017-03-01", "H1", pid(1), "in", "returned"]])
    assert summary_of(ledgers, 2015)["people"] == 1


def test_subsidy_reversal_subtracts_but_counts_as_a_payment(ledgers_of):
    ledgers = ledgers_of(
        households=[household("H1"), household("H2", head=2)],
        members=[member(1, "H1"), member(2, "H2"), member(3, "H2", "child")],
        subsidies=[["2017-03-01", "H1", "", "photovoltaic", "1000", "", "V1"],
                   ["2017-03-02", "H1", "", "photovoltaic", "1000", "", "V2"],
                   ["2017-03-09", "H1", "", "photovoltaic", "-1000", "", "V3"],
                   ["2017-09-01", "H2", pid(3), "education", "500", "", ""],
                   ["2016-09-01", "H2", pid(3), "education", "￥500", "", ""]])
    frame = reports.subsidies(ledgers).frame
    assert frame["amount_per_household"].tolist() == [500.0, 500.0, 1000.0]
    rows = frame[reports.SUBSIDY_COLUMNS].to_dict("records")
    assert rows == [
        {"year": 2016, "program": "education", "payments": 1, "households": 1, "people": 1,
         "amount": 500.0},
        {"year": 2017, "program": "education", "payments": 1, "households": 1, "people": 1,
         "amount": 500.0},
        {"year": 2017, "program": "photovoltaic", "payments": 3, "households": 1, "people": None,
         "amount": 1000.0},
    ]
    assert summary_of(ledgers, 2017)["subsidy_amount_year"] == 1500.0


def test_changes_by_direction_and_reason_sorted(ledgers_of):
    ledgers = ledgers_of(
        households=[household("H1"), household("H2", village="菇园村", township="五道江镇",
                                                head=2)],
        members=[member(1, "H1"), member(2, "H2"), member(3, "H2", "child"),
                 member(4, "H1", "spouse")],
        changes=[["2017-05-01", "H2", pid(3), "in", "birth"],
                 ["2017-02-01", "H1", pid(4), "out", "death"],
                 ["2016-02-01", "H1", pid(4), "in", "marriage_in"]])
    frame = reports.changes(ledgers).frame
    assert frame.to_dict("records") == [
        {"year": 2016, "direction": "in", "reason": "marriage_in", "people": 1},
        {"year": 2017, "direction": "in", "reason": "birth", "people": 1},
        {"year": 2017, "direction": "out", "reason": "death", "people": 1}]
    by = reports.changes(ledgers, 2017, by="village").frame
    assert list(by.columns) == ["year", "village", "direction", "reason", "people", "township"]
    assert by["village"].tolist() == ["样子沟村", "菇园村"]


def test_latest_year_of_any_dated_row(ledgers_of):
    ledgers = ledgers_of(households=[household("H1", "2014-02-01")],
                         members=[member(1, "H1")],
                         subsidies=[["2019-01-05", "H1", "", "dibao", "10", "", ""]])
    assert latest_year(ledgers) == 2019


def test_year_end_is_31_december():
    assert year_end(2017) == pd.Timestamp("2017-12-31")


@pytest.mark.parametrize("by", ["township", "village"])
def test_by_area_adds_a_column_after_year(ledgers_of, by):
    ledgers = ledgers_of(households=[household("H1")], members=[member(1, "H1")],
                         exits=[["H1", "2016", "pass", "", ""]])
    frame = reports.exits(ledgers, by=by).frame
    assert list(frame.columns)[:2] == ["year", by]
