"""`povcli check` one household shard at a time (checks_sharded.run_sharded) gives the
whole set's findings, in its order, byte for byte in csv: on random damaged sets, on a
set built so that the rules that look across households (S03, S07, P02, V01, E07, M03,
M09) must see other shards, with --select, --year and the default date, without
optional ledgers, on two spawned processes and on a Dask cluster."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from povcli import checks, checks_sharded, render, shards
from povcli.checks_sharded import Split, run_sharded
from povcli.model import latest_year
from povcli.read.load import read_ledgers
from povcli.read.integrity import integrity_findings

from conftest import HOUSEHOLD_HEADER, MEMBER_HEADER, pid, write_csv
from test_check_property import (TODAY, _write, changes, exits, households, members,
                                 pairings, policy, subsidies, villages)

COUNTS = (1, 2, 3, 7)


def _csv(found) -> str:
    out = io.StringIO()
    render.write_findings_csv(found, out, show_ids=True)
    return out.getvalue() + "\n".join(found.messages("zh"))


def _same(ledgers, read, rules=None, params=checks.Params(), year=None, counts=COUNTS,
          **options) -> str:
    """The whole set's findings (csv and Chinese), asserted equal to every sharded run."""
    whole = _csv(checks.run_frame(ledgers, read, rules, params, year, TODAY))
    for n in counts:
        got = _csv(run_sharded(Split(ledgers, n), n, read, rules, params, year, TODAY,
                               latest_year(ledgers), **options))
        assert got == whole, (n, rules and [r.code for r in rules], year)
    return whole


SELECTS = [None, ["S"], ["S03", "S07", "P02", "V01"], ["L", "H"], ["E", "M", "R"],
           ["I", "C", "D"]]


# (~6 s: as the other property tests of check, examples enough to meet the edge cases)
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.fixed_dictionaries({
    "households": households, "members": members, "changes": changes, "exits": exits,
    "subsidies": subsidies, "villages": villages, "pairings": pairings, "policy": policy}),
    st.sampled_from([None, 2016, 2017]), st.sampled_from(SELECTS), st.booleans(),
    st.sampled_from(COUNTS))
def test_sharded_findings_are_the_whole_sets_on_damaged_sets(data, year, select, tiny, n):
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        folder = Path(tmp)
        _write(folder, data)
        ledgers, read = read_ledgers(folder)
        if any(f.line is None for f in read):
            return  # refused as a whole (exit 2), before any rule runs
        if tiny:  # every voucher's bucket shared: the merge judges every voucher
            mp.setattr(checks_sharded, "MIN_BITS", 8)
            mp.setattr(checks_sharded, "MAX_BITS", 8)
        rules = checks.select_rules(select, None) if select else None
        _same(ledgers, read, rules, checks.Params(cadre_load=1), year, counts=(n,))


# --------------------------------------------------------------------------- across shards

HH = [f"0101{i:04d}" for i in range(1, 13)]  # 1..8 in 样子沟村, 9..12 in 三道沟村


