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
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .findings import Finding, LedgerError
from .schema import (AMOUNT, BOOL, COUNT, DATE, ENUM, ENUMS, ID, LEDGERS, RID, TEXT, YEAR,
                     Ledger, enum_index, header_index, header_key)

ENCODINGS = ("utf-8", "gb18030")


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

    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception:  # not a readable workbook: it names no ledger
        return []


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
            return {}, [Finding(str(folder), "no sheet of this workbook is named after a ledger "
                                             "(households, 贫困户台账, members, ...)")]
        entries = []
    else:
        try:
            entries = sorted(os.listdir(folder))
        except FileNotFoundError:
            return {}, [Finding(str(folder), "no such folder")]
        except NotADirectoryError:
            return {}, [Finding(str(folder), "not a folder (give the folder that holds the "
                                             "ledgers, or a workbook)")]
        except OSError as exc:
            return {}, [Finding(str(folder), f"cannot be read: {exc.strerror or exc}")]
    for entry in entries:
        path = folder / entry
        stem, suffix = os.path.splitext(unicodedata.normalize("NFC", entry))
        suffix = suffix.lower()
        if suffix not in (".csv", *EXCEL_SUFFIXES) or not path.is_file():
            continue
        name = by_name.get(stem.strip().casefold())
        if name:
            found.setdefault(name, []).append(Source(path))
        elif suffix in EXCEL_SUFFIXES:
            for sheet in _sheets(path):
                sheet_name = by_name.get(unicodedata.normalize("NFC", sheet.strip()).casefold())
                if sheet_name:
                    found.setdefault(sheet_name, []).append(Source(path, sheet))
    findings: list[Finding] = []
    sources: dict[str, Source] = {}
    for name in LEDGERS:
        places = found.get(name, [])
        if len(places) > 1:
            findings.append(Finding(places[0].display, (
                f"{' and '.join(p.display for p in places)} are all the {name} ledger: which "
                "one is meant? Move the others away")))
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


def parse_date(text: str) -> np.datetime64:
    m = _DATE_RE.fullmatch(text)
    if not m:
        raise ValueError("not a date (write it as 2017-07-13, 2017/7/13, 20170713 or 2017年7月13日)")
    g = m.groups()
    y, mo, d = (g[0], g[2], g[3]) if g[0] else (g[4], g[5], g[6]) if g[4] else (g[7], g[8], g[9])
    try:
        return np.datetime64(date(int(y), int(mo), int(d)), "D")
    except ValueError:
        raise ValueError("impossible date") from None


def parse_year(text: str) -> int:
    m = _YEAR_RE.fullmatch(text)
    if not m:
        raise ValueError("not a year (write it as 2017 or 2017年)")
    return int(m.group(1))


def parse_amount(text: str) -> float:
    m = _AMOUNT_RE.fullmatch(text)
    if not m:
        raise ValueError("not an amount in yuan (write it as 4000, 4000.50, 4,000.50 or ￥4000)")
    sign1, _, sign2, digits, frac = m.groups()
    if sign1 and sign2:
        raise ValueError("two signs in one amount")
    value = float(digits.replace(",", "") + (frac or ""))
    return -value if "-" in (sign1 + sign2) else value


def parse_count(text: str) -> int:
    if not _COUNT_RE.fullmatch(text):
        raise ValueError("not a whole number of people")
    return int(text.replace(",", ""))


def enum_parser(enum_name: str) -> Callable[[str], str]:
    enum = ENUMS[enum_name]
    index = enum_index(enum)
    codes = enum.codes
    listed = ", ".join(f"{c} {enum.labels[c]}" for c in codes)

    def parse(text: str) -> str:
        code = index.get(header_key(text))
        if code is None:
            raise ValueError(f"unknown {enum_name.replace('_', ' ')} (use one of: {listed})")
        return code
    return parse


_TYPED = {DATE: (parse_date, "datetime64[D]"), YEAR: (parse_year, "float64"),
          AMOUNT: (parse_amount, "float64"), COUNT: (parse_count, "float64")}


# --------------------------------------------------------------------------- records

