"""The fast paths of the reports (issue 12) count what the plain pandas ways count.

Each test builds random rows (missing persons, a program paid per household, areas of
the same name in two townships) and compares the integer-code path with the obvious
pandas expression of the same rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from povcli import reports


def _payments(seed: int, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    programs = pd.Categorical(rng.choice(["dibao", "housing", "education", "health"], n),
                              categories=["dibao", "education", "health", "housing", "other"])
    person = pd.Series(rng.choice([f"P{i}" for i in range(30)], n), dtype=object)
    person[rng.random(n) < 0.3] = None
    person[np.asarray(programs == "housing")] = None  # paid per household: nobody named
    return pd.DataFrame({
        "year": pd.array(rng.choice([2016, 2017, 2018], n), dtype="Int64"),
        "program": programs,
        "household_id": rng.choice([f"H{i}" for i in range(40)], n).astype(object),
        "person_id": person,
        "township": rng.choice(["T1", "T2"], n).astype(object),
        "village": rng.choice(["V1", "V2", "V3"], n).astype(object),
        "amount": rng.integers(-500, 5000, n).astype(float),
    })


def _plain(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    rows = rows.assign(program=rows["program"].astype(str))
    frame = rows.groupby(keys, dropna=False).agg(
        payments=("amount", "size"), households=("household_id", "nunique"),
        people=("person_id", "nunique"), named=("person_id", "count"),
        amount=("amount", "sum")).reset_index()
    frame["people"] = frame["people"].astype("Int64").where(frame["named"] > 0)
    return frame.drop(columns="named")


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("keys", [["year", "program"], ["year", "village", "program",
                                                        "township"]])
def test_subsidy_counts_on_codes_equal_the_plain_counts(seed, keys):
    rows = _payments(seed)
    fast = reports._subsidy_aggregate(rows, keys).sort_values(keys).reset_index(drop=True)
    plain = _plain(rows, keys).sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(fast, plain, check_dtype=False)
    assert fast["people"].isna().any()  # housing names nobody: empty, not 0


def test_subsidy_total_counts_on_codes():
    rows = _payments(7)
    total = reports._subsidy_aggregate(rows, []).iloc[0]
    assert total["payments"] == len(rows)
    assert total["households"] == rows["household_id"].nunique()
    assert total["people"] == rows["person_id"].nunique()
    assert total["amount"] == rows["amount"].sum()


@pytest.mark.parametrize("pieces", [
    (["H1", "H2", None], ["H3", "H1"], []),
    ([], [], []),
    ([], ["H2", None, "H2"], ["H9"]),
    (["a"], [None, None], ["b", "a", "c"]),
])
def test_factorize_together_is_factorize_of_the_concatenation(pieces):
    from povcli.read.arrowkit import factorize
    from povcli.read.arrowkit import factorize_together

    columns = [pd.Series(p, dtype=object) for p in pieces]
    codes, uniques = factorize_together(*columns)
    want_codes, want_uniques = factorize(pd.concat(columns, ignore_index=True))
    assert codes.tolist() == want_codes.tolist()
    assert uniques.to_pylist() == want_uniques.to_pylist()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-3, 40), max_size=60), st.sampled_from(
    ["int64", "int32", "uint64", "float64", "datetime64[s]", "bool"]), st.booleans())
def test_distinct_is_np_unique(values, dtype, missing):
    """distinct (by sorting) gives what np.unique gives (which numpy 2.3 on hashes,
    forty times slower for millions of distinct values), missing values included."""
    from povcli.read.arrowkit import distinct

    if dtype == "uint64":
        array = np.abs(np.array(values, dtype=np.int64)).astype(np.uint64) * np.uint64(2**40)
    elif dtype == "datetime64[s]":
        array = np.array(values, dtype=np.int64).astype("datetime64[s]")
        if missing:
            array[::3] = np.datetime64("NaT")
    elif dtype == "float64":
        array = np.array(values, dtype=float) / 4
        if missing:
            array[::3] = np.nan
    else:
        array = np.array(values).astype(dtype)
    got, want = distinct(array), np.unique(array)
    assert got.dtype == want.dtype
    assert got.astype(str).tolist() == want.astype(str).tolist()


@pytest.mark.parametrize("year", [2016, 2020])
def test_show_of_one_household_answers_as_the_roll_model_of_the_county(year):
    """show builds the roll model of one household's rows: every household of the sample
    is on the rolls, poor, and has the members on, that the whole county's model says."""
    from conftest import SAMPLE
    from povcli.dossier import dossier
    from povcli.read.load import open_ledgers
    from povcli.model import Rolls, year_end

    ledgers = open_ledgers(SAMPLE)
    rolls = Rolls.of(ledgers)
    end = year_end(year)
    hh = ledgers.frame("households")
    members = ledgers.frame("members")
    on_hh, poor = rolls.households_on(end), rolls.poor_households(end)
    on_member = pd.Series(rolls.members_on(end), index=members.index)
    # the households with changes (births, moves, returns) and the exits, and some others
    changed = set(ledgers.frame("changes")["household_id"]) | set(
        ledgers.frame("exits")["household_id"])
    picked = [(i, h) for i, h in zip(hh.index, hh["household_id"]) if h in changed][:25]
    picked += list(zip(hh.index, hh["household_id"]))[::20]
    for i, hid in picked:
        d = dossier(ledgers, hid, year)
        assert (d["on_rolls"], d["poor"]) == (bool(on_hh[i]), bool(poor[i])), hid
        mine = members[members["household_id"] == hid]
        assert [m["on_rolls"] for m in d["members"]] == on_member[mine.index].tolist(), hid


