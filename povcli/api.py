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

from pathlib import Path
from typing import Any, Callable, Mapping

from .findings import UsageError
from .registry import COMMANDS


def builder(name: str) -> Callable[..., Any]:
    """The function that builds report `name`, as its registry row names it."""
    import importlib

    spec = COMMANDS.get(name)
    if spec is None or spec.build is None:
        raise UsageError(f"no report '{name}' (reports: {', '.join(reports())})")
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
        raise UsageError.of("cli.no_dated_rows")
    return year


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
        notes.append(("year {year}: the latest year in the ledgers (give --year for another)",
                      {"year": year}))
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
    report.meta["area"] = " ".join(p for p in (township, village) if p) or None
    return report


def run(name: str, data, year: int | None = None, township: str | None = None,
        village: str | None = None, listing: bool = False, encoding: str | None = None,
        **options):
    """Read the ledgers of folder (or workbook) `data` and build report `name`."""
    return build(name, open_ledgers(data, name, encoding), year, township, village, listing,
                 **options)
