"""Rolls.memberships_on_at looks most memberships up by person code (a person's first
member row, kept when its household is the one asked) and hashes only the rest: it must
give the member row the plain hashing of every id gives, on sets with people in two
households, duplicate member rows, ids absent from the rolls and missing ids."""

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from povcli.model import Rolls
from povcli.read.loaded import LedgerSet, LoadedLedger
from povcli.schema import LEDGERS


def _ledger(name: str, frame: pd.DataFrame) -> LoadedLedger:
    return LoadedLedger(LEDGERS[name], Path(f"{name}.csv"), "utf-8", frame)


def _set(hh_ids, members):
    households = pd.DataFrame({c: pd.Series([None] * len(hh_ids), dtype=object)
                               for c in LEDGERS["households"].frame_columns})
    households["household_id"] = pd.Series(hh_ids, dtype=object)
    households["identified_on"] = pd.to_datetime(["2014-06-01"] * len(hh_ids))
    mem = pd.DataFrame({c: pd.Series([None] * len(members), dtype=object)
                        for c in LEDGERS["members"].frame_columns})
    mem["household_id"] = pd.Series([h for h, _ in members], dtype=object)
    mem["person_id"] = pd.Series([p for _, p in members], dtype=object)
    return LedgerSet(Path("."), {"households": _ledger("households", households),
                                 "members": _ledger("members", mem)}, {})


IDS = st.sampled_from(["H1", "H2", "H3", "H9", None])
PEOPLE = st.sampled_from(["P1", "P2", "P3", "P4", "P8", None])


@settings(max_examples=150, deadline=None)
@given(members=st.lists(st.tuples(IDS, PEOPLE), min_size=1, max_size=12),
       asked=st.lists(st.tuples(IDS, PEOPLE), min_size=1, max_size=12))
def test_rows_as_plain_hashing(members, asked):
    rolls = Rolls(_set(["H1", "H2", "H3"], members))
    hh = pd.Series([h for h, _ in asked], dtype=object, index=np.arange(len(asked)) * 3)
    pid = pd.Series([p for _, p in asked], dtype=object, index=hh.index)
    got = rolls._membership_rows(hh, pid)
    want = rolls._membership_rows_by_key(hh, pid)
    assert got.tolist() == want.tolist()


def test_second_household_and_unknown_household():
    # P1 first in H1, then in H2; P2 in a household the households ledger lacks
    rolls = Rolls(_set(["H1", "H2"], [("H1", "P1"), ("H2", "P1"), ("H9", "P2"),
                                      ("H2", "P3"), ("H2", "P3")]))
    hh = pd.Series(["H1", "H2", "H9", "H2", "H1", None], dtype=object)
    pid = pd.Series(["P1", "P1", "P2", "P3", "P3", "P1"], dtype=object)
    assert rolls._membership_rows(hh, pid).tolist() == [0, 1, 2, 3, -1, -1]
