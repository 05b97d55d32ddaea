"""Reading a CSV or TSV ledger: the encoding, the header below any title rows, then the
records in Arrow; where Arrow refuses a row, the csv module reads it again and says
where each bad row is."""

from __future__ import annotations

import codecs
import os
import re
from dataclasses import dataclass, replace
from functools import partial
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..findings import Finding
from ..messages import Said
from ..schema import Ledger
from . import limits
from .arrowkit import distinct
from .decode import decodes, is_utf8, undecodable
from .files import Source
from .loaded import LoadedLedger, Untyped
from .records import cells_of, fast_lines, file_lines, python_records
from .table import TOTALS, HeaderMatch, match_header, names_required, row_kind


class HeaderAt(NamedTuple):
    start: int  # the byte where the header row starts
    lines_above: int
    titles: int  # title rows skipped
    delimiter: str


@dataclass
class Body:
    """What Arrow made of the records below a header: the header matched, and the records
    as Arrow strings (every column, named c0, c1, ...). table is None when the header is
    wrong (header.findings say why), when a row is malformed (csv then says where), or
    when the bytes are not UTF-8 (not_utf8)."""

    header: HeaderMatch
    table: pa.Table | None = None
    not_utf8: bool = False
    quotes: int | None = None  # quote characters in the body, when counted


class Dropped(NamedTuple):
    rows: np.ndarray | None  # rows that are no record (blank or totals); None: none is
    totals: np.ndarray | None  # records that are totals rows


def _find_header(raw: bytes, start: int, ledger: Ledger, delimiter: str | None = None
                 ) -> HeaderAt:
    """Where the header row is, how many lines and title rows are above it, its delimiter.

    The header is the first of the first TITLE_ROWS + 1 non-blank lines that names every
    required column; when none does, the one naming most columns (the first non-blank
    line when none names any), for its findings to say what is missing."""
    best = None  # (named, start, lines above, titles, delimiter)
    lines = titles = 0
    pos = start
    while pos < len(raw) and titles <= limits.TITLE_ROWS and lines < 10_000:
        end = raw.find(b"\n", pos)
        end = len(raw) if end == -1 else end + 1
        line = raw[pos:end]
        cells, used = cells_of(line[:1 << 20], delimiter) if line.strip() else ([], ",")
        if any(c.strip() for c in cells):  # a row of empty cells (,,,,) is a blank line
            named = names_required(cells, ledger)
            if named == -1:
                return HeaderAt(pos, lines, titles, used)
            if best is None or named > best[0]:
                best = (named, pos, lines, 0, used)
            titles += 1
        pos = end
        lines += 1
    if best is None:
        return HeaderAt(start, 0, 0, delimiter or ",")
    return HeaderAt(*best[1:])


def header_in_text(raw: bytes, encoding: str, ledger: Ledger, delimiter: str | None = None,
                   final: bool = True) -> HeaderAt | None:
    """The header as read_csv finds it when the encoding is given: the bytes decoded
    first, the header found in the text; its start a byte of `raw` (a line break is
    never inside a GB18030 character, so lines are the same in both). final=False: raw
    is the file's head, which may end inside a character. None when it does not
    decode, or the header's line does not start in raw."""
    try:
        text = codecs.getincrementaldecoder(encoding)().decode(raw, final=final).encode("utf-8")
    except (LookupError, UnicodeDecodeError):
        return None
    at = _find_header(text, 3 if text.startswith(b"\xef\xbb\xbf") else 0, ledger, delimiter)
    del text
    if not at.lines_above:
        return at._replace(start=0)
    breaks = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 10)
    if at.lines_above > len(breaks):
        return None
    return at._replace(start=int(breaks[at.lines_above - 1]) + 1)


def csv_again(source: Source, ledger: Ledger, encoding: str, records: int | None = None
              ) -> LoadedLedger | None:
    """The CSV ledger read again (untyped), in the encoding it was read in: for the lines
    of its records once its bytes are gone. Knowing how many records it had, its lines
    are counted in its bytes alone when every record is one line (no cell holds a line
    break), without parsing it again: a file of 8 M payments took 1.2 GB and seconds
    to parse for the line of one finding."""
    if records is not None:
        again = _lines_again(source, ledger, encoding, records)
        if again is not None:
            return again
    if encoding == "utf-8":
        return read_csv(source, ledger, None).loaded
    # GB18030 read as given, else found as the first read found it (a title row that
    # is not GB18030 at all is above the header, where the first read never decoded)
    return read_csv(source, ledger, encoding).loaded or read_csv(source, ledger, None).loaded


