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
from .ledgers import LedgerSet

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
            frame = frame[frame["household_id"].isin(ids)]
        elif name == "villages":
            vk = pd.Series(True, index=frame.index)
            if township:
                vk &= frame["township"] == township
            if village:
                vk &= frame["village"] == village
            frame = frame[vk]
        loaded[name] = replace(one, frame=frame)
    return replace(ledgers, loaded=loaded)


@dataclass
class Rolls:
    """Roll status of every member and household, at any date."""

    ledgers: LedgerSet

    def __post_init__(self):
        self.members = self.ledgers.frame("members")
        hh = self.ledgers.frame("households")
        self.identified = self.members["household_id"].map(
            dict(zip(hh["household_id"], hh["identified_on"]))).astype("datetime64[s]")
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
        first = self.changes.drop_duplicates("person_id", keep="first").set_index("person_id")
        pid = self.members["person_id"]
        first_dir = pid.map(first["direction"].astype(object))
        first_reason = pid.map(first["reason"].astype(object))
        # A member whose first change brings them in (birth, marriage, later
        # identification) is not on the rolls before that change.
        self.joins_later = ((first_dir == "in") & (first_reason != "returned")).to_numpy()
        self._cache: dict[pd.Timestamp, np.ndarray] = {}

    def members_on(self, when: pd.Timestamp) -> np.ndarray:
        """Boolean per member row: on the rolls at `when` (the person rule)."""
        when = pd.Timestamp(when)
        if when in self._cache:
            return self._cache[when]
        upto = self.changes[self.changes["date"] <= when]
        last = upto.drop_duplicates("person_id", keep="last").set_index("person_id")["direction"]
        last_dir = self.members["person_id"].map(last.astype(object)).to_numpy()
        default = (self.identified <= when).to_numpy() & ~self.joins_later
        on = np.where(pd.isna(last_dir), default, last_dir == "in").astype(bool)
        self._cache[when] = on
        return on

    def households_on(self, when) -> pd.Series:
        """Boolean per household row: identified by `when` with at least one member on."""
        hh = self.ledgers.frame("households")
        with_member = set(self.members.loc[self.members_on(when), "household_id"])
        return (hh["identified_on"] <= pd.Timestamp(when)) & hh["household_id"].isin(with_member)

    def people_on(self, when) -> pd.Series:
        """Boolean per member row: on the rolls, in a household on the rolls."""
        hh = self.ledgers.frame("households")
        on_hh = set(hh.loc[self.households_on(when), "household_id"])
        return pd.Series(self.members_on(when), index=self.members.index) & \
            self.members["household_id"].isin(on_hh)

    def persons_on_at(self, person_ids: pd.Series, when: pd.Series) -> np.ndarray:
        """Whether each person was on the rolls on its own date (one date per row),
        by the person rule; unknown persons count as on."""
        rows = pd.DataFrame({"person_id": person_ids.to_numpy(), "when": pd.to_datetime(
            when.to_numpy()).astype("datetime64[s]"), "row": np.arange(len(person_ids))})
        rows = rows.dropna(subset=["when"])
        rows["person_id"] = rows["person_id"].astype(object)  # one key type for merge_asof
        ch = self.changes[["date", "person_id", "direction"]].dropna(subset=["date"])
        ch = ch.assign(person_id=ch["person_id"].astype(object))
        ch = ch.assign(direction=ch["direction"].astype(object)).sort_values("date",
                                                                             kind="stable")
        last = pd.merge_asof(rows.sort_values("when"), ch, left_on="when", right_on="date",
                             by="person_id", direction="backward")
        people = self.members["person_id"].to_numpy()
        ident = pd.Series(self.identified.to_numpy(), index=people)
        later = pd.Series(self.joins_later, index=people)
        ident = ident[~ident.index.duplicated()]
        later = later[~later.index.duplicated()]
        known = last["person_id"].isin(ident.index)
        default = (last["person_id"].map(ident) <= last["when"]) & ~last["person_id"].map(
            later).fillna(False).astype(bool)
        on = np.where(last["direction"].notna(), last["direction"] == "in", default)
        out = np.ones(len(person_ids), dtype=bool)
        out[last["row"].to_numpy()] = np.where(known, on, True)
        return out

    def households_on_at(self, household_ids: pd.Series, when: pd.Series) -> np.ndarray:
        """Whether each household was on the rolls on its own date (one date per row)."""
        hh = self.ledgers.frame("households").drop_duplicates("household_id")
        identified = household_ids.map(hh.set_index("household_id")["identified_on"])
        when = pd.to_datetime(when.to_numpy()).astype("datetime64[s]")
        out = (identified.to_numpy() <= when)
        # a household whose members have no change is on from its identification, if it
        # has anyone who does not join later; the others are looked at member by member
        changed = set(self.changes["household_id"])
        members = self.members.assign(later=self.joins_later)
        has_member = set(members.loc[~members["later"], "household_id"])
        plain = ~household_ids.isin(changed).to_numpy()
        out &= ~plain | household_ids.isin(has_member).to_numpy()
        rows = np.flatnonzero(~plain & out)
        if len(rows):
            sub = pd.DataFrame({"household_id": household_ids.to_numpy()[rows],
                                "when": when[rows], "row": rows})
            pairs = sub.merge(self.members[["household_id", "person_id"]], on="household_id")
            pairs["on"] = self.persons_on_at(pairs["person_id"], pairs["when"])
            any_on = pairs.groupby("row")["on"].any()
            out[rows] = any_on.reindex(rows).fillna(False).to_numpy()
        return out

    def people_per_household(self, when) -> pd.Series:
        """household_id -> members on the rolls at `when` (the person rule)."""
        on = self.members.loc[self.members_on(when), "household_id"]
        return on.value_counts()

    def poor_households(self, when) -> pd.Series:
        """Boolean per household row: on the rolls and not exited (or returned since)."""
        when = pd.Timestamp(when)
        hh = self.ledgers.frame("households")
        on = self.households_on(when)
        exits = self.ledgers.get("exits")
        if exits is None or exits.empty:
            return on
        done = exits[(exits["verification"] != "fail") & (exits["exit_year"] <= when.year)]
        latest = done.groupby("household_id")["exit_year"].max()
        returned = self.changes[(self.changes["reason"] == "returned")
                                & (self.changes["date"] <= when)]
        exit_year = returned["household_id"].map(latest)
        # dated after 31 December of the exit year = in a later year
        back = returned.loc[returned["date"].dt.year > exit_year.astype("float64").fillna(np.inf), "household_id"]
        exited = hh["household_id"].isin(latest.index) & ~hh["household_id"].isin(set(back))
        return on & ~exited

    def poor_people(self, when) -> pd.Series:
        hh = self.ledgers.frame("households")
        poor = set(hh.loc[self.poor_households(when), "household_id"])
        return self.people_on(when) & self.members["household_id"].isin(poor)


def exit_rows(ledgers: LedgerSet, rolls: Rolls) -> pd.DataFrame:
    """Exit rows with their people (members on the rolls at 31 Dec of the exit year),
    and whether each row is an exit, verified, passed."""
    exits = ledgers.frame("exits")
    people = pd.Series(0, index=exits.index, dtype="int64")
    for year in exits["exit_year"].dropna().unique():
        rows = exits["exit_year"] == year
        counts = rolls.people_per_household(year_end(year))
        people[rows] = exits.loc[rows, "household_id"].map(counts).fillna(0).astype("int64")
    verification = exits["verification"].astype(object)
    return exits.assign(
        people=people,
        exited=(verification != "fail").to_numpy(),
        verified=verification.isin(["pass", "fail"]).to_numpy(),
        passed=(verification == "pass").to_numpy(),
    )


def with_area(frame: pd.DataFrame, ledgers: LedgerSet) -> pd.DataFrame:
    """Add the township and village of each row's household."""
    hh = ledgers.frame("households").drop_duplicates("household_id")
    out = frame.copy()
    for col in ("township", "village"):
        out[col] = frame["household_id"].map(dict(zip(hh["household_id"], hh[col])))
    return out
