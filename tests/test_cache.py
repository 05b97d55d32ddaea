"""The cache of parsed ledgers: used when nothing changed, rebuilt when anything did,
never trusted when damaged, never written into the ledger folder."""

from __future__ import annotations

import os
import shutil

import pytest

import povcli.cache as cache
import povcli.read.load as ledgers_module

from conftest import SAMPLE

D = ["--format", "csv"]


@pytest.fixture
def sample(tmp_path, monkeypatch):
    folder = tmp_path / "ledgers"
    shutil.copytree(SAMPLE, folder)
    monkeypatch.setattr(cache, "THRESHOLD", 0.0)  # the sample reads fast: cache it anyway
    return folder


def entries():
    return sorted(p.name for p in cache.folder().iterdir() if p.is_dir()) \
        if cache.folder().exists() else []


def people(run, folder, *extra):
    rows = run.rows("summary", "-d", folder, *extra)
    return {r["metric"]: r["value"] for r in rows}["people"]


def test_second_run_reads_nothing_from_the_files(run, sample, monkeypatch):
    first = run("summary", "-d", sample, *D)
    assert first.exit_code == 0 and len(entries()) >= 4
    calls = []
    real = ledgers_module.read_ledger
    monkeypatch.setattr(ledgers_module, "read_ledger",
                        lambda *a, **k: calls.append(a) or real(*a, **k))
    second = run("summary", "-d", sample, *D)
    assert second.stdout == first.stdout and calls == []


def test_a_cached_ledger_says_what_its_first_read_said(run, sample, tmp_path,
                                                      monkeypatch):
    """A title row skipped is said again when the ledger comes from the cache, of the
    file as this run names it, in this run's language (it was said once, then never)."""
    text = (sample / "members.csv").read_text(encoding="utf-8")
    (sample / "members.csv").write_bytes(("家庭成员台账（2017年）\n" + text).encode("gb18030"))
    first = run("summary", "-d", sample, *D)
    assert "members.csv: 1 title row" in first.stderr and len(entries()) >= 4
    again = run("summary", "-d", sample, *D)
    assert again.stderr == first.stderr and again.stdout == first.stdout
    monkeypatch.chdir(tmp_path)
    zh = run("summary", "-d", "ledgers", *D, "--lang", "zh")
    assert "ledgers/members.csv：跳过了表头上方的1行标题" in zh.stderr
    assert str(tmp_path) not in zh.stderr


