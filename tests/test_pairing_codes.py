"""pairing counts on the roll model's household codes (issue 12): the same figures as
the plain pandas reading of the contract's pairing rule, on generated sets with the
awkward rows added (no cadre id, a household paired twice with one cadre, a pairing
that starts after the year, households off the rolls or unknown)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from povcli.model import Rolls, cadre_identity, year_end
from povcli.programs import pairing
from povcli.read.load import open_ledgers


def _plain(ledgers, year: int) -> dict:
    """The rule read plainly: ids compared as text, pandas' drop_duplicates."""
    end = year_end(year)
    rolls = Rolls.of(ledgers)
    hh = ledgers.frame("households")
    on = hh[rolls.households_on(end)]
    poor = set(hh.loc[rolls.poor_households(end), "household_id"])
    pairs = ledgers.frame("pairings")
    pairs = pairs[pairs["household_id"].isin(set(on["household_id"]))
                  & (pairs["since"].isna() | (pairs["since"] <= end))]
    pairs = pairs.assign(cadre=cadre_identity(pairs))
    covered = set(pairs["household_id"])
    load = pairs.drop_duplicates(["cadre", "household_id"]).groupby("cadre").size()
    is_poor = on["household_id"].isin(poor)
    is_covered = on["household_id"].isin(covered)
    return {
        "year": year, "households": len(on), "households_covered": len(covered),
        "households_not_covered": int((~is_covered).sum()),
        "poor_households": int(is_poor.sum()),
        "poor_households_covered": int((is_poor & is_covered).sum()),
        "poor_households_not_covered": int((is_poor & ~is_covered).sum()),
        "leaders": pairs["leader"].nunique(), "units": pairs["unit"].nunique(),
        "cadres": pairs["cadre"].nunique(),
        "households_per_cadre_min": int(load.min()) if len(load) else None,
        "households_per_cadre_median": float(load.median()) if len(load) else None,
        "households_per_cadre_max": int(load.max()) if len(load) else None,
    }


def _awkward(ledgers, seed: int):
    rng = np.random.default_rng(seed)
    pairs = ledgers.frame("pairings")
    extra = pairs.sample(n=min(len(pairs), 40), random_state=seed, replace=True).copy()
    extra.loc[extra.index[:10], "cadre_id"] = None  # name / unit decides who
    extra.loc[extra.index[10:20], "since"] = pd.Timestamp("2099-01-01")
    extra.loc[extra.index[20:25], "household_id"] = "NO-SUCH-HOUSEHOLD"
    out = pd.concat([pairs, extra], ignore_index=True)
    out["cadre_id"] = out["cadre_id"].where(rng.random(len(out)) > 0.1, None)
    one = ledgers.loaded["pairings"]
    return replace(ledgers, loaded={**ledgers.loaded, "pairings": replace(one, frame=out)})


@pytest.mark.parametrize("seed", [1, 2])
def test_pairing_on_codes_counts_what_the_plain_rule_counts(tmp_path, seed):
    out = tmp_path / f"g{seed}"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_sample_data.py"),
                    "--out", str(out), "--seed", str(seed)], check=True, capture_output=True)
    ledgers = open_ledgers(out)
    if not ledgers.has("pairings"):
        pytest.skip("this generated set has no pairings")
    for this in (ledgers, _awkward(ledgers, seed)):
        for year in (2015, 2017):
            got = pairing(this, year).frame
            got = dict(zip(got["metric"], got["value"]))
            assert got == _plain(this, year), (seed, year)
    # the empty case: no pairing at all
    none = replace(ledgers, loaded={**ledgers.loaded, "pairings": replace(
        ledgers.loaded["pairings"], frame=ledgers.frame("pairings").iloc[:0])})
    got = pairing(none, 2017).frame
    assert dict(zip(got["metric"], got["value"])) == _plain(none, 2017)
