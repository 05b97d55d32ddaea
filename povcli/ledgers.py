"""Reading a ledger folder into typed DataFrames, with every problem as a Finding.

The reading rules of the contract live here and only here: finding the files,
detecting the encoding, matching headers, parsing dates, amounts, years and
enumerations, and checking keys and references. Everything downstream gets
clean, typed frames whose index is the record's position in its file.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
import sys
import unicodedata
import zipfile
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .findings import Finding, LedgerError, mask_text
from .messages import MESSAGES, Said, say
from .schema import (AMOUNT, BOOL, COUNT, DATE, ENUM, ENUM_SET, ENUMS, ID, LEDGERS, RID,
                     EXIT_CLAIMING_LABELS, POOR_CLAIMING_LABELS, SET_SEPARATORS, TEXT, YEAR,
                     Ledger, enum_index, header_index, header_key)

ENCODINGS = ("utf-8", "gb18030")
CSV_SUFFIXES = (".csv", ".tsv")

# Limits on what povcli reads: a cell, an amount, a workbook. Module constants, looked up
# at each read (a test may patch them).
MAX_CELL = 1_000_000  # characters in one cell
MAX_AMOUNT = 1e12  # yuan, either sign
MAX_UNPACKED = 500 * 1024 * 1024  # bytes, all members of a workbook's zip together
MAX_SHEET_ROWS = 1_048_576
MAX_SHEET_COLUMNS = 1_000
MAX_SHEET_CELLS = 50_000_000  # rows x columns of a sheet's extent
TITLE_ROWS = 10  # rows above the header that may be skipped

# the cells povcli reads can be long, up to MAX_CELL characters (4 bytes each at most)
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


# --------------------------------------------------------------------------- files

def _ledger_by_name() -> dict[str, str]:
    """A file stem or sheet name (any case, English or Chinese) -> ledger name."""
    names = {}
    for ledger in LEDGERS.values():
        names[ledger.name.casefold()] = ledger.name
        names[unicodedata.normalize("NFC", ledger.zh).casefold()] = ledger.name
    return names


def _sheets(path: Path) -> list[str]:
    from python_calamine import CalamineWorkbook

    if not _regular(path) or _unpacked_too_big(path) is not None:
        return []  # read as a ledger, it is refused with its reason; else it names none
    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception:  # not a readable workbook: it names no ledger
        return []


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _not_a_file(path: Path, display: str) -> Finding | None:
    """A finding when path is not a regular file (never opened: a FIFO would block)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return Finding.of(display, "reader.cannot_read", error=exc.strerror or str(exc))
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return Finding.of(display, "reader.is_directory")
    kind = ("FIFO" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode)
            else "device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "special file")
    return Finding.of(display, "reader.is_special", kind=kind)


def find_files(folder: Path) -> tuple[dict[str, "Source"], list[Finding]]:
    """Ledger name -> where it is: a CSV file or workbook named after it (English or
    Chinese, any case), or a sheet so named in a workbook. `folder` may be a workbook."""
    by_name = _ledger_by_name()
    found: dict[str, list[Source]] = {}
    if folder.is_file() and folder.suffix.lower() in EXCEL_SUFFIXES:
        for sheet in _sheets(folder):
            name = by_name.get(unicodedata.normalize("NFC", sheet.strip()).casefold())
            if name:
                found.setdefault(name, []).append(Source(folder, sheet))
        if not found:
            problem = _unpacked_too_big(folder)
            return {}, [problem or Finding.of(str(folder), "reader.no_sheet")]
        entries = []
    else:
        try:
            entries = sorted(os.listdir(folder))
        except FileNotFoundError:
            return {}, [Finding.of(str(folder), "reader.no_folder")]
        except NotADirectoryError:
            return {}, [Finding.of(str(folder), "reader.not_folder")]
        except OSError as exc:
            return {}, [Finding.of(str(folder), "reader.cannot_read",
                                   error=exc.strerror or str(exc))]
    for entry in entries:
        path = folder / entry
        stem, suffix = os.path.splitext(unicodedata.normalize("NFC", entry))
        suffix = suffix.lower()
        if suffix not in (*CSV_SUFFIXES, *EXCEL_SUFFIXES):
            continue
        name = by_name.get(stem.strip().casefold())
        if name:  # a folder or a FIFO so named is found too: reading it says what it is
            found.setdefault(name, []).append(Source(path))
        elif suffix in EXCEL_SUFFIXES and _regular(path):
            for sheet in _sheets(path):
                sheet_name = by_name.get(unicodedata.normalize("NFC", sheet.strip()).casefold())
                if sheet_name:
                    found.setdefault(sheet_name, []).append(Source(path, sheet))
    findings: list[Finding] = []
    sources: dict[str, Source] = {}
    for name in LEDGERS:
        places = found.get(name, [])
        if len(places) > 1:
            findings.append(Finding.of(places[0].display, "reader.ambiguous",
                                       files=" and ".join(p.display for p in places),
                                       ledger=name))
        elif places:
            sources[name] = places[0]
    return sources, findings


def decode(raw: bytes, encoding: str | None) -> tuple[str, str]:
    """Bytes -> (text, encoding used). Strict UTF-8 first: GB18030 decodes almost anything."""
    if encoding:
        enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
        return raw.decode(enc), encoding
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("gb18030"), "gb18030"


# --------------------------------------------------------------------------- cells

