"""`povcli flow`: the year's movement of the rolls, which must balance.

People on the rolls at the start of the year, plus each kind of recorded addition,
minus each kind of recorded removal, is what should be on the rolls at its end; the
same for poor people, with exits subtracted and returns to poverty added. What the
records do not explain is shown as a difference, never hidden.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .read.loaded import LedgerSet
from .messages import Said
from .model import Rolls, exit_rows, year_end
from .reports import Report

IN_REASONS = ["identified", "returned", "birth", "marriage_in", "other_in"]
OUT_REASONS = ["death", "marriage_out", "moved", "misidentified", "enlisted", "imprisoned",
               "other_out"]
FLOW_COLUMNS = ["line", "people", "households"]  # and `section`: rolls or poor


def flow(ledgers: LedgerSet, year: int, listing: bool = False) -> Report:
    rolls = Rolls.of(ledgers)
    start, end = year_end(year - 1), year_end(year)
    members = rolls.members
    hh = ledgers.frame("households")
    ch = rolls.changes
    in_year = (ch["date"].dt.year == year).to_numpy()
    rows = ch[in_year].copy()
    # the state of each membership just before each change: a `returned` row for
    # someone already on the rolls changes their poverty, not the rolls
    rows["was_on"] = rolls.was_on_before().reindex(rows.index).astype(bool)
    rows["direction"] = rows["direction"].astype(str)
    rows["reason"] = rows["reason"].astype(str)
    # each row's household and membership as the roll model's codes
    rows["_hh"] = rolls.ch_hh[in_year]
    rows["_member"] = rolls.ch_member[in_year]

    people_start = rolls.people_on(start)
    people_end = rolls.people_on(end)
    hh_start = rolls.households_on(start)
    hh_end = rolls.households_on(end)

    # Which members came on with their household's identification (no row needed), or
    # back into poverty with it: asked of the members in question only, on the roll
    # model's integer codes (hashing millions of members' ids for each question was most
    # of the time at 1 M households).
    def among(where: np.ndarray, test) -> np.ndarray:
        """Per member row: `where` and test(positions of those rows) for them."""
        out = np.zeros(len(members), dtype=bool)
        at = np.flatnonzero(where)
        if len(at):
            out[at] = test(at)
        return out

    def with_a_row(frame):
        """Member rows (positions) -> whether the (household, person) has a row in frame."""
        has = np.zeros(rolls.n_memberships, dtype=bool)
        codes = frame["_member"].to_numpy()
        has[codes[codes >= 0]] = True

        def test(at: np.ndarray) -> np.ndarray:
            keyed = rolls.member_keyed[at]
            out = has[rolls.member_key[at]] & keyed
            if not keyed.all():  # an id missing: compared as the ledgers spell them
                odd = members.iloc[at[~keyed]]
                out[~keyed] = pd.MultiIndex.from_arrays(
                    [odd["household_id"].astype(object), odd["person_id"].astype(object)]
                ).isin(pd.MultiIndex.from_arrays([frame["household_id"].astype(object),
                                                  frame["person_id"].astype(object)]))
            return out
        return test

    def of_households(flags: np.ndarray):
        """Member rows (positions) -> whether their household's code is flagged."""
        def test(at: np.ndarray) -> np.ndarray:
            code = rolls.member_hh[at]
            return (code >= 0) & flags[np.maximum(code, 0)]
        return test

    def flagged(codes: np.ndarray) -> np.ndarray:
        flags = np.zeros(rolls.n_households, dtype=bool)
        flags[codes[codes >= 0]] = True
        return flags

    came_on = among(people_end.to_numpy() & ~people_start.to_numpy(),
                    lambda at: ~with_a_row(rows)(at))
    new_hh = flagged(rolls.hh_row[(hh["identified_on"].dt.year == year).to_numpy()])
    by_identification = among(came_on, of_households(new_hh))

    poor_before = flagged(rolls.hh_row[rolls.poor_before_exits(year).to_numpy()])
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

    named: list[pd.DataFrame] = []

    def names(frame):  # only for the listing: the names of every member, looked up once
        if not named:
            named.append(members[["person_id", "name"]].drop_duplicates("person_id"))
        return frame[["household_id", "person_id"]].merge(named[0], on="person_id",
                                                          how="left")

    def move(sign: int, step: str, who: pd.DataFrame, reason: str | None = None) -> int:
        """A line of people coming (+1) or going (-1); the change it makes."""
        if who.empty:
            return 0
        add(step, len(who), who["household_id"].nunique(), names(who) if listing else None,
            reason)
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
    returned_hh = flagged(rows.loc[rows["reason"] == "returned", "_hh"].to_numpy())
    came_in = with_a_row(rows[rows["direction"] == "in"])
    along = among(among(poor_end.to_numpy() & ~poor_start.to_numpy(),
                        of_households(returned_hh)),
                  lambda at: ~came_in(at))
    expected = int(poor_start.sum()) + by_reason(
        rows[(rows["_hh"] >= 0).to_numpy() & poor_before[np.maximum(rows["_hh"], 0)]],
        [("identified_with_household",
          members[among(by_identification, of_households(poor_before))]),
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
