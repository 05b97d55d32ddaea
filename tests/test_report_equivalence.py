"""The report's figures stay those of the plain formulations: `flow` asks its questions
of the members in question on the roll model's codes, and poverty at a date reads the
exits' household codes hashed once per set. Here the first formulations (every member's
ids hashed as text for each line, the exits looked up again for each date) are the
oracle, on a generated set with the edge cases written in: households added and removed
in the same year, exits reversed by a return to poverty (and exiting again), deaths,
no changes ledger, no exits ledger, and years with nothing in them."""

from __future__ import annotations

import shutil
from dataclasses import replace
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from conftest import ROOT
from povcli import api
from povcli.annual import annual_figures
from povcli.flow import IN_REASONS, OUT_REASONS, FLOW_COLUMNS, flow
from povcli.messages import Said
from povcli.model import Rolls, codes_of, exited, exit_rows, with_area, year_end
from povcli.reports import Report, exits
from povcli.summary import summary

sys.path.insert(0, str(ROOT / "benchmarks"))
import generate  # noqa: E402

YEARS = range(2013, 2022)


def _edge_cases(folder: Path) -> None:
    """Write the edge cases into a generated set."""
    hh = pd.read_csv(folder / "households.csv", dtype=str)
    members = pd.read_csv(folder / "members.csv", dtype=str)
    ex = pd.read_csv(folder / "exits.csv", dtype=str)
    ch = pd.read_csv(folder / "changes.csv", dtype=str)
    year_of = hh.set_index("household_id")["identified_on"].str[:4]
    rows = []

    def change(date, household, person, direction, reason):
        rows.append({"date": date, "household_id": household, "person_id": person,
                     "direction": direction, "reason": reason})
    changed = set(ch["household_id"]) | set(ex.loc[ex["exit_year"] == "2019", "household_id"])
    plain = [h for h in hh["household_id"] if h not in changed]
    of_2016 = [h for h in plain if year_of[h] == "2016"]
    # a household identified in 2016 whose every member leaves that same year
    gone = of_2016[0]
    for p in members.loc[members["household_id"] == gone, "person_id"]:
        change("2016-12-01", gone, p, "out", "moved")
    # one member of another leaves in the year the household came on
    once = of_2016[1]
    change("2016-11-02", once, members.loc[members["household_id"] == once, "person_id"]
           .iloc[0], "out", "death")
    # a baby born and dead in one year; a bride in and out again in another
    born = plain[5]
    change("2017-02-01", born, "BABY-1", "in", "birth")
    change("2017-10-01", born, "BABY-1", "out", "death")
    members.loc[len(members)] = {"person_id": "BABY-1", "household_id": born, "name": "婴儿",
                                 "relation": "child", "sex": "F", "birth_date": "2017-01-20"}
    # exits reversed: back in poverty the year after, one of them exits again later
    passed = ex[(ex["verification"] == "pass") & ex["exit_year"].isin(["2016", "2017"])
                & ~ex["household_id"].isin(changed)]
    for i, r in enumerate(passed.head(3).itertuples()):
        head = members.loc[members["household_id"] == r.household_id, "person_id"].iloc[0]
        change(f"{int(r.exit_year) + 1}-03-0{i + 1}", r.household_id, head, "in", "returned")
        if i == 0:
            ex.loc[len(ex)] = {"household_id": r.household_id,
                               "exit_year": str(int(r.exit_year) + 2),
                               "verification": "pass", "verified_on": "",
                               "per_capita_income": "9000"}
    ch = pd.concat([ch, pd.DataFrame(rows)], ignore_index=True)
    ch.to_csv(folder / "changes.csv", index=False)
    members.to_csv(folder / "members.csv", index=False)
    ex.to_csv(folder / "exits.csv", index=False)


