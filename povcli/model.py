"""The counting rules of the contract: who is on the rolls, who is poor, who exited.

Pure, vectorised functions over a LedgerSet. One `Rolls` object per ledger set sorts
the changes once and answers "on the rolls at D" for any date, with a cache, so every
report shares the same roll-status model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .findings import UsageError
from .read.arrowkit import arrow, distinct, factorize, factorize_together, index_in, is_in
from .read.loaded import LedgerSet

# Columns whose dates or years are events of the case file; `summary` without a year
# takes the latest year any of them falls in (birth dates and policy years are not).
EVENT_COLUMNS = {
    "households": ("identified_on",), "changes": ("date",),
    "exits": ("exit_year", "verified_on", "approved_on"), "subsidies": ("date",),
    "projects": ("year",), "pairings": ("since",), "villages": ("exit_year",),
}


def year_end(year: int) -> pd.Timestamp:
    return pd.Timestamp(year=int(year), month=12, day=31)


# Dated rows of the ledgers since 2021 (monitoring, incomes, assessments): they count for
# whether a year is in the ledgers at all, not for a report's default year, which stays
# with the case file's own events.
LATER_EVENT_COLUMNS = {"monitoring": ("identified_on", "eliminated_on"), "incomes": ("year",),
                       "assessment": ("year",)}


def year_span(ledgers: LedgerSet, columns_of: dict | None = None) -> tuple[int, int] | None:
    """(first, last) year that the ledgers' dated rows fall in (the event columns)."""
    years = []
    for name, columns in (columns_of or EVENT_COLUMNS).items():
        frame = ledgers.get(name)
        if frame is None or frame.empty:
            continue
        for col in columns:
            if col not in frame.columns:
                continue
            values = frame[col]
            if values.dtype.kind == "M":  # the years of the first and last dates (no
                first, last = values.min(), values.max()  # year of every one of 8 M)
                if pd.notna(first):
                    years += [first.year, last.year]
                continue
            values = values.dropna()
            if len(values):
                years += [int(values.min()), int(values.max())]
    return (min(years), max(years)) if years else None


def latest_year(ledgers: LedgerSet) -> int | None:
    """The latest year any dated row of the ledgers falls in: a report's default year."""
    span = year_span(ledgers)
    return span[1] if span else None


def registered(households: pd.DataFrame) -> np.ndarray:
    """Boolean per household row: a registered (建档立卡) household; `registered`
    empty or absent means yes."""
    if "registered" not in households.columns:
        return np.ones(len(households), dtype=bool)
    return households["registered"].fillna(True).astype(bool).to_numpy()


# ledgers whose rows of unregistered households are kept: they exist for monitoring
KEEP_UNREGISTERED = ("monitoring", "assessment")


def restrict(ledgers: LedgerSet, township: str | None = None, village: str | None = None,
             registered_only: bool = True) -> LedgerSet:
    """The same ledger set, cut down to the households of one township and/or village,
    and (registered_only) to registered households: every figure of the rolls, exits,
    changes and subsidies counts registered households only (an unregistered household
    exists for monitoring alone; its monitoring rows are kept)."""
    hh = ledgers.frame("households")
    own = registered(hh) if registered_only else np.ones(len(hh), dtype=bool)
    if not township and not village and own.all():
        return ledgers
    keep = pd.Series(True, index=hh.index)
    if township:
        keep &= hh["township"] == township
        if not keep.any():
            raise UsageError.of("reports.no_township", township=township, names=", ".join(
                sorted(hh["township"].dropna().unique())))
    if village:
        keep &= hh["village"] == village
        if not keep.any():
            villages = hh.loc[hh["township"] == township, "village"] if township else hh["village"]
            names = ", ".join(sorted(villages.dropna().unique()))
            if township:
                raise UsageError.of("reports.no_village_of", village=village,
                                    township=township, names=names)
            raise UsageError.of("reports.no_village", village=village, names=names)
    area_ids = set(hh.loc[keep, "household_id"])
    keep &= own
    ids = set(hh.loc[keep, "household_id"])
    loaded = {}
    for name, one in ledgers.loaded.items():
        frame = one.frame
        if name == "households":
            frame = frame[keep]
        elif name in KEEP_UNREGISTERED:
            if township or village:
                frame = frame[is_in(frame["household_id"], area_ids)]
        elif "household_id" in frame.columns:
            frame = frame[is_in(frame["household_id"], ids)]
        elif name == "villages" and (township or village):
            vk = pd.Series(True, index=frame.index)
            if township:
                vk &= frame["township"] == township
            if village:
                vk &= frame["village"] == village
            frame = frame[vk]
        loaded[name] = replace(one, frame=frame)
    return replace(ledgers, loaded=loaded)


