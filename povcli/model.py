"""The counting rules of the contract: who is on the rolls, who is poor, who exited.

Pure, vectorised functions over a LedgerSet. One `Rolls` object per ledger set sorts
the changes once and answers "on the rolls at D" for any date, with a cache, so every
report shares the same roll-status model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .findings import UsageError
from .ledgers import LedgerSet, factorize, index_in, is_in

# Columns whose dates or years are events of the case file; `summary` without a year
# takes the latest year any of them falls in (birth dates and policy years are not).
EVENT_COLUMNS = {
    "households": ("identified_on",), "changes": ("date",),
    "exits": ("exit_year", "verified_on"), "subsidies": ("date",),
    "projects": ("year",), "pairings": ("since",), "villages": ("exit_year",),
}


def year_end(year: int) -> pd.Timestamp:
    return pd.Timestamp(year=int(year), month=12, day=31)


def latest_year(ledgers: LedgerSet) -> int | None:
    years = []
    for name, columns in EVENT_COLUMNS.items():
        frame = ledgers.get(name)
        if frame is None or frame.empty:
            continue
        for col in columns:
            values = frame[col]
            y = values.dt.year.max() if values.dtype.kind == "M" else values.max()
            if pd.notna(y):
                years.append(int(y))
    return max(years) if years else None


def restrict(ledgers: LedgerSet, township: str | None = None, village: str | None = None
             ) -> LedgerSet:
    """The same ledger set, cut down to the households of one township and/or village."""
    if not township and not village:
        return ledgers
    hh = ledgers.frame("households")
    keep = pd.Series(True, index=hh.index)
    if township:
        keep &= hh["township"] == township
        if not keep.any():
            raise UsageError(f"no household is in township '{township}' (townships: "
                             + ", ".join(sorted(hh["township"].dropna().unique())) + ")")
    if village:
        keep &= hh["village"] == village
        if not keep.any():
            villages = hh.loc[hh["township"] == township, "village"] if township else hh["village"]
            raise UsageError(f"no household is in village '{village}'"
                             + (f" of {township}" if township else "") + " (villages: "
                             + ", ".join(sorted(villages.dropna().unique())) + ")")
    ids = set(hh.loc[keep, "household_id"])
    loaded = {}
    for name, one in ledgers.loaded.items():
        frame = one.frame
        if name == "households":
            frame = frame[keep]
        elif "household_id" in frame.columns:
            frame = frame[is_in(frame["household_id"], ids)]
        elif name == "villages":
            vk = pd.Series(True, index=frame.index)
            if township:
                vk &= frame["township"] == township
            if village:
                vk &= frame["village"] == village
            frame = frame[vk]
        loaded[name] = replace(one, frame=frame)
    return replace(ledgers, loaded=loaded)


def codes_of(keys: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each key in index (its first occurrence), -1 where absent."""
    return index_in(keys, index)


