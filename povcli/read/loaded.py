"""What reading gives: LoadedLedger, one ledger read and typed (with the line of each
record, found again only when asked), Untyped, a ledger read as text before typing, and
LedgerSet, the ledgers of one folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, NamedTuple

import numpy as np
import pandas as pd

from ..findings import Finding
from ..schema import Ledger
from .files import Source
from .records import fast_lines, python_records


@dataclass
class LoadedLedger:
    """One ledger file read and typed. frame.index is the record's position in the file."""

    ledger: Ledger
    path: Path
    encoding: str
    frame: pd.DataFrame
    headers: dict[str, str] = field(default_factory=dict)  # column -> header as written
    _data: bytes | memoryview | None = None  # the file's bytes from its header on
    _record_lines: np.ndarray | None = None
    sheet: str | None = None  # the workbook sheet it was read from
    _offset_lines: int = 0  # blank lines before the header
    _records: int = 0  # data records read
    _delimiter: str = ","
    # the file read again (untyped), for its lines once its bytes are gone
    _reread: Callable[[], LoadedLedger | None] | None = None

    @property
    def display(self) -> str:
        return f"{self.path}[{self.sheet}]" if self.sheet else str(self.path)

    @cached_property
    def record_lines(self) -> np.ndarray:
        """Line number (header = 1) of every record, computed only when asked."""
        if self._record_lines is not None:
            return self._record_lines
        data: bytes | memoryview | None = self._data
        if data is None and self._records and self._reread:
            # the bytes were let go once the set was found clean, or the frame came from
            # the cache: the file read again knows its lines (title rows, sheet included)
            again = self._reread()
            data = b""
            if again is not None:
                return again.record_lines
        # one line a record unless a quoted value holds a line break; the line bytes
        # (\n) never occur inside a GB18030 character, so the bytes answer for both
        data = b"" if data is None else data
        lines = fast_lines(data)
        if len(lines) != self._records + 1:
            lines = np.asarray(python_records(bytes(data).decode("utf-8"),
                                              self._delimiter)[1], dtype=np.int64)
        return lines + self._offset_lines

    def line(self, record: int) -> int:
        # record 0 is the header
        return int(self.record_lines[record + 1])

    def lines_of(self, records) -> np.ndarray:
        """The line of each record (frame index labels, file record numbers), at once."""
        return self.record_lines[np.asarray(records, dtype=np.int64) + 1]


@dataclass
class Untyped:
    """A ledger read as text, not yet typed: its LoadedLedger (the frame still empty), the
    cells of each column as Arrow strings, and the record (position in the file) of each
    row kept. loaded is None when the ledger could not be read at all; findings say what
    is wrong either way."""

    loaded: LoadedLedger | None
    findings: list[Finding]
    columns: dict[str, Any] = field(default_factory=dict)  # column -> pa.ChunkedArray
    records: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    quoted: bool = True  # False when the file has no quote: no cell holds a line break

    @classmethod
    def refused(cls, findings: list[Finding]) -> Untyped:
        return cls(None, findings)


@dataclass
class LedgerSet:
    """The ledgers of one folder, read and typed."""

    folder: Path
    loaded: dict[str, LoadedLedger]
    files: dict[str, "Source"]  # where every ledger found is, read or not
    cache_keys: dict[str, str] = field(default_factory=dict)  # ledger -> its cache key
    fresh: list[str] = field(default_factory=list)  # ledgers read now, not from the cache
    read_seconds: float = 0.0
    # per ledger, what reading its file said (a title row skipped...): kept in the cache
    # with the ledger, to be said again when it is read from there
    notes_of: dict[str, list] = field(default_factory=dict)
    # Codes computed from these very frames may be kept in the cache (read/load.py sets
    # both when the set is worth caching): ledger -> (its cache key, its frame as read).
    # A set restricted to an area (replace) has other frames: its codes are computed.
    memo_from: dict[str, tuple[str, pd.DataFrame]] = field(default_factory=dict)
    memo_store: Any = None  # the cache module, when codes may be kept

    def memo(self, name: str, inputs: tuple[str, ...],
             compute: Callable[[], dict[str, np.ndarray]],
             fits: Callable[[dict[str, np.ndarray]], bool]) -> dict[str, np.ndarray]:
        """compute(): arrays computed from ledgers `inputs` alone, as `name` says (change
        the name when the computation changes), or what the cache kept of them for the
        same files; kept values that do not fit are computed again."""
        store = self.memo_store
        if store is None:
            return compute()
        parts = [name]
        for ledger in inputs:
            if ledger not in self.loaded:
                parts.append(f"no {ledger}")
                continue
            kept = self.memo_from.get(ledger)
            if kept is None or kept[1] is not self.loaded[ledger].frame:
                return compute()
            parts.append(kept[0])
        key = store.codes_key(parts)
        value = store.load_codes(key)
        if value is not None and fits(value):
            return value
        value = compute()
        store.store_codes(key, value)
        return value

    def cache_meta(self, name: str) -> dict:
        """What the cache keeps beside ledger `name`'s frame."""
        from ..messages import kept_notes

        one = self.loaded[name]
        return {"encoding": one.encoding, "headers": one.headers,
                "notes": kept_notes(self.notes_of.get(name, []))}

    def has(self, name: str) -> bool:
        return name in self.loaded

    def frame(self, name: str) -> pd.DataFrame:
        return self.loaded[name].frame

    def get(self, name: str) -> pd.DataFrame | None:
        return self.loaded[name].frame if name in self.loaded else None


class ReadOne(NamedTuple):
    """One ledger read and typed (None when it could not be read), and its findings."""

    loaded: LoadedLedger | None
    findings: list[Finding]


class ReadSet(NamedTuple):
    """Ledgers read and typed, and the findings that make them unusable as read."""

    ledgers: LedgerSet
    findings: list[Finding]
