"""benchmarks/duck.py counts the contract's core summary in DuckDB SQL: a second,
independent implementation. On a generated set both must agree on every figure."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import ROOT

duckdb = pytest.importorskip("duckdb")
sys.path.insert(0, str(ROOT / "benchmarks"))
import duck  # noqa: E402
import generate  # noqa: E402


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    generate.generate(3000, out, seed=7)
    return out


@pytest.mark.parametrize("year", [2015, 2016, 2017])
def test_povcli_and_duckdb_agree_on_every_summary_figure(generated, year):
    from povcli import api

    ours = {r.metric: r.value for r in
            api.build("summary", api.open_ledgers(generated), year).frame.itertuples()}
    theirs = duck.summary(generated, year)
    assert theirs and set(theirs) <= set(ours)
    for metric, value in theirs.items():
        assert float(ours[metric] or 0) == pytest.approx(float(value or 0), abs=0.005), metric
