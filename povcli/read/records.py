"""Delimited text split into records: every record with its line (the csv module, which
says where a row is broken), the lines of text with no quotes (in numpy), one line's
cells and its delimiter."""

from __future__ import annotations

import csv
import io
from typing import NamedTuple

import numpy as np

from . import limits  # noqa: F401 - sets csv's field size limit


class Broken(NamedTuple):
    """Where the csv module gave up on a record (it stops there), and its error."""

    line: int
    error: str


class Records(NamedTuple):
    """Every non-blank record with its first line; the line of a quote never closed; where
    csv gave up."""

    rows: list[list[str]]
    lines: list[int]
    unclosed: int | None
    broken: Broken | None


class Cells(NamedTuple):
    """One line's cells and the delimiter they are split by."""

    cells: list[str]
    delimiter: str


def python_records(text: str, delimiter: str = ",") -> Records:
    """Every non-blank record with its first line (the csv module), as Records."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, lines = [], []
    last = 0
    broken = None
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            broken = Broken(last + 1, str(exc))
            break
        start = last + 1
        last = reader.line_num
        if row:
            rows.append(row)
            lines.append(start)
    unclosed = None
    if broken is None and text.count('"') % 2 and rows:
        # csv keeps reading a quoted field to the end of the file: the last record has it
        unclosed = lines[-1]
    return Records(rows, lines, unclosed, broken)


LINE_WINDOW = 32 << 20


def fast_lines(data: bytes | memoryview) -> np.ndarray:
    """Line of each non-blank line, for text with no quotes (one line per record)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    # the line ends found a window at a time: no boolean copy of a file of 700 MB
    ends = np.concatenate([np.flatnonzero(buf[at:at + LINE_WINDOW] == 10) + at
                           for at in range(0, len(buf), LINE_WINDOW)] or
                          [np.zeros(0, dtype=np.intp)])
    starts = np.concatenate(([0], ends + 1))
    ends = np.concatenate((ends, [len(buf)]))
    length = ends - starts
    cr = np.zeros(len(starts), dtype=bool)
    has = length > 0
    cr[has] = buf[ends[has] - 1] == 13
    blank = (length - cr) <= 0
    return np.flatnonzero(~blank) + 1


def file_lines(path, start: int = 0) -> np.ndarray:
    """fast_lines of a file's bytes from `start` on, read LINE_WINDOW bytes at a time:
    the lines of a file of gigabytes without holding it."""
    ends, crs = [], []
    at, last = 0, b""
    with open(path, "rb") as f:
        f.seek(start)
        while chunk := f.read(LINE_WINDOW):
            buf = np.frombuffer(chunk, dtype=np.uint8)
            here = np.flatnonzero(buf == 10)
            before = np.empty(len(here), dtype=bool)  # a \r just before the \n
            inside = here > 0
            before[inside] = buf[here[inside] - 1] == 13
            before[~inside] = last == b"\r"
            ends.append(here + at)
            crs.append(before)
            at += len(chunk)
            last = chunk[-1:]
    end = np.concatenate(ends + [np.array([at], dtype=np.intp)])
    cr = np.concatenate(crs + [np.array([last == b"\r"])])
    starts = np.concatenate(([0], end[:-1] + 1))
    length = end - starts
    blank = (length - (cr & (length > 0))) <= 0
    return np.flatnonzero(~blank) + 1


def cells_of(line: bytes, delimiter: str | None = None) -> Cells:
    """One line of bytes as cells, and the delimiter it uses (a tab where it has tabs and
    no comma)."""
    for enc in ("utf-8", "gb18030"):
        try:
            text = line.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = line.decode("utf-8", errors="replace")
    text = text.lstrip("\ufeff").rstrip("\r\n")
    if delimiter is None:
        delimiter = "\t" if "\t" in text and "," not in text else ","
    try:
        return Cells(next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), []),
                     delimiter)
    except csv.Error:
        return Cells(text.split(delimiter), delimiter)
