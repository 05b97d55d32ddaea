"""Reading a CSV ledger in batches of records, for ledger sets larger than memory.

A batch is a run of whole records (a cut falls only on a line break outside quotes), read
and typed by the SAME code as a whole file (delimited._arrow_body, _blank_and_totals,
columns.type_columns), on a LoadedLedger that knows the line of the batch's first
record: every finding names the user's FILE:LINE, quoted line breaks included. Only a
plain CSV is read so (UTF-8, the header on its first non-blank line, a header that
matches), in UTF-8 or in GB18030 (or GBK) as the national system exports, title rows
above the header or not: anything else (a workbook, another encoding, a header with
findings) is for read_ledger, whole, as ever (`plan` says None). A GB18030 batch is
decoded to UTF-8 on its own: in these encodings a line break or a quote byte is never
part of a Chinese character, so the cuts are found in the file's own bytes.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from functools import cached_property
from typing import Iterator, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..findings import Finding
from ..schema import Ledger, RID
from .arrowkit import distinct
from .columns import type_columns
from .delimited import _arrow_body, _blank_and_totals, _find_header, header_in_text
from .files import Source
from .loaded import LoadedLedger
from .records import cells_of, fast_lines, python_records
from .table import match_header

BLOCK = 64 << 20  # bytes of CSV read at a time
_UTF8 = ("utf-8", "utf-8-sig")
# the encodings a batch can be decoded in alone: no byte of a multi-byte character is
# a line break or a quote (its bytes are 0x30-0x39 and 0x40-0xFE)
_GB = ("gb18030", "gbk", "gb2312")


class Unstreamable(Exception):
    """A batch Arrow would not read (a broken row, bytes not UTF-8): the file is to be
    read whole, where the reading rules say what and where."""


@dataclass
class Plan:
    """A CSV ledger to read in batches: where its header is and what it says."""

    name: str
    source: Source
    ledger: Ledger
    start: int  # the byte where the header row starts
    header: bytes  # the header row, its line break included
    offset_lines: int  # lines above the header
    delimiter: str
    position: dict[str, int]  # column -> its position among the cells
    headers: dict[str, str]  # column -> its header as written
    width: int  # cells in the header
    encoding: str = "utf-8"  # the file's: each batch is decoded from it to UTF-8
    titles: int = 0  # title rows above the header, skipped

    @property
    def display(self) -> str:
        return self.source.display


def plan(name: str, source: Source, ledger: Ledger, encoding: str | None) -> Plan | None:
    """How to read this ledger in batches; None when it is to be read whole."""
    given = _codec(encoding) if encoding else None
    if source.is_excel or (encoding and given not in _UTF8 + _GB):
        return None
    try:
        with open(source.path, "rb") as f:
            head = f.read(4 << 20)
    except OSError:
        return None
    if not head.strip() or b"\x00" in head:
        return None  # empty, or not text: read_ledger says so
    tsv = "\t" if source.path.suffix.lower() == ".tsv" else None
    used: str | None
    if given in _GB:  # as read_csv: the whole file decoded, the header found in the text
        found = header_in_text(head, given, ledger, tsv, final=False)
        if found is None:
            return None  # not that encoding: read_ledger says where
        at, used = found, given
    else:  # as read_csv: the header found in the bytes, the encoding from the header on
        at = _find_header(head, 3 if head.startswith(b"\xef\xbb\xbf") else 0, ledger, tsv)
        used = "utf-8" if given in _UTF8 else _sniffed(head[at.start:])
        if used is None:
            return None  # neither: read_ledger says where it cannot be decoded
    end = head.find(b"\n", at.start)
    if end < 0:
        return None
    try:
        header = head[at.start:end + 1].decode(used).encode("utf-8")
    except UnicodeDecodeError:
        return None
    cells, _ = cells_of(header.rstrip(b"\r\n"), at.delimiter)
    matched = match_header(cells, ledger, source.display, 1 + at.lines_above)
    if matched.findings:
        return None
    return Plan(name, source, ledger, at.start, header, at.lines_above, at.delimiter,
                matched.position, matched.headers, len(cells), used, at.titles)


def _codec(encoding: str) -> str | None:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None  # read_ledger says it is unknown


def _sniffed(head: bytes) -> str | None:
    """The encoding the whole reader would find, from the file's first bytes from the
    header on: UTF-8 when they are UTF-8 (a character cut at their end aside), else
    GB18030 when they are that; None when neither. A file whose first 4 MB are UTF-8
    and whose rest is not fails in a batch, and is read whole."""
    for name in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(name)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return name
    return None


def _cut(data: bytes) -> int:
    """Where the last whole record of `data` ends (after a line break outside quotes); 0
    when none does. `data` starts at a record's start."""
    if b'"' not in data:
        return data.rfind(b"\n") + 1
    tail = len(data)
    while tail > 0:  # the last MiB first: a line break outside quotes is rarely far
        tail = max(tail - (1 << 20), 0)
        before = data.count(b'"', 0, tail)  # quotes before the part looked at
        buf = np.frombuffer(data, dtype=np.uint8, offset=tail)
        quotes = np.flatnonzero(buf == 34)
        breaks = np.flatnonzero(buf == 10)
        outside = breaks[(np.searchsorted(quotes, breaks) + before) % 2 == 0]
        if len(outside):
            return tail + int(outside[-1]) + 1
    return 0