@pytest.fixture(scope="module")
def sets(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("series")
    full = base / "full"
    generate.generate(400, full, seed=11)
    _edge_cases(full)
    out = {"full": full}
    for name, drop in (("no_changes", ["changes.csv"]), ("no_exits", ["exits.csv"]),
                       ("neither", ["changes.csv", "exits.csv"])):
        shutil.copytree(full, base / name)
        for f in drop:
            (base / name / f).unlink()
        out[name] = base / name
    return {name: api.open_ledgers(folder, "report") for name, folder in out.items()}


def test_the_edge_cases_are_in_the_set(sets):
    ch = sets["full"].frame("changes")
    assert (ch["reason"].astype(str) == "returned").sum() >= 3
    assert (ch["reason"].astype(str) == "death").any()
    assert (ch["person_id"].astype(str) == "BABY-1").sum() == 2


@pytest.mark.parametrize("name", ["full", "no_changes", "no_exits", "neither"])
def test_flow_is_that_of_the_plain_formulation(sets, name):
    ledgers = sets[name]
    for year in YEARS:
        for listing in (False, True) if name == "full" else (False,):
            assert_frame_equal(flow(ledgers, year, listing=listing).frame,
                               reference_flow(ledgers, year, listing=listing).frame,
                               obj=f"flow {year} listing={listing}")


@pytest.mark.parametrize("name", ["full", "no_changes", "no_exits", "neither"])
def test_poverty_at_each_year_end_is_that_of_the_plain_formulation(sets, name):
    ledgers = sets[name]
    rolls = Rolls.of(ledgers)
    for year in YEARS:
        for last in (year - 1, year):
            assert np.array_equal(rolls._poor_by_exits(year_end(year), last),
                                  reference_poor_by_exits(rolls, year_end(year), last))
    if ledgers.has("exits"):
        assert np.array_equal(rolls.exit_codes(), codes_of(
            ledgers.frame("exits")["household_id"], rolls.household_index))


@pytest.mark.parametrize("name", ["full", "no_changes", "no_exits"])
def test_the_reports_series_are_the_single_years_figures(sets, name):
    """The annual report's series, year by year, are what summary and exits say of
    each year on its own."""
    ledgers = sets[name]
    fig = annual_figures(ledgers, 2020)
    first = int(ledgers.frame("households")["identified_on"].dt.year.min())
    assert [y for y, _, _ in fig["rolls_by_year"]] == list(range(first, 2021))
    for y, people, poor in fig["rolls_by_year"]:
        s = {r.metric: r.value for r in summary(ledgers, y).frame.itertuples()}
        assert (people, poor) == (s["people"], s["poor_people"]), y
        if ledgers.has("exits"):
            e = exits(ledgers, y).frame
            exited_people = int(e["people"].sum()) if len(e) else 0
            assert dict(fig["exits_by_year"]).get(y, 0) == exited_people, y
            assert exited_people == s["exited_people_year"]


def reference_with_area(frame: pd.DataFrame, ledgers) -> pd.DataFrame:
    """with_area as first written: the area as Python objects, row by row."""
    hh = ledgers.frame("households")
    codes = codes_of(frame["household_id"], pd.Index(hh["household_id"]))
    out = frame.copy()
    for col in ("township", "village"):
        values = hh[col].to_numpy()
        out[col] = np.where(codes >= 0, values[np.maximum(codes, 0)], None) if len(hh) else None
    return out


def test_with_area_is_that_of_the_plain_formulation(sets):
    ledgers = sets["full"]
    members = ledgers.frame("members")
    strangers = members.head(6).assign(household_id=["x1", "x2", None, "x1", "x3", "x4"])
    mixed = pd.concat([members.head(20), strangers])
    hh = ledgers.frame("households")
    blank = hh.copy()
    blank.loc[blank.index[:50], "township"] = None  # households whose township is empty
    blanked = replace(ledgers, loaded={**ledgers.loaded, "households": replace(
        ledgers.loaded["households"], frame=blank)})
    cases = [(members, ledgers), (mixed, ledgers), (strangers, ledgers),
             (members.iloc[:0], ledgers), (members, blanked)]
    for frame, where in cases:
        got, want = with_area(frame, where), reference_with_area(frame, where)
        assert got.dtypes.to_dict() == want.dtypes.to_dict()
        assert_frame_equal(got, want)


def reference_poor_by_exits(rolls: Rolls, when: pd.Timestamp, last_exit_year: int):
    """Poverty by exits as first written: the exits' ids looked up again for each date."""
    n = len(rolls.household_index)
    exits = rolls.ledgers.get("exits")
    if exits is None or exits.empty:
        return np.ones(n, dtype=bool)
    exits = exits[exited(rolls.ledgers)]
    done = exits[exits["exit_year"] <= last_exit_year]
    codes = codes_of(done["household_id"], rolls.household_index)
    years = done["exit_year"].to_numpy(dtype="float64", na_value=np.nan)
    latest = np.full(n, -np.inf)
    valid = codes >= 0
    np.maximum.at(latest, codes[valid], years[valid])
    has_exit = latest > -np.inf
    ch = rolls.changes
    returned = ((ch["reason"].astype(object) == "returned").to_numpy()
                & (rolls.ch_date <= np.datetime64(when, "s")))
    r_hh = codes_of(ch["household_id"][returned], rolls.household_index)
    r_year = ch["date"][returned].dt.year.to_numpy()
    keep = r_hh >= 0
    back = np.zeros(n, dtype=bool)
    back[r_hh[keep][r_year[keep] > latest[r_hh[keep]]]] = True
    return ~(has_exit & ~back)


# `flow` as first written (every member's ids hashed as text for each line): the oracle.

def reference_flow(ledgers, year: int, listing: bool = False) -> Report:
    rolls = Rolls.of(ledgers)
    start, end = year_end(year - 1), year_end(year)
    members = rolls.members
    hh = ledgers.frame("households")
    ch = rolls.changes
    rows = ch[ch["date"].dt.year == year].copy()
    # the state of each membership just before each change: a `returned` row for
    # someone already on the rolls changes their poverty, not the rolls
    rows["was_on"] = rolls.was_on_before().reindex(rows.index).astype(bool)
    rows["direction"] = rows["direction"].astype(str)
    rows["reason"] = rows["reason"].astype(str)

    people_start = rolls.people_on(start)
    people_end = rolls.people_on(end)
    hh_start = rolls.households_on(start)
    hh_end = rolls.households_on(end)
    # members who came on with their household's identification this year, no row needed
    membership = pd.MultiIndex.from_arrays([members["household_id"].astype(object),
                                            members["person_id"].astype(object)])

    def with_a_row(frame):  # members (household, person) that have a change row in frame
        return membership.isin(pd.MultiIndex.from_arrays(
            [frame["household_id"].astype(object), frame["person_id"].astype(object)]))
    came_on = people_end & ~people_start & ~with_a_row(rows)
    new_hh = set(hh.loc[hh["identified_on"].dt.year == year, "household_id"])
    by_identification = came_on & members["household_id"].isin(new_hh)

    poor_before = set(hh.loc[rolls.poor_before_exits(year), "household_id"])
    exited = exit_rows(ledgers, rolls) if ledgers.has("exits") else None
    if exited is not None:
        exited = exited[(exited["exit_year"] == year) & exited["exited"]]

    lines: list[dict] = []
    listed: list[pd.DataFrame] = []
    section = "rolls"

    def add(step, people, households, who=None, reason=None, **params):
        """One line: `step` a stable key for scripts, the words for people in any
        language (messages "flow.STEP")."""
        line = Said.of(f"flow.{step}", reason=reason, **params)
        lines.append({"line": line, "people": int(people), "households": households,
                      "section": section, "step": step, "reason": reason})
        if listing and who is not None:
            listed.append(who.assign(line=pd.Series([line] * len(who), index=who.index,
                                                    dtype=object),
                                     section=section, step=step, reason=reason))

    def names(frame):
        return frame[["household_id", "person_id"]].merge(
            members[["person_id", "name"]].drop_duplicates("person_id"), on="person_id",
            how="left")

    def move(sign: int, step: str, who: pd.DataFrame, reason: str | None = None) -> int:
        """A line of people coming (+1) or going (-1); the change it makes."""
        if who.empty:
            return 0
        add(step, len(who), who["household_id"].nunique(), names(who), reason)
        return sign * len(who)

    def by_reason(frame: pd.DataFrame, without_row: list[tuple[str, pd.DataFrame]]) -> int:
        """Additions by reason, then those no change row records, then removals."""
        def reason_lines(direction, reasons, sign):
            return sum(move(sign, direction,
                            frame[(frame["direction"] == direction) & (frame["reason"] == r)],
                            r)
                       for r in reasons)
        return (reason_lines("in", IN_REASONS, 1)
                + sum(move(1, line, who) for line, who in without_row)
                + reason_lines("out", OUT_REASONS, -1))

    # ---- the rolls: a `returned` row of someone on them changes poverty, not the rolls
    add("start", people_start.sum(), int(hh_start.sum()), date=start.date())
    expected = int(people_start.sum()) + by_reason(
        rows[~((rows["reason"] == "returned") & rows["was_on"])],
        [("identified_with_household", members[by_identification])])
    add("expected_end", expected, None, date=end.date())
    add("end", people_end.sum(), int(hh_end.sum()), date=end.date())
    add("difference", int(people_end.sum()) - expected, None)

    # ---- poor people: exits leave, returns come back
    section = "poor"
    poor_start = rolls.poor_people(start)
    poor_end = rolls.poor_people(end)
    add("poor_start", poor_start.sum(), int(rolls.poor_households(start).sum()),
        date=start.date())
    returned_hh = set(rows.loc[rows["reason"] == "returned", "household_id"])
    along = (poor_end & ~poor_start & members["household_id"].isin(returned_hh)
             & ~with_a_row(rows[rows["direction"] == "in"]))
    expected = int(poor_start.sum()) + by_reason(
        rows[rows["household_id"].isin(poor_before)],
        [("identified_with_household",
          members[by_identification & members["household_id"].isin(poor_before)]),
         ("returned_with_household", members[along])])
    if exited is not None and len(exited):
        n = int(exited["people"].sum())
        who = None
        if listing:
            on = members[rolls.members_on(end)]
            who = names(on[on["household_id"].isin(set(exited["household_id"]))])
        add("exited", n, len(exited), who, year=year)
        expected -= n
    add("poor_expected_end", expected, None, date=end.date())
    add("poor_end", poor_end.sum(), int(rolls.poor_households(end).sum()), date=end.date())
    add("difference", int(poor_end.sum()) - expected, None)

    title = f"The movement of the rolls in {year} (people, households)"
    if listing:
        cols = ["section", "line", "household_id", "person_id", "name", "step", "reason"]
        frame = pd.concat(listed, ignore_index=True) if listed else pd.DataFrame(columns=cols)
        return Report("flow", title + " — the people behind each line", frame[cols])
    frame = pd.DataFrame(lines, columns=FLOW_COLUMNS + ["section", "step", "reason"])
    frame["households"] = frame["households"].astype("Int64")
    return Report("flow", title, frame)
