"""Reading a folder's ledgers: read_ledger (one file or sheet), read_ledgers (the set,
from the cache where unchanged), open_ledgers (read and validate, or raise LedgerError
with every finding)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Callable

import pandas as pd

from ..findings import Finding, LedgerError
from ..messages import notes_again
from ..schema import LEDGERS, Ledger
from .columns import type_columns
from .delimited import csv_again, read_csv
from .excel import read_excel
from .files import Source, find_files, not_a_file
from .integrity import integrity_findings
from .loaded import LedgerSet, LoadedLedger, ReadOne, ReadSet


def read_ledger(path, ledger: Ledger, encoding: str | None = None,
                notes: list[str] | None = None, keep_lines: bool = False) -> ReadOne:
    """Read one ledger from a CSV file or a workbook sheet (a Path or a Source).
    keep_lines: its records' lines kept even when it is clean (a shard dataset's rows
    carry them).

    Whatever the bytes, nothing escapes as an exception: every problem is a Finding."""
    source = path if isinstance(path, Source) else Source(Path(path))
    problem = not_a_file(source.path, source.display)
    if problem is not None:
        return ReadOne(None, [problem])
    if source.is_excel:
        raw = read_excel(source, ledger, notes)
    else:
        raw = read_csv(source, ledger, encoding, notes)
    if raw.loaded is None:
        return ReadOne(None, raw.findings)
    findings = raw.findings + type_columns(raw.loaded, raw.columns, raw.records,
                                           quoted=raw.quoted)
    _let_bytes_go(raw.loaded, bool(findings) or keep_lines)
    return ReadOne(raw.loaded, findings)


def _let_bytes_go(loaded: LoadedLedger, findings: bool) -> None:
    """The file's bytes are kept only to find the line of a record. Once typed, a ledger
    with findings keeps its records' lines (8 bytes a record, not the whole file); one
    without lets them go, and reads the file again in the rare case a later finding
    (a duplicate key, a broken reference) needs a line."""
    if loaded._data is None or loaded._record_lines is not None:
        return
    if findings:
        loaded._record_lines = loaded.record_lines
    loaded._data = None


def _read_again(source: Source, ledger: Ledger, encoding: str, records: int | None = None
                ) -> LoadedLedger | None:
    """A ledger from the cache read again (untyped), for the lines of its records."""
    if source.is_excel:
        return read_excel(source, ledger).loaded
    return csv_again(source, ledger, encoding, records)


def _records_hint(frame: pd.DataFrame) -> int | None:
    """How many records a cached ledger's file had, as far as its frame tells (its index
    is the records' numbers): the lines are then counted in the file's bytes, and the
    file is parsed again only if they do not agree."""
    if not len(frame) or not pd.api.types.is_integer_dtype(frame.index):
        return None
    return int(frame.index.max()) + 1


def _bytes(source: Source) -> int:
    try:
        return source.path.stat().st_size
    except OSError:
        return 0  # read in its turn: reading it will say what is wrong


def _missing(folder: Path, ledger: Ledger) -> Finding:
    return Finding.of(str(folder / ledger.filename), "reader.missing_ledger",
                      ledger=ledger.name, filename=ledger.filename,
                      zh_filename=ledger.zh_filename)


class _CacheLoads:
    """The cache entries of a set's files (keys: ledger -> its key, None when it cannot
    be made), read two at a time ahead of their turn: Parquet decoding and checksums let
    go of the GIL, and a warm run's reading is mostly theirs. load(name) is what
    cache.load gives, or raises. Not one more is started once a file must be read."""

    def __init__(self, keys: dict[str, str | None]):
        from .. import cache

        self.keys = {name: key for name, key in keys.items() if key}
        self.pending: dict = {}
        self.pool = None
        if len(self.keys) > 1:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(2, thread_name_prefix="povcli-cache-read")
            self.pending = {name: self.pool.submit(cache.load, key, name)
                            for name, key in self.keys.items()}

    def load(self, name: str):
        from .. import cache

        future = self.pending.pop(name, None)
        if not self.pending:
            self.reading()
        return cache.load(self.keys[name], name) if future is None or future.cancel() \
            else future.result()

    def reading(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None


def read_ledgers(folder: Path, names: list[str] | None = None, encoding: str | None = None,
                 need: tuple[str, ...] = (), use_cache: bool = False,
                 notes: list[str] | None = None,
                 progress: Callable[[str], None] | None = None
                 ) -> ReadSet:
    """Read the named ledgers (all found ones when None) of folder.

    households and members are always read. Ledgers in `need` must exist. With
    use_cache, files unchanged since a clean read come from the cache (cache.py);
    anything said about the cache goes to `notes`.
    Returns the set and the findings that make the data unusable as read.
    """
    import time

    from .. import cache

    files, findings = find_files(folder)
    if findings and not files and not folder.exists():
        return ReadSet(LedgerSet(folder, {}, {}), findings)
    wanted = list(LEDGERS) if names is None else list(dict.fromkeys(
        ["households", "members", *names]))
    # a ledger found twice (which one is meant?) is not also "not found"
    ambiguous = {dict(f.params).get("ledger") for f in findings if f.msg == "reader.ambiguous"}
    for name in ("households", "members", *need):
        if name not in files and name not in ambiguous:
            findings.append(_missing(folder, LEDGERS[name]))
    loaded: dict[str, LoadedLedger] = {}
    keys: dict[str, str] = {}
    fresh: list[str] = []
    started = time.perf_counter()
    rows_so_far = 0
    said: dict[str, list] = {}  # per ledger, its findings and notes
    notes_of: dict[str, list] = {}  # per ledger read now, what reading its file said
    # The largest file first: while it is read, its bytes, Arrow's text and the typed
    # columns are all held at once, and the other ledgers are not held yet. Findings,
    # notes and ledgers are still given in the contract's order.
    present = sorted((n for n in wanted if n in files), key=lambda n: -_bytes(files[n]))
    entries = _CacheLoads({name: cache.file_key(files[name], encoding) for name in present}
                          if use_cache else {})
    for name in present:
        source = files[name]
        mine: list = []
        said[name] = [[], mine]
        if progress:
            progress(f"reading {source.display} ({rows_so_far:,} rows so far)")
        key = entries.keys.get(name)
        if key:
            keys[name] = key
            try:
                hit = entries.load(name)
            except cache.Damaged as exc:
                hit = None
                dropped = cache.drop(key)
                mine.append(f"a damaged cache entry was dropped and rebuilt ({exc})"
                            if dropped else "a damaged cache entry was ignored, the "
                            f"cache folder cannot be written ({exc})")
            if hit is not None:
                frame, meta = hit
                # as the file's first read said, of the file as this run names it
                mine += notes_again(meta.get("notes"), lambda _: source.display)
                loaded[name] = LoadedLedger(LEDGERS[name], source.path, meta["encoding"], frame,
                                            meta["headers"], sheet=source.sheet,
                                            _records=len(frame),
                                            _reread=partial(_read_again, source,
                                                            LEDGERS[name], meta["encoding"],
                                                            _records_hint(frame)))
                continue
        entries.reading()  # the rest of the cache is not read while a file is
        start = len(mine)
        one, problems = read_ledger(source, LEDGERS[name], encoding, mine)
        said[name][0] = problems
        notes_of[name] = mine[start:]
        if one is not None:
            loaded[name] = one
            fresh.append(name)
            rows_so_far += len(one.frame)
    for name in wanted:
        if name in said:
            findings += said[name][0]
            if notes is not None:
                notes += said[name][1]
    loaded = {name: loaded[name] for name in wanted if name in loaded}
    fresh = [name for name in wanted if name in fresh]
    ledgers = LedgerSet(folder, loaded, files)
    ledgers.cache_keys = keys if use_cache and len(keys) == len(loaded) else {}
    ledgers.fresh = fresh
    ledgers.notes_of = notes_of
    ledgers.read_seconds = time.perf_counter() - started
    return ReadSet(ledgers, findings)


def open_ledgers(folder: Path, names: list[str] | None = None, encoding: str | None = None,
                 need: tuple[str, ...] = (), use_cache: bool = False,
                 notes: list[str] | None = None,
                 progress: Callable[[str], None] | None = None) -> LedgerSet:
    """Read and validate; raise LedgerError with every finding if anything is wrong."""
    from .. import cache

    ledgers, findings = read_ledgers(folder, names, encoding, need, use_cache, notes, progress)
    keys = ledgers.cache_keys
    set_key = cache.set_key(list(keys.values())) if keys else None
    if findings or not (set_key and not ledgers.fresh and cache.is_clean(set_key)):
        if progress:
            progress("checking keys and references")
        findings += integrity_findings(ledgers)
    if findings:
        raise LedgerError(findings)
    for one in ledgers.loaded.values():
        if one._record_lines is None:
            one._data = None  # a clean set needs no line numbers: let the file's bytes go
    if set_key and ledgers.fresh and ledgers.read_seconds >= cache.THRESHOLD:
        for name in ledgers.fresh:
            cache.store(keys[name], name, ledgers.loaded[name].frame, ledgers.cache_meta(name))
        cache.mark_clean(set_key)
    elif set_key and not ledgers.fresh:
        cache.mark_clean(set_key)
    keep_codes(ledgers)
    return ledgers


def keep_codes(ledgers: LedgerSet) -> None:
    """Let the codes the reports and rules hash a set's ids into be kept in the cache
    (LedgerSet.memo), when the set is worth caching: read from it, or slow to read. The
    frames as read are those of the files' keys, findings or not."""
    from .. import cache

    keys = ledgers.cache_keys
    if keys and (not ledgers.fresh or ledgers.read_seconds >= cache.THRESHOLD):
        ledgers.memo_from = {name: (keys[name], ledgers.loaded[name].frame) for name in keys}
        ledgers.memo_store = cache