def _edge_set(folder: Path, optional: bool = True) -> None:
    hh = [[h, "二道江乡", "样子沟村" if i < 8 else "三道沟村", f"户主{i}", pid(i + 1),
           "一般脱贫户" if i == 0 else "一般贫困户" if i in (10, 11) else "general",
           "illness", "2014-06-01", "B"] for i, h in enumerate(HH)]
    mem = [[pid(i + 1), h, f"人{i}", "head", "M", "1980-01-01"] for i, h in enumerate(HH)]
    mem += [[pid(100 + i), h, f"子{i}", "child", "F", "1980-01-01"] for i, h in enumerate(HH)]
    mem += [[pid(200), HH[2], "迁", "spouse", "F", "1980-01-01"],  # moved: 3 and 4 share
            [pid(200), HH[3], "迁", "spouse", "F", "1980-01-01"]]
    ch = [["2016-05-01", HH[2], pid(200), "out", "moved"],
          ["2016-05-01", HH[3], pid(200), "in", "other_in"],
          ["2018-01-05", HH[9], pid(10), "in", "returned"],  # never monitored: M09
          ["2016-02-01", HH[4], pid(5), "out", "death"]]
    write_csv(folder / "households.csv", HOUSEHOLD_HEADER, hh)
    write_csv(folder / "members.csv", MEMBER_HEADER, mem)
    write_csv(folder / "changes.csv", ["date", "household_id", "person_id", "direction",
                                       "reason"], ch)
    write_csv(folder / "exits.csv", ["household_id", "exit_year", "verification",
                                     "verified_on", "per_capita_income"],
              [[HH[11], "2016", "pass", "2016-12-01", "5000"],  # exited, says 贫困户: E07
               [HH[1], "2015", "pass", "2015-12-01", "900"],
               [HH[6], "2016", "pending", "", ""]])
    if not optional:
        return
    pay = [[f"2016-06-{d:02d}", HH[d % 12], pid(d % 12 + 1), "health", str(a), "municipal",
            f"W{d}"] for d, a in zip(range(1, 10), [100, 101, 99, 100, 102, 100, 98, 100,
                                                   5000])]  # S07: only over every shard
    pay += [["2016-07-01", HH[0], pid(1), "dibao", "300", "municipal", "DUP1"],
            ["2016-07-02", HH[8], pid(9), "dibao", "300", "municipal", "DUP1"],  # S03
            ["2016-07-03", HH[1], pid(2), "dibao", "300", "municipal", "DUP2"],
            ["2016-07-04", HH[9], pid(10), "dibao", "310", "municipal", "DUP2"],
            ["2016-07-05", HH[10], pid(11), "dibao", "320", "municipal", "DUP2"],
            ["2016-07-06", HH[10], pid(11), "dibao", "330", "municipal", "DUP3"],
            ["2016-07-07", HH[10], pid(11), "dibao", "-330", "municipal", "DUP3"],
            ["2016-07-08", HH[10], pid(11), "dibao", "-999", "municipal", "R1"],
            ["2016-07-08", HH[11], "", "dibao", "200", "municipal", ""],
            ["2016-07-09", HH[11], "", "dibao", "200", "municipal", ""]]
    write_csv(folder / "subsidies.csv", ["date", "household_id", "person_id", "program",
                                         "amount", "source", "voucher"], pay)
    # one cadre over the load (3) with households of every shard; one by name only
    pairs = [[h, "张三", "BF1", "区扶贫办", "某领导", "2016-01-01"] for h in HH[:8]]
    pairs += [[HH[0], "张三", "BF1", "区扶贫办", "某领导", "2016-02-01"],  # again: once
              [HH[9], "李四", "", "乡政府", "某领导", "2016-01-01"],
              [HH[10], "李四", "", "乡政府", "某领导", "2016-01-01"]]
    # at the load's edge: BF2 one household past it (a finding), BF3 at it (none)
    pairs += [[h, "王五", "BF2", "乡政府", "某领导", "2016-03-01"] for h in HH[8:12]]
    pairs += [[h, "赵六", "BF3", "乡政府", "某领导", "2016-03-01"] for h in HH[1:10:4]]
    write_csv(folder / "pairings.csv", ["household_id", "cadre_name", "cadre_id", "unit",
                                        "leader", "since"], pairs)
    write_csv(folder / "villages.csv", ["township", "village", "rural_population",
                                        "poor_village", "exit_year", "enterprise"],
              [["二道江乡", "样子沟村", "100", "是", "2016", ""],  # 16 poor of 100: V01
               ["二道江乡", "三道沟村", "1000", "是", "2016", ""],
               ["二道江乡", "长岗村", "50", "是", "2017", ""]])
    write_csv(folder / "policy.csv", ["year", "poverty_line", "dibao_standard"],
              [["2015", "2855", "3000"], ["2016", "2952", "3000"]])
    write_csv(folder / "incomes.csv", ["household_id", "year", "size", "wage", "business",
                                       "business_cost", "property", "transfer",
                                       "per_capita_net"],
              [[h, "2017", "2", "5000", "0", "0", "0", "1000", "3000"] for h in HH])
    write_csv(folder / "monitoring.csv", ["household_id", "category", "identified_on",
                                          "risks", "eliminated_on", "elimination",
                                          "per_capita_income"],
              [[HH[i], "sudden", "2017-03-01", "illness", "2017-11-01", "assisted", ""]
               for i in (7, 2, 5)])  # no monitoring line in policy: M03 says so once