def _digits_key(ids: pa.Array) -> np.ndarray | None:
    """Each id as an integer, -1 where missing, when every id given is digits only and
    all are of one length up to 18 (as household ids are); None otherwise. Two such ids
    are equal exactly when their integers are, and integers hash faster than text."""
    given = ids.drop_null()
    if not len(given):
        return np.full(len(ids), -1, dtype=np.int64)
    low, high = pc.min_max(pc.utf8_length(given)).values()
    if low.as_py() != high.as_py() or not 0 < high.as_py() <= 18 \
            or not pc.all(pc.ascii_is_decimal(given)).as_py():
        return None
    number = pc.fill_null(pc.cast(ids, pa.int64()), -1)
    return number.to_numpy(zero_copy_only=False).astype(np.int64)


def id_codes(values) -> np.ndarray:
    """Codes of ids for counting distinct ones (-1 where missing): as factorize gives,
    by way of integers where the ids are all spelled alike."""
    ids = arrow(values)
    key = _digits_key(ids)
    return factorize(ids)[0] if key is None else _dense(key)


def _dense(key: np.ndarray) -> np.ndarray:
    """Codes 0, 1, ... of integer keys in order of first occurrence (-1 stays -1)."""
    codes = np.full(len(key), -1, dtype=np.int64)
    given = key >= 0
    codes[given] = pd.factorize(key[given])[0]
    return codes


