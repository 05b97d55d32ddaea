"""A cache of parsed, validated ledgers (Parquet), for ledger sets slow to read.

Each ledger file is kept as the typed frame povcli read from it, keyed by the file's
path, sheet, size, modification and change times, inode and device, the encoding asked for, povcli's version and
the schema's own fingerprint: change any of them and the entry no longer matches. A
ledger set whose files were all checked together and found clean gets a marker too,
so the reports skip the key and reference checks. Entries live in the user's cache
folder (never in the ledger folder) and are written only when reading took longer than
`THRESHOLD` seconds. A damaged entry is never trusted: it is dropped and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__
from .schema import DATE, LEDGERS

THRESHOLD = 1.0  # seconds of reading below which no cache is written
SCHEMA = hashlib.sha256(repr(sorted(LEDGERS.items())).encode()).hexdigest()[:12]


def enabled() -> bool:
    return not os.environ.get("POVCLI_NO_CACHE")


def folder() -> Path:
    base = os.environ.get("POVCLI_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "povcli"


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


def load(key: str, ledger_name: str):
    """(frame, meta) of a cached ledger file, None when there is none; Damaged when
    the entry is there but unreadable."""
    entry = folder() / key
    if not entry.is_dir():
        return None
    try:
        meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
        data = (entry / "frame.parquet").read_bytes()
        if not isinstance(meta, dict) or meta.get("sha256") != _digest(data, meta):
            raise Damaged(f"{entry}: its checksum does not match")
        if meta.get("ledger") != ledger_name or meta.get("schema") != SCHEMA:
            raise Damaged(f"{entry}: made for another ledger or schema")
        frame = pq.read_table(pa.BufferReader(data)).to_pandas()
        for col in LEDGERS[ledger_name].columns:  # Parquet keeps dates to the microsecond
            if col.type == DATE:
                frame[col.name] = frame[col.name].astype("datetime64[s]")
        if list(frame.columns) != [c.name for c in LEDGERS[ledger_name].columns] or \
                len(frame) != meta["rows"]:
            raise Damaged(f"{entry}: its table does not match its description")
    except Damaged:
        raise
    except Exception as exc:  # a truncated, edited or foreign file: rebuild it
        raise Damaged(f"{entry}: {type(exc).__name__}") from None
    return frame, meta


def store(key: str, ledger_name: str, frame: pd.DataFrame, meta: dict) -> None:
    """Write one entry; a cache that cannot be written is no reason to fail."""
    entry = folder() / key
    tmp = entry.with_name(entry.name + f".tmp{os.getpid()}")
    try:
        sink = pa.BufferOutputStream()
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=True), sink)
        data = sink.getvalue().to_pybytes()
        meta = {**meta, "ledger": ledger_name, "schema": SCHEMA, "rows": len(frame)}
        meta["sha256"] = _digest(data, meta)  # checked on every load: a flipped bit is seen
        tmp.mkdir(parents=True, exist_ok=True)
        (tmp / "frame.parquet").write_bytes(data)
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        if entry.exists():
            shutil.rmtree(entry, ignore_errors=True)
        tmp.rename(entry)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)


def drop(key: str) -> None:
    shutil.rmtree(folder() / key, ignore_errors=True)


def is_clean(key: str) -> bool:
    return (folder() / f"clean-{key}").exists()


def mark_clean(key: str) -> None:
    try:
        folder().mkdir(parents=True, exist_ok=True)
        (folder() / f"clean-{key}").write_text("")
    except OSError:
        pass
