"""povcli as a library: every report of the command line, without the command line.

    >>> from povcli import api
    >>> api.run("exits", "sample_data", year=2017).frame          # doctest: +SKIP
    >>> ledgers = api.open_ledgers("sample_data", "villages")      # doctest: +SKIP
    >>> api.build("villages", ledgers, township="铁厂镇").frame     # doctest: +SKIP

`run` reads the ledgers a report needs (as the registry says), checks them (a
`findings.LedgerError` carries every problem, with its place), cuts them to an area
and builds the report: a `reports.Report` whose `frame` is the DataFrame the CLI
prints (the contract's columns, raw numbers, English codes). This is the one place
that decides the year when none is given, the area and what is read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from .findings import UsageError
from .registry import COMMANDS

# Reports of one year: without a year they take the latest year of the ledgers. The
# others give a row for every year that has rows.
ONE_YEAR = {"summary", "pairing", "villages", "flow"}
# Reports that cut to an area themselves (a project's area is its own columns).
OWN_AREA = {"projects", "assess"}
# Reports that see unregistered households (monitoring's 边缘易致贫户, the ordinary
# households an assessment draws, a diff of two exports) and count registered ones
# themselves; every other report counts registered households only.
OWN_REGISTRATION = {"monitor", "assess", "sample", "diff"}


def _builders() -> dict[str, Callable[..., Any]]:
    from . import programs, reports
    from .flow import flow
    from .summary import summary

    return {
        "summary": lambda ledgers, year, listing, **o: summary(ledgers, year, listing),
        "exits": lambda ledgers, year, listing, by=None, **o: reports.exits(
            ledgers, year, by, listing=listing),
        "changes": lambda ledgers, year, listing, by=None, **o: reports.changes(
            ledgers, year, by, listing),
        "subsidies": lambda ledgers, year, listing, by=None, program=None, **o:
            reports.subsidies(ledgers, year, by, program, listing),
        "projects": lambda ledgers, year, listing, by=None, key=False, township=None,
            village=None, **o: programs.projects(ledgers, year, by, township, village, key,
                                                 listing),
        "pairing": lambda ledgers, year, listing, uncovered=False, **o: programs.pairing(
            ledgers, year, uncovered, listing),
        "villages": lambda ledgers, year, listing, incidence=0.02, **o: programs.villages(
            ledgers, year, incidence, listing),
        "housing": lambda ledgers, year, listing, **o: programs.housing(ledgers, year, listing),
        "education": lambda ledgers, year, listing, **o: programs.education(
            ledgers, year, listing),
        "policy": lambda ledgers, year, listing, **o: programs.policy(ledgers, year),
        "flow": lambda ledgers, year, listing, **o: flow(ledgers, year, listing),
        "income": lambda ledgers, year, listing, by=None, line=None, bunching=False,
            margin=None, trend=False, **o: _income(ledgers, year, by, line, listing, bunching,
                                                   margin, trend),
        "monitor": lambda ledgers, year, listing, by=None, candidates=False, margin=None,
            **o: _monitor(ledgers, year, by, listing, candidates, margin),
        **_audit_builders(),
        "readiness": _readiness,
    }


def _audit_builders() -> dict[str, Callable[..., Any]]:
    """The reports of issue 14 (assess, compare, diff)."""
    from .assess import Thresholds, assess
    from .compare import compare, diff, read_figures
    from .sample import draw

    return {
        "assess": lambda ledgers, year, listing, by=None, township=None, village=None,
            thresholds=Thresholds(), **o: assess(ledgers, year, by, listing, township,
                                                 village, thresholds),
        # compare: option `figures` is the published figures' file (none: an empty table)
        "compare": lambda ledgers, year, listing, figures=None, encoding=None, **o: compare(
            ledgers, None if figures is None else read_figures(figures, encoding), listing),
        # diff: `ledgers` is the new export, option `old` the old one (a LedgerSet; none:
        # every row is added)
        "diff": lambda ledgers, year, listing, old=None, show_ids=False, **o: diff(
            old, ledgers, listing, show_ids),
        "sample": lambda ledgers, year, listing, **o: draw(ledgers, year, **o),
    }


def _income(ledgers, year, by, line, listing, bunching, margin, trend):
    from .income import income

    return income(ledgers, year, by, line, listing, bunching,
                  0.1 if margin is None else margin, trend)


def _monitor(ledgers, year, by, listing, candidates, margin):
    from .monitor import monitor

    return monitor(ledgers, year, by, listing, candidates, 0.3 if margin is None else margin)


def _readiness(ledgers, year, listing, planned=False, by=None, school_age=(6, 15),
               margin=0.05, **o):
    from .readiness import ReadinessParams, readiness

    return readiness(ledgers, year, listing, planned, by,
                     ReadinessParams(school_age=tuple(school_age), margin=margin))


def reports() -> list[str]:
    """The names of the reports `build` and `run` make."""
    return list(_builders())


def open_ledgers(data, name: str | None = None, encoding: str | None = None,
                 use_cache: bool = False, notes: list[str] | None = None, progress=None):
    """Read and check the ledgers that report `name` reads (every ledger when None)."""
    from .ledgers import open_ledgers as read

    spec = COMMANDS.get(name) if name else None
    reads = None if spec is None or spec.reads is None else list(spec.reads)
    return read(Path(data), reads, encoding, need=spec.needs if spec else (),
                use_cache=use_cache, notes=notes, progress=progress)


def latest_year(ledgers) -> int:
    """The latest year that any dated row of the ledgers falls in."""
    from .model import latest_year as latest

    year = latest(ledgers)
    if year is None:
        raise UsageError.of("cli.no_dated_rows")
    return year


def build(name: str, ledgers, year: int | None = None, township: str | None = None,
          village: str | None = None, listing: bool = False, **options):
    """Report `name` of ledgers already read, for a year and an area."""
    from .model import restrict

    builders = _builders()
    if name not in builders:
        raise UsageError(f"no report '{name}' (reports: {', '.join(builders)})")
    notes = []
    if year is None and name in ONE_YEAR:
        year = latest_year(ledgers)
        notes.append(("year {year}: the latest year in the ledgers (give --year for another)",
                      {"year": year}))
    if name in OWN_AREA:
        options.update(township=township, village=village)
        ledgers = restrict(ledgers, registered_only=name not in OWN_REGISTRATION)
    else:
        ledgers = restrict(ledgers, township, village,
                           registered_only=name not in OWN_REGISTRATION)
    report = builders[name](ledgers, year, listing, **options)
    report.notes[:0] = notes
    report.meta.setdefault("year", year)
    # the variant shown, for titles in other languages
    variant = "uncovered" if options.get("uncovered") else "list" if listing else None
    report.meta.setdefault("variant", variant)
    report.meta["area"] = " ".join(p for p in (township, village) if p) or None
    return report


def shardable(name: str, listing: bool = False, options: dict | None = None) -> bool:
    """Whether report `name` can be computed per household shard and merged exactly
    (the registry's `merge` column; listings are the rows themselves: whole set)."""
    spec = COMMANDS.get(name)
    merge = spec.merge if spec is not None else None
    return merge is not None and not listing and name not in OWN_AREA \
        and not any((options or {}).get(o) for o in merge.whole_when)


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
    if year is None and name in ONE_YEAR:
        year = latest_year(ledgers)
        notes.append(("year {year}: the latest year in the ledgers (give --year for another)",
                      {"year": year}))
    ledgers = restrict(ledgers, township, village, registered_only=name not in OWN_REGISTRATION)
    parts = sharding.run_map(name, sharding.split(ledgers, shards), year, options, scheduler)
    spec = COMMANDS[name].merge
    assert spec is not None
    report = sharding.merge(parts, spec)
    report.notes[:0] = notes
    report.meta["year"] = year
    report.meta["area"] = " ".join(p for p in (township, village) if p) or None
    return report


def run_sharded(name: str, data, shards: int = 4, scheduler=None, year: int | None = None,
                township: str | None = None, village: str | None = None,
                listing: bool = False, encoding: str | None = None, use_cache: bool = True,
                workers: int | None = 1, **options):
    """run(), computed per household shard and merged (build_sharded). With use_cache
    (and the cache enabled), the shards are kept as a household-partitioned Parquet
    dataset in the cache (cache.py): a later run whose files have not changed reads one
    shard at a time and never holds the whole set, in `workers` processes (None: one a
    core when the set is large; from a script, more than one needs the
    `if __name__ == "__main__":` guard)."""
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
            return _sharded(name, meta, shards, scheduler, year, township, village, options,
                            stored=str(path), workers=workers)
        except cache.Damaged:
            cache.drop(path.name)  # never trusted: read the files again and rebuild it
    # read whole once (no per-file cache entries: the shards are the cache of this set)
    ledgers = open_ledgers(data, name, encoding)
    if scheduler is not None or not (keys and key and set(keys) == set(ledgers.loaded)):
        return build_sharded(name, ledgers, shards, scheduler, year, township, village,
                             listing, **options)
    # cut the set one shard at a time: each written to the dataset, then computed
    meta = sharding.describe(ledgers, keys)
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
    return report


def _sharded(name, meta, shards, scheduler, year, township, village, options, stored=None,
             shard_sets=None, workers: int | None = 1):
    """The report from shards: a dataset's (`stored`, read where each is computed) or
    ledger sets given one at a time (`shard_sets`); `meta` as shards.describe."""
    from . import shards as sharding

    notes = []
    if year is None and name in ONE_YEAR:
        year = meta.get("latest_year")
        if year is None:
            raise UsageError.of("cli.no_dated_rows")
        notes.append(("year {year}: the latest year in the ledgers (give --year for another)",
                      {"year": year}))
    sharding.check_area(meta, township, village)
    if stored is not None:
        parts = sharding.run_map(name, list(range(shards)), year, options, scheduler, stored,
                                 township, village, workers=workers)
    else:
        parts = [p for p in (sharding.compute(name, s, year, options, township, village)
                             for s in shard_sets) if p is not None]
    spec = COMMANDS[name].merge
    assert spec is not None
    report = sharding.merge(parts, spec)
    report.notes[:0] = notes
    report.meta["year"] = year
    report.meta["area"] = " ".join(p for p in (township, village) if p) or None
    return report


def run(name: str, data, year: int | None = None, township: str | None = None,
        village: str | None = None, listing: bool = False, encoding: str | None = None,
        **options):
    """Read the ledgers of folder (or workbook) `data` and build report `name`."""
    return build(name, open_ledgers(data, name, encoding), year, township, village, listing,
                 **options)