def codes_of(keys: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each key in index (its first occurrence), -1 where absent."""
    return index_in(keys, index)


def _true_missing(values) -> np.ndarray:
    """Whether each value is missing, as numpy."""
    return pd.isna(pd.Series(values) if not isinstance(values, pd.Series) else values
                   ).to_numpy(dtype=bool)


def _rows_of(values, rows: np.ndarray):
    """Rows (positions) of a Series or an array."""
    return values.iloc[rows] if isinstance(values, pd.Series) else np.asarray(values)[rows]


def _roll_codes(hh: pd.DataFrame, members: pd.DataFrame, ch: pd.DataFrame
                ) -> dict[str, np.ndarray]:
    """The hashing behind Rolls, kept in the cache for the same files (LedgerSet.memo):
    households: the code of every household row, then every member's and every change's
    household (one hash pass; household rows first, so codes 0..n-1 are households);
    people: the code of every member's person, then every change's (members first);
    member_key: member row -> membership (a household and person pair), memberships:
    how many, ch_member: change row -> its membership, -1 where none. int32 when kept."""
    hh_codes, _ = factorize_together(hh["household_id"], members["household_id"],
                                     ch["household_id"])
    person, _ = factorize_together(members["person_id"], ch["person_id"])
    n_rows, n_m = len(hh), len(members)
    # a member of a household not in households is still a membership of its own
    member_hh, ch_hh = hh_codes[n_rows:n_rows + n_m], hh_codes[n_rows + n_m:]
    member_person, ch_person = person[:n_m], person[n_m:]
    n_all = max(int(person.max()) + 1 if len(person) else 0, 1)
    m_key = np.where((member_hh >= 0) & (member_person >= 0), member_hh * n_all + member_person, -1)
    c_key = np.where((ch_hh >= 0) & (ch_person >= 0), ch_hh * n_all + ch_person, -2)
    keys, member_key = np.unique(m_key, return_inverse=True)
    pos = np.minimum(np.searchsorted(keys, c_key), max(len(keys) - 1, 0))
    found = (keys[pos] == c_key) if len(keys) else np.zeros(len(ch), bool)
    small = np.int32 if max(len(hh_codes), len(person), 1) < 2**31 else np.int64
    return {"households": hh_codes.astype(small), "people": person.astype(small),
            "member_key": member_key.reshape(-1).astype(small),
            "memberships": np.array(len(keys)),
            "ch_member": np.where(found, pos, -1).astype(small)}


def _roll_codes_fit(kept: dict[str, np.ndarray], n_rows: int, n_m: int, n_ch: int) -> bool:
    """Whether codes kept in the cache have the shapes of these ledgers' (else computed)."""
    try:
        return (len(kept["households"]) == n_rows + n_m + n_ch
                and len(kept["people"]) == n_m + n_ch and len(kept["member_key"]) == n_m
                and len(kept["ch_member"]) == n_ch and kept["memberships"].shape == ())
    except (KeyError, TypeError):
        return False


def _first_rows(codes: np.ndarray, n: int) -> np.ndarray:
    """The first row of each code 0..n-1 (codes -1 and beyond n ignored), by one scatter."""
    first = np.zeros(n, dtype=np.int64)
    rows = np.flatnonzero((codes >= 0) & (codes < n))[::-1]
    first[codes[rows]] = rows
    return first


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
        n_m, n_rows = len(self.members), len(hh)
        codes = self.ledgers.memo(
            "rolls-1", ("households", "members", "changes"),
            lambda: _roll_codes(hh, self.members, ch),
            lambda kept: _roll_codes_fit(kept, n_rows, n_m, len(ch)))
        # int64 whatever was kept: the codes are multiplied into keys further on
        hh_codes, person = codes["households"].astype(np.int64), codes["people"].astype(np.int64)
        self.hh_row = hh_codes[:n_rows]  # household row -> code (codes 0..n-1: households)
        n_hh = int(self.hh_row.max()) + 1 if n_rows else 0
        self.n_households = n_hh
        member_hh = hh_codes[n_rows:n_rows + n_m]
        ch_hh = hh_codes[n_rows + n_m:]
        self.member_hh = np.where(member_hh < n_hh, member_hh, -1)  # -1: no such household
        self.ch_hh = np.where(ch_hh < n_hh, ch_hh, -1)  # change row -> household code
        self._hh_first = _first_rows(self.hh_row, n_hh)  # household code -> its first row
        self.hh_identified = hh["identified_on"].to_numpy()[self._hh_first].astype(
            "datetime64[s]")
        known = self.member_hh >= 0
        identified = np.full(n_m, np.datetime64("NaT"), dtype="datetime64[s]")
        identified[known] = self.hh_identified[self.member_hh[known]]
        self.identified = pd.Series(identified, index=self.members.index)
        self.member_person = person[:n_m]  # member row -> person code (who, for counting)
        n_people = int(self.member_person.max()) + 1 if n_m else 0
        self.n_people = n_people
        ch_person = person[n_m:]
        # A membership is a (household, person) pair: the key of members. Each has its
        # own changes and its own state; a person may belong to several households.
        self.member_keyed = (member_hh >= 0) & (self.member_person >= 0)  # both ids given
        self.member_key = codes["member_key"].astype(np.int64)  # member row -> membership
        self.n_memberships = int(codes["memberships"])
        self.ch_member = codes["ch_member"].astype(np.int64)  # change row -> membership, -1: none
        self.ch_person = np.where(ch_person < n_people, ch_person, -1)  # -1: not a member
        self.ch_date = ch["date"].to_numpy().astype("datetime64[s]")
        self.ch_in = (ch["direction"].astype(object) == "in").to_numpy()
        ok = (self.ch_member >= 0) & ~np.isnat(self.ch_date)
        # A membership whose first change brings the person in (birth, marriage, later
        # identification) is not on the rolls before that change.
        first = np.full(self.n_memberships, -1)
        rows = np.flatnonzero(ok)
        memberships, first_pos = np.unique(self.ch_member[rows], return_index=True)
        first[memberships] = rows[first_pos]
        reason = ch["reason"].astype(object).to_numpy()
        first_row = first[self.member_key]
        has = first_row >= 0
        joins = np.zeros(n_m, dtype=bool)
        joins[has] = self.ch_in[first_row[has]] & (reason[first_row[has]] != "returned")
        self.joins_later = joins
        self._ok = ok
        self._cache: dict = {}

    @property
    def _hh_pool(self) -> pa.Array:
        """Household code -> id, in Arrow."""
        return self._cached("hh_pool", lambda: arrow(self.ledgers.frame("households")[
            "household_id"]).take(pa.array(self._hh_first)))

    @property
    def _person_pool(self) -> pa.Array:
        """Person code -> id, in Arrow (every person is a member: codes 0..n-1 are theirs)."""
        return self._cached("person_pool", lambda: arrow(self.members["person_id"]).take(
            pa.array(_first_rows(self.member_person, self.n_people))))

    @property
    def household_index(self) -> pd.Index:
        """Household code -> id (pandas), made when first asked: most questions need
        only codes (household_codes)."""
        return self._cached("household_index", lambda: pd.Index(self._hh_pool.to_pandas()))

    @property
    def person_index(self) -> pd.Index:
        """Person code -> id (pandas), made when first asked (person_codes)."""
        return self._cached("person_index", lambda: pd.Index(self._person_pool.to_pandas()))

    def household_codes(self, ids) -> np.ndarray:
        """The code of each household id, -1 for an id not in households: looked up in
        the roll's Arrow dictionary (no pandas Index of every id made or converted)."""
        return index_in(ids, self._hh_pool)

    def ledger_household_codes(self, name: str, hold: bool = True) -> np.ndarray:
        """Per row of ledger `name` (as read): its household's code, -1 for none (a
        household's code depends on the households ledger alone)."""
        return self._ledger_codes(name, "household_id", "households", self.household_codes,
                                  hold)

    def ledger_person_codes(self, name: str, hold: bool = True) -> np.ndarray:
        """Per row of ledger `name` (as read): its person's code, -1 for someone who is
        not a member (a person's code depends on the members ledger alone)."""
        return self._ledger_codes(name, "person_id", "members", self.person_codes, hold)

    def _ledger_codes(self, name: str, column: str, pool: str, lookup, hold: bool
                      ) -> np.ndarray:
        """The codes of ledger `name`'s whole `column` (lookup: ids -> codes, from ledger
        `pool` alone), hashed once per set and kept in the cache for the same files; int32
        (8 M payments: 32 MB), to index with. hold=False: not held here once given (the
        payments' codes, asked by two rules of check, are read back from the cache by the
        second rather than held to its end)."""
        def compute():
            frame = self.ledgers.frame(name)
            kept = self.ledgers.memo(
                f"{column} codes-1 {name}", (pool, name),
                lambda: {"codes": lookup(frame[column]).astype(np.int32)},
                lambda got: len(got.get("codes", ())) == len(frame))
            return kept["codes"]
        return self._cached((column, "codes of", name), compute) if hold else compute()

    def person_codes(self, ids) -> np.ndarray:
        """The code of each person id, -1 for someone who is not a member."""
        return index_in(ids, self._person_pool)

    def was_on_before(self) -> pd.Series:
        """Per change row (the index of `changes`): whether its membership was on the
        rolls just before it (its previous change, else the default rule at its date)."""
        member = self.ch_member
        prev = pd.Series(self.ch_in.astype(float), index=self.changes.index)
        prev = prev.where(member >= 0).groupby(member).shift(1)
        first_row = np.full(self.n_memberships, 0)
        n_m = len(self.members)
        if n_m:
            first_row[self.member_key[::-1]] = np.arange(n_m)[::-1]
        rows = first_row[np.maximum(member, 0)] if n_m else np.zeros(len(member), dtype=int)
        default = np.zeros(len(member), dtype=bool)
        if n_m:
            default = (self.ch_date >= self.identified.to_numpy()[rows]) & \
                ~self.joins_later[rows] & (member >= 0)
        return pd.Series(np.where(prev.notna(), prev == 1, default), index=self.changes.index)

    def _cached(self, key, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def members_on(self, when: pd.Timestamp) -> np.ndarray:
        """Boolean per member row: on the rolls at `when` (the person rule)."""
        when = pd.Timestamp(when)
        return self._cached(("members", when), lambda: self._members_on(when))

    def _latest_change(self, when: pd.Timestamp) -> np.ndarray:
        """Per member row: 1 if the membership's latest change up to `when` puts it on,
        0 if it takes it off, -1 if it has none."""
        rows = np.flatnonzero(self._ok & (self.ch_date <= np.datetime64(when, "s")))
        state = np.full(self.n_memberships, -1, dtype=np.int8)
        if len(rows):  # the latest change of each membership up to `when` decides
            backwards = rows[::-1]
            memberships, last = np.unique(self.ch_member[backwards], return_index=True)
            state[memberships] = self.ch_in[backwards[last]]
        return state[self.member_key]

    def _members_on(self, when: pd.Timestamp) -> np.ndarray:
        mine = self._latest_change(when)
        default = (self.identified.to_numpy() <= np.datetime64(when, "s")) & ~self.joins_later
        return np.where(mine >= 0, mine == 1, default)

    def members_on_unidentified(self, when) -> np.ndarray:
        """Boolean per member row: on the roll at `when` by the person rule without the
        household's identification date (a household never registered, such as
        monitoring's 边缘易致贫户): with no change up to `when`, a member who does not
        join later is on."""
        when = pd.Timestamp(when)
        mine = self._cached(("latest", when), lambda: self._latest_change(when))
        return np.where(mine >= 0, mine == 1, ~self.joins_later)

    def _household_codes_on(self, when) -> np.ndarray:
        """Boolean per household code: identified by `when`, someone on."""
        when = pd.Timestamp(when)

        def compute():
            on = self.members_on(when) & (self.member_hh >= 0)
            someone = np.bincount(self.member_hh[on], minlength=self.n_households) > 0
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
        return np.bincount(self.member_hh[on], minlength=self.n_households)

    def _poor_codes(self, when) -> np.ndarray:
        when = pd.Timestamp(when)
        return self._cached(("poor", when), lambda: self._household_codes_on(when)
                            & self._poor_by_exits(when, when.year))

    def poor_before_exits(self, year: int) -> pd.Series:
        """Boolean per household row: poor by its exits before those of `year` are
        counted (no exit in an earlier year, or returned to poverty since, up to 31
        December of `year`), whether on the rolls or not: where `flow` starts the
        year's exits from."""
        hh = self.ledgers.frame("households")
        return pd.Series(self._poor_by_exits(year_end(year), year - 1)[self.hh_row],
                         index=hh.index)

    def exit_codes(self) -> np.ndarray:
        """Per exits row: the household's code (-1: no such household), hashed once per
        ledger set (every date's poverty and every exit figure looks them up)."""
        def compute():
            if not self.ledgers.has("exits"):
                return np.zeros(0, dtype=np.int64)
            return self.ledger_household_codes("exits")
        return self._cached("exit_codes", compute)

    def _exits_and_returns(self):
        """(household code, year) of every exit row that is an exit, and (household code,
        date, year) of every `returned` change: what poverty at any date is made of."""
        def compute():
            exits = self.ledgers.get("exits")
            if exits is None or exits.empty:
                return None
            done = exited(self.ledgers)
            years = exits["exit_year"].to_numpy(dtype="float64", na_value=np.nan)
            returned = (self.changes["reason"].astype(object) == "returned").to_numpy()
            r_date = self.ch_date[returned]
            r_year = self.changes["date"][returned].dt.year.to_numpy()
            return (self.exit_codes()[done], years[done], self.ch_hh[returned], r_date,
                    r_year)
        return self._cached("exits_and_returns", compute)

    def _poor_by_exits(self, when: pd.Timestamp, last_exit_year: int) -> np.ndarray:
        """Per household code: no exit in a year up to `last_exit_year`, or a `returned`
        change up to `when` in a year after its latest such exit."""
        n = self.n_households
        found = self._exits_and_returns()
        if found is None:
            return np.ones(n, dtype=bool)
        exit_hh, exit_year, r_hh, r_date, r_year = found
        upto = exit_year <= last_exit_year
        codes, years = exit_hh[upto], exit_year[upto]
        latest = np.full(self.n_households, -np.inf)
        valid = codes >= 0
        np.maximum.at(latest, codes[valid], years[valid])
        has_exit = latest > -np.inf
        returned = r_date <= np.datetime64(when, "s")
        r_hh, r_year = r_hh[returned], r_year[returned]
        keep = r_hh >= 0
        # back in poverty: returned in a year after the household's latest exit
        back = np.zeros(self.n_households, dtype=bool)
        back[r_hh[keep][r_year[keep] > latest[r_hh[keep]]]] = True
        return ~(has_exit & ~back)

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

    def memberships_on_at(self, household_ids: pd.Series, person_ids: pd.Series,
                          when: pd.Series, codes: tuple | None = None) -> np.ndarray:
        """Whether each (household, person) membership was on the rolls on its own date
        (one date per row), by the person rule; unknown memberships count as on. On
        integer codes: the ids are looked up in the roll's own dictionaries, never joined
        as text (codes: the (household, person) codes of the ids, when known already)."""
        n = len(person_ids)
        when = pd.to_datetime(np.asarray(when)).to_numpy().astype("datetime64[s]")
        out = np.ones(n, dtype=bool)
        if not n or not len(self.members):
            return out  # nobody to look up: all count as on
        row = self._membership_rows(household_ids, person_ids, codes)
        at = np.flatnonzero((row >= 0) & ~np.isnat(when))
        out[at] = self._member_rows_on_at(row[at], when[at])
        return out

    def _membership_rows(self, household_ids: pd.Series, person_ids: pd.Series,
                         codes: tuple | None = None) -> np.ndarray:
        """The first member row of each (household, person), -1 where none. Most people
        belong to one household: their first member row is looked up by person code and
        kept when its household is the one asked. The rest (a person's second household,
        an id absent from the roll's dictionaries, a missing id) are matched whole, with
        a missing id a value of its own."""
        hh, pid = codes if codes is not None else (self.household_codes(household_ids),
                                                    self.person_codes(person_ids))
        row = np.full(len(pid), -1, dtype=np.int64)
        sure = np.flatnonzero((hh >= 0) & (pid >= 0))
        first = self._first_row_of_person()[pid[sure]]
        same = self.member_hh[first] == hh[sure]
        row[sure[same]] = first[same]
        left = np.ones(len(pid), dtype=bool)
        left[sure[same]] = False
        # a missing id matches only a member row missing it too: most sets have none
        for asked, column in ((household_ids, "household_id"), (person_ids, "person_id")):
            if not self._has_missing(column):
                left &= ~_true_missing(asked)
        rest = np.flatnonzero(left)
        if len(rest):
            row[rest] = self._membership_rows_by_key(_rows_of(household_ids, rest),
                                                     _rows_of(person_ids, rest))
        return row

    def _has_missing(self, column: str) -> bool:
        return self._cached(("missing", column),
                            lambda: bool(self.members[column].isna().any()))

    def _first_row_of_person(self) -> np.ndarray:
        """Per person code: its first member row."""
        def compute():
            first = np.full(self.n_people, -1, dtype=np.int64)
            known = np.flatnonzero(self.member_person >= 0)[::-1]
            first[self.member_person[known]] = known  # the last write is the first row
            return first
        return self._cached("first_row_of_person", compute)

    def _membership_rows_by_key(self, household_ids: pd.Series, person_ids: pd.Series
                                ) -> np.ndarray:
        """_membership_rows by hashing the members' and the asked ids together."""
        n_m = len(self.members)
        hh, hh_values = factorize_together(self.members["household_id"], household_ids)
        pid, pid_values = factorize_together(self.members["person_id"], person_ids)
        hh = np.where(hh < 0, len(hh_values), hh)
        pid = np.where(pid < 0, len(pid_values), pid)
        key = hh * np.int64(len(pid_values) + 1) + pid
        keys, first = np.unique(key[:n_m], return_index=True)
        asked = key[n_m:]
        pos = np.minimum(np.searchsorted(keys, asked), len(keys) - 1)
        return np.where(keys[pos] == asked, first[pos], -1)  # member row, -1: not a member

    def _member_rows_on_at(self, rows: np.ndarray, when: np.ndarray) -> np.ndarray:
        """Whether the membership of each member row was on the rolls on its date (dates
        given, datetime64[s]): its latest change up to the date (the later row of one
        date) decides, else the default rule."""
        ch_rows, ch_keys, days = self._changes_by_membership()
        membership = self.member_key[rows]
        span = np.int64(len(days) + 1)
        # the latest change date up to `when` (rank -1: none), within the membership
        asked = membership * span + (np.searchsorted(days, when, side="right") - 1)
        pos = np.searchsorted(ch_keys, asked, side="right") - 1
        safe = np.maximum(pos, 0)
        has = (pos >= 0) & (ch_keys[safe] // span == membership) if len(ch_keys) else \
            np.zeros(len(rows), dtype=bool)
        default = (self.identified.to_numpy()[rows] <= when) & ~self.joins_later[rows]
        if not len(ch_keys):
            return default
        return np.where(has, self.ch_in[ch_rows[safe]], default)

    def _changes_by_membership(self):
        """The dated changes of members, ordered by (membership, date, file order): their
        rows, their keys (membership × (dates + 1) + the date's rank) and the dates."""
        def compute():
            ok = np.flatnonzero(self._ok)
            days = distinct(self.ch_date[ok])
            keys = self.ch_member[ok].astype(np.int64) * np.int64(len(days) + 1) + \
                np.searchsorted(days, self.ch_date[ok])
            order = np.argsort(keys, kind="stable")  # changes are in date, file order
            return ok[order], keys[order], days
        return self._cached("changes_by_membership", compute)

    def persons_on_at(self, person_ids: pd.Series, when: pd.Series,
                      household_ids: pd.Series | None = None,
                      codes: tuple | None = None) -> np.ndarray:
        """Whether each person was on the rolls on its own date (one date per row), by
        the person rule: of that household when household_ids are given (codes: their
        household and person codes, when known), else of any of their households;
        unknown persons count as on."""
        if household_ids is not None:
            return self.memberships_on_at(household_ids, person_ids, when, codes)
        rows = pd.DataFrame({"person_id": np.asarray(person_ids, dtype=object),
                             "when": pd.to_datetime(np.asarray(when)), "row": np.arange(
                                 len(person_ids))})
        mem = self.members[["household_id", "person_id"]].astype(object).drop_duplicates()
        pairs = rows.merge(mem, on="person_id")
        out = np.ones(len(person_ids), dtype=bool)
        if len(pairs):
            pairs["on"] = self.memberships_on_at(pairs["household_id"], pairs["person_id"],
                                                 pairs["when"])
            any_on = pairs.groupby("row")["on"].any()
            out[any_on.index.to_numpy()] = any_on.to_numpy(dtype=bool)
        return out

    def households_on_at(self, household_ids: pd.Series, when: pd.Series,
                         codes: np.ndarray | None = None) -> np.ndarray:
        """Whether each household was on the rolls on its own date (one date per row);
        codes: the household codes of the ids, when known already."""
        if codes is None:
            codes = self.household_codes(household_ids)
        when = pd.to_datetime(np.asarray(when)).to_numpy().astype("datetime64[s]")
        if not self.n_households:  # no household could be read: none is on
            return np.zeros(len(codes), dtype=bool)
        identified = np.where(codes >= 0, self.hh_identified[np.maximum(codes, 0)],
                              np.datetime64("NaT"))
        out = identified <= when
        # a household whose members have no change is on from its identification, if it
        # has anyone who does not join later; the others are looked at member by member
        changed = np.zeros(self.n_households, dtype=bool)
        changed[self.ch_hh[self.ch_hh >= 0]] = True
        has_member = np.zeros(self.n_households, dtype=bool)
        ok = (self.member_hh >= 0) & ~self.joins_later
        has_member[self.member_hh[ok]] = True
        safe = np.maximum(codes, 0)
        plain = ~changed[safe] | (codes < 0)
        out &= ~plain | has_member[safe]
        rows = np.flatnonzero(~plain & out)
        if len(rows):  # on when any of its members is on that day
            known = np.flatnonzero(self.member_hh >= 0)
            by_hh = known[np.argsort(self.member_hh[known], kind="stable")]
            count = np.bincount(self.member_hh[known], minlength=self.n_households)
            start = np.cumsum(count) - count
            h = codes[rows]
            pair = np.repeat(np.arange(len(rows)), count[h])  # one a (row, member) pair
            within = np.arange(len(pair)) - np.repeat(np.cumsum(count[h]) - count[h],
                                                      count[h])
            members = by_hh[start[h][pair] + within]
            on = self._member_rows_on_at(members, when[rows][pair])
            out[rows] = np.bincount(pair[on], minlength=len(rows)) > 0
        return out


def verification_recorded(ledgers: LedgerSet) -> bool:
    """Whether the exits file has a verification column at all (its header named it)."""
    loaded = ledgers.loaded.get("exits")
    return loaded is not None and "verification" in loaded.headers


def exited(ledgers: LedgerSet) -> np.ndarray:
    """Boolean per exit row: the row is an exit ("Exited"). Only a `pass` verification
    is an exit; where the exits file has no verification column at all, every row is."""
    exits = ledgers.frame("exits")
    if not verification_recorded(ledgers):
        return np.ones(len(exits), dtype=bool)
    return exits["verification"].isin(["pass"]).to_numpy(dtype=bool)  # (on the codes)


def pre_exit(ledgers: LedgerSet) -> np.ndarray:
    """Boolean per exit row: a pre-exit (预退出), proposed and not yet exited: its
    verification is `pending` or empty (never, when no verification was recorded)."""
    exits = ledgers.frame("exits")
    if not verification_recorded(ledgers):
        return np.zeros(len(exits), dtype=bool)
    verification = exits["verification"]
    return (verification.isna() | verification.isin(["pending"])).to_numpy(dtype=bool)


def exit_rows(ledgers: LedgerSet, rolls: Rolls) -> pd.DataFrame:
    """Exit rows with their people (members on the rolls at 31 Dec of the exit year),
    and whether each row is an exit, a pre-exit, verified, passed."""
    exits = ledgers.frame("exits")
    codes = rolls.exit_codes() if rolls.ledgers is ledgers else rolls.household_codes(
        exits["household_id"])
    years = exits["exit_year"].to_numpy(dtype="float64", na_value=np.nan)
    people = np.zeros(len(exits), dtype=np.int64)
    for year in distinct(years[~np.isnan(years)]):
        rows = (years == year) & (codes >= 0)
        people[rows] = rolls.people_per_household(year_end(int(year)))[codes[rows]]
    verification = exits["verification"]  # (isin on the categories' codes: no objects)
    recorded = verification_recorded(ledgers)
    return exits.assign(
        people=people,
        exited=exited(ledgers),
        pre_exit=pre_exit(ledgers),
        verified=(verification.isin(["pass", "fail"]).to_numpy() & recorded),
        passed=(verification.isin(["pass"]).to_numpy() & recorded),
    )


def with_area(frame: pd.DataFrame, ledgers: LedgerSet) -> pd.DataFrame:
    """Add the township and village of each row's household."""
    hh = ledgers.frame("households")
    codes = index_in(frame["household_id"], hh["household_id"])
    out = frame.copy()
    found = (codes >= 0).any()
    for col in ("township", "village"):
        if found and isinstance(hh[col].dtype, pd.StringDtype) and _infers_text():
            # the text column taken as it is: the same column as the objects below would
            # become, without making millions of Python strings and parsing them back
            out[col] = hh[col].array.take(codes, allow_fill=True)
            continue
        out[col] = household_values(hh, codes, col)
    return out


def household_values(hh: pd.DataFrame, rows: np.ndarray, column: str) -> np.ndarray:
    """Per entry of rows (a households row, as index_in gives it; -1: none): that row's
    `column`, None where there is none. Only the rows asked are taken."""
    if not len(hh):
        return np.full(len(rows), None, dtype=object)
    values = hh[column].iloc[np.maximum(rows, 0)].to_numpy(dtype=object)
    return np.where(rows >= 0, values, None)


@cache
def _infers_text() -> bool:
    """Whether pandas makes a column of Python strings (and missing values) a text column
    (pandas 3, or pandas 2 told to), as with_area's objects would become."""
    frame = pd.DataFrame({"a": [0, 1]})
    frame["a"] = np.array(["x", None], dtype=object)
    return isinstance(frame["a"].dtype, pd.StringDtype)


# --------------------------------------------------------------------------- incomes

INCOME_COMPONENTS = ("wage", "business", "business_cost", "property", "transfer")


def net_income(incomes: pd.DataFrame) -> pd.Series:
    """Per incomes row: wage + business - business_cost + property + transfer, an empty
    component counting as none (0)."""
    part = {c: incomes[c].astype("float64").fillna(0.0) for c in INCOME_COMPONENTS}
    return (part["wage"] + part["business"] - part["business_cost"] + part["property"]
            + part["transfer"])


def per_capita_net(incomes: pd.DataFrame) -> pd.Series:
    """Per incomes row: the net income / size (empty where size is not positive)."""
    size = pd.to_numeric(incomes["size"], errors="coerce").astype("float64")
    return net_income(incomes) / size.where(size > 0)


def exit_incomes(ledgers: LedgerSet) -> pd.DataFrame:
    """Per exit row (same index): `recorded` (the row's per_capita_income), `computed`
    (the incomes ledger's figure of the household for the exit year, where there is
    one), `income` (the exit's income: recorded, else computed) and `transfer_share`
    (transfer / total income of that incomes row)."""
    exits = ledgers.frame("exits")
    out = pd.DataFrame({"recorded": exits["per_capita_income"].astype("float64")},
                       index=exits.index)
    out["computed"] = np.nan
    out["transfer_share"] = np.nan
    incomes = ledgers.get("incomes")
    if incomes is not None and len(incomes) and len(exits):
        inc = incomes.dropna(subset=["year"]).drop_duplicates(["household_id", "year"])
        total = (inc["wage"] + inc["business"] - inc["business_cost"] + inc["property"]
                 + inc["transfer"]).astype("float64")
        table = pd.DataFrame({"household_id": inc["household_id"].astype(object),
                              "year": inc["year"].astype("float64"),
                              "computed": per_capita_net(inc).to_numpy(),
                              "transfer_share": (inc["transfer"].astype("float64")
                                                 / total.where(total > 0)).to_numpy()})
        keys = pd.DataFrame({"household_id": exits["household_id"].astype(object).to_numpy(),
                             "year": exits["exit_year"].astype("float64").to_numpy()})
        found = keys.merge(table, on=["household_id", "year"], how="left")
        out["computed"] = found["computed"].to_numpy()
        out["transfer_share"] = found["transfer_share"].to_numpy()
    out["income"] = out["recorded"].where(out["recorded"].notna(), out["computed"])
    return out


def exit_standards(ledgers: LedgerSet, years) -> pd.DataFrame:
    """Per exit year: the exit standard in force and where from, else the national
    poverty line (`standard_from` "national line") and where neither, nothing."""
    from .policy import value_for

    policy = ledgers.get("policy")
    rows = []
    for year in sorted({int(y) for y in pd.unique(pd.Series(years).dropna())}):
        value, where = value_for("exit_standard", year, policy)
        kind = "exit_standard"
        if value is None:
            value, where = value_for("poverty_line", year, policy)
            kind = "poverty_line" if value is not None else None
        rows.append({"year": year, "standard": value, "standard_kind": kind,
                     "standard_from": where})
    return pd.DataFrame(rows, columns=["year", "standard", "standard_kind", "standard_from"])


# --------------------------------------------------------------------------- exit figures

def exit_counts(rows: pd.DataFrame, keys: list[str], recorded: bool = True) -> pd.DataFrame:
    """Per group of exit rows (exit_rows' frame; no keys: one row): exited households
    and people (pass rows, or every row when verification was not recorded), verified
    people (pass or fail rows), passed people, the pass rate (passed / verified, empty
    when none was verified) and the people of pre-exits ("Verified people")."""
    parts = rows.assign(
        households=rows["exited"].astype(int),
        exited_people=rows["people"].where(rows["exited"], 0),
        verified_people=rows["people"].where(rows["verified"], 0),
        passed_people=rows["people"].where(rows["passed"], 0),
        pending_people=rows["people"].where(rows["pre_exit"], 0),
    )
    agg = parts.groupby(keys, observed=True, dropna=False).agg(
        households=("households", "sum"), people=("exited_people", "sum"),
        verified_people=("verified_people", "sum"), passed_people=("passed_people", "sum"),
        pending_people=("pending_people", "sum"),
    ).reset_index() if keys else pd.DataFrame([{
        "households": parts["households"].sum(), "people": parts["exited_people"].sum(),
        "verified_people": parts["verified_people"].sum(),
        "passed_people": parts["passed_people"].sum(),
        "pending_people": parts["pending_people"].sum()}])
    agg["pass_rate"] = agg["passed_people"] / agg["verified_people"].where(
        agg["verified_people"] > 0)
    if not recorded:  # the office did not record verification: not zero, unknown
        for col in ("verified_people", "passed_people"):
            agg[col] = pd.array([pd.NA] * len(agg), dtype="Int64")
        agg["pass_rate"] = np.nan
    return agg


def exited_people_total(rows: pd.DataFrame, year: int) -> int:
    """The exited people of every exit year up to `year`, exit rows counted each time (a
    household that exits twice, after returning, counts both times)."""
    upto = rows[(rows["exit_year"] <= year) & rows["exited"]]
    return int(upto["people"].sum())


# --------------------------------------------------------------------------- villages

def poverty_incidence(poor_people, rural_population) -> pd.Series:
    """Poverty incidence (贫困发生率) of each village: poor people / rural population,
    empty where the population is unknown or not positive."""
    population = pd.Series(pd.to_numeric(pd.Series(rural_population), errors="coerce")
                           .to_numpy(dtype="float64", na_value=np.nan))
    poor = pd.Series(np.asarray(poor_people, dtype="float64"))
    return poor / population.where(population > 0)


def meets_incidence(incidence, threshold: float) -> np.ndarray:
    """Whether an incidence meets an exit threshold: at or below it (`2%以下` includes
    2 %; a float's last bits do not move a village across)."""
    return np.asarray(incidence, dtype="float64") <= threshold + 1e-12


# --------------------------------------------------------------------------- monitoring

def monitored_at(episodes: pd.DataFrame, when) -> pd.Series:
    """Boolean per monitoring episode: monitored at `when` (identified on or before it
    and not eliminated on or before it)."""
    when = pd.Timestamp(when)
    return (episodes["identified_on"] <= when) & ~(episodes["eliminated_on"] <= when)


# --------------------------------------------------------------------------- pairing

def cadre_identity(pairs: pd.DataFrame) -> pd.Series:
    """Per pairing row: who the cadre is, their `cadre_id`, or "name / unit" where the
    row has no id (the contract's pairing rule). The text key is built only for the
    rows without an id: at a province's million rows that was most of the cost."""
    cadre = pairs["cadre_id"].astype(object)
    missing = cadre.isna().to_numpy()
    if missing.any():
        cadre = cadre.copy()
        cadre[missing] = (pairs["cadre_name"].astype(object)[missing] + " / "
                          + pairs["unit"].astype(object)[missing])
    return cadre