HEAD_BYTES = 4 << 20  # the header and any title rows are found in the file's first bytes


def _lines_again(source: Source, ledger: Ledger, encoding: str, records: int
                 ) -> LoadedLedger | None:
    """The ledger with only its records' lines, found as read_csv finds its header; None
    when the lines are not one a record (then it is parsed again). A line break is
    never inside a GB18030 character: the lines are counted in the file's own bytes,
    from the header read_csv found (in the bytes; else, decoded as given, in the text)."""
    utf8 = encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")
    tsv = "\t" if source.path.suffix.lower() == ".tsv" else None
    try:
        with open(source.path, "rb") as f:
            raw = f.read(HEAD_BYTES if utf8 else -1)
    except OSError:
        return None
    bom = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    heads = [_find_header(raw, bom, ledger, tsv)]
    as_given = None if utf8 else header_in_text(raw, encoding, ledger, tsv)
    if as_given is not None:
        heads.append(as_given)
    for at in dict.fromkeys(heads):
        try:
            lines = file_lines(source.path, at.start) if utf8 else \
                fast_lines(memoryview(raw)[at.start:])
        except OSError:
            return None
        if len(lines) == records + 1:
            return LoadedLedger(ledger, source.path, encoding, pd.DataFrame(),
                                _record_lines=lines + at.lines_above, _records=records,
                                _offset_lines=at.lines_above, _delimiter=at.delimiter)
    return None


def _blank(raw: bytes) -> bool:
    head = raw[:65536].lstrip(b"\xef\xbb\xbf").strip()
    return not head and (len(raw) <= 65536 or not raw.strip())


def read_csv(source: Source, ledger: Ledger, encoding: str | None,
             notes: list[str] | None = None) -> Untyped:
    path = source.path
    display = source.display
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return Untyped.refused([Finding.of(display, "reader.cannot_read",
                                           error=exc.strerror or str(exc))])
    if _blank(raw):
        return Untyped.refused([Finding.of(display, "reader.empty_file")])
    if b"\x00" in raw:
        return Untyped.refused([Finding.of(display, "reader.nul_bytes")])
    # UTF-8 is read as it is, straight from the bytes; anything else is decoded and
    # re-encoded first (strict UTF-8 first: GB18030 decodes almost anything).
    used = "utf-8"
    if encoding and encoding.lower().replace("_", "-") not in ("utf-8", "utf8", "utf-8-sig"):
        try:
            raw = raw.decode(encoding).encode("utf-8")
        except LookupError:
            return Untyped.refused([Finding.of(display, "reader.unknown_encoding",
                                               encoding=encoding)])
        except UnicodeDecodeError as exc:
            # a UTF-8 file (CSV UTF-8, with its BOM or not) read as the encoding given:
            # the advice is to give none, not to save it as what it already is
            return Untyped.refused([undecodable(
                display, raw, exc.start,
                "reader.utf8_not_given" if is_utf8(raw) else "reader.not_encoding_at",
                encoding=encoding)])
        used = encoding
    bom = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    start, offset_lines, titles, delimiter = _find_header(
        raw, bom, ledger, "\t" if path.suffix.lower() == ".tsv" else None)
    if titles and notes is not None:
        notes.append(Said.of("reader.title_rows", file=display, count=titles))
    first = raw[start:(raw.find(b"\n", start) + 1 or len(raw))]
    body: bytes | memoryview | None
    try:
        first.decode("utf-8")
        body = memoryview(raw)[start:]
    except UnicodeDecodeError:
        body = None
    got = None
    if body is not None:
        got = _arrow_body(body, display, ledger, 1 + offset_lines, delimiter)
        if got.not_utf8 or (got.table is None and not is_utf8(body)):
            body = None  # a header that does not match may just be mis-decoded
    if body is None:
        if encoding and used == "utf-8":
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                # a GB18030 file read as UTF-8 because told so: the advice is to give none
                return Untyped.refused([undecodable(
                    display, raw, exc.start,
                    "reader.gb_not_given" if decodes(raw[start:], "gb18030")
                    else "reader.not_encoding_at", encoding=encoding)])
            return Untyped.refused([Finding.of(display, "reader.not_encoding",
                                               encoding=encoding)])
        try:
            text = raw[start:].decode("gb18030")
        except UnicodeDecodeError as exc:
            return Untyped.refused([undecodable(display, raw, start + exc.start,
                                                "reader.undecodable")])
        used = "gb18030"
        body = text.encode("utf-8")
        got = _arrow_body(body, display, ledger, 1 + offset_lines, delimiter)
    assert got is not None and body is not None  # one of the two reads above gave them
    if got.header.findings:  # the header itself is wrong
        return Untyped.refused(got.header.findings)
    position, headers, table = got.header.position, got.header.headers, got.table
    findings: list[Finding] = []
    record_lines = None
    if table is None:  # pyarrow refused a row: read again with csv, line by line
        text = bytes(body).decode("utf-8")
        rows, lines, unclosed, broken = python_records(text, delimiter)
        lines = [ln + offset_lines for ln in lines]
        width = len(rows[0]) if rows else 0
        keep = []
        for rec, row in enumerate(rows[1:], start=1):
            kind = row_kind(row)
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
            findings.append(Finding.of(display, "reader.bad_row", broken.line + offset_lines,
                                       error=broken.error))
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
                          _records=n if table is None else table.num_rows,
                          _delimiter=delimiter,
                          _reread=partial(csv_again, source, ledger, used,
                                          None if table is None else table.num_rows))
    if table is not None and totals is not None and len(totals):
        findings += [Finding.of(display, "reader.totals_row", loaded.line(int(r)))
                     for r in totals]
    return Untyped(loaded, findings, cols, frame_index,
                   quoted=got.quotes is None or got.quotes > 0)


