"""A cache of parsed, validated ledgers (Parquet), for ledger sets slow to read.

What it holds. Each ledger file is kept as the typed frame povcli read from it: every
row and column as read, so resident ID numbers, names, birth dates, villages and
payments in full, unmasked. A ledger set whose files were all checked together and
found clean gets an empty marker too (`clean-<key>`), so the reports skip the key and
reference checks. The integer codes the reports hash a set's ids into (model.Rolls) are
kept as entries of their own, `<key>/codes.npz`: see "codes of a ledger set" below.

Where. One folder per ledger file, `<key>/frame.parquet` and `<key>/meta.json`, in
$POVCLI_CACHE_DIR, else $XDG_CACHE_HOME/povcli, else ~/.cache/povcli; never in the
ledger folder. Entries are written only when reading took longer than `THRESHOLD`
seconds, and the whole cache is kept within max_bytes() ($POVCLI_CACHE_MAX_BYTES,
default 1 GiB), the least recently used entries removed first. `povcli cache info`
shows it, `povcli cache clear` (clear()) empties it; --no-cache or POVCLI_NO_CACHE
neither reads nor writes it.

Permissions. The folder is created 0700 and every file 0600 whatever the umask (a
folder that already exists keeps its mode). An entry or marker owned by another user,
or writable by group or others, is treated as absent and rebuilt; files are opened
without following links.

Trust. The key is the file's path, sheet, size, mtime and ctime (in ns), inode and
device (as git's index), the encoding asked for, povcli's version and the schema's
fingerprint: change any of them, including an edit whose size and mtime were put back
(`touch -r`), and the entry no longer matches. meta.json carries a sha256 of the
Parquet bytes and of the entry's description, checked on every load: a damaged entry
is never trusted, it is dropped and rebuilt with a note. Entries are written under a
temporary name and renamed; nothing half-written is left behind. A cache that cannot
be written (read-only, full disk) is never a reason to fail a command.

Shard datasets. A ledger set computed per household shard (shards.py: `--shards`,
`--memory`, `--scheduler`) is kept as a household-partitioned Parquet dataset,
`shards-<set key>-<S>/<ledger>/shard=K/part.parquet`, under the same rules (private,
renamed whole, checksummed, keyed on every file's identity, pruned and cleared with the
rest): see "shard datasets" below.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__
from .schema import DATE, LEDGERS

THRESHOLD = 1.0  # seconds of reading below which no cache is written
MAX_BYTES = 1 << 30  # the cache's total size (POVCLI_CACHE_MAX_BYTES); oldest go first
MAX_MARKERS = 1000  # "clean" markers kept, newest first
STALE_SECONDS = 600  # a half-written entry this old was left by a run that died: remove it
SCHEMA = hashlib.sha256(repr(sorted(LEDGERS.items())).encode()).hexdigest()[:12]


def enabled() -> bool:
    return not os.environ.get("POVCLI_NO_CACHE")


def folder() -> Path:
    base = os.environ.get("POVCLI_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "povcli"


def max_bytes() -> int:
    raw = os.environ.get("POVCLI_CACHE_MAX_BYTES", "").strip()
    try:
        return max(int(raw), 0) if raw else MAX_BYTES
    except ValueError:
        return MAX_BYTES


_ENTRY = re.compile(r"[0-9a-f]{32}")
_MARKER = re.compile(r"clean-[0-9a-f]{32}")
_TMP = re.compile(r"[0-9a-f]{32}\.tmp.*")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_DIR_FD = os.open in os.supports_dir_fd and bool(_DIRECTORY)


def _ours(st: os.stat_result) -> bool:
    """Made by this user and writable by no one else: another user's file, or one they
    could have changed, is treated as absent."""
    if os.name != "posix":
        return True
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def file_key(source, encoding: str | None) -> str | None:
    """The key of one ledger file as it is now, or None when it cannot be looked at."""
    try:
        st = source.path.stat()
    except OSError:
        return None
    # as git's index does: an edit that keeps the size and puts the mtime back (touch -r)
    # still moves the ctime, and a file replaced by another has another inode
    raw = json.dumps([str(source.path.resolve()), source.sheet, st.st_size, st.st_mtime_ns,
                      st.st_ctime_ns, st.st_ino, st.st_dev, encoding, __version__, SCHEMA])
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def set_key(keys: list[str]) -> str:
    return hashlib.sha256("|".join(sorted(keys)).encode()).hexdigest()[:32]


class Damaged(Exception):
    """A cache entry that could not be read back."""


def _digest(data: bytes, meta: dict) -> str:
    """sha256 over the frame file's bytes and the entry's description."""
    digest = hashlib.sha256(data)
    digest.update(json.dumps({k: v for k, v in meta.items() if k != "sha256"},
                             sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def _read(entry_fd: int | None, entry: Path, name: str) -> bytes:
    """The bytes of one file of an entry; OSError unless it is a regular file of ours."""
    if entry_fd is None:
        fd = os.open(entry / name, os.O_RDONLY | _NOFOLLOW | _BINARY)
    else:
        fd = os.open(name, os.O_RDONLY | _NOFOLLOW, dir_fd=entry_fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or not _ours(st):
            raise PermissionError(f"{entry / name}: not a private file of this user")
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read()
    finally:
        os.close(fd)


def load(key: str, ledger_name: str):
    """(frame, meta) of a cached ledger file, None when there is none (or none that can
    be read or trusted: another user's, writable by others); Damaged when the entry is
    there but its content is not what was stored."""
    entry = folder() / key
    got = _entry_files(entry, "frame.parquet")
    if got is None:
        return None
    raw_meta, data = got
    try:
        meta = _checked(entry, raw_meta, data)
        if meta.get("ledger") != ledger_name or meta.get("schema") != SCHEMA:
            raise Damaged(f"{entry}: made for another ledger or schema")
        if not isinstance(meta.get("headers"), dict) or "encoding" not in meta:
            raise Damaged(f"{entry}: its description is incomplete")
        frame = part_frame(ledger_name, pq.read_table(pa.BufferReader(data)))
        if list(frame.columns) != LEDGERS[ledger_name].frame_columns or \
                len(frame) != meta["rows"]:
            raise Damaged(f"{entry}: its table does not match its description")
    except Damaged:
        raise
    except Exception as exc:  # a truncated, edited or foreign file: rebuild it
        raise Damaged(f"{entry}: {type(exc).__name__}") from None
    _used(entry)
    return frame, meta


def _checked(entry: Path, raw_meta: bytes, data: bytes) -> dict:
    """An entry's description, Damaged unless its checksum is that of data and itself."""
    meta = json.loads(raw_meta.decode("utf-8"))
    if not isinstance(meta, dict) or meta.get("sha256") != _digest(data, meta):
        raise Damaged(f"{entry}: its checksum does not match")
    return meta


def _entry_files(entry: Path, name: str) -> tuple[bytes, bytes] | None:
    """(meta.json, file `name`) of an entry, None when it is absent, unreadable or not
    ours. Files are opened through the entry's folder, itself checked, never a link."""
    entry_fd = None
    try:
        if _DIR_FD:
            entry_fd = os.open(entry, os.O_RDONLY | _DIRECTORY | _NOFOLLOW)
            st = os.fstat(entry_fd)
        else:
            st = os.lstat(entry)
        if not stat.S_ISDIR(st.st_mode) or not _ours(st):
            return None
        return _read(entry_fd, entry, "meta.json"), _read(entry_fd, entry, name)
    except OSError:  # absent, unreadable, or not ours: as if there were no entry
        return None
    finally:
        if entry_fd is not None:
            os.close(entry_fd)


def _used(entry: Path) -> None:
    try:
        os.utime(entry)  # recently used: evicted last
    except OSError:
        pass


def _make_folder(base: Path) -> None:
    """The cache folder, created private (0700) whatever the umask."""
    if base.is_dir():
        return
    base.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.mkdir(base, 0o700)
    except FileExistsError:
        return
    os.chmod(base, 0o700)


def _write(path: Path, data: bytes, exclusive: bool = True) -> None:
    """A private file (0600 whatever the umask), never written through a link."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW | _BINARY
    fd = os.open(path, flags | (os.O_EXCL if exclusive else 0), 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path)


def _remove_stale(base: Path) -> None:
    """Half-written entries of runs that died (killed, power cut) long enough ago."""
    now = time.time()
    for name in os.listdir(base):
        if _TMP.fullmatch(name) or _DATASET_TMP.fullmatch(name):
            try:
                if now - os.lstat(base / name).st_mtime > STALE_SECONDS:
                    _remove(base / name)
            except OSError:
                pass


# While a command runs (deferred()), entries are written by one thread of their own, in
# the order stored, while the report is computed: writing a million households' ledgers
# takes seconds of CPU that a cold run otherwise waits for. The command waits for them
# before it ends.
_writer: Any = None


@contextmanager
def deferred() -> Iterator[None]:
    """Entries stored in this block are written on a thread of their own, each from an
    Arrow snapshot of its frame taken when stored; every one is written (or given up)
    when the block ends."""
    global _writer
    if _writer is not None:  # (nested: the outer block waits)
        yield
        return
    from concurrent.futures import ThreadPoolExecutor

    _writer = ThreadPoolExecutor(1, thread_name_prefix="povcli-cache")
    try:
        yield
    finally:
        writer, _writer = _writer, None
        writer.shutdown(wait=True)


def store(key: str, ledger_name: str, frame: pd.DataFrame, meta: dict,
          limit: int | None = None) -> None:
    """Write one entry, then keep the cache within `limit` bytes (max_bytes()), oldest
    entries going first. A cache that cannot be written is no reason to fail: any
    error is swallowed, and no half-written entry is left behind, even on Ctrl-C."""
    try:
        table = pa.Table.from_pandas(frame, preserve_index=True)
    except Exception:  # noqa: BLE001 - the figures never depend on the cache being written
        return
    if _writer is not None:
        _writer.submit(_store, key, ledger_name, table, meta, limit)
    else:
        _store(key, ledger_name, table, meta, limit)


def _store(key: str, ledger_name: str, table: pa.Table, meta: dict,
           limit: int | None) -> None:
    base = folder()
    try:
        sink = pa.BufferOutputStream()
        # LZ4: as small as snappy here, and read back two and a half times as fast; no
        # statistics (a fifth of the time to write, and nothing reads them)
        pq.write_table(table, sink, compression="lz4", write_statistics=False)
        data = sink.getvalue().to_pybytes()
        meta = {**meta, "ledger": ledger_name, "schema": SCHEMA, "rows": table.num_rows}
        _write_entry(base, key, "frame.parquet", data, meta)
        prune(max_bytes() if limit is None else limit)
    except Exception:  # noqa: BLE001 - the figures never depend on the cache being written
        pass


def _write_entry(base: Path, key: str, name: str, data: bytes, meta: dict) -> None:
    """Entry `key`: file `name` holding data, and meta.json describing it with the sha256
    of both (checked on every load: a flipped bit is seen); written under a temporary
    name and renamed, nothing half-written left behind."""
    tmp = None
    try:
        meta = {**meta, "sha256": _digest(data, meta)}
        _make_folder(base)
        _remove_stale(base)
        tmp = Path(tempfile.mkdtemp(prefix=f"{key}.tmp", dir=base))  # 0700, a fresh name
        _write(tmp / name, data)
        _write(tmp / "meta.json", json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        entry = base / key
        if os.path.lexists(entry):
            _remove(entry)
        os.rename(tmp, entry)
        tmp = None
        os.utime(entry)  # stored now: evicted last
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------ codes of a ledger set
#
# The integer codes a report computes by hashing a set's ids (model.Rolls: household and
# person codes, memberships) are kept as an entry of their own, `<key>/codes.npz` beside
# meta.json, under the rules of every entry (private, checksummed, renamed whole, pruned
# and cleared with the rest). Its key is that of the ledger files they were computed
# from and of what was computed (LedgerSet.memo): a warm run reads the codes instead of
# hashing millions of ids again.

CODES = "codes"


def codes_key(parts: list[str]) -> str:
    """The key of codes computed as parts[0] says from the files of keys parts[1:]."""
    return hashlib.sha256(("codes|" + "|".join(parts)).encode()).hexdigest()[:32]


def load_codes(key: str) -> dict[str, np.ndarray] | None:
    """The arrays kept under key, None when there are none or they cannot be trusted (a
    damaged entry is dropped: the codes are computed again and kept anew)."""
    import io

    entry = folder() / key
    got = _entry_files(entry, "codes.npz")
    if got is None:
        return None
    raw_meta, data = got
    try:
        if _checked(entry, raw_meta, data).get("ledger") != CODES:
            raise ValueError("not the codes stored")
        with np.load(io.BytesIO(data), allow_pickle=False) as kept:
            arrays = {name: kept[name] for name in kept.files}
    except Exception:  # noqa: BLE001 - damaged or foreign: computed again, never trusted
        drop(key)
        return None
    _used(entry)
    return arrays


def store_codes(key: str, arrays: dict[str, np.ndarray]) -> None:
    """Keep arrays under key (on the writer thread while a command runs); a cache that
    cannot be written is no reason to fail."""
    if _writer is not None:
        _writer.submit(_store_codes, key, arrays)
    else:
        _store_codes(key, arrays)


def _store_codes(key: str, arrays: dict[str, np.ndarray]) -> None:
    import io

    try:
        sink = io.BytesIO()
        np.savez(sink, **arrays)
        _write_entry(folder(), key, "codes.npz", sink.getvalue(),
                     {"ledger": CODES, "schema": SCHEMA})
        prune(max_bytes())
    except Exception:  # noqa: BLE001 - the figures never depend on the cache being written
        pass


def _entries(base: Path) -> list[tuple[float, int, Path]]:
    """(last used, bytes, path) of every entry, oldest first."""
    found = []
    try:
        names = os.listdir(base)
    except OSError:
        return []
    for name in names:
        path = base / name
        try:
            st = os.lstat(path)
            if not ((_ENTRY.fullmatch(name) or _DATASET.fullmatch(name))
                    and stat.S_ISDIR(st.st_mode)):
                continue
            size = _tree_bytes(path) if _DATASET.fullmatch(name) else \
                sum(os.lstat(path / f).st_size for f in os.listdir(path))
        except OSError:
            continue
        found.append((st.st_mtime, size, path))
    return sorted(found, key=lambda e: (e[0], e[2].name))


def prune(limit: int, keep: Path | None = None) -> int:
    """Remove the oldest entries until the cache holds at most `limit` bytes (`keep`
    excepted), and the oldest clean markers beyond MAX_MARKERS; the entries removed."""
    base = folder()
    found = [e for e in _entries(base) if e[2] != keep]
    total = sum(size for _, size, _ in found)
    removed = 0
    for _, size, path in found:
        if total <= limit:
            break
        try:
            _remove(path)
        except OSError:
            continue
        total -= size
        removed += 1
    try:
        markers = sorted((os.lstat(base / n).st_mtime, n) for n in os.listdir(base)
                         if _MARKER.fullmatch(n))
        for _, name in markers[:max(len(markers) - MAX_MARKERS, 0)]:
            (base / name).unlink(missing_ok=True)
    except OSError:
        pass
    return removed


def info() -> dict:
    """Where the cache is, how many entries it holds, their bytes and the limit."""
    found = _entries(folder())
    return {"folder": str(folder()), "entries": len(found),
            "bytes": sum(size for _, size, _ in found), "max_bytes": max_bytes()}


def clear() -> int:
    """Remove every entry, clean marker and half-written entry; the entries removed."""
    base = folder()
    removed = 0
    try:
        names = os.listdir(base)
    except OSError:
        return 0
    for name in names:
        if _ENTRY.fullmatch(name) or _MARKER.fullmatch(name) or _TMP.fullmatch(name) \
                or _DATASET.fullmatch(name) or _DATASET_TMP.fullmatch(name):
            try:
                is_entry = (_ENTRY.fullmatch(name) or _DATASET.fullmatch(name)) \
                    and (base / name).is_dir()
                _remove(base / name)
                removed += bool(is_entry)
            except OSError:
                pass
    return removed


def drop(key: str) -> bool:
    """Remove one entry; False when it is still there (a cache that cannot be written)."""
    path = folder() / key
    try:
        _remove(path)
    except OSError:
        pass
    return not os.path.lexists(path)


def is_clean(key: str) -> bool:
    try:
        st = os.lstat(folder() / f"clean-{key}")
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and _ours(st)


def mark_clean(key: str) -> None:
    """Mark a set's keys and references checked: after its entries, when they are being
    written (deferred)."""
    if _writer is not None:
        _writer.submit(_mark_clean, key)
    else:
        _mark_clean(key)


def _mark_clean(key: str) -> None:
    try:
        _make_folder(folder())
        _write(folder() / f"clean-{key}", b"", exclusive=False)
    except Exception:  # noqa: BLE001 - a cache that cannot be written is no reason to fail
        pass


# --------------------------------------------------------------------------- shard datasets
#
# A ledger set cut into household shards (shards.py), as a Parquet dataset that DuckDB,
# Polars or Spark read as it is:
#
#     <cache>/shards-<set key>-<S>/meta.json
#     <cache>/shards-<set key>-<S>/<ledger>/shard=<K>/part.parquet     K = 0 .. S-1
#
# e.g. in DuckDB: SELECT shard, count(*) FROM read_parquet('<cache>/shards-*/members/*/*.parquet',
# hive_partitioning = true) GROUP BY shard. The set key is that of the ledger files' cache
# keys (file_key: path, size, mtime, ctime, inode... of every file), so an edited file
# makes another dataset. meta.json holds each file's header names, encoding and sheet,
# the ledger set's latest year and areas (for a report's default year and --township
# without reading every shard), and the sha256 of every part, checked when the part is
# read: a damaged dataset is never trusted. Written under a temporary name and renamed
# whole; folders 0700 and files 0600 as every entry (it holds resident IDs); counted in
# the cache's size, pruned oldest first and emptied by `povcli cache clear` as the rest.
# A streamed dataset's parts carry each row's line in the user's file (LINE_COLUMN, less
# the record), for check's FILE:LINE; one check streamed from ledgers with reading
# findings says "dirty": true in meta.json, and dataset_meta hides it from every report.

_DATASET = re.compile(r"shards-[0-9a-f]{32}-[0-9]+")
_DATASET_TMP = re.compile(r"shards-[0-9a-f]{32}-[0-9]+\.tmp.*")


def dataset_path(key: str, shards: int) -> Path:
    return folder() / f"shards-{key}-{shards}"


def _tree_bytes(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


class DatasetWriter:
    """Writes a shard dataset one shard at a time (only one shard's frames need be held
    beside the set), then renames it into place whole; nothing is left behind when it
    cannot be written or is not finished. Every method swallows the cache's errors."""

    def __init__(self, key: str, shards: int, base: Path | None = None):
        self.base = folder() if base is None else base
        self.target = self.base / dataset_path(key, shards).name
        self.digests: dict[str, str] = {}
        self.tmp: Path | None = None
        self.parts: dict[tuple[str, int], tuple] = {}  # streamed parts being written
        self.streamed = False
        self.paths: dict[tuple[str, int], Path] = {}  # every streamed part, by (ledger, shard)
        try:
            _make_folder(self.base)
            _remove_stale(self.base)
            self.tmp = Path(tempfile.mkdtemp(prefix=f"{self.target.name}.tmp", dir=self.base))
        except Exception:  # noqa: BLE001 - the figures never depend on the cache
            self.tmp = None

    @classmethod
    def attached(cls, tmp: Path) -> "DatasetWriter":
        """A writer of parts into a dataset another writer is making in `tmp` (a process
        streaming one ledger): its parts' paths and checksums go back to that writer."""
        self = cls.__new__(cls)
        self.base, self.target, self.tmp = tmp.parent, tmp, tmp
        self.digests, self.parts, self.paths, self.streamed = {}, {}, {}, True
        return self

    def close_parts(self) -> None:
        for writer, sink, _ in self.parts.values():
            try:
                writer.close()
            except Exception:  # noqa: BLE001 - it is removed with the dataset anyway
                pass
            sink.close()
        self.parts = {}

    def _mkdir(self, path: Path) -> None:
        if not path.is_dir():
            try:
                os.mkdir(path, 0o700)
            except FileExistsError:  # made by another process writing the same dataset
                return
            os.chmod(path, 0o700)

    def add(self, shard: int, ledgers) -> None:
        if self.tmp is None:
            return
        try:
            for name, one in ledgers.loaded.items():
                sink = pa.BufferOutputStream()
                pq.write_table(pa.Table.from_pandas(one.frame, preserve_index=True), sink,
                               compression="lz4")
                data = sink.getvalue().to_pybytes()
                self._mkdir(self.tmp / name)
                self._mkdir(self.tmp / name / f"shard={shard}")
                _write(self.tmp / name / f"shard={shard}" / "part.parquet", data)
                self.digests[f"{name}/{shard}"] = hashlib.sha256(data).hexdigest()
        except Exception:  # noqa: BLE001
            self.abort()

    def append(self, name: str, shard: int, table: pa.Table) -> None:
        """Rows of ledger `name` added to shard `shard`'s part (streamed ingest: a part is
        written a batch at a time). Unlike add, errors are raised: the dataset is then the
        only copy of the rows read."""
        if self.tmp is None:
            raise OSError(f"{self.base}: the shard dataset cannot be written here")
        self.streamed = True
        part = self.parts.get((name, shard))
        if part is None:
            self._mkdir(self.tmp / name)
            self._mkdir(self.tmp / name / f"shard={shard}")
            path = self.tmp / name / f"shard={shard}" / "part.parquet"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, 0o600)
            if hasattr(os, "fchmod"):
                os.fchmod(fd, 0o600)
            sink = os.fdopen(fd, "wb")
            # LZ4, as the ledger entries: as small as snappy, read back twice as fast
            part = (pq.ParquetWriter(sink, table.schema, compression="lz4"), sink, path)
            self.parts[(name, shard)] = part
            self.paths[(name, shard)] = path
        part[0].write_table(table)

    def add_findings(self, findings: list) -> None:
        """The reading findings of the ledgers the dataset was streamed from (check's:
        cells, keys, references), kept beside the shards so that a later check of the
        same files need not stream them again (read_findings). Not kept when they cannot
        be written: read_findings then says Damaged, and that check streams again."""
        if self.tmp is None:
            return
        try:
            sink = pa.BufferOutputStream()
            pq.write_table(_findings_table(findings), sink, compression="lz4")
            data = sink.getvalue().to_pybytes()
            _write(self.tmp / FINDINGS, data)
            self.digests[FINDINGS] = hashlib.sha256(data).hexdigest()
        except Exception:  # noqa: BLE001 - without them, the next check streams again
            pass

    def part_path(self, name: str, shard: int) -> Path | None:
        """Where a streamed part is written (None: no row of it)."""
        return self.paths.get((name, shard))

    def seal(self) -> None:
        """Close every streamed part and note its checksum."""
        for (name, shard), (writer, sink, path) in self.parts.items():
            writer.close()
            sink.close()
            digest = hashlib.sha256()
            with open(path, "rb") as f:
                for piece in iter(lambda: f.read(1 << 22), b""):
                    digest.update(piece)
            self.digests[f"{name}/{shard}"] = digest.hexdigest()
        self.parts = {}

    def finish(self, meta: dict) -> Path | None:
        if self.tmp is None:
            return None
        try:
            self.seal()
            meta = {**meta, "schema": SCHEMA, "shards": int(self.target.name.rsplit("-", 1)[1]),
                    "parts": self.digests}
            _write(self.tmp / "meta.json", json.dumps(meta, ensure_ascii=False).encode("utf-8"))
            if os.path.lexists(self.target):
                _remove(self.target)
            os.rename(self.tmp, self.target)
            self.tmp = None
            os.utime(self.target)
            if self.base == folder():  # a streamed dataset is the run's data: kept
                prune(max_bytes(), keep=self.target if self.streamed else None)
            return self.target
        except Exception:  # noqa: BLE001
            return None
        finally:
            self.abort()

    def abort(self) -> None:
        self.close_parts()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None


