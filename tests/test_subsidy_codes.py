"""`subsidies` counts distinct households and people on integer codes made from the ids'
digits where every id is digits of one length (cheaper to hash than text): the codes
must be exactly factorize's, and the report that of a plain count of distinct strings,
whichever way the codes were made."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from povcli import api, model, reports
from povcli.model import id_codes
from povcli.read.arrowkit import arrow, factorize
from povcli.reports import _distinct_per_group, subsidies

SPELLINGS = {
    "household ids": ["0000000001", "0000000002", None, "0000000001", "1000000000"],
    "resident ids": ["11010519491231002X", "110105194912310021", None, "11010519491231002X",
                     "110105194912310020", "110105194912310021"],
    "18 digits": ["110105194912310021", "999999999999999999", "110105194912310021"],
    "lowercase x": ["11010519491231002x", "11010519491231002X", "11010519491231002x"],
    "x elsewhere": ["1101051949123100X1", "110105194912310021", "1101051949123100X1"],
    "mixed widths": ["1", "01", "001", "1", "01"],
    "leading zeros of one width": ["001", "010", "100", "001"],
    "not digits": ["H-1", "H-2", "H-1", None],
    "full-width digits": ["０１", "01", "０１"],
    "spaces": [" 1", "1 ", " 1"],
    "empty text": ["", "1", ""],
    "all missing": [None, None],
    "nothing": [],
    "19 digits": ["1234567890123456789", "1234567890123456780", "1234567890123456789"],
}


@pytest.mark.parametrize("name", SPELLINGS)
def test_id_codes_are_factorize_codes(name):
    values = pd.Series(SPELLINGS[name], dtype=object)
    assert np.array_equal(id_codes(values), factorize(values)[0])


def test_ids_spelled_alike_take_the_digits_way():
    for name in ("household ids", "18 digits", "leading zeros of one width", "all missing"):
        assert model._digits_key(arrow(pd.Series(SPELLINGS[name], dtype=object))) is not None
    for name in ("resident ids", "mixed widths", "not digits", "full-width digits", "spaces",
                 "empty text", "19 digits"):
        assert model._digits_key(arrow(pd.Series(SPELLINGS[name], dtype=object))) is None


def test_distinct_per_group_the_same_by_flags_and_by_hashing(monkeypatch):
    rng = np.random.default_rng(3)
    group = rng.integers(0, 7, 5000)
    codes = rng.integers(-1, 300, 5000)
    by_flags = _distinct_per_group(group, codes, 7)
    monkeypatch.setattr(reports, "FLAG_CELLS", 0)
    assert np.array_equal(by_flags, _distinct_per_group(group, codes, 7))
    expected = pd.DataFrame({"g": group, "c": codes})[codes >= 0].groupby("g")["c"].nunique()
    assert np.array_equal(by_flags, expected.to_numpy())


def _plain(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The counts as strings, the plain way."""
    rows = rows.assign(**{k: rows[k].astype(object) for k in keys})
    g = rows.groupby(keys, dropna=False)
    out = pd.DataFrame({
        "payments": g.size(),
        "households": g["household_id"].nunique(dropna=False),
        "people": g["person_id"].nunique(),
        "named": g["person_id"].count()}).reset_index()
    out["people"] = out["people"].astype("Int64").where(out["named"] > 0)
    return out.drop(columns="named")


@pytest.fixture(scope="module")
def sample():
    return api.open_ledgers("sample_data", "subsidies")


@pytest.mark.parametrize("by", [None, "village"])
@pytest.mark.parametrize("flags", [True, False])
def test_subsidies_count_as_plain_distinct_strings(sample, by, flags, monkeypatch):
    if not flags:
        monkeypatch.setattr(reports, "FLAG_CELLS", 0)
    ledgers = sample
    households = arrow(ledgers.frame("subsidies")["household_id"])
    assert model._digits_key(households) is not None  # the digits' way is the one tested
    got = subsidies(ledgers, by=by).frame
    rows = ledgers.frame("subsidies")
    rows = rows.assign(year=rows["date"].dt.year.astype("Int64"))
    keys = ["year", "program"] + (["village", "township"] if by else [])
    if by:
        rows = reports.with_area(rows, ledgers)
    want = _plain(rows, keys)
    want["program"] = want["program"].astype(str)
    merged = got.merge(want, on=keys, suffixes=("", "_plain"), validate="one_to_one")
    assert len(merged) == len(got) == len(want)
    for col in ("payments", "households", "people"):
        assert merged[col].astype("Int64").equals(merged[col + "_plain"].astype("Int64")), col