_DATE_RE = re.compile(
    r"(?:(\d{4})([-/.])(\d{1,2})\2(\d{1,2})|(\d{4})(\d{2})(\d{2})"
    r"|(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?)"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_YEAR_RE = re.compile(r"(\d{4})(?:\s*年|\.0+)?")
_AMOUNT_RE = re.compile(r"([-+]?)\s*([￥¥]?)\s*([-+]?)\s*(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*元?")
_COUNT_RE = re.compile(r"\d{1,3}(?:,\d{3})+|\d+")


class CellError(ValueError):
    """A cell that cannot be read: a catalogue message id with its parameters."""

    def __init__(self, msg: str, **params):
        self.msg = msg
        self.params = params
        super().__init__(say(msg, "en", **params))


def parse_date(text: str) -> np.datetime64:
    m = _DATE_RE.fullmatch(text)
    if not m:
        raise CellError("reader.not_date")
    g = m.groups()
    y, mo, d = (g[0], g[2], g[3]) if g[0] else (g[4], g[5], g[6]) if g[4] else (g[7], g[8], g[9])
    try:
        return np.datetime64(date(int(y), int(mo), int(d)), "D")
    except ValueError:
        raise CellError("reader.impossible_date") from None


def parse_year(text: str) -> int:
    m = _YEAR_RE.fullmatch(text)
    if not m:
        raise CellError("reader.not_year")
    return int(m.group(1))


def _limit_text() -> str:
    return f"{MAX_AMOUNT:,.0f}"


def parse_amount(text: str) -> float:
    """Yuan with at most two decimals, as the double nearest to the exact fen."""
    m = _AMOUNT_RE.fullmatch(text)
    if not m:
        raise CellError("reader.not_amount")
    sign1, _, sign2, digits, frac = m.groups()
    if sign1 and sign2:
        raise CellError("reader.two_signs")
    frac = (frac or ".")[1:]
    if len(frac) > 2:
        raise CellError("reader.amount_decimals")
    fen = int(digits.replace(",", "")) * 100 + int(frac.ljust(2, "0"))
    if fen > MAX_AMOUNT * 100:
        raise CellError("reader.amount_range", limit=_limit_text())
    if fen == 0:
        return 0.0  # never a negative zero
    return (-fen if "-" in (sign1 + sign2) else fen) / 100


def parse_count(text: str) -> int:
    if not _COUNT_RE.fullmatch(text):
        raise CellError("reader.not_count")
    return int(text.replace(",", ""))


def enum_parser(enum_name: str) -> Callable[[str], str]:
    enum = ENUMS[enum_name]
    index = enum_index(enum)
    codes = enum.codes
    listed = ", ".join(f"{c} {enum.labels[c]}" for c in codes)

    msg = f"reader.unknown.{enum_name}"

    def parse(text: str) -> str:
        code = index.get(header_key(text))
        if code is None:
            if msg in MESSAGES:
                raise CellError(msg, listed=listed)
            raise CellError("reader.unknown_value", kind=enum_name.replace("_", " "),
                            listed=listed)
        return code
    return parse


_TYPED = {DATE: (parse_date, "datetime64[D]"), YEAR: (parse_year, "float64"),
          AMOUNT: (parse_amount, "float64"), COUNT: (parse_count, "float64")}


# --------------------------------------------------------------------------- records

def _python_records(text: str, delimiter: str = ","
                    ) -> tuple[list[list[str]], list[int], int | None, tuple | None]:
    """Every non-blank record with its first line; the line of a quote never closed; and
    (line, error) where csv gave up on a record (it stops there)."""
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
            broken = (last + 1, str(exc))
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
    return rows, lines, unclosed, broken


def _fast_lines(data: bytes) -> np.ndarray:
    """Line of each non-blank line, for text with no quotes (one line per record)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    starts = np.concatenate(([0], ends + 1))
    ends = np.concatenate((ends, [len(buf)]))
    length = ends - starts
    cr = np.zeros(len(starts), dtype=bool)
    has = length > 0
    cr[has] = buf[ends[has] - 1] == 13
    blank = (length - cr) <= 0
    return np.flatnonzero(~blank) + 1


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

    @property
    def display(self) -> str:
        return f"{self.path}[{self.sheet}]" if self.sheet else str(self.path)

    @cached_property
    def record_lines(self) -> np.ndarray:
        """Line number (header = 1) of every record, computed only when asked."""
        if self._record_lines is not None:
            return self._record_lines
        data = self._data
        if data is None and self.sheet is None and self._records:
            # the bytes were let go once the set was found clean: read them again
            again = _read_csv(Source(self.path), self.ledger,
                              None if self.encoding == "utf-8" else self.encoding)
            data = again[0]._data if again[0] is not None else b""
        data = data if data is not None else b""
        # one line a record unless a quoted value holds a line break; the line bytes
        # (\n) never occur inside a GB18030 character, so the bytes answer for both
        lines = _fast_lines(data)
        if len(lines) != self._records + 1:
            lines = np.asarray(_python_records(bytes(data).decode("utf-8"),
                                               self._delimiter)[1])
        return lines + self._offset_lines

    def line(self, record: int) -> int:
        # record 0 is the header
        return int(self.record_lines[record + 1])


def _findings_for(loaded_display: str, rows: np.ndarray, lines_of: Callable, column: str,
                  errors: list[CellError], values, header: str | None = None
                  ) -> list[Finding]:
    return [Finding.of(loaded_display, e.msg, lines_of(int(r)), column, v, header=header,
                       **e.params)
            for r, e, v in zip(rows, errors, values)]


EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


@dataclass(frozen=True)
class Source:
    """Where a ledger is: a CSV file, or one sheet of a workbook."""

    path: Path
    sheet: str | None = None  # None for a CSV, or for a workbook's first sheet

    @property
    def is_excel(self) -> bool:
        return self.path.suffix.lower() in EXCEL_SUFFIXES

    @property
    def display(self) -> str:
        return f"{self.path}[{self.sheet}]" if self.sheet else str(self.path)


def _match_header(header: list[str], ledger: Ledger, display: str, line: int):
    """Header cells -> {column: position}, {column: header as written}, findings."""
    index = header_index(ledger)
    position: dict[str, int] = {}
    headers: dict[str, str] = {}
    findings: list[Finding] = []
    for i, cell in enumerate(header):
        name = index.get(header_key(cell))
        if name is None:
            continue  # unknown columns are kept in the file and ignored here
        if name in position:
            findings.append(Finding.of(display, "reader.duplicate_header", line,
                                       first=headers[name], second=cell.strip(), name=name))
            continue
        position[name] = i
        headers[name] = cell.strip()
    for col in ledger.columns:
        if col.required and col.name not in position:
            findings.append(Finding.of(
                display, "reader.missing_column", name=col.name, zh=col.zh,
                cells=mask_text(", ".join(c.strip() for c in header)[:200])))
    return position, headers, findings


def _names_required(cells: list[str], ledger: Ledger) -> int:
    """How many columns of the ledger the cells name; -1 when they name every required one."""
    index = header_index(ledger)
    named = {index.get(header_key(c)) for c in cells} - {None}
    if all(col.name in named for col in ledger.columns if col.required):
        return -1
    return len(named)


def _cells(line: bytes, delimiter: str | None = None) -> tuple[list[str], str]:
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
        return next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), []), delimiter
    except csv.Error:
        return text.split(delimiter), delimiter


def _find_header(raw: bytes, start: int, ledger: Ledger, delimiter: str | None = None
                 ) -> tuple[int, int, int, str]:
    """(byte where the header row starts, lines above it, title rows skipped, delimiter).

    The header is the first of the first TITLE_ROWS + 1 non-blank lines that names every
    required column; when none does, the one naming most columns (the first non-blank
    line when none names any), for its findings to say what is missing."""
    best = None  # (named, start, lines above, titles, delimiter)
    lines = titles = 0
    pos = start
    while pos < len(raw) and titles <= TITLE_ROWS and lines < 10_000:
        end = raw.find(b"\n", pos)
        end = len(raw) if end == -1 else end + 1
        line = raw[pos:end]
        cells, used = _cells(line[:1 << 20], delimiter) if line.strip() else ([], ",")
        if any(c.strip() for c in cells):  # a row of empty cells (,,,,) is a blank line
            named = _names_required(cells, ledger)
            if named == -1:
                return pos, lines, titles, used
            if best is None or named > best[0]:
                best = (named, pos, lines, 0, used)
            titles += 1
        pos = end
        lines += 1
    if best is None:
        return start, 0, 0, delimiter or ","
    return best[1], best[2], best[3], best[4]


def read_ledger(path, ledger: Ledger, encoding: str | None = None,
                notes: list[str] | None = None) -> tuple[LoadedLedger | None, list[Finding]]:
    """Read one ledger from a CSV file or a workbook sheet (a Path or a Source).

    Whatever the bytes, nothing escapes as an exception: every problem is a Finding."""
    source = path if isinstance(path, Source) else Source(Path(path))
    problem = _not_a_file(source.path, source.display)
    if problem is not None:
        return None, [problem]
    if source.is_excel:
        raw = _read_excel(source, ledger, notes)
    else:
        raw = _read_csv(source, ledger, encoding, notes)
    if raw[0] is None:
        return None, raw[1]
    loaded, columns, frame_index, findings = raw
    return loaded, findings + _type_columns(loaded, columns, frame_index)


def _is_utf8(data) -> bool:
    """Strictly valid UTF-8, checked in pieces (no copy of a big file in memory)."""
    import codecs
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        for i in range(0, len(data), 1 << 24):
            decoder.decode(data[i:i + (1 << 24)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _blank(raw: bytes) -> bool:
    head = raw[:65536].lstrip(b"\xef\xbb\xbf").strip()
    return not head and (len(raw) <= 65536 or not raw.strip())


def _place(raw: bytes, offset: int) -> tuple[int, int]:
    """(line, byte within the line), both from 1, of a byte offset."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, offset - line_start + 1


def _undecodable(display: str, raw: bytes, offset: int, msg: str, **params) -> Finding:
    line, byte = _place(raw, offset)
    return Finding.of(display, msg, line, byte=byte, **params)


def _read_csv(source: Source, ledger: Ledger, encoding: str | None,
              notes: list[str] | None = None):
    path = source.path
    display = source.display
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Finding.of(display, "reader.cannot_read", error=exc.strerror or str(exc))]
    if _blank(raw):
        return None, [Finding.of(display, "reader.empty_file")]
    if b"\x00" in raw:
        return None, [Finding.of(display, "reader.nul_bytes")]
    # UTF-8 is read as it is, straight from the bytes; anything else is decoded and
    # re-encoded first (strict UTF-8 first: GB18030 decodes almost anything).
    used = "utf-8"
    if encoding and encoding.lower().replace("_", "-") not in ("utf-8", "utf8", "utf-8-sig"):
        try:
            raw = raw.decode(encoding).encode("utf-8")
        except LookupError:
            return None, [Finding.of(display, "reader.unknown_encoding", encoding=encoding)]
        except UnicodeDecodeError as exc:
            return None, [_undecodable(display, raw, exc.start, "reader.not_encoding_at",
                                       encoding=encoding)]
        used = encoding
    bom = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    start, offset_lines, titles, delimiter = _find_header(
        raw, bom, ledger, "\t" if path.suffix.lower() == ".tsv" else None)
    if titles and notes is not None:
        notes.append(Said.of("reader.title_rows", file=display, count=titles))
    first = raw[start:(raw.find(b"\n", start) + 1 or len(raw))]
    try:
        first.decode("utf-8")
        body = memoryview(raw)[start:]
    except UnicodeDecodeError:
        body = None
    position = table = None
    if body is not None:
        position, headers, table, findings = _arrow_body(
            body, display, ledger, 1 + offset_lines, raw.count(b'"', start), delimiter)
        if table == "not utf-8" or ((position is None or table is None)
                                    and not _is_utf8(body)):
            body = None  # a header that does not match may just be mis-decoded
    if body is None:
        if encoding and used == "utf-8":
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return None, [_undecodable(display, raw, exc.start, "reader.not_encoding_at",
                                           encoding=encoding)]
            return None, [Finding.of(display, "reader.not_encoding", encoding=encoding)]
        try:
            text = raw[start:].decode("gb18030")
        except UnicodeDecodeError as exc:
            return None, [_undecodable(display, raw, start + exc.start, "reader.undecodable")]
        used = "gb18030"
        body = text.encode("utf-8")
        position, headers, table, findings = _arrow_body(
            body, display, ledger, 1 + offset_lines, body.count(b'"'), delimiter)
    if position is None:  # the header itself is wrong
        return None, findings
    record_lines = None
    if table is None:  # pyarrow refused a row: read again with csv, line by line
        text = bytes(body).decode("utf-8")
        rows, lines, unclosed, broken = _python_records(text, delimiter)
        lines = [ln + offset_lines for ln in lines]
        width = len(rows[0]) if rows else 0
        keep = []
        for rec, row in enumerate(rows[1:], start=1):
            kind = _row_kind(row)
            if kind == "blank":
                continue
            if kind == "totals":
                findings.append(Finding.of(display, "reader.totals_row", lines[rec]))
            elif unclosed is not None and rec == len(rows) - 1:
                findings.append(Finding.of(display, "reader.quote_unclosed", lines[rec]))
            elif len(row) != width:
                findings.append(Finding.of(
                    display, "reader.fields_more" if len(row) > width else "reader.fields",
                    lines[rec], count=len(row), width=width))
            else:
                keep.append(rec)
        if broken is not None:
            findings.append(Finding.of(display, "reader.bad_row", broken[0] + offset_lines,
                                       error=broken[1]))
        record_lines = np.asarray(lines)
        cols = {c: pa.chunked_array([pa.array([rows[r][i] for r in keep], pa.string())])
                for c, i in position.items()}
        frame_index = np.asarray(keep, dtype=np.int64) - 1
    else:
        all_cols = [table.column(i) for i in range(table.num_columns)]
        dropped, totals = _blank_and_totals(all_cols)
        frame_index = np.arange(table.num_rows)
        cols = {c: table.column(f"c{i}") for c, i in position.items()}
        if dropped is not None:
            keep_mask = pa.array(~dropped)
            frame_index = frame_index[~dropped]
            cols = {c: a.filter(keep_mask) for c, a in cols.items()}
    n = len(frame_index)
    loaded = LoadedLedger(ledger, path, used, pd.DataFrame(), headers, _data=body,
                          _record_lines=record_lines, _offset_lines=offset_lines,
                          _records=n if record_lines is not None else table.num_rows,
                          _delimiter=delimiter)
    if table is not None and totals is not None and len(totals):
        findings += [Finding.of(display, "reader.totals_row", loaded.line(int(r)))
                     for r in totals]
    return loaded, cols, frame_index, findings