# (~4 s: the whole set's check and six sharded ones, every rule on each of 22 shards)
def test_rules_that_look_across_households_see_every_shard(tmp_path):
    _edge_set(tmp_path)
    ledgers, read = read_ledgers(tmp_path)
    whole = _same(ledgers, read, checks.select_rules(None, None) + [checks.RULES["R01"]],
                  checks.Params(cadre_load=3))
    for code in ("S03", "S07", "P02", "V01", "E07", "M03", "M09", "S04", "S06", "E02"):
        assert f"\n{code}," in whole, code  # the cases are there to be found
    load = [line for line in whole.splitlines() if line.startswith("P02,")]
    assert any("BF2" in line for line in load) and not any("BF3" in line for line in load)
    # and they are found across shards: the rows they pair are in different shards
    split = {n: shards.assign(ledgers, n) for n in COUNTS}
    sub = {n: split[n]["subsidies"] for n in COUNTS}
    assert any(sub[n][9] != sub[n][10] for n in COUNTS)  # DUP1
    assert any(len(set(sub[n][:9])) > 1 for n in COUNTS)  # the health payments
    assert any(len(set(split[n]["households"][:8])) > 1 for n in COUNTS)  # BF1, 样子沟村
    hh = {n: split[n]["households"] for n in COUNTS}
    assert any(hh[n][0] != hh[n][11] for n in COUNTS)  # the 脱贫户 label and E07's row
    assert all(hh[n][2] == hh[n][3] for n in COUNTS)  # a person moved: one shard
    for year, n in ((2016, 7), (2017, 2)):
        _same(ledgers, read, None, checks.Params(cadre_load=3), year, counts=(n,))


def test_shards_aggregates_collapsed_as_they_come(tmp_path, monkeypatch):
    """S07's amounts and P02's cadres collapsed after every shard (a national set's are
    collapsed every few million rows): the same findings."""
    from povcli import checks_sharded

    monkeypatch.setattr(checks_sharded, "COLLAPSE_ROWS", 0)
    _edge_set(tmp_path)
    ledgers, read = read_ledgers(tmp_path)
    whole = _same(ledgers, read, [checks.RULES[c] for c in ("S07", "P02", "S03")],
                  checks.Params(cadre_load=3), counts=(7,))
    for code in ("S07", "P02", "S03"):
        assert f"\n{code}," in whole, code


def test_only_shards_holding_a_voucher_twice_are_read_a_third_time(tmp_path, monkeypatch):
    """With every voucher's bucket shared (a national set's bitmap leaves one in nine so),
    the shards send the merge fingerprints only; a shard is read again for S03's rows
    only when it holds a fingerprint on two payments."""
    monkeypatch.setattr(checks_sharded, "MIN_BITS", 8)
    monkeypatch.setattr(checks_sharded, "MAX_BITS", 8)
    _edge_set(tmp_path)
    ledgers, read = read_ledgers(tmp_path)
    rules = [checks.RULES["S03"]]
    whole = _csv(checks.run_frame(ledgers, read, rules, checks.Params(), None, TODAY))
    assert "\nS03," in whole
    spared = 0
    for n in (2, 3, 7):
        split, reads = Split(ledgers, n), []

        def shard(k, split=split, reads=reads):
            reads.append(k)
            return split(k)

        assert _csv(run_sharded(shard, n, read, rules, checks.Params(), None, TODAY,
                                latest_year(ledgers))) == whole
        holding = set(shards.assign(ledgers, n)["subsidies"][9:16].tolist())  # DUP1..3
        assert sorted(reads[2 * n:]) == sorted(holding)
        spared += n - len(holding)
    assert spared  # (some shard held none, and was not read a third time)
    vouchers = ledgers.frame("subsidies")["voucher"].iloc[9:16].tolist()
    assert vouchers == ["DUP1", "DUP1", "DUP2", "DUP2", "DUP2", "DUP3", "DUP3"]


