"""A ledger set built in memory from DataFrames: typed by the same schema, its cells read
by the same parsers and its keys and references checked by the same rules as files. For
model and rule tests that need no files, and for a library user whose rows are already
in pandas.

    >>> households = pd.DataFrame({"household_id": ["H1"], ...})   # doctest: +SKIP
    >>> ledgers = open_frames({"households": households, "members": members})  # doctest: +SKIP

A frame's columns are named as a file's headers may be (English or Chinese, any case);
its cells may be text ("2017-03-28", "￥1,000.00", "因病", "是") or already typed
(Timestamps, numbers, booleans, codes): a typed value is written as a CSV would hold it
and read back by the same parsers, so a frame passes exactly where a file would. A
finding's place is the ledger's name and the row's position in its frame counted from 1
(`households:3: column identified: not a date (value 'x')`); the frame's own index is
not used. Nothing is dropped: a blank or totals row is a row.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa

from ..findings import Finding, LedgerError, UsageError
from ..schema import LEDGERS
from .columns import type_columns
from .files import Source, ledger_by_name
from .integrity import integrity_findings
from .loaded import LedgerSet, LoadedLedger, ReadSet
from .table import match_header

IN_MEMORY = Path("(in memory)")  # the folder of a set built from frames


def _text(value) -> str | None:
    """A cell's value as the text a CSV would hold; None for an empty cell."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (date, np.datetime64)):  # Timestamp and datetime are dates too
        if pd.isna(value):
            return None
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        if float(value).is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(float(value))
    return str(value)


def _texts(column: pd.Series) -> pa.Array:
    return pa.array([_text(v) for v in column.tolist()], pa.string())


def _ledger(name: str, frame: pd.DataFrame) -> tuple[LoadedLedger | None, list[Finding]]:
    ledger = LEDGERS[name]
    header = [str(c) for c in frame.columns]
    matched = match_header(header, ledger, name, None)
    if matched.findings:
        return None, matched.findings
    n = len(frame)
    columns = {col: _texts(frame.iloc[:, i]) for col, i in matched.position.items()}
    # line 0 is the header, row k of the frame (from 1) line k
    loaded = LoadedLedger(ledger, Path(name), "frame", pd.DataFrame(), matched.headers,
                          _record_lines=np.arange(n + 1), _records=n)
    return loaded, type_columns(loaded, columns, np.arange(n))


def read_frames(frames: Mapping[str, pd.DataFrame]) -> ReadSet:
    """Frames (ledger name -> DataFrame) as a typed ledger set, and the findings that make
    it unusable (bad cells, missing columns or ledgers); keys and references unchecked,
    as read_ledgers gives them."""
    by_name = ledger_by_name()
    named: dict[str, pd.DataFrame] = {}
    for key, frame in frames.items():
        name = by_name.get(str(key).strip().casefold())
        if name is None:
            raise UsageError(f"no ledger '{key}' (ledgers: {', '.join(LEDGERS)})")
        if name in named:
            raise UsageError(f"ledger '{name}' given twice")
        named[name] = frame
    findings: list[Finding] = []
    for name in ("households", "members"):
        if name not in named:
            findings.append(Finding.of(name, "reader.missing_ledger", ledger=name,
                                       filename=LEDGERS[name].filename,
                                       zh_filename=LEDGERS[name].zh_filename))
    loaded: dict[str, LoadedLedger] = {}
    for name in LEDGERS:  # in the contract's order, as files are read
        if name not in named:
            continue
        one, problems = _ledger(name, named[name])
        findings += problems
        if one is not None:
            loaded[name] = one
    files = {name: Source(Path(name)) for name in named}
    return ReadSet(LedgerSet(IN_MEMORY, loaded, files), findings)


def open_frames(frames: Mapping[str, pd.DataFrame]) -> LedgerSet:
    """Frames as a typed, checked ledger set; LedgerError with every finding (cells,
    columns, keys, references) if anything is wrong, as open_ledgers does for files."""
    ledgers, findings = read_frames(frames)
    findings += integrity_findings(ledgers)
    if findings:
        raise LedgerError(findings)
    return ledgers
