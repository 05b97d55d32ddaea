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


import duck_check  # noqa: E402


@pytest.mark.parametrize("broken", [False, True])
def test_povcli_and_duckdb_agree_on_vouchers_twice_and_outliers(tmp_path, broken):
    """benchmarks/duck_check.py counts S03 and S07 in SQL, the national-size cross-check
    of the sharded check: on a generated set, and one with most payments broken, povcli
    finds as many."""
    from povcli import checks
    from povcli.read.load import read_ledgers

    generate.generate(3000, tmp_path, seed=11, broken=broken)
    ledgers, read = read_ledgers(tmp_path)
    found = checks.run_frame(ledgers, read, [checks.RULES["S03"], checks.RULES["S07"]])
    ours = {code: int((found.column("code") == code).sum()) for code in ("S03", "S07")}
    con = duckdb.connect()
    theirs = dict(con.execute(q).fetchall()[0] for q in (
        duck_check.vouchers_sql(tmp_path), duck_check.outliers_sql(tmp_path)))
    assert ours == theirs
    assert con.execute(duck_check.vouchers_sql(tmp_path, hashed=True)).fetchall()[0][1] \
        == theirs["S03"]  # (the national run's form)
    assert theirs["S07"] and (theirs["S03"] > 0) == broken  # (there is something to count)
