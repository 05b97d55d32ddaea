"""The cache of parsed ledgers: used when nothing changed, rebuilt when anything did,
never trusted when damaged, never written into the ledger folder."""

from __future__ import annotations

import os
import shutil

import pytest

import povcli.cache as cache
import povcli.ledgers as ledgers_module

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
    from povcli.ledgers import open_ledgers
    said = []
    open_ledgers(sample, ["exits"], progress=said.append)
    assert said[0].startswith(f"reading {sample / 'households.csv'} (0 rows so far)")
    assert any("members.csv (235 rows so far)" in s for s in said)
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