def test_fingerprints_alike_by_chance_change_no_finding(tmp_path, monkeypatch):
    """Every voucher's and every cadre's fingerprint the same (as two texts may share
    one by chance): every voucher and every cadre goes to the merge, which compares
    their texts; the findings are the whole set's."""
    monkeypatch.setattr(checks_sharded, "_prints",
                        lambda values: np.full(len(values), 12345, dtype=np.uint64))
    _edge_set(tmp_path)
    ledgers, read = read_ledgers(tmp_path)
    whole = _same(ledgers, read, [checks.RULES[c] for c in ("S03", "P02")],
                  checks.Params(cadre_load=3), counts=(2, 7))
    assert "\nS03," in whole and "\nP02," in whole


def test_without_optional_ledgers_and_without_deaths(tmp_path):
    _edge_set(tmp_path, optional=False)
    ledgers, read = read_ledgers(tmp_path)
    assert not ledgers.has("subsidies") and not ledgers.has("villages")
    _same(ledgers, read, counts=(1, 7))
    (tmp_path / "changes.csv").write_text("date,household_id,person_id,direction,reason\n")
    ledgers, read = read_ledgers(tmp_path)
    _same(ledgers, read, counts=(2, 3))


def test_a_broken_generated_set(broken):
    ledgers, read = read_ledgers(broken)
    whole = _same(ledgers, read, counts=(3,))
    assert "\nS03," in whole and "\nS07," in whole


def test_a_generated_set_with_the_readiness_rules(generated):
    ledgers, read = read_ledgers(generated)
    whole = _same(ledgers, read, checks.select_rules(["R", "P", "V", "E"], None),
                  checks.Params(cadre_load=2), counts=(4,))
    assert "\nR04," in whole  # (the opt-in rules, on exit rows of every shard)


def test_keys_and_references_given_with_the_reading_findings_are_filed_once(tmp_path):
    _edge_set(tmp_path)
    ledgers, read = read_ledgers(tmp_path)
    extra = [["", "二道江乡", "样子沟村", "100", "是", "", ""]]  # a key twice: L02
    write_csv(tmp_path / "villages.csv", ["township", "village", "rural_population",
                                          "poor_village", "exit_year", "enterprise"],
              [["二道江乡", "样子沟村", "100", "是", "2016", ""]] + [r[1:] for r in extra])
    members = (tmp_path / "members.csv").read_text().splitlines()
    (tmp_path / "members.csv").write_text("\n".join(members + [members[1]]) + "\n")
    ledgers, read = read_ledgers(tmp_path)
    whole = _csv(checks.run_frame(ledgers, read, None, checks.Params(), None, TODAY))
    assert "\nL02," in whole
    given = read + integrity_findings(ledgers)  # as a streamed ingest finds them
    for n in (1, 3):
        got = run_sharded(Split(ledgers, n), n, given, None, checks.Params(), None, TODAY,
                          latest_year(ledgers))
        assert _csv(got) == whole


# --------------------------------------------------------------------------- elsewhere

def _generate(tmp_path_factory, *flags) -> Path:
    import subprocess
    import sys

    from conftest import ROOT

    out = tmp_path_factory.mktemp("gen") / "ledgers"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"),
                    "--households", "300", "--out", str(out), *flags], check=True,
                   capture_output=True)
    return out


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    return _generate(tmp_path_factory, "--broken")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return _generate(tmp_path_factory)


def test_on_two_spawned_processes(tmp_path):
    _edge_set(tmp_path)
    ledgers, read = read_ledgers(tmp_path)
    _same(ledgers, read, None, checks.Params(cadre_load=3), counts=(3,), workers=2)