def _python_records(text: str) -> tuple[list[list[str]], list[int], int | None]:
    """Every non-blank record with its first line; and the line of a quote never closed."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, lines = [], []
    last = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        start = last + 1
        last = reader.line_num
        if row:
            rows.append(row)
            lines.append(start)
    unclosed = None
    if text.count('"') % 2 and rows:
        # csv keeps reading a quoted field to the end of the file: the last record has it
        unclosed = lines[-1]
    return rows, lines, unclosed


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
            lines = np.asarray(_python_records(bytes(data).decode("utf-8"))[1])
        return lines + self._offset_lines

    def line(self, record: int) -> int:
        # record 0 is the header
        return int(self.record_lines[record + 1])


def _findings_for(loaded_display: str, rows: np.ndarray, lines_of: Callable, column: str,
                  reasons: list[str], values) -> list[Finding]:
    return [Finding(loaded_display, reason, lines_of(int(r)), column, None if v is None else str(v))
            for r, reason, v in zip(rows, reasons, values)]


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
            findings.append(Finding(display, (
                f"headers '{headers[name]}' and '{cell.strip()}' both name column {name}: "
                "keep one"), line))
            continue
        position[name] = i
        headers[name] = cell.strip()
    for col in ledger.columns:
        if col.required and col.name not in position:
            findings.append(Finding(display, (
                f"required column {col.name} ({col.zh}) is missing; the header row has: "
                + ", ".join(c.strip() for c in header)[:200])))
    return position, headers, findings


def read_ledger(path, ledger: Ledger, encoding: str | None = None
                ) -> tuple[LoadedLedger | None, list[Finding]]:
    """Read one ledger from a CSV file or a workbook sheet (a Path or a Source)."""
    source = path if isinstance(path, Source) else Source(Path(path))
    if source.is_excel:
        raw = _read_excel(source, ledger)
    else:
        raw = _read_csv(source, ledger, encoding)
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


_UNDECODABLE = ("save it as CSV UTF-8, or pass --encoding, or convert it with "
                "iconv -f GB18030 -t UTF-8")


def _read_csv(source: Source, ledger: Ledger, encoding: str | None):
    path = source.path
    display = source.display
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Finding(display, f"cannot be read: {exc.strerror or exc}")]
    if _blank(raw):
        return None, [Finding(display, "empty file: no header row")]
    if b"\x00" in raw:
        return None, [Finding(display, "not a CSV text file (it holds NUL bytes: a binary or "
                                       "UTF-16 file? Save it as CSV, UTF-8 or GB18030)")]
    # UTF-8 is read as it is, straight from the bytes; anything else is decoded and
    # re-encoded first (strict UTF-8 first: GB18030 decodes almost anything).
    used = "utf-8"
    if encoding and encoding.lower().replace("_", "-") not in ("utf-8", "utf8", "utf-8-sig"):
        try:
            raw = raw.decode(encoding).encode("utf-8")
        except LookupError:
            return None, [Finding(display, f"unknown encoding '{encoding}'")]
        except UnicodeDecodeError as exc:
            return None, [Finding(display, f"not {encoding} text (byte {exc.start + 1} cannot "
                                           f"be decoded); {_UNDECODABLE}")]
        used = encoding
    start = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    offset_lines = 0
    while True:  # blank lines before the header
        end = raw.find(b"\n", start)
        if end == -1 or raw[start:end].strip():
            break
        start = end + 1
        offset_lines += 1
    first = raw[start:(raw.find(b"\n", start) + 1 or len(raw))]
    try:
        first.decode("utf-8")
        body = memoryview(raw)[start:]
    except UnicodeDecodeError:
        body = None
    position = table = None
    if body is not None:
        position, headers, table, findings = _arrow_body(
            body, display, ledger, 1 + offset_lines, raw.count(b'"', start))
        if table == "not utf-8" or ((position is None or table is None)
                                    and not _is_utf8(body)):
            body = None  # a header that does not match may just be mis-decoded
    if body is None:
        if encoding and used == "utf-8":
            return None, [Finding(display, f"not {encoding} text; {_UNDECODABLE}")]
        try:
            text = raw[start:].decode("gb18030")
        except UnicodeDecodeError as exc:
            return None, [Finding(display, f"neither UTF-8 nor GB18030 text (byte "
                                           f"{start + exc.start + 1} cannot be decoded); "
                                           f"{_UNDECODABLE}")]
        used = "gb18030"
        body = text.encode("utf-8")
        position, headers, table, findings = _arrow_body(
            body, display, ledger, 1 + offset_lines, body.count(b'"'))
    if position is None:  # the header itself is wrong
        return None, findings
    record_lines = None
    rows_kept = None
    if table is None:  # pyarrow refused a row: read again with csv, line by line
        text = bytes(body).decode("utf-8")
        rows, lines, unclosed = _python_records(text)
        lines = [ln + offset_lines for ln in lines]
        width = len(rows[0]) if rows else 0
        keep = []
        for rec, row in enumerate(rows[1:], start=1):
            if unclosed is not None and rec == len(rows) - 1:
                findings.append(Finding(display, "a quote opened on this line is never closed",
                                        lines[rec]))
            elif len(row) != width:
                findings.append(Finding(display, (
                    f"{len(row)} fields, but the header has {width}"
                    + (" (a comma inside a value that is not quoted?)" if len(row) > width else ""))
                    , lines[rec]))
            else:
                keep.append(rec)
        record_lines = np.asarray(lines)
        cols = {c: pa.chunked_array([pa.array([rows[r][i] for r in keep], pa.string())])
                for c, i in position.items()}
        rows_kept = np.asarray(keep, dtype=np.int64) - 1
        n = len(keep)
    else:
        cols = {c: table.column(f"c{i}") for c, i in position.items()}
        n = table.num_rows
    loaded = LoadedLedger(ledger, path, used, pd.DataFrame(), headers, _data=body,
                          _record_lines=record_lines, _offset_lines=offset_lines, _records=n)
    frame_index = rows_kept if rows_kept is not None else np.arange(n)
    return loaded, cols, frame_index, findings


def _arrow_body(body, display: str, ledger: Ledger, header_line: int, quotes: int):
    """(positions, headers, table, findings): the records as Arrow strings; table is None
    when a row is malformed (csv then says where) and "not utf-8" when bytes are not;
    positions is None when the header itself is wrong."""
    first = bytes(body[:65536]).decode("utf-8", errors="replace")
    header = next(csv.reader(io.StringIO(first, newline="")), [])
    position, headers, findings = _match_header(header, ledger, display, header_line)
    if findings:
        return None, None, None, findings
    names = [f"c{i}" for i in range(len(header))]
    if quotes % 2 == 1:  # a quote left open: csv says where
        return position, headers, None, []
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(body)),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                           block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                include_columns=[names[i] for i in position.values()]))
    except pa.ArrowInvalid as exc:
        if "utf8" in str(exc).lower():
            return position, headers, "not utf-8", []
        return position, headers, None, []
    except pa.ArrowException:
        return position, headers, None, []
    return position, headers, table, []


# --------------------------------------------------------------------------- Excel

EXCEL_EPOCH = np.datetime64("1899-12-30")


def _excel_text(value, type_: str) -> tuple[str, str | None]:
    """An Excel cell as the text a CSV would hold, and a problem where it is not certain."""
    if isinstance(value, str):
        return value, None
    if isinstance(value, bool):
        return ("true" if value else "false"), None
    if isinstance(value, float):
        if type_ == RID and value >= 1e15:
            return (f"{value:.6E}", "Excel stored this resident ID as a number and lost its "
                    "last digits: format the column as text and enter it again")
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


def _read_excel(source: Source, ledger: Ledger):
    from python_calamine import CalamineWorkbook

    display = source.display
    try:
        book = CalamineWorkbook.from_path(str(source.path))
        sheet = book.get_sheet_by_name(source.sheet) if source.sheet else \
            book.get_sheet_by_index(0)
        rows = sheet.to_python()
        first = sheet.start[0] + 1 if sheet.start else 1
    except Exception as exc:  # calamine raises its own kinds for every broken workbook
        return None, [Finding(display, f"not a workbook povcli can read ({type(exc).__name__}: "
                                       f"{str(exc)[:120]})")]
    if source.sheet is None:
        source = Source(source.path, sheet.name)
        display = source.display
    numbered = [(first + i, r) for i, r in enumerate(rows)
                if any(v != "" and v is not None for v in r)]
    if not numbered:
        return None, [Finding(display, "empty sheet: no header row")]
    header_line, header_row = numbered[0]
    header = ["" if v is None else str(v) for v in header_row]
    position, headers, findings = _match_header(header, ledger, display, header_line)
    if findings:
        return None, findings
    body = numbered[1:]
    types = {c.name: c.type for c in ledger.columns}
    cols = {}
    for name, i in position.items():
        texts = []
        for line, row in body:
            value = row[i] if i < len(row) else ""
            text, problem = _excel_text(value, types[name])
            if problem:
                findings.append(Finding(display, problem, line, name))
            texts.append(text)
        cols[name] = pa.array(texts, pa.string())
    loaded = LoadedLedger(ledger, source.path, "xlsx", pd.DataFrame(), headers,
                          _record_lines=np.asarray([header_line] + [ln for ln, _ in body]),
                          sheet=source.sheet)
    return loaded, cols, np.arange(len(body)), findings


_PLAIN_NUMBER = r"^-?\d+(\.\d+)?$"


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
        plain = pc.fill_null(pc.match_substring_regex(arr, _PLAIN_NUMBER), True)
        out = pc.cast(pc.if_else(plain, arr, pa.scalar(None, pa.string())), pa.float64())
        out = out.to_numpy() if isinstance(out, pa.Array) else np.asarray(
            out.to_numpy(), dtype="float64")
        rest = np.flatnonzero(~plain.to_numpy(zero_copy_only=False))
        if not len(rest):
            return out, np.empty(0, dtype=np.int64), [], []
        texts = arr.take(pa.array(rest)).to_pylist()
        bad, reasons, bad_texts = [], [], []
        for pos, text in zip(rest, texts):
            try:
                out[pos] = parse_amount(text)
            except ValueError as exc:
                bad.append(pos)
                reasons.append(str(exc))
                bad_texts.append(text)
        return out, np.asarray(bad, dtype=np.int64), reasons, bad_texts
    encoded = pc.dictionary_encode(arr.combine_chunks() if n else pa.array([], pa.string()))
    uniques = encoded.dictionary.to_pylist()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    if col.type in _TYPED:
        parse, dtype = _TYPED[col.type]
    else:  # ENUM, BOOL: the code of each spelling
        parse, dtype = enum_parser(col.enum), "object"
    missing = np.datetime64("NaT") if dtype.startswith("datetime") else (
        np.nan if dtype == "float64" else None)
    parsed, reasons_of = [], {}
    for i, text in enumerate(uniques):
        try:
            parsed.append(parse(text))
        except ValueError as exc:
            parsed.append(missing)
            reasons_of[i] = str(exc)
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
        arr = pc.utf8_trim_whitespace(_strings(cols[col.name]))
        arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
        if col.type == RID:
            arr = pc.utf8_upper(arr)
        if col.required and arr.null_count:
            missing = np.flatnonzero(arr.is_null().to_numpy(zero_copy_only=False))
            findings += [Finding(display, "required, but empty", line_of(r), col.name)
                         for r in missing]
        if col.type in (ID, RID):  # names may hold a line break; ids never do
            multiline = pc.fill_null(pc.match_substring(arr, "\n"), False)
            rows = np.flatnonzero(multiline.to_numpy(zero_copy_only=False))
            findings += [Finding(display, "the cell runs over several lines (a quote left open?)",
                                 line_of(r), col.name, arr[int(r)].as_py()) for r in rows]
        if col.type in (ID, RID, TEXT):
            # Arrow strings as they are: no Python object per cell
            data_cols[col.name] = arr.to_pandas()
            continue
        parsed, bad, reasons, texts = _parse_column(col, arr)
        findings += _findings_for(display, bad, line_of, col.name, reasons, texts)
        data_cols[col.name] = _finish(col, parsed)
    frame = pd.DataFrame(data_cols, index=pd.RangeIndex(n))
    frame.index = pd.Index(frame_index, name="record")
    loaded.frame = frame
    return findings


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
    return Finding(str(folder / ledger.filename), (
        f"not found: the {ledger.name} ledger is needed here (name the file "
        f"{ledger.filename} or {ledger.zh_filename})"))


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
    for name in ("households", "members", *need):
        if name not in files:
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
        one, problems = read_ledger(source, LEDGERS[name], encoding)
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
                findings.append(Finding(one.display, (
                    f"duplicate {' + '.join(key)}: line {first_line[tuple(r)]} has it already"),
                    line, key[0], " / ".join(str(v) for v in r)))
        for ref in ledger.references:
            target = ledgers.get(ref.target)
            if target is None and ref.target in ledgers.files:
                continue  # the target could not be read; its own findings say why
            if target is None:
                findings.append(Finding(one.display, (
                    f"refers to the {ref.target} ledger, which is not here "
                    f"({LEDGERS[ref.target].filename})")))
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
    if len(cols) == 1:
        return [Finding(one.display, f"not in {filename}", one.line(i), cols[0], value)
                for i, value in zip(bad.index, bad[cols[0]])]
    # (person_id, household_id): say which of the two is wrong
    first, second = cols
    known = wanted[is_in(wanted.iloc[:, 0], bad[first])].drop_duplicates(ref.target_columns[0])
    owner = dict(zip(known.iloc[:, 0], known.iloc[:, 1]))
    out = []
    for i, a, b in zip(bad.index, bad[first], bad[second]):
        reason = (f"belongs to {second} {owner[a]} in {filename}, not to {b}" if a in owner
                  else f"not in {filename}")
        out.append(Finding(one.display, reason, one.line(i), first, a))
    return out


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