def store_dataset(key: str, parts: list, meta: dict) -> Path | None:
    """Write the shards (ledger sets of shards.split) as the dataset of set `key`; its
    path, or None when the cache cannot be written (never a reason to fail)."""
    writer = DatasetWriter(key, len(parts))
    for k, part in enumerate(parts):
        writer.add(k, part)
    return writer.finish(meta)


def _private_dir(path: Path) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and _ours(st)


def dataset_meta(path: str | Path, dirty: bool = False) -> dict | None:
    """The description of a shard dataset; None when there is none to trust. A dataset
    check streamed from ledgers with reading findings is marked "dirty": no report may
    take its figures from it (None), only the check that wrote it (dirty=True)."""
    path = Path(path)
    if not _private_dir(path):
        return None
    try:
        meta = json.loads(_read(None, path, "meta.json").decode("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("schema") != SCHEMA \
            or not isinstance(meta.get("parts"), dict):
        return None
    if meta.get("dirty") and not dirty:
        return None
    return meta


def part_frame(name: str, table: pa.Table) -> pd.DataFrame:
    """The typed frame of ledger `name` from a cached table (Parquet keeps dates to the
    microsecond: back to seconds, as read). The table is used up: one block a column,
    Arrow's memory let go as the frame is made, so there is no second copy."""
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    for col in LEDGERS[name].columns:
        if col.type == DATE:
            frame[col.name] = frame[col.name].astype("datetime64[s]")
    return frame


# A streamed dataset's parts hold, beside each row, its line in the user's file less its
# record (an int64 column of this name, one value for long runs): read_shard gives the
# ledger's lines_of/line from it, so check names FILE:LINE without reading the file again.
LINE_COLUMN = "__line"


def split_lines(table: pa.Table) -> tuple[pa.Table, np.ndarray | None]:
    """A part's table without its lines column, and that column (None: none kept)."""
    at = table.schema.get_field_index(LINE_COLUMN)
    if at < 0:
        return table, None
    delta = table.column(at).to_numpy()
    return table.remove_column(at), delta


def shard_lines(frame: pd.DataFrame, delta) -> tuple[np.ndarray, np.ndarray]:
    """(records, lines) of a part's rows, sorted by record, from split_lines' column."""
    labels = frame.index.to_numpy(np.int64)
    lines = labels + np.asarray(delta, dtype=np.int64)
    if len(labels) > 1 and not (labels[1:] > labels[:-1]).all():
        order = np.argsort(labels, kind="stable")
        labels, lines = labels[order], lines[order]
    return labels, lines


FINDINGS = "findings.parquet"  # a dirty dataset's reading findings


def _findings_table(findings: list) -> pa.Table:
    """Findings as columns (their parameters as JSON): kept, they are given back equal,
    each saying itself in any language as the reader's did."""
    from dataclasses import fields

    from .findings import Finding

    names = [f.name for f in fields(Finding)]
    columns: dict[str, list] = {n: [] for n in names}
    for one in findings:
        for n in names:
            columns[n].append(getattr(one, n))
    columns["params"] = [json.dumps([[k, _plain(v)] for k, v in p], ensure_ascii=False)
                         for p in columns["params"]]
    types = {"line": pa.int64(), "year": pa.int64()}
    return pa.table({n: pa.array(columns[n], types.get(n, pa.string())) for n in names})


def _plain(value):
    """A parameter as JSON keeps it: numpy's numbers as Python's."""
    return value.item() if hasattr(value, "item") else value


def read_findings(path: str | Path, meta: dict, folder: str | None = None) -> list:
    """The reading findings kept in a dirty dataset (DatasetWriter.add_findings), as they
    were (their files under `folder`, as this run names it); Damaged when they are not
    what was stored."""
    from .findings import Finding

    path = Path(path)
    try:
        data = _read(None, path, FINDINGS)
        if hashlib.sha256(data).hexdigest() != meta["parts"].get(FINDINGS):
            raise Damaged(f"{path / FINDINGS}: its checksum does not match")
        table = pq.read_table(pa.BufferReader(data))
        columns = {n: table.column(n).to_pylist() for n in table.column_names}
        columns["params"] = [tuple((k, v) for k, v in json.loads(p))
                             for p in columns["params"]]
        columns["file"] = [respell(f, meta["folder"], folder) for f in columns["file"]]
        return [Finding(*row) for row in zip(*columns.values())]
    except Damaged:
        raise
    except Exception as exc:  # noqa: BLE001 - unreadable, truncated, foreign
        raise Damaged(f"{path / FINDINGS}: {type(exc).__name__}") from None


def respell(text: str, old: str, new: str | None) -> str:
    """A path under folder `old` (as the run that wrote a dataset named it) under `new`
    (as this run names the same folder: relative, from elsewhere, through a link)."""
    if new is None or new == old or not text.startswith(old):
        return text
    rest = text[len(old):]
    return new + rest if not rest or rest[0] in "/\\[" else text


def read_shard(path: str | Path, shard: int, names: list[str] | None = None,
               dirty: bool = False, folder: str | None = None):
    """Shard `shard` of a dataset as a LedgerSet (the ledgers `names`, every one when
    None); Damaged when a part is not what was stored. A streamed dataset's ledgers are
    stream.StreamedLedger, which answer the FILE:LINE of their records. dirty: a dataset
    check streamed from ledgers with findings is read too (never by a report). folder:
    the ledgers' folder as this run names it (their paths, in findings, spelled so)."""
    from .read.loaded import LedgerSet, LoadedLedger
    from .read.stream import StreamedLedger

    path = Path(path)
    meta = dataset_meta(path, dirty=dirty)
    if meta is None:
        raise Damaged(f"{path}: no shard dataset to trust")
    loaded = {}
    for name, about in meta["ledgers"].items():
        if names is not None and name not in names:
            continue
        where = path / name / f"shard={shard}"
        try:
            if not (_private_dir(path / name) and _private_dir(where)):
                raise Damaged(f"{where}: not a private folder of this user")
            data = _read(None, where, "part.parquet")
            if hashlib.sha256(data).hexdigest() != meta["parts"].get(f"{name}/{shard}"):
                raise Damaged(f"{where}: its checksum does not match")
            table, delta = split_lines(pq.read_table(pa.BufferReader(data)))
            frame = part_frame(name, table)
            if list(frame.columns) != LEDGERS[name].frame_columns:
                raise Damaged(f"{where}: its table does not match the ledger")
        except Damaged:
            raise
        except Exception as exc:  # noqa: BLE001 - unreadable, truncated, foreign
            raise Damaged(f"{where}: {type(exc).__name__}") from None
        file = Path(respell(about["path"], meta["folder"], folder))
        if delta is not None:
            labels, lines = shard_lines(frame, delta)
            loaded[name] = StreamedLedger(LEDGERS[name], file, about["encoding"],
                                          frame, about["headers"], sheet=about.get("sheet"),
                                          _records=len(frame), labels=labels,
                                          label_lines=lines)
            continue
        loaded[name] = LoadedLedger(LEDGERS[name], file, about["encoding"],
                                    frame, about["headers"], sheet=about.get("sheet"),
                                    _records=len(frame))
    try:
        os.utime(path)  # recently used: evicted last
    except OSError:
        pass
    return LedgerSet(Path(folder or meta["folder"]), loaded, {})