class Block(NamedTuple):
    """A run of whole records: its bytes (the header's first, for the one after the
    header), and the line of the header counting from the header's own line."""

    start: int  # byte of the file where it starts
    data: bytes
    breaks_before: int  # line breaks between the header's start and this block


def blocks(p: Plan, size: int | None = None) -> Iterator[Block]:
    """The file from its header on, in runs of whole records of about `size` bytes."""
    with open(p.source.path, "rb") as f:
        f.seek(p.start)
        carry = b""
        pos = p.start
        breaks = 0
        while True:
            chunk = f.read(size or BLOCK)
            data = carry + chunk if carry else chunk
            if not chunk:
                if data:
                    yield Block(pos, data, breaks)
                return
            cut = _cut(data)
            if cut == 0:
                carry = data
                continue
            piece = data[:cut]
            yield Block(pos, piece, breaks)
            breaks += piece.count(b"\n")
            pos += cut
            carry = data[cut:]


def _body(p: Plan, block: Block) -> tuple[bytes, int]:
    """The bytes a batch is read from (the header row, then the block's records) and the
    lines to add to a line counted in them to give the file's line."""
    data = block.data
    if p.encoding != "utf-8":
        try:
            data = data.decode(p.encoding).encode("utf-8")
        except UnicodeDecodeError:
            raise Unstreamable(p.name) from None  # read whole: the reader says where
    if block.start == p.start:
        return data, p.offset_lines
    return p.header + data, p.offset_lines + block.breaks_before - 1


def _table(p: Plan, body: bytes, offset: int, columns: list[str] | None = None) -> pa.Table:
    if columns is None:
        got = _arrow_body(body, p.display, p.ledger, 1 + offset, p.delimiter)
        if got.table is None:
            raise Unstreamable(p.name)
        return got.table
    names = [f"c{i}" for i in range(p.width)]
    include = [f"c{p.position[c]}" for c in columns if c in p.position]
    for block_size in (1 << 24, len(body) + 1):
        try:
            return pacsv.read_csv(
                pa.BufferReader(pa.py_buffer(body)),
                read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                               block_size=block_size),
                parse_options=pacsv.ParseOptions(newlines_in_values=True,
                                                 delimiter=p.delimiter),
                convert_options=pacsv.ConvertOptions(
                    include_columns=include, column_types={n: pa.string() for n in include},
                    strings_can_be_null=False))
        except (pa.ArrowException, ValueError) as exc:
            if "straddl" not in str(exc):
                break  # else a cell longer than a block: the batch as one block
    raise Unstreamable(p.name)


def _key_text(arr, rid: bool) -> pa.ChunkedArray:
    """A key column's cells as the typed frame will hold them: trimmed, empty as missing,
    resident IDs upper-cased (as columns.type_columns does)."""
    arr = pc.utf8_trim_whitespace(arr)
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
    return pc.utf8_upper(arr) if rid else arr


def hashes(values) -> tuple[np.ndarray, np.ndarray]:
    """(64-bit hash of each value, True where the value is present): each distinct value
    hashed once, by the hash shards.assign uses (pandas' hash_array, stable)."""
    a = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else \
        pa.array(np.asarray(values, dtype=object), pa.string(), from_pandas=True)
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks() if a.num_chunks else pa.array([], pa.string())
    encoded = pc.dictionary_encode(a)
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    uniques = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    table = pd.util.hash_array(uniques, categorize=False) if len(uniques) else \
        np.zeros(0, dtype=np.uint64)
    present = codes >= 0
    out = np.zeros(len(codes), dtype=np.uint64)
    out[present] = table[codes[present]]
    return out, present