_TOTALS = r"^.{0,6}(合\s*计|总\s*计|小\s*计).{0,6}$"


def _row_kind(cells) -> str | None:
    """'blank' for a row of empty cells, 'totals' for a totals row, else None."""
    for cell in cells:
        text = "" if cell is None else str(cell).strip()
        if text:
            return "totals" if re.match(_TOTALS, text) else None
    return "blank"


def _blank_and_totals(columns: list) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(rows to drop, records that are totals rows), or (None, None) when every row is a
    record. In Arrow: the first column decides for nearly every row; only rows whose first
    cell is empty look further, and only cells holding 计 are looked at in Python."""
    if not columns or not len(columns[0]):
        return None, None
    n = len(columns[0])

    def empty(col):
        return pc.or_(pc.equal(col, ""), pc.utf8_is_space(col)).to_numpy(zero_copy_only=False)

    def totals_in(col) -> np.ndarray:
        hits = np.flatnonzero(pc.match_substring(col, "计").to_numpy(zero_copy_only=False))
        if not len(hits):
            return hits
        texts = col.take(pa.array(hits)).to_pylist()
        return hits[[bool(re.match(_TOTALS, t.strip())) for t in texts]]

    first_empty = empty(columns[0])
    totals = [totals_in(columns[0])]
    blank = None
    if first_empty.any():
        rows = np.flatnonzero(first_empty)  # rows still looking for a non-empty cell
        for col in columns[1:]:
            cells = col.take(pa.array(rows))
            here = empty(cells)
            found = np.flatnonzero(~here)
            if len(found):
                totals.append(rows[found][totals_in(cells.take(pa.array(found)))])
            rows = rows[here]
            if not len(rows):
                break
        if len(rows):
            blank = np.zeros(n, dtype=bool)
            blank[rows] = True
    totals = np.unique(np.concatenate(totals)).astype(np.int64)
    if blank is None and not len(totals):
        return None, None
    dropped = np.zeros(n, dtype=bool) if blank is None else blank
    dropped[totals] = True
    return dropped, (totals if len(totals) else None)


def _arrow_body(body, display: str, ledger: Ledger, header_line: int, quotes: int,
                delimiter: str = ","):
    """(positions, headers, table, findings): the records as Arrow strings (every column,
    named c0, c1, ...); table is None when a row is malformed (csv then says where) and
    "not utf-8" when bytes are not; positions is None when the header itself is wrong."""
    end = bytes(body[:1 << 20]).find(b"\n")
    first = bytes(body[:end if end >= 0 else 1 << 20]).decode("utf-8", errors="replace")
    header, _ = _cells(first.encode("utf-8"), delimiter)
    position, headers, findings = _match_header(header, ledger, display, header_line)
    if findings:
        return None, None, None, findings
    names = [f"c{i}" for i in range(len(header))]
    if quotes % 2 == 1:  # a quote left open: csv says where
        return position, headers, None, []
    block = 1 << 24
    while True:
        try:
            table = pacsv.read_csv(
                pa.BufferReader(pa.py_buffer(body)),
                read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                               block_size=block),
                parse_options=pacsv.ParseOptions(newlines_in_values=True, delimiter=delimiter),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: pa.string() for n in names}, strings_can_be_null=False))
        except pa.ArrowInvalid as exc:
            if "straddl" in str(exc) and block < len(body) + 1 and block < (1 << 31) - 1:
                block = min(max(block * 4, len(body) + 1), (1 << 31) - 1)
                continue  # a cell longer than a block: one block for the whole file
            if "utf8" in str(exc).lower():
                return position, headers, "not utf-8", []
            return position, headers, None, []
        except pa.ArrowException:
            return position, headers, None, []
        return position, headers, table, []


# --------------------------------------------------------------------------- Excel

EXCEL_EPOCH = np.datetime64("1899-12-30")


def _excel_text(value, type_: str) -> tuple[str, str | None]:
    """An Excel cell as the text a CSV would hold, and a problem (a message id) where it
    is not certain."""
    if isinstance(value, str):
        return value, None
    if isinstance(value, bool):
        return ("true" if value else "false"), None
    if isinstance(value, float):
        if type_ == RID and value >= 1e15:
            return (f"{value:.6E}", "reader.excel_id_number")
        if type_ == DATE and value.is_integer():
            n = int(value)
            if 19000101 <= n <= 29991231:  # 20170713 typed as a number
                return str(n), None
            if 1 <= n < 2958466:  # a date serial whose cell lost its date format
                return str(EXCEL_EPOCH + np.timedelta64(n, "D")), None
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value)), None
        return repr(value), None
    if isinstance(value, int):
        return str(value), None
    if hasattr(value, "isoformat"):  # date, datetime, time
        text = value.isoformat()
        return (text[:10] if type_ == DATE and len(text) >= 10 else text), None
    return str(value), None


_ZIPPED = (".xlsx", ".xlsm", ".ods")


def _unpacked_too_big(path: Path) -> Finding | None:
    """A finding when a zipped workbook would unpack to more than MAX_UNPACKED bytes."""
    if path.suffix.lower() not in _ZIPPED or not _regular(path):
        return None
    try:
        with zipfile.ZipFile(path) as zf:
            size = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None  # calamine says what is wrong with it
    if size > MAX_UNPACKED:
        return Finding.of(str(path), "reader.workbook_too_big", size=f"{size:,}",
                          limit=f"{MAX_UNPACKED:,}")
    return None


_CELL_REF = re.compile(rb"<(?:\w+:)?c\b[^>]*?\sr=\"([A-Z]{1,3})([0-9]{1,9})\"")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\sref=\"(?:[A-Z]*[0-9]*:)?([A-Z]{1,3})"
                        rb"([0-9]{1,9})\"")


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _sheet_member(zf: zipfile.ZipFile, sheet: str) -> list[str]:
    """The zip members holding the sheet's cells (every worksheet when it cannot tell)."""
    import xml.etree.ElementTree as ET

    worksheets = [n for n in zf.namelist()
                  if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    try:
        book = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        rid = None
        for el in book.iter():
            if el.tag.endswith("}sheet") and el.get("name") == sheet:
                rid = next(v for k, v in el.attrib.items() if k.endswith("}id"))
        for el in rels.iter():
            if el.get("Id") == rid:
                target = el.get("Target", "").lstrip("/")
                member = target if target.startswith("xl/") else "xl/" + target
                if member in worksheets:
                    return [member]
    except Exception:  # any damage: look at every worksheet
        pass
    return worksheets


def _sheet_too_big(path: Path, sheet: str, display: str) -> Finding | None:
    """A finding when the sheet's extent (its dimension and the farthest cell it names) is
    beyond the limits: calamine would allocate every cell of it. Streams the XML."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return None
    try:
        with zipfile.ZipFile(path) as zf:
            rows = columns = 0
            for member in _sheet_member(zf, sheet):
                with zf.open(member) as f:
                    tail = b""
                    while True:
                        chunk = f.read(1 << 20)
                        if not chunk:
                            break
                        buf = tail + chunk
                        for regex in (_CELL_REF, _DIMENSION):
                            for letters, digits in set(regex.findall(buf)):
                                rows = max(rows, int(digits))
                                columns = max(columns, _column_number(letters))
                        tail = buf[-256:]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zipfile.LargeZipFile):
        return None  # calamine says what is wrong with it
    if (rows > MAX_SHEET_ROWS or columns > MAX_SHEET_COLUMNS
            or rows * columns > MAX_SHEET_CELLS):
        return Finding.of(display, "reader.sheet_too_big", sheet=sheet, rows=f"{rows:,}",
                          columns=f"{columns:,}", max_rows=f"{MAX_SHEET_ROWS:,}",
                          max_columns=f"{MAX_SHEET_COLUMNS:,}",
                          max_cells=f"{MAX_SHEET_CELLS:,}")
    return None


def _read_excel(source: Source, ledger: Ledger, notes: list[str] | None = None):
    from python_calamine import CalamineWorkbook

    display = source.display
    problem = _unpacked_too_big(source.path)
    if problem is not None:
        return None, [replace(problem, file=display)]
    try:
        book = CalamineWorkbook.from_path(str(source.path))
        name = source.sheet if source.sheet else book.sheet_names[0]
        shown = Source(source.path, name).display
        problem = _sheet_too_big(source.path, name, shown)
        if problem is not None:
            return None, [problem]
        sheet = book.get_sheet_by_name(name)
        rows = sheet.to_python()
        first = sheet.start[0] + 1 if sheet.start else 1
    except Exception as exc:  # calamine raises its own kinds for every broken workbook
        return None, [Finding.of(display, "reader.not_workbook",
                                 error=f"{type(exc).__name__}: {str(exc)[:120]}")]
    if source.sheet is None:
        source = Source(source.path, sheet.name)
        display = source.display
    numbered = [(first + i, r) for i, r in enumerate(rows)
                if any(v != "" and v is not None for v in r)]
    if not numbered:
        return None, [Finding.of(display, "reader.empty_sheet")]
    at, best = 0, None
    for k, (_, row) in enumerate(numbered[:TITLE_ROWS + 1]):
        named = _names_required(["" if v is None else str(v) for v in row], ledger)
        if named == -1:
            at = k
            break
        if best is None or named > best:
            best, at = named, k
    else:
        at = 0 if not best else at
    if at and notes is not None:
        notes.append(Said.of("reader.title_rows", file=display, count=at))
    header_line, header_row = numbered[at]
    header = ["" if v is None else str(v) for v in header_row]
    position, headers, findings = _match_header(header, ledger, display, header_line)
    if findings:
        return None, findings
    body = []
    for line, row in numbered[at + 1:]:
        if _row_kind(row) == "totals":
            findings.append(Finding.of(display, "reader.totals_row", line))
        else:
            body.append((line, row))
    types = {c.name: c.type for c in ledger.columns}
    cols = {}
    for name, i in position.items():
        texts = []
        for line, row in body:
            value = row[i] if i < len(row) else ""
            text, problem = _excel_text(value, types[name])
            if problem:
                findings.append(Finding.of(display, problem, line, name, header=headers[name]))
            texts.append(text)
        cols[name] = pa.array(texts, pa.string())
    loaded = LoadedLedger(ledger, source.path, "xlsx", pd.DataFrame(), headers,
                          _record_lines=np.asarray([header_line] + [ln for ln, _ in body]),
                          sheet=source.sheet)
    return loaded, cols, np.arange(len(body)), findings


_PLAIN_NUMBER = r"^-?\d+(\.\d{1,2})?$"  # cast in bulk: at most two decimals


def _strings(arr) -> pa.ChunkedArray:
    arr = arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr], pa.string())
    return arr if arr.num_chunks else pa.chunked_array([pa.array([], pa.string())])


def _parse_column(col, arr: pa.ChunkedArray):
    """(parsed values, positions of bad cells, reason per bad cell, text per bad cell).

    Each distinct text is parsed once (dates, years, enumerations repeat a lot); plain
    numbers in amount columns are cast in bulk and only the rest is parsed one by one.
    """
    n = len(arr)
    if col.type == AMOUNT:
        # "12.34" cast by Arrow is the double nearest to 1234 / 100, as parse_amount's is
        plain = pc.fill_null(pc.match_substring_regex(arr, _PLAIN_NUMBER), True)
        out = pc.cast(pc.if_else(plain, arr, pa.scalar(None, pa.string())), pa.float64())
        out = np.array(out.to_numpy() if isinstance(out, pa.Array) else out.to_numpy(),
                       dtype="float64")
        out += 0.0  # -0 is 0: never a negative zero
        rest = np.flatnonzero(~plain.to_numpy(zero_copy_only=False))
        bad, errors = [], []
        if len(rest):
            texts = arr.take(pa.array(rest)).to_pylist()
            for pos, text in zip(rest, texts):
                try:
                    out[pos] = parse_amount(text)
                except CellError as exc:
                    out[pos] = np.nan
                    bad.append(pos)
                    errors.append(exc)
        with np.errstate(invalid="ignore"):
            over = np.flatnonzero(np.abs(out) > MAX_AMOUNT)
            zero = np.flatnonzero(out == 0) if col.nonzero else np.empty(0, dtype=np.int64)
        for positions, error in ((over, CellError("reader.amount_range", limit=_limit_text())),
                                 (zero, CellError("reader.amount_zero"))):
            bad += positions.tolist()
            errors += [error] * len(positions)
        if not bad:
            return out, np.empty(0, dtype=np.int64), [], []
        bad = np.asarray(bad, dtype=np.int64)
        out[bad] = np.nan
        return out, bad, errors, arr.take(pa.array(bad)).to_pylist()
    encoded = pc.dictionary_encode(arr.combine_chunks() if n else pa.array([], pa.string()))
    uniques = encoded.dictionary.to_pylist()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    if col.type in _TYPED:
        parse, dtype = _TYPED[col.type]
    elif col.type == ENUM_SET:
        parse, dtype = enum_set_parser(col.enum), "object"
    else:  # ENUM, BOOL: the code of each spelling
        parse, dtype = enum_parser(col.enum), "object"
    missing = np.datetime64("NaT") if dtype.startswith("datetime") else (
        np.nan if dtype == "float64" else None)
    parsed, reasons_of = [], {}
    for i, text in enumerate(uniques):
        try:
            parsed.append(parse(text))
        except CellError as exc:
            parsed.append(missing)
            reasons_of[i] = exc
    if col.type == ENUM:
        categories = ENUMS[col.enum].codes
        table = np.array([categories.index(p) if p is not None else -1 for p in parsed] + [-1])
        out = pd.Categorical.from_codes(table[codes], categories=categories)
    elif col.type == BOOL:
        table = np.array([None if p is None else p == "yes" for p in parsed] + [None],
                         dtype=object)
        out = pd.array(table[codes], dtype="boolean")
    else:
        out = np.array(parsed + [missing], dtype=dtype)[codes]
    if not reasons_of:
        return out, np.empty(0, dtype=np.int64), [], []
    bad = np.flatnonzero(np.isin(codes, np.fromiter(reasons_of, dtype=np.int64)))
    return out, bad, [reasons_of[c] for c in codes[bad]], [uniques[c] for c in codes[bad]]


def _type_columns(loaded: LoadedLedger, cols: dict, frame_index: np.ndarray) -> list[Finding]:
    """Trim, check and parse each column; set loaded.frame; return the cell findings."""
    ledger = loaded.ledger
    display = loaded.display
    n = len(frame_index)
    findings: list[Finding] = []

    def line_of(pos: int) -> int:
        return loaded.line(int(frame_index[pos]))

    data_cols: dict[str, object] = {}
    for col in ledger.columns:
        if col.name not in cols:
            data_cols[col.name] = _empty_column(col, n)
            continue
        header = loaded.headers.get(col.name)
        arr = _strings(cols[col.name])
        longest = pc.max(pc.binary_length(arr)).as_py() if len(arr) else None
        too_long = np.empty(0, dtype=np.int64)
        if longest is not None and longest > MAX_CELL:  # bytes first: cheap, and >= chars
            lengths = pc.utf8_length(arr).to_numpy(zero_copy_only=False)
            too_long = np.flatnonzero(np.nan_to_num(lengths.astype("float64")) > MAX_CELL)
            findings += [Finding.of(display, "reader.cell_too_long", line_of(r), col.name,
                                    header=header, length=f"{int(lengths[r]):,}",
                                    limit=f"{MAX_CELL:,}") for r in too_long]
            if len(too_long):
                keep = np.ones(len(arr), dtype=bool)
                keep[too_long] = False
                arr = pc.if_else(pa.array(keep), arr, pa.scalar(None, pa.string()))
        arr = pc.utf8_trim_whitespace(arr)
        arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
        if col.type == RID:
            arr = pc.utf8_upper(arr)
        if col.required and arr.null_count:
            missing = np.setdiff1d(np.flatnonzero(arr.is_null().to_numpy(zero_copy_only=False)),
                                   too_long)
            findings += [Finding.of(display, "reader.required_empty", line_of(r), col.name,
                                    header=header) for r in missing]
        if col.type in (ID, RID):  # names may hold a line break; ids never do
            multiline = pc.fill_null(pc.match_substring(arr, "\n"), False)
            rows = np.flatnonzero(multiline.to_numpy(zero_copy_only=False))
            findings += [Finding.of(display, "reader.multiline", line_of(r), col.name,
                                    arr[int(r)].as_py(), header=header) for r in rows]
        if col.type in (ID, RID, TEXT):
            # Arrow strings as they are: no Python object per cell
            data_cols[col.name] = arr.to_pandas()
            continue
        parsed, bad, reasons, texts = _parse_column(col, arr)
        findings += _findings_for(display, bad, line_of, col.name, reasons, texts, header)
        data_cols[col.name] = _finish(col, parsed)
    if "category_claims_exit" in ledger.derived:
        data_cols["category_claims_exit"] = _claims_exit(cols.get("category"), n)
    frame = pd.DataFrame(data_cols, index=pd.RangeIndex(n))
    frame.index = pd.Index(frame_index, name="record")
    loaded.frame = frame
    return findings


def _claims_exit(values, n: int) -> pd.api.extensions.ExtensionArray:
    """Per household, what its category label says of its status: True for the national
    system's 脱贫户 labels (一般脱贫户 ...: it exited), False for the 贫困户 labels (it is
    poor), empty for any other spelling (a code, 低保户 ...) or an empty cell."""
    if values is None:
        return pd.array([pd.NA] * n, dtype="boolean")
    arr = pc.utf8_trim_whitespace(_strings(values))
    exited = pc.is_in(arr, value_set=pa.array(sorted(EXIT_CLAIMING_LABELS), pa.string()))
    poor = pc.is_in(arr, value_set=pa.array(sorted(POOR_CLAIMING_LABELS), pa.string()))
    out = pc.if_else(exited, pa.scalar(True), pc.if_else(poor, pa.scalar(False),
                                                         pa.scalar(None, pa.bool_())))
    return pd.array(out.to_pylist(), dtype="boolean")


def enum_set_parser(enum_name: str) -> Callable[[str], str]:
    """One or more codes in a cell (因病、因残): the codes joined by "," in the
    enumeration's order."""
    one = enum_parser(enum_name)
    order = ENUMS[enum_name].codes
    split = re.compile("[" + re.escape(SET_SEPARATORS) + r"\s]+")

    def parse(text: str) -> str:
        codes = {one(part) for part in split.split(text) if part}
        if not codes:
            raise CellError("reader.required_empty")
        return ",".join(c for c in order if c in codes)
    return parse