def _ids(rng, n, pool):
    return pd.Series(rng.choice([f"{i:04d}" for i in range(pool)], n), dtype=object)


def test_key_repeats_are_the_duplicates_pandas_finds():
    from povcli.read.integrity import _repeated

    rng = np.random.default_rng(3)
    for values in (_ids(rng, 300, 200), pd.Series(_ids(rng, 300, 250), dtype="string"),
                   pd.Series(pd.to_datetime(rng.integers(0, 200, 300), unit="D")),
                   pd.Series(pd.array(rng.integers(2000, 2300, 300), dtype="Int64"))):
        dup = _repeated(values.to_frame())
        assert dup.tolist() == values.duplicated(keep=False).tolist()
        assert dup.any() and not dup.all()
    # keys of two columns, text and years, with repeats of each column alone
    frame = pd.DataFrame({"id": _ids(rng, 400, 40),
                          "year": pd.array(rng.integers(2016, 2019, 400), dtype="Int64")})
    assert _repeated(frame).tolist() == frame.duplicated(keep=False).tolist()
    assert frame.duplicated(keep=False).any()


def test_empty_columns_are_the_types_the_lists_of_empties_made():
    from povcli.read.columns import _empty_column
    from povcli.schema import BOOL, COUNT, ENUM, ENUMS, LEDGERS, YEAR

    seen = set()
    for ledger in LEDGERS.values():
        for col in ledger.columns:
            got = pd.Series(_empty_column(col, 4))
            if col.type in (YEAR, COUNT):
                want = pd.Series([pd.NA] * 4, dtype="Int64")
            elif col.type == BOOL:
                want = pd.Series([pd.NA] * 4, dtype="boolean")
            elif col.type == ENUM:
                want = pd.Series(pd.Categorical([None] * 4, categories=ENUMS[col.enum].codes))
            else:
                continue
            pd.testing.assert_series_equal(got, want)
            seen.add(col.type)
    assert seen == {YEAR, COUNT, BOOL, ENUM}


