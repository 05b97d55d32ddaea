"""Household shards (issue 12): every shardable report, computed per shard with the same
code and merged, equals the whole set's report, byte for byte in csv."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, SAMPLE, household, make_ledgers, member, pid
from povcli import api, render, shards
from povcli.findings import LedgerError, UsageError
from povcli.registry import COMMANDS

SHARDABLE = [n for n, c in COMMANDS.items() if c.merge is not None]
VARIANTS = {  # options each report is also run with
    "summary": [{}, {"year": 2016}],
    "exits": [{}, {"by": "village"}, {"year": 2017}],
    "changes": [{}, {"by": "township"}, {"year": 2016}],
    "subsidies": [{}, {"by": "village"}, {"program": "education"}],
    "pairing": [{}, {"year": 2016}],
}


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen") / "ledgers"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"),
                    "--households", "2000", "--out", str(out)], check=True,
                    capture_output=True)
    return out


def test_the_first_reports_are_shardable():
    assert {"summary", "exits", "changes", "subsidies"} <= set(SHARDABLE)


def _csvs(data, name, **options):
    ledgers = api.open_ledgers(data, name)
    whole = render.to_csv(api.build(name, ledgers, **options))
    return whole, {s: render.to_csv(api.build_sharded(name, ledgers, s, **options))
                   for s in (1, 3, 7)}


@pytest.mark.parametrize("name", SHARDABLE)
def test_sharded_equals_whole_on_the_sample(name):
    for options in VARIANTS.get(name, [{}]):
        whole, sharded = _csvs(SAMPLE, name, **options)
        assert whole.count("\n") > 1
        for s, text in sharded.items():
            assert text == whole, (name, options, s)


@pytest.mark.parametrize("name", SHARDABLE)
def test_sharded_equals_whole_on_a_generated_set(name, generated):
    for options in VARIANTS.get(name, [{}]):
        whole, sharded = _csvs(generated, name, **options)
        for s, text in sharded.items():
            assert text == whole, (name, options, s)


def test_an_area_is_cut_before_the_shards():
    ledgers = api.open_ledgers(SAMPLE, "exits")
    hh = ledgers.frame("households")
    township = hh["township"].iloc[0]
    whole = api.build("exits", ledgers, township=township, by="village")
    sharded = api.build_sharded("exits", ledgers, 3, township=township, by="village")
    assert render.to_csv(sharded) == render.to_csv(whole)
    assert sharded.meta["area"] == township
    with pytest.raises(Exception) as exc:
        api.build_sharded("exits", ledgers, 3, township="no such township")
    assert "no such township" in str(exc.value)


def test_the_shards_partition_the_households():
    ledgers = api.open_ledgers(SAMPLE)
    parts = shards.split(ledgers, 5)
    for name in shards.household_keyed(ledgers):
        sizes = [len(p.frame(name)) for p in parts]
        assert sum(sizes) == len(ledgers.frame(name)), name
        ids = [set(p.frame(name)["household_id"].dropna()) for p in parts]
        assert all(not (a & b) for i, a in enumerate(ids) for b in ids[i + 1:]), name
    assert sum(len(p.frame("households")) > 0 for p in parts) > 1
    for p in parts:  # the small ledgers that are not household-keyed travel whole
        assert len(p.frame("villages")) == len(ledgers.frame("villages"))


def _movers(folder):
    """Eight households; person 1 moved from household H001 to H002 and was paid the
    education subsidy in both; person 20 moved H005 -> H006 -> H007."""
    hids = [f"H{i:03d}" for i in range(1, 9)]
    members = [member(10 + i, h) for i, h in enumerate(hids)]
    members += [member(1, "H001", "child"), member(1, "H002", "child"),
                member(20, "H005", "child"), member(20, "H006", "child"),
                member(20, "H007", "child")]
    changes = [["2016-05-01", "H001", pid(1), "out", "moved"],
               ["2016-05-01", "H002", pid(1), "in", "moved"],
               ["2016-02-01", "H005", pid(20), "out", "moved"],
               ["2016-02-01", "H006", pid(20), "in", "moved"],
               ["2016-09-01", "H006", pid(20), "out", "moved"],
               ["2016-09-01", "H007", pid(20), "in", "moved"]]
    subsidies = [["2016-03-01", "H001", pid(1), "education", "500", "", "V1"],
                 ["2016-10-01", "H002", pid(1), "education", "500", "", "V2"],
                 ["2016-03-01", "H005", pid(20), "education", "500", "", "V3"],
                 ["2016-10-01", "H007", pid(20), "education", "500", "", "V4"],
                 ["2016-10-01", "H003", pid(12), "education", "300", "", "V5"]]
    return make_ledgers(folder, [household(h, head=10 + i) for i, h in enumerate(hids)],
                        members, changes, subsidies=subsidies)


def test_households_sharing_a_person_share_a_shard(tmp_path):
    ledgers = api.open_ledgers(_movers(tmp_path / "m"))
    hh = ledgers.frame("households")["household_id"].to_numpy()
    for s in range(2, 12):
        where = shards.assign(ledgers, s)["households"]
        of = dict(zip(hh, where))
        assert of["H001"] == of["H002"], s
        assert of["H005"] == of["H006"] == of["H007"], s
    # without the tie, the movers' households would fall in different shards
    plain = shards._hash(["H001", "H002"]) % np.uint64(7)
    assert plain[0] != plain[1]


@pytest.mark.parametrize("name", ["summary", "subsidies"])
def test_a_person_who_moved_is_counted_once(tmp_path, name):
    data = _movers(tmp_path / "m")
    ledgers = api.open_ledgers(data, name)
    whole = api.build(name, ledgers, year=2016)
    for s in (2, 3, 7):
        assert render.to_csv(api.build_sharded(name, ledgers, s, year=2016)) == \
            render.to_csv(whole)
    if name == "subsidies":
        assert whole.frame.loc[0, "people"] == 3  # person 1, person 20, person 12


def test_a_report_without_a_merge_runs_on_the_whole_set():
    uncovered = api.run_sharded("pairing", SAMPLE, 3, uncovered=True)
    assert render.to_csv(uncovered) == render.to_csv(api.run("pairing", SAMPLE, uncovered=True))
    for name in ("policy", "find"):
        if name in api.reports() and COMMANDS[name].merge is None:
            whole = api.run(name, SAMPLE)
            assert render.to_csv(api.run_sharded(name, SAMPLE, 3)) == render.to_csv(whole)
    listing = api.run_sharded("subsidies", SAMPLE, 3, listing=True)
    assert render.to_csv(listing) == render.to_csv(api.run("subsidies", SAMPLE, listing=True))


def test_a_shard_run_of_bad_ledgers_says_the_users_file_and_line(tmp_path):
    data = make_ledgers(tmp_path / "bad", [household("H001"), household("H002", head=2)],
                        [member(1, "H001"), member(2, "H002")],
                        changes=[["2016-13-45", "H001", pid(1), "out", "death"]])
    with pytest.raises(LedgerError) as exc:
        api.run_sharded("changes", data, 3)
    texts = [f.text("en") for f in exc.value.findings]
    assert any("changes.csv:2:" in t for t in texts), texts
    assert not any("shard=" in t or ".parquet" in t for t in texts)


def test_the_totals_under_a_table_merge_too():
    ledgers = api.open_ledgers(SAMPLE, "subsidies")
    whole = api.build("subsidies", ledgers)
    sharded = api.build_sharded("subsidies", ledgers, 4)
    assert len(whole.totals) == len(sharded.totals) == 1
    for key, value in whole.totals[0].items():
        other = sharded.totals[0][key]
        if isinstance(value, float):
            assert other == pytest.approx(value), key
        else:
            assert other == value, key
    ch_whole = api.build("changes", ledgers if ledgers.has("changes")
                         else api.open_ledgers(SAMPLE, "changes"))
    ch_sharded = api.run_sharded("changes", SAMPLE, 5)
    assert ch_sharded.totals == ch_whole.totals


# --------------------------------------------------------------------------- Dask

@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("dask.distributed")
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                      host="127.0.0.1", dashboard_address=None) as c:
            with distributed.Client(c) as client:
                yield c, client


def test_every_report_on_a_dask_cluster_is_the_local_run(cluster, generated):
    c, client = cluster
    for data in (SAMPLE, generated):
        for name in SHARDABLE:
            ledgers = api.open_ledgers(data, name)
            for options in VARIANTS.get(name, [{}])[:2]:
                local = render.to_csv(api.build(name, ledgers, **options))
                # by the scheduler's address, as --scheduler gives it
                remote = api.build_sharded(name, ledgers, 5, c.scheduler_address, **options)
                assert render.to_csv(remote) == local, (data, name, options)
    # and on a Client already made
    assert render.to_csv(api.run_sharded("subsidies", SAMPLE, 3, client)) == \
        render.to_csv(api.run("subsidies", SAMPLE))
    # shards from the cache's dataset: each worker reads its own shard's files
    whole = render.to_csv(api.run("exits", generated))
    api.run_sharded("exits", generated, 3)  # writes the dataset
    assert render.to_csv(api.run_sharded("exits", generated, 3, c.scheduler_address)) == whole
    assert _dataset()  # used, not dropped
    # over the memory budget: streamed into a dataset here, its shards computed there
    assert render.to_csv(api.run_sharded("exits", generated, 4, c.scheduler_address,
                                         memory=1)) == whole


def _dying(shard, marker, always=False):
    """The shard, as a ledger set that kills the worker process reading it: the first
    time only (a marker file says it happened), or every time."""
    import os
    from dataclasses import fields

    from povcli.read.loaded import LedgerSet

    class Dying(LedgerSet):
        def frame(self, name):
            own = self.__dict__.get("marker")
            if own and os.getpid() != self.__dict__["main"] and (
                    self.__dict__["always"] or not os.path.exists(own)):
                open(own, "w").close()
                os._exit(1)
            return super().frame(name)

    dying = Dying(**{f.name: getattr(shard, f.name) for f in fields(shard)})
    dying.__dict__.update(marker=str(marker), main=os.getpid(), always=always)
    return dying


def test_a_worker_lost_mid_run_is_retried_or_the_run_fails_with_words(cluster, tmp_path):
    c, client = cluster
    ledgers = api.open_ledgers(SAMPLE, "changes")
    parts = shards.split(ledgers, 3)
    # retried by the scheduler on a fresh worker: the figures as without the fault
    got = shards.run_map("changes", [parts[0], _dying(parts[1], tmp_path / "once"), parts[2]],
                         None, {}, client)
    assert (tmp_path / "once").exists()
    merged = shards.merge(got, COMMANDS["changes"].merge)
    assert render.to_csv(merged) == render.to_csv(api.build("changes", ledgers))
    # a shard that kills every worker it is given: no figure, a message
    with pytest.raises(UsageError) as exc:
        shards.run_map("changes", [parts[0], _dying(parts[1], tmp_path / "always", True)],
                       None, {}, client)
    assert "lost the workers" in str(exc.value) and "no figure" in str(exc.value)


def test_the_cli_runs_the_shards_on_a_scheduler(cluster, run, generated):
    c, _ = cluster
    for name in ("exits", "subsidies"):
        local = run(name, "--data", generated, "--format", "csv")
        remote = run(name, "--data", generated, "--format", "csv",
                     "--scheduler", c.scheduler_address)
        assert local.exit_code == remote.exit_code == 0, remote.stderr
        assert remote.stdout == local.stdout
    by_env = run("summary", "--data", generated, "--format", "csv",
                 env={"POVCLI_SCHEDULER": c.scheduler_address})
    assert by_env.exit_code == 0, by_env.stderr
    assert by_env.stdout == run("summary", "--data", generated, "--format", "csv").stdout
    shards_only = run("changes", "--data", generated, "--format", "csv", "--shards", "4")
    assert shards_only.stdout == run("changes", "--data", generated, "--format", "csv").stdout


def test_a_scheduler_without_dask_installed_is_a_usage_error_with_words(run, monkeypatch):
    """Found in a venv without the dask extra: run_map imported Dask before asking for a
    client, so --scheduler ended in an internal error instead of saying what to install."""
    import sys
    for name in ("dask", "dask.distributed", "distributed"):
        monkeypatch.setitem(sys.modules, name, None)  # import fails as if not installed
    result = run("exits", "--data", SAMPLE, "--scheduler", "tcp://127.0.0.1:9",
                 "--format", "csv", "--lang", "zh")
    assert result.exit_code == 2, result.stderr
    assert 'pip install "povcli[dask]"' in result.stderr and "需要 Dask" in result.stderr


def test_a_scheduler_out_of_reach_is_a_usage_error_with_words(run):
    pytest.importorskip("dask.distributed")
    # (a second, not the 10 Dask is given by default: it tries again until then)
    result = run("exits", "--data", SAMPLE, "--scheduler", "tcp://127.0.0.1:9",
                 "--format", "csv", env={"POVCLI_SCHEDULER_TIMEOUT": "1"})
    assert result.exit_code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


# --------------------------------------------------------------------------- the dataset

def _dataset(name="subsidies"):
    from povcli import cache

    found = sorted(p for p in cache.folder().iterdir() if p.name.startswith("shards-"))
    assert found, "no shard dataset was written"
    return found


@pytest.mark.parametrize("name", SHARDABLE)
def test_a_warm_run_reads_the_shard_dataset_not_the_files(name, generated, monkeypatch):
    for options in VARIANTS.get(name, [{}]):
        whole = render.to_csv(api.run(name, generated, **options))
        for s in (1, 3, 7):
            cold = api.run_sharded(name, generated, s, **options)
            assert render.to_csv(cold) == whole, (name, options, s)
    with monkeypatch.context() as m:  # warm: the files are never read again
        m.setattr(api, "open_ledgers", lambda *a, **k: pytest.fail("read the files again"))
        for options in VARIANTS.get(name, [{}]):
            whole = render.to_csv(api.build(name, _whole(generated, name), **options))
            for s in (1, 3, 7):
                warm = api.run_sharded(name, generated, s, **options)
                assert render.to_csv(warm) == whole, (name, options, s)


def _whole(data, name):
    from povcli.read.load import open_ledgers

    spec = COMMANDS[name]
    return open_ledgers(data, None if spec.reads is None else list(spec.reads))


def test_a_warm_run_cuts_an_area_and_says_an_unknown_one(generated, monkeypatch):
    ledgers = api.open_ledgers(generated, "exits")
    township = ledgers.frame("households")["township"].iloc[0]
    whole = render.to_csv(api.build("exits", ledgers, township=township, by="village"))
    api.run_sharded("exits", generated, 3)  # cold: writes the dataset
    monkeypatch.setattr(api, "open_ledgers", lambda *a, **k: pytest.fail("read the files"))
    warm = api.run_sharded("exits", generated, 3, township=township, by="village")
    assert render.to_csv(warm) == whole and warm.meta["area"] == township
    with pytest.raises(UsageError) as exc:
        api.run_sharded("exits", generated, 3, township="no such township")
    assert "no household is in township 'no such township'" in str(exc.value)


def test_the_dataset_is_private_whatever_the_umask(tmp_path):
    import os
    import stat

    data = _movers(tmp_path / "m")
    old = os.umask(0)
    try:
        api.run_sharded("subsidies", data, 3)
    finally:
        os.umask(old)
    (path,) = _dataset()
    modes = []
    for root, dirs, files in os.walk(path):
        modes += [stat.S_IMODE(os.lstat(os.path.join(root, d)).st_mode) for d in dirs]
        modes += [-stat.S_IMODE(os.lstat(os.path.join(root, f)).st_mode) for f in files]
    assert stat.S_IMODE(os.lstat(path).st_mode) == 0o700
    assert set(modes) == {0o700, -0o600}, sorted(set(modes))
    assert not [p for p in path.parent.iterdir() if ".tmp" in p.name]  # renamed whole


def test_a_damaged_or_stale_dataset_is_never_trusted(tmp_path):
    data = _movers(tmp_path / "m")
    whole = render.to_csv(api.run("subsidies", data, year=2016))
    api.run_sharded("subsidies", data, 3, year=2016)
    (path,) = _dataset()
    part = next(path.glob("subsidies/shard=*/part.parquet"))
    part.write_bytes(part.read_bytes()[:-9] + b"123456789")  # a damaged part
    assert render.to_csv(api.run_sharded("subsidies", data, 3, year=2016)) == whole
    assert render.to_csv(api.run_sharded("subsidies", data, 3, year=2016)) == whole
    # an edited ledger: another key, another dataset; the figures follow the edit
    sub = data / "subsidies.csv"
    sub.write_text(sub.read_text(encoding="utf-8").replace(",500,", ",700,"), encoding="utf-8")
    edited = render.to_csv(api.run("subsidies", data, year=2016))
    assert edited != whole
    assert render.to_csv(api.run_sharded("subsidies", data, 3, year=2016)) == edited
    assert len(_dataset()) == 2


def test_cache_clear_and_info_count_the_datasets(tmp_path):
    from povcli import cache

    api.run_sharded("changes", _movers(tmp_path / "m"), 2)
    assert cache.info()["entries"] >= 1 and cache.info()["bytes"] > 0
    assert cache.clear() >= 1
    assert not [p for p in cache.folder().iterdir() if p.name.startswith("shards-")]


def test_duckdb_reads_the_dataset_as_it_is(generated):
    duckdb = pytest.importorskip("duckdb")
    api.run_sharded("subsidies", generated, 4)
    (path,) = _dataset()
    ledgers = _whole(generated, "subsidies")
    rows = duckdb.sql(f"SELECT shard, count(*) AS n, count(DISTINCT household_id) AS h FROM "
                      f"read_parquet('{path}/subsidies/*/*.parquet', hive_partitioning=true) "
                      "GROUP BY shard ORDER BY shard").fetchall()
    assert [r[0] for r in rows] == [0, 1, 2, 3]
    assert sum(r[1] for r in rows) == len(ledgers.frame("subsidies"))
    total = duckdb.sql(f"SELECT count(DISTINCT household_id) FROM read_parquet("
                       f"'{path}/subsidies/*/*.parquet')").fetchall()[0][0]
    assert total == sum(r[2] for r in rows)  # no household in two shards


def test_ledgers_over_the_memory_budget_run_in_shards(run):
    from povcli import cache

    for name in ("summary", "exits", "subsidies"):
        for fmt in ("csv", "table", "json"):
            whole = run(name, "--data", SAMPLE, "--format", fmt)
            small = run(name, "--data", SAMPLE, "--format", fmt, "--memory", "100K")
            assert whole.exit_code == small.exit_code == 0, small.stderr
            assert small.stdout == whole.stdout, (name, fmt)
            # what the whole run says, and that a budget this small cannot be met
            note, rest = small.stderr.split("\n", 1)
            assert note.startswith("povcli: note: --memory 100K: a run cut into shards takes "
                                   "about 1 GB whatever their size") and rest == whole.stderr
    assert [p for p in cache.folder().iterdir() if p.name.startswith("shards-")]
    by_env = run("changes", "--data", SAMPLE, "--format", "csv",
                 env={"POVCLI_MEMORY_BUDGET": "64K"})
    assert by_env.stdout == run("changes", "--data", SAMPLE, "--format", "csv").stdout
    assert "--memory 64K: a run cut into shards" in by_env.stderr
    zh = run("summary", "--data", SAMPLE, "--memory", "100K", "--lang", "zh")
    assert "--memory 100K：分片运行无论分片多小都要约1 GB内存" in zh.stderr
    # met (the set read whole within it), or not given: nothing to say
    for enough in (["--memory", "8G"], ["--memory", "900M"], []):
        assert "--memory" not in run("summary", "--data", SAMPLE, *enough).stderr
    bad = run("exits", "--data", SAMPLE, "--memory", "lots")
    assert bad.exit_code == 2 and "a memory budget is a size such as 8G" in bad.stderr


def test_the_memory_budget_decides_the_shards(tmp_path):
    assert shards.memory_budget("8G") == 8 << 30
    assert shards.memory_budget("512M") == 512 << 20
    assert shards.memory_budget(None) > 0
    with pytest.raises(ValueError):
        shards.memory_budget("-1G")
    size = sum(p.stat().st_size for p in SAMPLE.iterdir())
    assert shards.shards_for(SAMPLE, None, 1 << 40) == 0
    many = shards.shards_for(SAMPLE, None, size)
    assert many >= 2 and many >= shards.shards_for(SAMPLE, None, size * 2)


def test_shards_from_the_dataset_run_on_both_cores(generated, monkeypatch):
    whole = render.to_csv(api.run("summary", generated))
    api.run_sharded("summary", generated, 4)  # cold: writes the dataset
    monkeypatch.setenv("POVCLI_WORKERS", "2")
    assert shards.local_workers(str(_dataset()[0])) == 2
    assert shards.local_workers(str(_dataset()[0]), 3) == 3
    assert render.to_csv(api.run_sharded("summary", generated, 4, workers=None)) == whole
    assert render.to_csv(api.run_sharded("exits", generated, 4, workers=2)) == \
        render.to_csv(api.run("exits", generated))
    monkeypatch.delenv("POVCLI_WORKERS")
    assert shards.local_workers(str(_dataset()[0])) == 1  # a small dataset: one process
    assert shards.local_workers(None) == 1