def test_on_a_dask_cluster(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    _edge_set(tmp_path)
    ledgers, read = read_ledgers(tmp_path)
    with distributed.LocalCluster(n_workers=1, processes=False, threads_per_worker=2,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        _same(ledgers, read, None, checks.Params(cadre_load=3), counts=(3,),
              scheduler=client)


def test_median_of_counted_values_is_pandas_median():
    rng = np.random.default_rng(5)
    for n in range(1, 40):
        values = rng.choice([0.1, 0.7, 1e16, 3.3, 100.0, 2.05], n)
        u, c = np.unique(values, return_counts=True)
        assert checks_sharded._median(u, c) == pd.Series(values).groupby(
            np.zeros(n)).median().iloc[0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(2010, 2030), st.integers(0, 40),
                          st.sampled_from([0.5, 1.0, 100.0, 300.25, 1e9, 2.5e-3])),
                max_size=60),
       st.booleans())
def test_amounts_counted_in_order_of_year_program_and_amount(rows, wide):
    """checks_sharded._runs: each (year, program, amount) once, sorted, with its count;
    the radix path and the np.lexsort one (a key too wide for 16 bits) alike."""
    year = np.asarray([r[0] for r in rows], dtype=np.int64) * (1000 if wide else 1)
    code = np.asarray([r[1] for r in rows], dtype=np.int64)
    amount = np.asarray([r[2] for r in rows], dtype=float)
    got = checks_sharded._runs(year, code, amount)
    want = pd.Series(1, index=pd.MultiIndex.from_arrays([year, code, amount])).groupby(
        level=[0, 1, 2]).sum().sort_index()
    assert list(zip(*(a.tolist() for a in got))) == [(*k, v) for k, v in want.items()]


def _far_by_pandas(year, program, amount, outlier):
    """S07's rule as pandas says it: per group of five payments or more, |amount -
    median| / (1.4826 MAD, or 0.1 median when the MAD is 0) over the threshold."""
    frame = pd.DataFrame({"g": year * 1000 + program, "a": amount})
    by = frame.groupby("g")["a"]
    median = by.transform("median")
    dev = (frame["a"] - median).abs()
    mad = dev.groupby(frame["g"]).transform("median")
    scale = np.where(mad > 0, 1.4826 * mad, 0.1 * median)
    with np.errstate(divide="ignore", invalid="ignore"):
        far = (by.transform("size") >= 5) & (scale > 0) & (dev / np.where(
            scale > 0, scale, 1.0) > outlier)
    return np.flatnonzero(far.to_numpy()), median.to_numpy()[far.to_numpy()]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(2015, 2017), st.integers(0, 2),
                          st.sampled_from([1.0, 2.0, 3.0, 100.0, 1000.0, 0.01])),
                min_size=1, max_size=40), st.sampled_from([0.5, 2.0, 8.0]))
def test_far_amounts_over_the_whole_set_are_pandas_own(rows, outlier):
    """checks._far_in_groups, the whole check's S07: the rows and medians pandas finds,
    groups of four (never judged) and five (judged) among them."""
    year = np.asarray([r[0] for r in rows], dtype=np.int64)
    program = np.asarray([r[1] for r in rows], dtype=np.int64)
    amount = np.asarray([r[2] for r in rows], dtype=float)
    hit, median = checks._far_in_groups(year, program, amount, outlier)
    want_hit, want_median = _far_by_pandas(year, program, amount, outlier)
    assert hit.tolist() == want_hit.tolist() and median.tolist() == want_median.tolist()


def test_a_group_of_five_is_judged_and_one_of_four_is_not():
    for amounts, found in (([100.0, 100.0, 100.0, 100.0, 5000.0], [4]),
                           ([100.0, 100.0, 100.0, 5000.0], [])):
        n = len(amounts)
        hit, median = checks._far_in_groups(np.full(n, 2016, dtype=np.int64),
                                            np.zeros(n, dtype=np.int64),
                                            np.asarray(amounts), 8.0)
        assert hit.tolist() == found and median.tolist() == [100.0] * len(found)