def _texts(rng, n: int) -> list[str]:
    """Texts of every length from 0 to 40 bytes, Chinese among them, many repeated, some
    differing only in their last byte or in a byte past the eighth."""
    alphabet = list("0123456789AXV张王李-")
    out = ["".join(rng.choice(alphabet, int(rng.integers(0, 20)))) for _ in range(n // 2)]
    out += ["V" + "0" * int(k) for k in rng.integers(0, 40, n // 4)]
    out += [f"220503198001{int(k):06d}" for k in rng.integers(0, 50, n - len(out))]
    return out


def test_fingerprints_of_equal_texts_are_equal_and_of_these_unequal_ones_unequal():
    from povcli.read.arrowkit import fingerprints

    rng = np.random.default_rng(11)
    texts = _texts(rng, 3000)
    prints = fingerprints(pd.Series(texts, dtype=object), step=257)  # many steps
    by_text: dict = {}
    for t, p in zip(texts, prints):
        by_text.setdefault(t, set()).add(int(p))
    assert all(len(p) == 1 for p in by_text.values())
    assert len({next(iter(p)) for p in by_text.values()}) == len(by_text)
    # a slice of an Arrow array (its offsets start past 0) gives the same fingerprints
    import pyarrow as pa
    sliced = pa.array(["pad", "pad2", *texts]).slice(2)
    assert fingerprints(sliced).tolist() == prints.tolist()


def test_repeated_is_exact_even_when_fingerprints_collide(monkeypatch):
    from povcli.read import integrity

    rng = np.random.default_rng(5)
    values = pd.Series(_texts(rng, 2000), dtype="string")
    want = values.duplicated(keep=False).tolist()
    assert integrity._repeated(values.to_frame()).tolist() == want
    # every fingerprint equal: the exact comparison of the candidates alone decides
    monkeypatch.setattr(integrity, "fingerprints",
                        lambda v, step=0: np.zeros(len(v), dtype=np.uint64))
    assert integrity._repeated(values.to_frame()).tolist() == want
    assert integrity._repeated(pd.Series([], dtype="string").to_frame()).tolist() == []


def test_pair_references_found_as_the_joined_text_finds_them():
    """(person, household) pairs: people in two households, in none, in the wrong one."""
    import pyarrow.compute as pc

    from povcli.read.arrowkit import arrow, is_in
    from povcli.read.integrity import _pairs_in

    rng = np.random.default_rng(8)
    people = [f"P{i:03d}" for i in range(60)]
    homes = [f"H{i:02d}" for i in range(15)]
    members = pd.DataFrame({"person_id": rng.choice(people, 90),
                            "household_id": rng.choice(homes, 90)}).drop_duplicates()
    rows = pd.DataFrame({"p": rng.choice(people + ["NOBODY"], 400),
                         "h": rng.choice(homes + ["NOWHERE"], 400)}, dtype="string")
    rows.iloc[::3] = members.sample(134, replace=True, random_state=1).to_numpy()

    def joined(frame, names):
        return pc.binary_join_element_wise(*[arrow(frame[c]) for c in names], "\x1f")
    want = is_in(joined(rows, ["p", "h"]), joined(members, ["person_id", "household_id"]))
    got = _pairs_in(rows, ["p", "h"], members, ["person_id", "household_id"])
    assert got.tolist() == want.tolist()
    assert want.any() and not want.all()
    assert not _pairs_in(rows, ["p", "h"], members.iloc[:0], ["person_id", "household_id"]).any()
    assert members["person_id"].duplicated().any()  # someone in two households


def test_arrow_memory_comes_from_jemalloc_unless_the_user_chose(monkeypatch):
    import pyarrow as pa

    from povcli.read.arrowkit import steady_allocator

    before = pa.default_memory_pool()
    try:
        pa.set_memory_pool(pa.system_memory_pool())
        monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "system")
        steady_allocator()  # the user's choice stands
        assert pa.default_memory_pool().backend_name == "system"
        monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL")
        steady_allocator()
        try:
            pa.jemalloc_memory_pool()
        except NotImplementedError:  # an Arrow without it keeps its default
            assert pa.default_memory_pool().backend_name == "system"
        else:
            assert pa.default_memory_pool().backend_name == "jemalloc"
    finally:
        pa.set_memory_pool(before)