@dataclass
class Rolls:
    """Roll status of every member and household, at any date.

    Built once per ledger set and shared by every report: households and people become
    integer codes, the changes are sorted once, and each question ("on the rolls at D")
    is a few numpy operations, cached per date.
    """

    ledgers: LedgerSet

    @classmethod
    def of(cls, ledgers: LedgerSet) -> "Rolls":
        """The one Rolls of a ledger set, built on first use and shared by every report."""
        rolls = getattr(ledgers, "_rolls", None)
        if rolls is None:
            rolls = cls(ledgers)
            object.__setattr__(ledgers, "_rolls", rolls)
        return rolls

    def __post_init__(self):
        self.members = self.ledgers.frame("members")
        hh = self.ledgers.frame("households")
        # one hash pass gives the code of every household row and every member's household
        codes, uniques = factorize(pd.concat([hh["household_id"],
                                              self.members["household_id"]],
                                             ignore_index=True))
        self.hh_row = codes[:len(hh)]  # household row -> code
        n_hh = int(self.hh_row.max()) + 1 if len(hh) else 0
        self.household_index = pd.Index(uniques.slice(0, n_hh).to_pandas())
        member_hh = codes[len(hh):]
        self.member_hh = np.where(member_hh < n_hh, member_hh, -1)  # -1: no such household
        first_rows = np.zeros(len(hh), dtype=bool)
        first_rows[np.unique(self.hh_row, return_index=True)[1]] = True
        self.hh_identified = hh["identified_on"].to_numpy()[first_rows].astype("datetime64[s]")
        known = self.member_hh >= 0
        identified = np.full(len(self.members), np.datetime64("NaT"), dtype="datetime64[s]")
        identified[known] = self.hh_identified[self.member_hh[known]]
        self.identified = pd.Series(identified, index=self.members.index)
        changes = self.ledgers.get("changes")
        if changes is None:
            changes = pd.DataFrame({"date": pd.Series(dtype="datetime64[s]"),
                                    "person_id": pd.Series(dtype=object),
                                    "household_id": pd.Series(dtype=object),
                                    "direction": pd.Series(dtype=object),
                                    "reason": pd.Series(dtype=object)})
        # File order breaks ties between rows of one date: the later row decides.
        self.changes = changes.assign(_order=np.arange(len(changes))).sort_values(
            ["date", "_order"], kind="stable")
        ch = self.changes
        codes, uniques = factorize(pd.concat([self.members["person_id"], ch["person_id"]],
                                             ignore_index=True))
        self.member_person = codes[:len(self.members)]
        n_people = int(self.member_person.max()) + 1 if len(self.members) else 0
        self.person_index = pd.Index(uniques.slice(0, n_people).to_pandas())
        ch_person = codes[len(self.members):]
        self.ch_person = np.where(ch_person < n_people, ch_person, -1)  # -1: not a member
        self.ch_date = ch["date"].to_numpy().astype("datetime64[s]")
        self.ch_in = (ch["direction"].astype(object) == "in").to_numpy()
        ok = (self.ch_person >= 0) & ~np.isnat(self.ch_date)
        # A member whose first change brings them in (birth, marriage, later
        # identification) is not on the rolls before that change.
        first = np.full(len(self.person_index), -1)
        rows = np.flatnonzero(ok)
        persons, first_pos = np.unique(self.ch_person[rows], return_index=True)
        first[persons] = rows[first_pos]
        reason = ch["reason"].astype(object).to_numpy()
        has = first[self.member_person] >= 0
        first_row = first[self.member_person]
        joins = np.zeros(len(self.members), dtype=bool)
        joins[has] = self.ch_in[first_row[has]] & (reason[first_row[has]] != "returned")
        self.joins_later = joins
        self._ok = ok
        self._cache: dict = {}

    def _cached(self, key, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def members_on(self, when: pd.Timestamp) -> np.ndarray:
        """Boolean per member row: on the rolls at `when` (the person rule)."""
        when = pd.Timestamp(when)
        return self._cached(("members", when), lambda: self._members_on(when))

    def _members_on(self, when: pd.Timestamp) -> np.ndarray:
        rows = np.flatnonzero(self._ok & (self.ch_date <= np.datetime64(when, "s")))
        state = np.full(len(self.person_index), -1, dtype=np.int8)
        if len(rows):  # the latest change of each person up to `when` decides
            backwards = rows[::-1]
            persons, last = np.unique(self.ch_person[backwards], return_index=True)
            state[persons] = self.ch_in[backwards[last]]
        mine = state[self.member_person]
        default = (self.identified.to_numpy() <= np.datetime64(when, "s")) & ~self.joins_later
        return np.where(mine >= 0, mine == 1, default)

    def _household_codes_on(self, when) -> np.ndarray:
        """Boolean per household code: identified by `when`, someone on."""
        when = pd.Timestamp(when)

        def compute():
            on = self.members_on(when) & (self.member_hh >= 0)
            someone = np.bincount(self.member_hh[on], minlength=len(self.household_index)) > 0
            return someone & (self.hh_identified <= np.datetime64(when, "s"))
        return self._cached(("households", when), compute)

    def households_on(self, when) -> pd.Series:
        """Boolean per household row: identified by `when` with at least one member on."""
        hh = self.ledgers.frame("households")
        return pd.Series(self._household_codes_on(when)[self.hh_row], index=hh.index)

    def people_on(self, when) -> pd.Series:
        """Boolean per member row: on the rolls, in a household on the rolls."""
        on_hh = self._household_codes_on(when)
        known = self.member_hh >= 0
        in_hh = np.zeros(len(self.members), dtype=bool)
        in_hh[known] = on_hh[self.member_hh[known]]
        return pd.Series(self.members_on(when) & in_hh, index=self.members.index)

    def people_per_household(self, when) -> np.ndarray:
        """Members on the rolls at `when` (the person rule), per household code."""
        on = self.members_on(when) & (self.member_hh >= 0)
        return np.bincount(self.member_hh[on], minlength=len(self.household_index))

    def _poor_codes(self, when) -> np.ndarray:
        when = pd.Timestamp(when)

        def compute():
            on = self._household_codes_on(when)
            exits = self.ledgers.get("exits")
            if exits is None or exits.empty:
                return on
            done = exits[(exits["verification"] != "fail") & (exits["exit_year"] <= when.year)]
            codes = codes_of(done["household_id"], self.household_index)
            years = done["exit_year"].to_numpy(dtype="float64", na_value=np.nan)
            latest = np.full(len(self.household_index), -np.inf)
            valid = codes >= 0
            np.maximum.at(latest, codes[valid], years[valid])
            exited = latest > -np.inf
            ch = self.changes
            returned = ((ch["reason"].astype(object) == "returned").to_numpy()
                        & (self.ch_date <= np.datetime64(when, "s")))
            r_hh = codes_of(ch["household_id"][returned], self.household_index)
            r_year = ch["date"][returned].dt.year.to_numpy()
            keep = r_hh >= 0
            # back in poverty: returned in a year after the household's latest exit
            back = np.zeros(len(self.household_index), dtype=bool)
            back[r_hh[keep][r_year[keep] > latest[r_hh[keep]]]] = True
            return on & ~(exited & ~back)
        return self._cached(("poor", when), compute)

    def poor_households(self, when) -> pd.Series:
        """Boolean per household row: on the rolls and not exited (or returned since)."""
        hh = self.ledgers.frame("households")
        return pd.Series(self._poor_codes(when)[self.hh_row], index=hh.index)

    def poor_people(self, when) -> pd.Series:
        poor = self._poor_codes(when)
        known = self.member_hh >= 0
        in_poor = np.zeros(len(self.members), dtype=bool)
        in_poor[known] = poor[self.member_hh[known]]
        return self.people_on(when) & in_poor

    def persons_on_at(self, person_ids: pd.Series, when: pd.Series) -> np.ndarray:
        """Whether each person was on the rolls on its own date (one date per row),
        by the person rule; unknown persons count as on."""
        rows = pd.DataFrame({"person_id": person_ids.to_numpy(), "when": pd.to_datetime(
            when.to_numpy()).astype("datetime64[s]"), "row": np.arange(len(person_ids))})
        rows = rows.dropna(subset=["when"])
        if rows.empty or not len(self.members):
            return np.ones(len(person_ids), dtype=bool)  # nobody to look up: all count as on
        rows["person_id"] = rows["person_id"].astype(object)  # one key type for merge_asof
        ch = self.changes[["date", "person_id", "direction"]].dropna(subset=["date"])
        ch = ch.assign(person_id=ch["person_id"].astype(object),
                       direction=ch["direction"].astype(object)).sort_values("date",
                                                                             kind="stable")
        last = pd.merge_asof(rows.sort_values("when"), ch, left_on="when", right_on="date",
                             by="person_id", direction="backward")
        code = codes_of(last["person_id"], self.person_index)
        first_member = codes_of(pd.Series(self.person_index), pd.Index(
            self.members["person_id"]))  # person code -> first member row
        known = code >= 0
        member = np.where(known, first_member[np.where(known, code, 0)], 0)
        default = (self.identified.to_numpy()[member] <= last["when"].to_numpy()) & \
            ~self.joins_later[member]
        on = np.where(last["direction"].notna(), last["direction"] == "in", default)
        out = np.ones(len(person_ids), dtype=bool)
        out[last["row"].to_numpy()] = np.where(known, on, True)
        return out

    def households_on_at(self, household_ids: pd.Series, when: pd.Series) -> np.ndarray:
        """Whether each household was on the rolls on its own date (one date per row)."""
        codes = codes_of(household_ids, self.household_index)
        when = pd.to_datetime(when.to_numpy()).astype("datetime64[s]")
        if not len(self.household_index):  # no household could be read: none is on
            return np.zeros(len(codes), dtype=bool)
        identified = np.where(codes >= 0, self.hh_identified[np.maximum(codes, 0)],
                              np.datetime64("NaT"))
        out = identified <= when
        # a household whose members have no change is on from its identification, if it
        # has anyone who does not join later; the others are looked at member by member
        changed = np.zeros(len(self.household_index), dtype=bool)
        ch_hh = codes_of(self.changes["household_id"], self.household_index)
        changed[ch_hh[ch_hh >= 0]] = True
        has_member = np.zeros(len(self.household_index), dtype=bool)
        ok = (self.member_hh >= 0) & ~self.joins_later
        has_member[self.member_hh[ok]] = True
        safe = np.maximum(codes, 0)
        plain = ~changed[safe] | (codes < 0)
        out &= ~plain | has_member[safe]
        rows = np.flatnonzero(~plain & out)
        if len(rows):
            sub = pd.DataFrame({"household_id": household_ids.to_numpy()[rows],
                                "when": when[rows], "row": rows})
            sub["household_id"] = sub["household_id"].astype(object)
            mem = self.members[["household_id", "person_id"]].astype(object)
            pairs = sub.merge(mem, on="household_id")
            pairs["on"] = self.persons_on_at(pairs["person_id"], pairs["when"])
            any_on = pairs.groupby("row")["on"].any()
            out[rows] = any_on.reindex(rows).fillna(False).to_numpy(dtype=bool)
        return out


def exit_rows(ledgers: LedgerSet, rolls: Rolls) -> pd.DataFrame:
    """Exit rows with their people (members on the rolls at 31 Dec of the exit year),
    and whether each row is an exit, verified, passed."""
    exits = ledgers.frame("exits")
    codes = codes_of(exits["household_id"], rolls.household_index)
    years = exits["exit_year"].to_numpy(dtype="float64", na_value=np.nan)
    people = np.zeros(len(exits), dtype=np.int64)
    for year in np.unique(years[~np.isnan(years)]):
        rows = (years == year) & (codes >= 0)
        people[rows] = rolls.people_per_household(year_end(int(year)))[codes[rows]]
    verification = exits["verification"].astype(object)
    return exits.assign(
        people=people,
        exited=(verification != "fail").to_numpy(),
        verified=verification.isin(["pass", "fail"]).to_numpy(),
        passed=(verification == "pass").to_numpy(),
    )


def with_area(frame: pd.DataFrame, ledgers: LedgerSet) -> pd.DataFrame:
    """Add the township and village of each row's household."""
    hh = ledgers.frame("households")
    codes = index_in(frame["household_id"], hh["household_id"])
    out = frame.copy()
    for col in ("township", "village"):
        values = hh[col].to_numpy()
        out[col] = np.where(codes >= 0, values[np.maximum(codes, 0)], None) if len(hh) else None
    return out