def _finish(col, parsed):
    if col.type == DATE:
        return pd.Series(np.asarray(parsed).astype("datetime64[s]"))
    if col.type in (YEAR, COUNT):
        return pd.Series(parsed).astype("Int64")
    if col.type == AMOUNT:
        series = pd.Series(parsed, dtype="float64")
        return series.fillna(col.default) if col.default is not None else series
    return parsed  # enumerations and yes/no come typed already


def _empty_column(col, n: int):
    if col.type == DATE:
        return pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[s]"))
    if col.type in (YEAR, COUNT):
        return pd.Series([pd.NA] * n, dtype="Int64")
    if col.type == AMOUNT:
        return pd.Series(np.full(n, np.nan if col.default is None else col.default))
    if col.type == BOOL:
        return pd.Series([pd.NA] * n, dtype="boolean")
    if col.type == ENUM:
        return pd.Categorical([None] * n, categories=ENUMS[col.enum].codes)
    return pd.Series([None] * n, dtype="object")


# --------------------------------------------------------------------------- helpers

def arrow(values) -> pa.ChunkedArray:
    """Values (a Series, Index, array, set or list of strings) as an Arrow array."""
    if isinstance(values, (set, frozenset)):
        values = list(values)
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.array
    try:
        arr = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = pa.array([None if pd.isna(v) else str(v) for v in values], pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if pa.types.is_large_string(arr.type) or pa.types.is_null(arr.type):
        arr = arr.cast(pa.string())
    return arr


def factorize(values) -> tuple[np.ndarray, pa.Array]:
    """(code of each value, -1 where missing; the distinct values), hashed in Arrow."""
    a = arrow(values)
    encoded = pc.dictionary_encode(a)
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return codes.astype(np.int64), encoded.dictionary


def index_in(values, pool) -> np.ndarray:
    """Position of each value in pool (its first occurrence), -1 where absent; in Arrow."""
    a = arrow(values)
    if len(a) == 0:
        return np.zeros(0, dtype=np.int64)
    b = arrow(pool)
    if a.type != b.type:
        b = b.cast(a.type) if len(b) else pa.array([], a.type)
    return pc.fill_null(pc.index_in(a, value_set=b), -1).to_numpy(
        zero_copy_only=False).astype(np.int64)


def is_in(values, pool) -> np.ndarray:
    """Elementwise membership of values in pool, in Arrow (hashing, no Python per cell)."""
    a = arrow(values)
    if len(a) == 0:
        return np.zeros(0, dtype=bool)
    b = arrow(pool)
    if a.type != b.type:
        b = b.cast(a.type) if len(b) else pa.array([], a.type)
    return pc.fill_null(pc.is_in(a, value_set=b), False).to_numpy(zero_copy_only=False)


# --------------------------------------------------------------------------- ledger sets

@dataclass
class LedgerSet:
    """The ledgers of one folder, read and typed."""

    folder: Path
    loaded: dict[str, LoadedLedger]
    files: dict[str, "Source"]  # where every ledger found is, read or not
    cache_keys: dict[str, str] = field(default_factory=dict)  # ledger -> its cache key
    fresh: list[str] = field(default_factory=list)  # ledgers read now, not from the cache
    read_seconds: float = 0.0

    def has(self, name: str) -> bool:
        return name in self.loaded

    def frame(self, name: str) -> pd.DataFrame:
        return self.loaded[name].frame

    def get(self, name: str) -> pd.DataFrame | None:
        return self.loaded[name].frame if name in self.loaded else None


def _missing(folder: Path, ledger: Ledger) -> Finding:
    return Finding.of(str(folder / ledger.filename), "reader.missing_ledger",
                      ledger=ledger.name, filename=ledger.filename,
                      zh_filename=ledger.zh_filename)


def read_ledgers(folder: Path, names: list[str] | None = None, encoding: str | None = None,
                 need: tuple[str, ...] = (), use_cache: bool = False,
                 notes: list[str] | None = None,
                 progress: Callable[[str], None] | None = None
                 ) -> tuple[LedgerSet, list[Finding]]:
    """Read the named ledgers (all found ones when None) of folder.

    households and members are always read. Ledgers in `need` must exist. With
    use_cache, files unchanged since a clean read come from the cache (cache.py);
    anything said about the cache goes to `notes`.
    Returns the set and the findings that make the data unusable as read.
    """
    import time

    from . import cache

    files, findings = find_files(folder)
    if findings and not files and not folder.exists():
        return LedgerSet(folder, {}, {}), findings
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
    for name in wanted:
        if name not in files:
            continue
        source = files[name]
        if progress:
            progress(f"reading {source.display} ({rows_so_far:,} rows so far)")
        key = cache.file_key(source, encoding) if use_cache else None
        if key:
            keys[name] = key
            try:
                hit = cache.load(key, name)
            except cache.Damaged as exc:
                hit = None
                dropped = cache.drop(key)
                if notes is not None:
                    notes.append(f"a damaged cache entry was dropped and rebuilt ({exc})"
                                 if dropped else "a damaged cache entry was ignored, the "
                                 f"cache folder cannot be written ({exc})")
            if hit is not None:
                frame, meta = hit
                loaded[name] = LoadedLedger(LEDGERS[name], source.path, meta["encoding"], frame,
                                            meta["headers"], sheet=source.sheet,
                                            _records=len(frame))
                continue
        one, problems = read_ledger(source, LEDGERS[name], encoding, notes)
        findings += problems
        if one is not None:
            loaded[name] = one
            fresh.append(name)
            rows_so_far += len(one.frame)
    ledgers = LedgerSet(folder, loaded, files)
    ledgers.cache_keys = keys if use_cache and len(keys) == len(loaded) else {}
    ledgers.fresh = fresh
    ledgers.read_seconds = time.perf_counter() - started
    return ledgers, findings


def integrity_findings(ledgers: LedgerSet) -> list[Finding]:
    """Unique keys and references between ledgers, as the contract declares them."""
    findings: list[Finding] = []
    for name, one in ledgers.loaded.items():
        ledger = one.ledger
        frame = one.frame
        for key in ledger.keys:
            sub = frame[list(key)].dropna()
            if len(key) == 1:
                codes, _ = pd.factorize(sub[key[0]])
                dup = pd.Series(np.bincount(codes)[codes] > 1 if len(codes) else
                                np.zeros(0, dtype=bool), index=sub.index)
            else:
                dup = sub.duplicated(keep=False)
            if not dup.any():
                continue
            rows = sub[dup]
            first = rows.groupby(list(key), sort=False, observed=True).head(1)
            first_line = {tuple(r): one.line(i) for i, r in zip(first.index, first.itertuples(index=False))}
            for i, r in zip(rows.index, rows.itertuples(index=False)):
                line = one.line(i)
                if first_line[tuple(r)] == line:
                    continue
                findings.append(Finding.of(
                    one.display, "reader.duplicate_key", line, key[0],
                    " / ".join(str(v) for v in r), header=one.headers.get(key[0]),
                    key=" + ".join(key), first=first_line[tuple(r)]))
        for ref in ledger.references:
            target = ledgers.get(ref.target)
            if target is None and ref.target in ledgers.files:
                continue  # the target could not be read; its own findings say why
            if target is None:
                findings.append(Finding.of(one.display, "reader.refers_absent",
                                           target=ref.target,
                                           filename=LEDGERS[ref.target].filename))
                continue
            findings += _reference_findings(one, ref, target)
    return findings


def _reference_findings(one: LoadedLedger, ref, target: pd.DataFrame) -> list[Finding]:
    cols = list(ref.columns)
    sub = one.frame[cols].dropna()
    if sub.empty:
        return []
    wanted = target[list(ref.target_columns)].dropna()
    if len(cols) == 1:
        found = is_in(sub[cols[0]], wanted.iloc[:, 0])
    else:  # a pair: compare "a␟b" keys
        def joined(frame, names):
            return pc.binary_join_element_wise(*[arrow(frame[c]) for c in names], "\x1f")
        found = is_in(joined(sub, cols), joined(wanted, list(ref.target_columns)))
    bad = sub[~found]
    filename = LEDGERS[ref.target].filename
    if bad.empty:
        return []
    header = one.headers.get(cols[0])
    if len(cols) == 1:
        padded = _lost_zeros(bad[cols[0]], wanted.iloc[:, 0])
        return [Finding.of(one.display, "reader.not_in_zeros", one.line(i), cols[0], value,
                           header=header, filename=filename, short=value, padded=p)
                if p is not None else
                Finding.of(one.display, "reader.not_in", one.line(i), cols[0], value,
                           header=header, filename=filename)
                for i, value, p in zip(bad.index, bad[cols[0]], padded)]
    # (person_id, household_id): say which of the two is wrong
    first, second = cols
    known = wanted[is_in(wanted.iloc[:, 0], bad[first])].drop_duplicates(ref.target_columns[0])
    owner = dict(zip(known.iloc[:, 0], known.iloc[:, 1]))
    out = []
    for i, a, b in zip(bad.index, bad[first], bad[second]):
        if a in owner:
            out.append(Finding.of(one.display, "reader.belongs", one.line(i), first, a,
                                  header=header, key=second, owner=owner[a],
                                  filename=filename, other=b))
        else:
            out.append(Finding.of(one.display, "reader.not_in", one.line(i), first, a,
                                  header=header, filename=filename))
    return out


def _lost_zeros(values, pool) -> list:
    """For each value, the id of pool it is once the leading zeros Excel ate are put back
    (left-padded to the length of pool's ids), else None. In Arrow: no loop per value."""
    a = arrow(values)
    b = arrow(pool)
    if not len(a) or not len(b):
        return [None] * len(a)
    digits = pc.fill_null(pc.match_substring_regex(a, r"^[0-9]+$"), False)
    if not pc.any(digits).as_py():
        return [None] * len(a)
    own = pc.utf8_length(a)
    counts = pc.value_counts(pc.utf8_length(b))
    by_count = sorted(zip(counts.field("counts").to_pylist(),
                          counts.field("values").to_pylist()), reverse=True)[:8]
    out = pa.nulls(len(a), pa.string())
    for _, width in by_count:
        if width is None:
            continue
        padded = pc.utf8_lpad(a, width, "0")
        hit = pc.and_(pc.and_(digits, pc.less(own, width)),
                      pc.fill_null(pc.is_in(padded, value_set=b), False))
        hit = pc.and_(hit, pc.is_null(out))
        out = pc.if_else(hit, padded, out)
    return out.to_pylist()


def open_ledgers(folder: Path, names: list[str] | None = None, encoding: str | None = None,
                 need: tuple[str, ...] = (), use_cache: bool = False,
                 notes: list[str] | None = None,
                 progress: Callable[[str], None] | None = None) -> LedgerSet:
    """Read and validate; raise LedgerError with every finding if anything is wrong."""
    from . import cache

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
            one = ledgers.loaded[name]
            cache.store(keys[name], name, one.frame, {"encoding": one.encoding,
                                                      "headers": one.headers})
        cache.mark_clean(set_key)
    elif set_key and not ledgers.fresh:
        cache.mark_clean(set_key)
    return ledgers