def key_pairs(p: Plan, size: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(household hash, person hash) of each record naming both, a batch at a time, each
    pair once a batch: only the two key columns are converted."""
    person_col = next(c for c in p.ledger.columns if c.name == "person_id")
    for block in blocks(p, size):
        if "household_id" not in p.position or "person_id" not in p.position:
            return
        body, _ = _body(p, block)
        table = _table(p, body, 0, ["household_id", "person_id"])
        h, h_ok = hashes(_key_text(table.column(f"c{p.position['household_id']}"), False))
        q, q_ok = hashes(_key_text(table.column(f"c{p.position['person_id']}"),
                                   person_col.type == RID))
        both = h_ok & q_ok
        h, q = h[both], q[both]
        # each pair once (a person paid often is named often): by a hash of the pair
        _, first = np.unique(q ^ (h * np.uint64(0x9E3779B97F4A7C15)), return_index=True)
        yield h[first], q[first]


class Batch(NamedTuple):
    """One batch read and typed: its frame (index: the record's position in the file),
    its findings, where its records start among the file's, and the file's line of each
    of the frame's rows."""

    frame: pd.DataFrame
    findings: list[Finding]
    span: Span
    lines: np.ndarray


def batches(p: Plan, size: int | None = None) -> Iterator[Batch]:
    """The ledger's records a batch at a time, typed as a whole file's are, with the
    findings of the reading rules at the file's lines."""
    record = 0
    for block in blocks(p, size):
        body, offset = _body(p, block)
        table = _table(p, body, offset)
        dropped, totals = _blank_and_totals([table.column(i) for i in range(table.num_columns)])
        frame_index = np.arange(table.num_rows)
        cols = {c: table.column(f"c{i}") for c, i in p.position.items()}
        if dropped is not None:
            keep = pa.array(~dropped)
            frame_index = frame_index[~dropped]
            cols = {c: a.filter(keep) for c, a in cols.items()}
        loaded = LoadedLedger(p.ledger, p.source.path, p.encoding, pd.DataFrame(), p.headers,
                              _data=body, _offset_lines=offset, _records=table.num_rows,
                              _delimiter=p.delimiter, sheet=p.source.sheet)
        findings = [Finding.of(p.display, "reader.totals_row", loaded.line(int(r)))
                    for r in (totals if totals is not None else [])]
        findings += type_columns(loaded, cols, frame_index)
        frame = loaded.frame
        lines = loaded.record_lines[frame_index + 1] if len(frame_index) else \
            np.zeros(0, dtype=np.int64)
        frame.index = pd.Index(frame.index.to_numpy() + record, name="record")
        yield Batch(frame, findings, Span(block.start, len(block.data), block.breaks_before,
                                          record, table.num_rows),
                    np.asarray(lines, dtype=np.int64))
        record += table.num_rows


class Span(NamedTuple):
    """Where a batch was in the file: enough to find its lines again."""

    start: int
    length: int
    breaks_before: int
    first_record: int
    records: int


class Lines:
    """The file's line of a record (its position in the file), found again from the
    bytes of the batch that held it: for findings made once the batches are gone."""

    def __init__(self, p: Plan, spans: list[Span]):
        self.plan = p
        self.spans = spans
        self.firsts = np.asarray([s.first_record for s in spans], dtype=np.int64)
        self.known: dict[int, np.ndarray] = {}

    def _span_lines(self, b: int) -> np.ndarray:
        """The lines of span b's records (header first), its bytes read again once."""
        if b not in self.known:
            span = self.spans[b]
            with open(self.plan.source.path, "rb") as f:
                f.seek(span.start)
                data = f.read(span.length)
            body, offset = _body(self.plan, Block(span.start, data, span.breaks_before))
            lines = fast_lines(body)
            if len(lines) != span.records + 1:
                lines = np.asarray(python_records(body.decode("utf-8"),
                                                  self.plan.delimiter)[1])
            self.known[b] = lines + offset
        return self.known[b]

    def line(self, record: int) -> int:
        b = int(np.searchsorted(self.firsts, record, side="right")) - 1
        return int(self._span_lines(b)[record - self.spans[b].first_record + 1])

    def lines_of(self, records) -> np.ndarray:
        """The line of each record (an array): the records grouped by the span that held
        them, each span's bytes read once, not once a record."""
        records = np.asarray(records, dtype=np.int64)
        out = np.zeros(len(records), dtype=np.int64)
        if not len(records):
            return out
        b = np.searchsorted(self.firsts, records, side="right") - 1
        for one in distinct(b).tolist():
            at = b == one
            out[at] = self._span_lines(one)[records[at] - self.spans[one].first_record + 1]
        return out


@dataclass
class StreamedLedger(LoadedLedger):
    """A shard's rows of a ledger read in batches (or from a shard dataset): the line of
    a record from the lines kept beside its rows (`labels`, sorted, and `label_lines`:
    the shard's records and their lines), else found again from the file (`lines`)."""

    lines: Lines | None = None
    labels: np.ndarray | None = None
    label_lines: np.ndarray | None = None

    def line(self, record: int) -> int:
        return int(self.lines_of(np.asarray([record], dtype=np.int64))[0])

    def lines_of(self, labels) -> np.ndarray:
        """The file's line of each record label (an array) of this shard."""
        labels = np.asarray(labels, dtype=np.int64)
        if self.labels is not None and self.label_lines is not None:
            at = np.searchsorted(self.labels, labels)
            at = np.minimum(at, max(len(self.labels) - 1, 0))
            if not len(self.labels) or not np.array_equal(self.labels[at], labels):
                raise KeyError("a record that is not in this shard")
            return self.label_lines[at]
        assert self.lines is not None
        return self.lines.lines_of(labels)

    @cached_property
    def record_lines(self) -> np.ndarray:
        """Every record's line by record + 1 (as a whole ledger's; 0 for records of other
        shards): for code that indexes it. lines_of needs no such array."""
        if self.labels is None or self.label_lines is None:
            raise AttributeError("record_lines of a streamed ledger without its lines")
        out = np.zeros(int(self.labels.max(initial=-1)) + 2, dtype=np.int64)
        out[self.labels + 1] = self.label_lines
        return out