def _blank_and_totals(columns: list) -> Dropped:
    """The rows to drop and the records that are totals rows, or neither (None) when every
    row is a record. In Arrow: the first column decides for nearly every row; only rows whose first
    cell is empty look further, and only cells holding 计 are looked at in Python."""
    if not columns or not len(columns[0]):
        return Dropped(None, None)
    n = len(columns[0])

    def empty(col):
        return pc.or_(pc.equal(col, ""), pc.utf8_is_space(col)).to_numpy(zero_copy_only=False)

    def totals_in(col) -> np.ndarray:
        hits = np.flatnonzero(pc.match_substring(col, "计").to_numpy(zero_copy_only=False))
        if not len(hits):
            return hits
        texts = col.take(pa.array(hits)).to_pylist()
        return hits[[bool(re.match(TOTALS, t.strip())) for t in texts]]

    first_empty = empty(columns[0])
    found_totals = [totals_in(columns[0])]
    blank = None
    if first_empty.any():
        rows = np.flatnonzero(first_empty)  # rows still looking for a non-empty cell
        for col in columns[1:]:
            cells = col.take(pa.array(rows))
            here = empty(cells)
            found = np.flatnonzero(~here)
            if len(found):
                found_totals.append(rows[found][totals_in(cells.take(pa.array(found)))])
            rows = rows[here]
            if not len(rows):
                break
        if len(rows):
            blank = np.zeros(n, dtype=bool)
            blank[rows] = True
    totals = distinct(np.concatenate(found_totals)).astype(np.int64)
    if blank is None and not len(totals):
        return Dropped(None, None)
    dropped = np.zeros(n, dtype=bool) if blank is None else blank
    dropped[totals] = True
    return Dropped(dropped, totals if len(totals) else None)