def test_changing_one_cell_changes_the_figures(run, sample):
    assert people(run, sample) == "404"
    path = sample / "changes.csv"
    text = path.read_text(encoding="utf-8")
    # the 2017 birth becomes a death: the baby is off the rolls at the end of 2017
    birth = [ln for ln in text.splitlines() if ln.endswith(",in,birth") and "2017" in ln][0]
    path.write_text(text.replace(birth, birth.replace(",in,birth", ",out,death")),
                    encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert people(run, sample) == "403"


def test_a_damaged_cache_entry_is_rebuilt_with_a_note(run, sample):
    clean = run("exits", "-d", sample, *D).stdout
    for entry in entries():
        (cache.folder() / entry / "frame.parquet").write_bytes(b"not parquet at all")
    result = run("exits", "-d", sample, *D)
    assert result.exit_code == 0 and result.stdout == clean
    assert "damaged cache entry was dropped and rebuilt" in result.stderr
    again = run("exits", "-d", sample, *D)
    assert "damaged" not in again.stderr and again.stdout == clean


def test_no_cache_option_and_environment(run, sample, monkeypatch):
    assert run("--no-cache", "summary", "-d", sample, *D).exit_code == 0
    assert entries() == []
    monkeypatch.setenv("POVCLI_NO_CACHE", "1")
    assert run("summary", "-d", sample, *D).exit_code == 0
    assert entries() == []


def test_cache_is_never_written_into_the_ledger_folder(run, sample):
    before = sorted(p.name for p in sample.iterdir())
    run("summary", "-d", sample, *D)
    assert sorted(p.name for p in sample.iterdir()) == before
    assert not str(cache.folder()).startswith(str(sample))


def test_fast_reads_write_no_cache(run, tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "THRESHOLD", 3600.0)
    assert run("summary", "-d", SAMPLE, *D).exit_code == 0
    assert entries() == []


def test_broken_ledgers_are_never_cached(run, sample):
    with open(sample / "exits.csv", "a", encoding="utf-8") as f:
        f.write("NOSUCH,2017,pass,,\n")
    assert run("exits", "-d", sample, *D).exit_code == 2
    assert entries() == []


def test_progress_names_each_file_with_rows_so_far(sample):
    from povcli.read.load import open_ledgers
    said = []
    open_ledgers(sample, ["exits"], progress=said.append)
    # the largest file first (its bytes and text are held while nothing else is)
    files = sorted((sample / f for f in ("households.csv", "members.csv", "exits.csv")),
                   key=lambda p: -p.stat().st_size)
    assert said[0] == f"reading {files[0]} (0 rows so far)"
    assert [s.split(" (")[0] for s in said[:3]] == [f"reading {f}" for f in files]
    assert not any("(0 rows so far)" in s for s in said[1:3])
    assert said[-1] == "checking keys and references"


def test_no_progress_off_a_terminal(run, sample):
    result = run("summary", "-d", sample, "--format", "csv", "--year", "2017")
    assert result.stderr == ""


SUBSIDIES = "帮扶资金发放台账.csv"


def amounts(run, folder) -> str:
    result = run("subsidies", "-d", folder, *D)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_an_edit_that_keeps_size_and_mtime_changes_the_figures(run, sample):
    before = amounts(run, sample)
    path = sample / SUBSIDIES
    st = path.stat()
    data = path.read_bytes()
    assert b'"\xa3\xa41,800.00"' in data or b"1,800.00" in data
    with open(path, "r+b") as f:  # in place: same inode, same size
        f.write(data.replace(b"1,800.00", b"1,900.00", 1))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # as `touch -r` would
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == \
        (st.st_size, st.st_mtime_ns, st.st_ino)
    assert amounts(run, sample) != before
    assert amounts(run, sample) == run("--no-cache", "subsidies", "-d", sample, *D).stdout


def _entry_of(ledger: str):
    import json
    for name in entries():
        meta = json.loads((cache.folder() / name / "meta.json").read_text(encoding="utf-8"))
        if meta["ledger"] == ledger:
            return cache.folder() / name
    raise AssertionError(f"no cache entry for {ledger}")


def test_single_bit_flips_in_a_cached_frame_never_change_the_figures(run, sample):
    clean = amounts(run, sample)
    entry = _entry_of("subsidies")
    saved = {p.name: p.read_bytes() for p in entry.iterdir()}
    size = len(saved["frame.parquet"])
    import pyarrow.parquet as pq
    group = pq.ParquetFile(entry / "frame.parquet").metadata.row_group(0)
    amount = [group.column(i) for i in range(group.num_columns)
              if group.column(i).path_in_schema == "amount"][0]
    start = amount.dictionary_page_offset or amount.data_page_offset
    # half in the amount column's own pages, half anywhere in the file
    positions = [start + i * (amount.total_compressed_size - 1) // 14 for i in range(15)] + \
        [i * (size - 1) // 14 for i in range(15)]
    rebuilt = 0
    for trial, pos in enumerate(positions):
        shutil.rmtree(entry, ignore_errors=True)
        entry.mkdir(mode=0o700)
        for name, data in saved.items():
            (entry / name).write_bytes(data)
            (entry / name).chmod(0o600)
        damaged = bytearray(saved["frame.parquet"])
        damaged[pos] ^= 1 << (trial % 8)
        (entry / "frame.parquet").write_bytes(bytes(damaged))
        result = run("subsidies", "-d", sample, *D)
        assert result.exit_code == 0, (pos, result.stderr)
        assert result.stdout == clean, f"bit {trial % 8} of byte {pos} changed the figures"
        rebuilt += "damaged cache entry was dropped and rebuilt" in result.stderr
    assert rebuilt == 30


# ---- privacy, ownership, bounds, interrupted and read-only caches

def _modes(base):
    return {p.relative_to(base).as_posix(): p.lstat().st_mode & 0o777 for p in base.rglob("*")}


def test_the_cache_is_private_whatever_the_umask(run, sample, tmp_path, monkeypatch):
    base = tmp_path / "fresh" / "povcli"
    monkeypatch.setenv("POVCLI_CACHE_DIR", str(base))
    old = os.umask(0)
    try:
        assert run("summary", "-d", sample, *D).exit_code == 0
    finally:
        os.umask(old)
    assert base.stat().st_mode & 0o777 == 0o700
    modes = _modes(base)
    assert len(entries()) >= 4 and any(n.startswith("clean-") for n in modes)
    for name, mode in modes.items():
        assert mode == (0o700 if (base / name).is_dir() else 0o600), name


def _reads(monkeypatch):
    calls = []
    real = ledgers_module.read_ledger
    monkeypatch.setattr(ledgers_module, "read_ledger",
                        lambda *a, **k: calls.append(a[1].name) or real(*a, **k))
    return calls


def test_entries_others_could_have_written_are_ignored(run, sample, monkeypatch):
    clean = amounts(run, sample)
    entry = _entry_of("subsidies")
    (entry / "frame.parquet").chmod(0o666)
    calls = _reads(monkeypatch)
    result = run("subsidies", "-d", sample, *D)
    assert result.stdout == clean and "damaged" not in result.stderr
    assert calls == ["subsidies"]  # read again, and the entry replaced by a private one
    assert (entry / "frame.parquet").stat().st_mode & 0o777 == 0o600
    entry.chmod(0o777)
    calls.clear()
    assert run("subsidies", "-d", sample, *D).stdout == clean and calls == ["subsidies"]


def test_entries_and_markers_of_another_user_are_ignored(run, sample, monkeypatch):
    clean = amounts(run, sample)
    calls = _reads(monkeypatch)
    monkeypatch.setattr(cache.os, "getuid", lambda: os.geteuid() + 1)  # all look foreign
    checks = []
    real = ledgers_module.integrity_findings
    monkeypatch.setattr(ledgers_module, "integrity_findings",
                        lambda *a: checks.append(1) or real(*a))
    result = run("subsidies", "-d", sample, *D)
    assert result.stdout == clean and "damaged" not in result.stderr
    assert "subsidies" in calls and checks == [1]  # neither the entries nor the marker


def test_the_cache_is_kept_within_its_limit_oldest_first(run, sample, monkeypatch):
    assert run("summary", "-d", sample, *D).exit_code == 0
    found = cache._entries(cache.folder())
    assert len(found) >= 4 and cache.info()["max_bytes"] == cache.MAX_BYTES
    for age, (_, _, path) in enumerate(found):  # the first the oldest
        os.utime(path, (1_000_000 + age, 1_000_000 + age))
    sizes = [size for _, size, _ in found]
    assert cache.prune(sum(sizes) - sizes[0]) == 1
    assert [p for _, _, p in cache._entries(cache.folder())] == [p for _, _, p in found[1:]]
    # and after every store, by POVCLI_CACHE_MAX_BYTES
    cache.clear()
    monkeypatch.setenv("POVCLI_CACHE_MAX_BYTES", str(max(sizes) + 1))
    assert run("summary", "-d", sample, *D).exit_code == 0
    assert cache.info()["max_bytes"] == max(sizes) + 1
    assert 1 <= cache.info()["entries"] < len(found)
    assert cache.info()["bytes"] <= max(sizes) + 1


def _tmps():
    return [p.name for p in cache.folder().iterdir() if ".tmp" in p.name]


def test_an_interrupted_write_leaves_nothing_behind(run, sample, monkeypatch):
    clean = amounts(run, sample)
    cache.clear()
    real = cache._write

    def dies(path, data, exclusive=True):
        real(path, data[:len(data) // 2], exclusive)
        raise KeyboardInterrupt

    monkeypatch.setattr(cache, "_write", dies)
    frame = __import__("pandas").DataFrame({"a": [1, 2]})
    with pytest.raises(KeyboardInterrupt):
        cache.store("0" * 32, "subsidies", frame, {"encoding": None, "headers": {}})
    assert _tmps() == [] and entries() == []

    def fails(path, data, exclusive=True):
        real(path, data[:len(data) // 2], exclusive)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache, "_write", fails)
    result = run("subsidies", "-d", sample, *D)
    assert result.exit_code == 0 and result.stdout == clean and result.stderr == ""
    assert _tmps() == [] and entries() == []


def test_half_written_entries_of_dead_runs_are_removed(run, sample):
    cache.folder().mkdir(parents=True, exist_ok=True)
    old, new = cache.folder() / ("a" * 32 + ".tmp1"), cache.folder() / ("b" * 32 + ".tmp2")
    for path in (old, new):
        path.mkdir()
        (path / "frame.parquet").write_bytes(b"half")
    os.utime(old, (1_000_000, 1_000_000))
    assert run("summary", "-d", sample, *D).exit_code == 0
    assert _tmps() == [new.name]  # another run may still be writing that one


def _read_only(base, monkeypatch):
    """Make the cache folder read-only, for root too (whom chmod does not stop)."""
    for path in [base, *base.rglob("*")]:
        path.chmod(0o500 if path.is_dir() else 0o400)
    if os.geteuid() != 0:
        return
    inside = str(base)

    def deny(real, path_arg=0):
        def call(*a, **k):
            path = a[path_arg] if len(a) > path_arg else None
            if k.get("dir_fd") is not None or str(os.fspath(path)).startswith(inside):
                raise PermissionError(13, "Permission denied", str(path))
            return real(*a, **k)
        return call

    real_open = os.open

    def open_(path, flags, *a, **k):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            return deny(real_open)(path, flags, *a, **k)
        return real_open(path, flags, *a, **k)

    monkeypatch.setattr(os, "open", open_)
    for name in ("mkdir", "rename", "replace", "utime", "unlink", "rmdir", "chmod"):
        monkeypatch.setattr(os, name, deny(getattr(os, name)))


def test_a_read_only_cache_gives_the_figures_and_no_false_note(run, sample, monkeypatch):
    clean = amounts(run, sample)
    base = cache.folder()
    before = _modes(base)
    _read_only(base, monkeypatch)
    result = run("subsidies", "-d", sample, *D)  # every entry is used
    assert result.exit_code == 0 and result.stdout == clean and result.stderr == ""
    path = sample / SUBSIDIES  # a changed ledger: read again, not storable
    path.write_bytes(path.read_bytes().replace(b"1,800.00", b"1,900.00", 1))
    changed = run("--no-cache", "subsidies", "-d", sample, *D).stdout
    result = run("subsidies", "-d", sample, *D)
    assert result.exit_code == 0 and result.stdout == changed and result.stderr == ""
    assert sorted(_modes(base)) == sorted(before)  # nothing written, nothing removed


def test_a_damaged_entry_in_a_read_only_cache_is_not_said_dropped(run, sample, monkeypatch):
    clean = amounts(run, sample)
    frame = _entry_of("subsidies") / "frame.parquet"
    frame.write_bytes(frame.read_bytes()[:-9] + b"123456789")
    _read_only(cache.folder(), monkeypatch)
    result = run("subsidies", "-d", sample, *D)
    assert result.exit_code == 0 and result.stdout == clean
    assert "dropped" not in result.stderr and "cannot be written" in result.stderr


def test_info_and_clear(run, sample):
    assert cache.info() == {"folder": str(cache.folder()), "entries": 0, "bytes": 0,
                            "max_bytes": cache.MAX_BYTES}
    run("summary", "-d", sample, *D)
    info = cache.info()
    assert info["entries"] == len(entries()) >= 4 and info["bytes"] > 0
    assert cache.clear() == info["entries"]
    assert cache.info()["entries"] == 0 and list(cache.folder().iterdir()) == []


def test_cache_info_and_clear_commands(run, sample, monkeypatch):
    monkeypatch.setenv("POVCLI_CACHE_MAX_BYTES", "123456789")
    result = run("cache", "info")
    assert result.exit_code == 0 and result.stdout.splitlines() == [
        f"folder: {cache.folder()}", "entries: 0", "size: 0 bytes (limit 123456789)"]
    run("summary", "-d", sample, *D)
    n, size = len(entries()), cache.info()["bytes"]
    result = run("cache", "info")
    assert result.exit_code == 0
    assert f"entries: {n}\n" in result.stdout and f"size: {size} bytes" in result.stdout
    result = run("cache", "clear")
    assert result.exit_code == 0 and result.stdout.startswith(f"removed {n} entries")
    assert entries() == [] and "entries: 0" in run("cache", "info").stdout


def test_deferred_entries_are_written_in_order_when_the_block_ends(tmp_path, monkeypatch):
    """Inside deferred() an entry is written on the cache's own thread from a snapshot of
    its frame; the set is marked clean after its entries; all is there when it ends."""
    import threading

    monkeypatch.setenv("POVCLI_CACHE_DIR", str(tmp_path / "cache"))
    from povcli.read.load import read_ledger
    from povcli.schema import LEDGERS

    frame = read_ledger(SAMPLE / "households.csv", LEDGERS["households"]).loaded.frame
    before = frame["household_id"].tolist()
    gate = threading.Event()
    real = cache._store
    order = []

    def slow(*args):
        gate.wait(5)  # the command goes on while its entry waits to be written
        real(*args)
        order.append(args[0])
    monkeypatch.setattr(cache, "_store", slow)
    monkeypatch.setattr(cache, "_mark_clean", lambda key: order.append(f"clean-{key}"))
    with cache.deferred():
        key = "0" * 32
        cache.store(key, "households", frame, {"encoding": "utf-8", "headers": {}})
        cache.mark_clean("setkey")
        frame["household_id"] = "changed"  # later work never changes what is written
        assert order == [] and cache.load(key, "households") is None
        gate.set()
    assert order == [key, "clean-setkey"]
    stored, _ = cache.load(key, "households")
    assert stored["household_id"].tolist() == before


# ---- the codes of a set's ids (model.Rolls), kept beside its ledgers

def _codes_entries():
    return [cache.folder() / n for n in entries() if (cache.folder() / n / "codes.npz").exists()]


def _hashing(monkeypatch):
    """The roll model's codes and every ledger's household codes, when computed."""
    import povcli.model as model

    calls = []
    real = model._roll_codes
    monkeypatch.setattr(model, "_roll_codes", lambda *a: calls.append("rolls") or real(*a))
    real_codes = model.Rolls.household_codes
    monkeypatch.setattr(model.Rolls, "household_codes",
                        lambda self, ids: calls.append(len(ids)) or real_codes(self, ids))
    return calls


def test_the_codes_of_ids_are_kept_and_a_warm_run_hashes_none(run, sample, monkeypatch):
    first = run("summary", "-d", sample, *D)
    kept = _codes_entries()
    # the roll model's, and the household codes of exits, pairings and beneficiaries
    assert first.exit_code == 0 and len(kept) == 4
    for entry in kept:
        assert {p.name for p in entry.iterdir()} == {"codes.npz", "meta.json"}
        assert entry.stat().st_mode & 0o777 == 0o700
    calls = _hashing(monkeypatch)
    again = run("summary", "-d", sample, *D)
    assert again.stdout == first.stdout and again.stderr == first.stderr
    assert "rolls" not in calls
    read = ledgers_module.read_ledgers(sample).ledgers
    whole = {len(read.frame(n)) for n in ("exits", "pairings", "project_beneficiaries")}
    assert not whole & set(calls), calls  # no whole ledger's household ids hashed again
    assert run("--no-cache", "summary", "-d", sample, *D).stdout == first.stdout


@pytest.mark.parametrize("damage", ["flipped", "foreign arrays"])
def test_kept_codes_that_are_damaged_or_do_not_fit_are_computed_again(run, sample, damage,
                                                                       monkeypatch):
    import numpy as np

    commands = [("summary",), ("exits",), ("projects",), ("pairing",), ("changes",)]
    clean = {c: run(*c, "-d", sample, *D).stdout for c in commands}
    kept = _codes_entries()
    assert kept
    for entry in kept:
        if damage == "flipped":
            data = bytearray((entry / "codes.npz").read_bytes())
            data[len(data) // 2] ^= 0x10
            (entry / "codes.npz").write_bytes(bytes(data))
        else:  # checksummed as stored, but not arrays of these ledgers
            cache._store_codes(entry.name, {"households": np.zeros(3, np.int32),
                                            "codes": np.arange(2, dtype=np.int32)})
    calls = _hashing(monkeypatch)
    for c in commands:
        result = run(*c, "-d", sample, *D)
        assert result.exit_code == 0 and result.stdout == clean[c], (c, result.stderr)
        assert "damaged" not in result.stderr  # (the figures never depended on them)
    assert "rolls" in calls
    calls.clear()
    for c in commands:  # stored anew: used again
        assert run(*c, "-d", sample, *D).stdout == clean[c]
    assert "rolls" not in calls


def test_an_area_of_a_warm_set_computes_its_own_codes(run, sample):
    """A set cut to a township has other frames than the files': the codes kept for the
    whole files are not its codes."""
    assert run("summary", "-d", sample, *D).exit_code == 0 and _codes_entries()
    towns = sorted({r["township"] for r in run.rows("villages", "-d", sample)})
    for town in towns:
        for command in ("summary", "exits", "pairing"):
            warm = run(command, "-d", sample, "--township", town, *D)
            cold = run("--no-cache", command, "-d", sample, "--township", town, *D)
            assert warm.exit_code == 0 and warm.stdout == cold.stdout, (command, town)


def test_codes_are_kept_only_for_the_very_frames_read_from_the_files():
    """LedgerSet.memo: a frame that is not the one read (an area cut, of any length)
    never gets the codes kept for the files; an absent ledger is part of the key."""
    from types import SimpleNamespace

    import numpy as np
    import pandas as pd

    from povcli.read.loaded import LedgerSet

    kept: dict = {}
    store = SimpleNamespace(codes_key=lambda parts: "|".join(parts),
                            load_codes=kept.get,
                            store_codes=kept.__setitem__)
    read = pd.DataFrame({"household_id": ["1", "2"]})
    ledgers = LedgerSet(SAMPLE, {"households": SimpleNamespace(frame=read)}, {},
                        memo_from={"households": ("key-h", read)}, memo_store=store)
    computed = []

    def codes(value):
        return lambda: computed.append(value) or {"codes": np.array([value])}

    def fits(_):
        return True
    assert ledgers.memo("m", ("households", "changes"), codes(1), fits)["codes"][0] == 1
    assert list(kept) == ["m|key-h|no changes"]
    assert ledgers.memo("m", ("households", "changes"), codes(2), fits)["codes"][0] == 1
    same_length = LedgerSet(SAMPLE, {"households": SimpleNamespace(frame=read.copy())}, {},
                            memo_from=ledgers.memo_from, memo_store=store)
    assert same_length.memo("m", ("households", "changes"), codes(3), fits)["codes"][0] == 3
    assert computed == [1, 3] and len(kept) == 1


def test_a_second_check_hashes_no_payment_ids_again(run, sample, monkeypatch):
    """S01 and S02 ask of every payment whether its household and person were on the
    rolls that day: the payments' codes are hashed once and kept, not hashed per rule
    and per run."""
    import povcli.model as model

    first = run("check", "-d", sample, *D)
    assert first.exit_code in (0, 1)
    n = len(ledgers_module.read_ledgers(sample).ledgers.frame("subsidies"))
    calls = _hashing(monkeypatch)
    real = model.Rolls.person_codes
    monkeypatch.setattr(model.Rolls, "person_codes",
                        lambda self, ids: calls.append(len(ids)) or real(self, ids))
    again = run("check", "-d", sample, *D)
    assert again.stdout == first.stdout and again.exit_code == first.exit_code
    assert n not in calls and "rolls" not in calls, calls
    assert run("--no-cache", "check", "-d", sample, *D).stdout == first.stdout
