"""povcli as a library: every report of the command line, without the command line.

    >>> from povcli import api
    >>> api.run("exits", "sample_data", year=2017).frame          # doctest: +SKIP
    >>> ledgers = api.open_ledgers("sample_data", "villages")      # doctest: +SKIP
    >>> api.build("villages", ledgers, township="铁厂镇").frame     # doctest: +SKIP
    >>> ledgers = api.ledgers_from_frames({"households": hh, "members": mm})  # doctest: +SKIP
    >>> api.build("summary", ledgers, year=2017).frame             # doctest: +SKIP

`run` reads the ledgers a report needs (as the registry says), checks them (a
`findings.LedgerError` carries every problem, with its place), cuts them to an area
and builds the report: a `reports.Report` whose `frame` is the DataFrame the CLI
prints (the contract's columns, raw numbers, English codes). This is the one place
that decides the year when none is given, the area and what is read.

`ledgers_from_frames` builds a ledger set from pandas DataFrames instead of files (ledger
name -> frame; names and headers as a file may spell them, English or Chinese). Cells may
be text, parsed by the same cell parsers as a file's, or already typed (Timestamps,
numbers, booleans, codes); keys and references are checked alike. Every problem is a
finding placed at the ledger and the row's position in its frame counted from 1
(`households:3: column identified_on: not a date (value 'soon')`), and all of them come
together in one `findings.LedgerError`.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Mapping

from .findings import LedgerError, UsageError
from .messages import kept_notes, notes_again
from .registry import COMMANDS


def builder(name: str) -> Callable[..., Any]:
    """The function that builds report `name`, as its registry row names it."""
    import importlib

    spec = COMMANDS.get(name)
    if spec is None or spec.build is None:
        raise UsageError.of("reports.no_report", name=name, names=", ".join(reports()))
    module, function = spec.build.split(":")
    return getattr(importlib.import_module(module), function)


def reports() -> list[str]:
    """The names of the reports `build` and `run` make."""
    return [name for name, spec in COMMANDS.items() if spec.build]


def open_ledgers(data, name: str | None = None, encoding: str | None = None,
                 use_cache: bool = False, notes: list[str] | None = None, progress=None):
    """Read and check the ledgers that report `name` reads (every ledger when None)."""
    from .read.load import open_ledgers as read

    spec = COMMANDS.get(name) if name else None
    reads = None if spec is None or spec.reads is None else list(spec.reads)
    return read(Path(data), reads, encoding, need=spec.needs if spec else (),
                use_cache=use_cache, notes=notes, progress=progress)


def ledgers_from_frames(frames: Mapping[str, Any]):
    """A checked ledger set from DataFrames (ledger name -> frame), with no files: typed
    and validated as files are; LedgerError with every finding if anything is wrong."""
    from .read.frames import open_frames

    return open_frames(frames)


def latest_year(ledgers) -> int:
    """The latest year that any dated row of the ledgers falls in."""
    from .model import latest_year as latest

    year = latest(ledgers)
    if year is None:
        raise UsageError.of("reports.no_dated_rows")
    return year


def _latest_year_note(year: int) -> tuple[str, dict]:
    """The note of a report that took the latest year (said in the user's language)."""
    return ("year {year}: the latest year in the ledgers (give --year for another)",
            {"year": year})


def _area_label(township: str | None, village: str | None) -> str | None:
    """The area a report was cut to, as its titles name it."""
    return " ".join(p for p in (township, village) if p) or None


def build(name: str, ledgers, year: int | None = None, township: str | None = None,
          village: str | None = None, listing: bool = False, **options):
    """Report `name` of ledgers already read, for a year and an area. `options` are the
    report's own (its registry row's `options`, by keyword)."""
    from .model import restrict

    make = builder(name)
    spec = COMMANDS[name]
    notes = []
    if year is None and spec.one_year:
        year = latest_year(ledgers)
        notes.append(_latest_year_note(year))
    registered_only = not spec.all_households
    if spec.own_area:
        options.update(township=township, village=village)
        ledgers = restrict(ledgers, registered_only=registered_only)
    else:
        ledgers = restrict(ledgers, township, village, registered_only=registered_only)
    report = make(ledgers, year, listing=listing, **options)
    report.notes[:0] = notes
    report.meta.setdefault("year", year)
    # the variant shown, for titles in other languages
    variant = "uncovered" if options.get("uncovered") else "list" if listing else None
    report.meta.setdefault("variant", variant)
    report.meta["area"] = _area_label(township, village)
    return report


def shardable(name: str, listing: bool = False, options: dict | None = None) -> bool:
    """Whether report `name` can be computed per household shard and merged exactly
    (the registry's `merge` column; listings are the rows themselves: whole set)."""
    spec = COMMANDS.get(name)
    if spec is None or spec.merge is None:
        return False
    return not listing and not spec.own_area \
        and not any((options or {}).get(o) for o in spec.merge.whole_when)


def build_sharded(name: str, ledgers, shards: int = 4, scheduler=None, year: int | None = None,
                  township: str | None = None, village: str | None = None,
                  listing: bool = False, **options):
    """build(), computed per household shard with the same report code and merged
    (shards.py); on a Dask cluster when `scheduler` is given (an address such as
    tcp://host:8786, or a dask.distributed Client). The same report as build(), figure
    for figure; a report that cannot be merged exactly is built on the whole set."""
    from . import shards as sharding
    from .model import restrict

    if not shardable(name, listing, options):
        return build(name, ledgers, year, township, village, listing, **options)
    notes = []
    if year is None and COMMANDS[name].one_year:
        year = latest_year(ledgers)
        notes.append(_latest_year_note(year))
    ledgers = restrict(ledgers, township, village,
                       registered_only=not COMMANDS[name].all_households)
    parts = sharding.run_map(name, sharding.split(ledgers, shards), year, options, scheduler)
    return _merged(name, parts, notes, year, township, village)


def _merged(name: str, parts: list, notes: list, year, township, village):
    """The shards' reports merged as report `name`'s registry row says."""
    from . import shards as sharding

    spec = COMMANDS[name].merge
    assert spec is not None
    report = sharding.merge(parts, spec)
    report.notes[:0] = notes
    report.meta["year"] = year
    report.meta["area"] = _area_label(township, village)
    return report


def run_sharded(name: str, data, shards: int = 4, scheduler=None, year: int | None = None,
                township: str | None = None, village: str | None = None,
                listing: bool = False, encoding: str | None = None, use_cache: bool = True,
                workers: int | None = 1, memory: str | int | None = None, **options):
    """run(), computed per household shard and merged (build_sharded). With use_cache
    (and the cache enabled), the shards are kept as a household-partitioned Parquet
    dataset in the cache (cache.py): a later run whose files have not changed reads one
    shard at a time and never holds the whole set, in `workers` processes (None: one a
    core when the set is large; from a script, more than one needs the
    `if __name__ == "__main__":` guard). A set larger than the memory budget (`memory`:
    bytes or a size such as 8G; else shards.memory_budget's default) is never held
    whole: it is streamed into the dataset a batch of records at a time
    (shards.stream_dataset; into a temporary folder when the cache is not used)."""
    from . import cache
    from . import shards as sharding

    spec = COMMANDS.get(name)
    if spec is None or not shardable(name, listing, options):
        return run(name, data, year, township, village, listing, encoding, **options)
    names = None if spec.reads is None else list(spec.reads)
    keyed = use_cache and cache.enabled()
    keys = sharding.file_keys(Path(data), names, encoding) if keyed else None
    key = cache.set_key(list(keys.values())) if keys else None
    path = cache.dataset_path(key, shards) if key else None
    meta = cache.dataset_meta(path) if path else None
    if path is not None and meta is not None and meta.get("keys") == keys:
        try:
            return _said(_sharded(name, meta, shards, scheduler, year, township, village,
                                  options, stored=str(path), workers=workers),
                         _notes_kept(meta, data))
        except cache.Damaged:
            cache.drop(path.name)  # never trusted: read the files again and rebuild it
    budget = memory if isinstance(memory, int) else sharding.memory_budget(memory)
    if sharding.streams(Path(data), names, budget):
        streamed = _streamed(name, data, names, shards, scheduler, year, township, village,
                             encoding, keys if keyed else None, options, workers)
        if streamed is not None:
            return streamed
    # read whole once (no per-file cache entries: the shards are the cache of this set)
    notes: list[str] = []
    with _noting(notes):
        ledgers = open_ledgers(data, name, encoding, notes=notes)
    if scheduler is not None or not (keys and key and set(keys) == set(ledgers.loaded)):
        return _said(build_sharded(name, ledgers, shards, scheduler, year, township, village,
                                   listing, **options), notes)
    # cut the set one shard at a time: each written to the dataset, then computed
    meta = sharding.describe(ledgers, keys)
    meta["notes"] = kept_notes(notes)  # said again when the dataset is reused
    writer = cache.DatasetWriter(key, shards)
    try:
        def computed():
            for k, shard in enumerate(sharding.each_shard(ledgers, shards)):
                writer.add(k, shard)
                yield shard
        report = _sharded(name, meta, shards, None, year, township, village, options,
                          shard_sets=computed())
    except BaseException:
        writer.abort()
        raise
    writer.finish(meta)
    return _said(report, notes)


def _notes_kept(meta: dict, data) -> list[str]:
    """What the reader said when a dataset was made (kept in its description), of the
    files as this run names them."""
    from .cache import respell

    return notes_again(meta.get("notes"),
                       lambda file: respell(file, str(meta.get("folder")), str(Path(data))))


@contextmanager
def _noting(notes: list[str]):
    """A refusal (LedgerError) of the reading inside carries what the reader said first,
    as a run that reads the set whole says it before the findings."""
    try:
        yield
    except LedgerError as exc:
        exc.notes[:0] = notes
        raise


def _said(report, notes: list[str]):
    """The report with what the reader said of the files (a title row skipped...) first,
    as a run that reads the set whole says it."""
    report.notes[:0] = notes
    return report


def _streamed(name, data, names, shards, scheduler, year, township, village, encoding,
              keys, options, workers):
    """The report from a shard dataset streamed from the files (shards.stream_dataset):
    kept in the cache when `keys` (the files' cache keys) are given, else in a temporary
    folder removed afterwards. None when a file must be read whole after all."""
    import shutil
    import tempfile

    from . import cache
    from . import shards as sharding

    base = None
    if keys is None:
        keys = sharding.file_keys(Path(data), names, encoding)
        if keys is None:
            return None  # a ledger missing or found twice: the whole read says so
        base = Path(tempfile.mkdtemp(prefix="povcli-shards-"))
    try:
        writer, base = _dataset_writer(cache.set_key(list(keys.values())), shards, base)
        notes: list[str] = []
        with _noting(notes):
            meta = _stream_into(writer, Path(data), names, encoding, COMMANDS[name].needs,
                                shards, keys, notes=notes)
        if meta is None:
            return None
        meta["notes"] = kept_notes(notes)  # said again when the dataset is reused
        path = _finish(writer, meta)
        return _said(_sharded(name, meta, shards, scheduler, year, township, village,
                              options, stored=str(path), workers=workers), notes)
    finally:
        if base is not None:
            shutil.rmtree(base, ignore_errors=True)


def _dataset_writer(key: str, shards: int, base: Path | None):
    """(a cache.DatasetWriter of set `key` in the cache, or in `base`; in a temporary
    folder when the cache cannot be written, the folder to remove afterwards or None)."""
    import tempfile

    from . import cache

    writer = cache.DatasetWriter(key, shards, base)
    if writer.tmp is None and base is None:  # a cache that cannot be written
        base = Path(tempfile.mkdtemp(prefix="povcli-shards-"))
        writer = cache.DatasetWriter(key, shards, base)
    return writer, base


def _stream_into(writer, *args, **kwargs):
    """shards.stream_dataset(*args, writer, **kwargs); None when a file must be read
    whole after all. On any failure nothing is kept; a full disk or a folder that cannot
    be written is said as such."""
    from . import shards as sharding
    from .read.stream import Unstreamable

    from .read.arrowkit import give_back_memory

    try:
        return sharding.stream_dataset(*args, writer, **kwargs)
    except Unstreamable:
        writer.abort()
        return None
    except OSError as exc:  # the disk is full, the folder cannot be written...
        writer.abort()
        raise UsageError.of("shards.cannot_write", folder=str(writer.base),
                            reason=str(exc.strerror or exc)) from None
    except BaseException:
        writer.abort()
        raise
    finally:  # the shards are computed by other processes, from the dataset
        give_back_memory()


def _finish(writer, meta: dict) -> Path:
    """The dataset renamed into place; its path."""
    path = writer.finish(meta)
    if path is None:
        raise UsageError.of("shards.cannot_write", folder=str(writer.base), reason="rename")
    return path


def _sharded(name, meta, shards, scheduler, year, township, village, options, stored=None,
             shard_sets=None, workers: int | None = 1):
    """The report from shards: a dataset's (`stored`, read where each is computed) or
    ledger sets given one at a time (`shard_sets`); `meta` as shards.describe."""
    from . import shards as sharding

    notes = []
    if year is None and COMMANDS[name].one_year:
        year = meta.get("latest_year")
        if year is None:
            raise UsageError.of("reports.no_dated_rows")
        notes.append(_latest_year_note(year))
    sharding.check_area(meta, township, village)
    if stored is not None:
        parts = sharding.run_map(name, list(range(shards)), year, options, scheduler, stored,
                                 township, village, workers=workers)
    else:
        parts = [p for p in (sharding.compute(name, s, year, options, township, village)
                             for s in shard_sets) if p is not None]
    return _merged(name, parts, notes, year, township, village)


def run(name: str, data, year: int | None = None, township: str | None = None,
        village: str | None = None, listing: bool = False, encoding: str | None = None,
        **options):
    """Read the ledgers of folder (or workbook) `data` and build report `name`."""
    return build(name, open_ledgers(data, name, encoding), year, township, village, listing,
                 **options)


class ShardedCheck:
    """What check_sharded found: the findings (a findframe.FindingFrame) and the shard
    dataset's description (its ledgers, latest year, years of events)."""

    def __init__(self, findings, meta: dict, notes: list[str]):
        self.findings = findings
        self.meta = meta
        self.notes = notes  # what the reader said of the files (a title row skipped...)


def check_sharded(data, shards: int, rules=None, params=None, year: int | None = None,
                  scheduler=None, township: str | None = None, village: str | None = None,
                  encoding: str | None = None, use_cache: bool = True,
                  workers: int | None = 1, today=None) -> ShardedCheck | None:
    """`povcli check` per household shard (checks_sharded.run_sharded): the findings of
    checks.run_frame over the whole set, the set never held whole. The shard dataset is
    streamed from the files (shards.stream_dataset, keeping the reading findings: cells,
    keys, references; a dataset from ledgers with any is kept marked dirty, so no report
    takes figures from it) or, when an earlier run left a clean one for these very
    files (and its rows' lines), read from the cache. None when a file must be read
    whole (the caller checks the whole set); LedgerError when a ledger cannot be read
    at all."""
    import shutil
    import tempfile
    from functools import partial

    from . import cache
    from . import shards as sharding
    from .checks import Params
    from .checks_sharded import run_sharded as check_shards

    if shards < 1:
        raise UsageError.of("shards.too_few", shards=shards)
    params = Params() if params is None else params
    data = Path(data)
    keys = sharding.file_keys(data, None, encoding)
    if keys is None:
        return None  # a ledger missing or found twice: the whole read says so
    key = cache.set_key(list(keys.values()))
    keyed = use_cache and cache.enabled()

    notes: list[str] = []

    def checked(path, meta, read_findings):
        sharding.check_area(meta, township, village)
        shard = partial(cache.read_shard, str(path), dirty=True, folder=str(data))
        # as the reports' shards: one process a core once the dataset is large (None)
        cores = workers if scheduler is not None else sharding.local_workers(str(path),
                                                                              workers)
        found = check_shards(shard, shards, read_findings, rules, params, year,
                             None if today is None else _timestamp(today),
                             meta.get("latest_year"), scheduler=scheduler, workers=cores,
                             keys_checked=True)  # (by the ingest, or the clean dataset's)
        if township or village:
            found = found.in_households(_area_households(path, shards, township, village))
        return ShardedCheck(found, meta, notes)

    if keyed:
        path = cache.dataset_path(key, shards)
        meta = cache.dataset_meta(path, dirty=True)
        if meta is not None and meta.get("keys") == keys and meta.get("lines"):
            try:  # a dataset of these files (a report's or check's, clean or dirty)
                found = cache.read_findings(path, meta, str(data)) if meta.get("dirty") \
                    else []
                notes += _notes_kept(meta, data)
                return checked(path, meta, found)
            except cache.Damaged:
                notes.clear()
                cache.drop(path.name)  # never trusted: read the files again
    base = None if keyed else Path(tempfile.mkdtemp(prefix="povcli-shards-"))
    try:
        writer, base = _dataset_writer(key, shards, base)
        with _noting(notes):
            streamed = _stream_into(writer, data, None, encoding, COMMANDS["check"].needs,
                                    shards, keys, collect=True, notes=notes)
        if streamed is None:
            return None
        meta, read_findings = streamed
        fatal = [f for f in read_findings if f.line is None]
        if fatal:  # a ledger that cannot be read at all: as the whole check says
            writer.abort()
            raise LedgerError(fatal, notes)
        if not {"households", "members"} <= set(meta["ledgers"]):
            writer.abort()  # a required ledger none of whose rows could be read
            raise LedgerError(read_findings, notes)
        meta["dirty"] = bool(read_findings)  # dataset_meta refuses it to every report
        meta["notes"] = kept_notes(notes)  # said again when the dataset is reused
        if read_findings:  # kept: the next check of these files reads them, not the files
            writer.add_findings(read_findings)
        return checked(_finish(writer, meta), meta, read_findings)
    finally:
        if base is not None:
            shutil.rmtree(base, ignore_errors=True)


def _timestamp(value):
    import pandas as pd

    return pd.Timestamp(value)


def _area_households(path, shards: int, township: str | None, village: str | None):
    """The ids of the households of the area (restrict's, registered or not), a shard's
    households at a time."""
    import numpy as np
    import pandas as pd

    from . import cache

    ids = []
    for k in range(shards):
        hh = cache.read_shard(path, k, ["households"], dirty=True).frame("households")
        keep = np.ones(len(hh), dtype=bool)
        if township:
            keep &= (hh["township"] == township).fillna(False).to_numpy(dtype=bool)
        if village:
            keep &= (hh["village"] == village).fillna(False).to_numpy(dtype=bool)
        ids.append(hh.loc[keep, "household_id"])
    return pd.concat(ids) if ids else pd.Series([], dtype=object)