def _arrow_body(body, display: str, ledger: Ledger, header_line: int,
                delimiter: str = ",") -> Body:
    """The header matched and the records below it read by Arrow (see Body)."""
    end = bytes(body[:1 << 20]).find(b"\n")
    first = bytes(body[:end if end >= 0 else 1 << 20]).decode("utf-8", errors="replace")
    header, _ = cells_of(first.encode("utf-8"), delimiter)
    matched = match_header(header, ledger, display, header_line)
    if matched.findings:
        return Body(matched)
    names = [f"c{i}" for i in range(len(header))]
    convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                   strings_can_be_null=False)
    pieces = _Pieces(body)
    if pieces.lone_cr:  # lines end in \r alone (old Mac Excel): Arrow reads it whole
        quotes = pieces.count_all()
        if quotes % 2 == 1:  # a quote left open: csv says where
            return Body(matched, quotes=quotes)
        return replace(_whole(body, matched, names, delimiter, convert), quotes=quotes)

    def parse(piece: tuple[int, int]) -> pa.Table:
        start, end = piece
        # one block a piece: Arrow's parser keeps a quoted line break inside its value,
        # and only its splitting into blocks needs newlines_in_values (at half the speed)
        options = pacsv.ReadOptions(column_names=names, use_threads=False,
                                    block_size=end - start + 1)
        return pacsv.read_csv(pa.BufferReader(pa.py_buffer(body[start:end])),
                              read_options=options,
                              parse_options=pacsv.ParseOptions(delimiter=delimiter),
                              convert_options=convert)

    from concurrent.futures import ThreadPoolExecutor

    too_long = False
    try:
        with ThreadPoolExecutor(min(os.cpu_count() or 1, 4)) as pool:
            # each piece is parsed as soon as its end is found: Arrow works on the first
            # pieces while the quotes of the next ones are counted
            futures = []
            for piece in pieces:
                if piece[1] - piece[0] >= (1 << 31) - 1:
                    too_long = True  # a record of 2 GB: more than Arrow takes in a block
                    break
                futures.append(pool.submit(parse, piece))
            quotes = pieces.count_all()
            if quotes % 2 == 1 or too_long:  # a quote left open: csv says where
                for future in futures:
                    future.cancel()
                return Body(matched, quotes=quotes)
            parts = [future.result() for future in futures]
        if parts:
            table = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
        else:  # the header and nothing below it
            table = pacsv.read_csv(pa.BufferReader(b"\n"), convert_options=convert,
                                   read_options=pacsv.ReadOptions(column_names=names))
    except pa.ArrowInvalid as exc:
        if "utf8" in str(exc).lower():
            return Body(matched, not_utf8=True, quotes=pieces.count_all())
        return Body(matched, quotes=pieces.count_all())
    except pa.ArrowException:
        return Body(matched, quotes=pieces.count_all())
    return Body(matched, table, quotes=quotes)


PIECE = 32 << 20  # bytes of records parsed as one block, the pieces shared among the cores


def _whole(body, matched: HeaderMatch, names: list[str], delimiter: str, convert) -> Body:
    """The records below the header read by Arrow in one go, looking for line breaks in
    quoted values as it splits the file into blocks."""
    block = 1 << 24
    while True:
        try:
            table = pacsv.read_csv(
                pa.BufferReader(pa.py_buffer(body)),
                read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                               block_size=block),
                parse_options=pacsv.ParseOptions(newlines_in_values=True, delimiter=delimiter),
                convert_options=convert)
        except pa.ArrowInvalid as exc:
            if "straddl" in str(exc) and block < len(body) + 1 and block < (1 << 31) - 1:
                block = min(max(block * 4, len(body) + 1), (1 << 31) - 1)
                continue  # a cell longer than a block: one block for the whole file
            if "utf8" in str(exc).lower():
                return Body(matched, not_utf8=True)
            return Body(matched)
        except pa.ArrowException:
            return Body(matched)
        return Body(matched, table)


class _Pieces:
    """The byte ranges of the records below the header row (iterate), about PIECE bytes
    each, each ending at a line break outside quotes (an even count of quotes before
    it), so that every piece can be parsed on its own; then count_all(), the quotes in
    the whole body. lone_cr: the header row ends in a lone \r (lines ending in \r
    alone), which this splitting at \n would not see."""

    def __init__(self, body):
        self.data = body.obj if isinstance(body, memoryview) else body
        self.base = len(self.data) - len(body)  # body is the tail of data (header on)
        newline = self.data.find(b"\n", self.base)
        cr = self.data.find(b"\r", self.base, newline if newline >= 0 else len(self.data))
        self.lone_cr = cr >= 0 and cr != newline - 1
        self.quotes = 0
        self.counted = self.base  # quotes are counted up to here

    def _record_end(self, at: int) -> int:
        """The first line break from `at` outside quotes, plus one (len(data) if none)."""
        data = self.data
        while True:
            at = data.find(b"\n", at)
            if at < 0:
                return len(data)
            self.quotes += data.count(b'"', self.counted, at)
            self.counted = at
            if self.quotes % 2 == 0:
                return at + 1
            at += 1

    def __iter__(self):
        start = self._record_end(self.base)  # the header row ends here
        while start < len(self.data):
            end = self._record_end(max(start + PIECE, self.counted))
            yield start - self.base, end - self.base
            start = end

    def count_all(self) -> int:
        """The quotes in the body (those past the pieces iterated so far counted now)."""
        self.quotes += self.data.count(b'"', self.counted)
        self.counted = len(self.data)
        return self.quotes


