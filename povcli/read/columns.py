"""Typing a ledger's text columns by the schema: trimmed, checked and parsed in bulk
(each distinct text once), every bad cell a Finding at its line and column."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..findings import Finding
from ..schema import (AMOUNT, BOOL, COUNT, DATE, ENUM, ENUM_SET, ENUMS, ID, RID,
                      EXIT_CLAIMING_LABELS, POOR_CLAIMING_LABELS, TEXT, YEAR)
from . import limits
from .cells import (CellError, enum_parser, enum_set_parser, limit_text, parse_amount,
                    parse_count, parse_date, parse_year)
from .loaded import LoadedLedger


_TYPED = {DATE: (parse_date, "datetime64[s]"), YEAR: (parse_year, "float64"),
          AMOUNT: (parse_amount, "float64"), COUNT: (parse_count, "float64")}


def _findings_for(loaded_display: str, rows: np.ndarray, lines_of: Callable, column: str,
                  errors: list[CellError], values, header: str | None = None
                  ) -> list[Finding]:
    return [Finding.of(loaded_display, e.msg, lines_of(int(r)), column, v, header=header,
                       **e.params)
            for r, e, v in zip(rows, errors, values)]


_PLAIN_NUMBER = r"^-?\d+(\.\d{1,2})?$"  # cast in bulk: at most two decimals


def _strings(arr) -> pa.ChunkedArray:
    arr = arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr], pa.string())
    return arr if arr.num_chunks else pa.chunked_array([pa.array([], pa.string())])


class Parsed(NamedTuple):
    values: Any  # the column's values (an array, Categorical or boolean array)
    bad: np.ndarray  # positions of the cells that could not be read
    reasons: list[CellError]  # why, per bad cell
    texts: list  # the text, per bad cell


def _none_bad(values) -> Parsed:
    return Parsed(values, np.empty(0, dtype=np.int64), [], [])


def _parse_column(col, arr: pa.ChunkedArray) -> Parsed:
    """A column's texts parsed, and its bad cells.

    Each distinct text is parsed once (dates, years, enumerations repeat a lot); plain
    numbers in amount columns are cast in bulk and only the rest is parsed one by one.
    """
    n = len(arr)
    if col.type == AMOUNT:
        # "12.34" cast by Arrow is the double nearest to 1234 / 100, as parse_amount's is
        plain = pc.fill_null(pc.match_substring_regex(arr, _PLAIN_NUMBER), True)
        every = pc.all(plain).as_py() is not False
        out = pc.cast(arr if every else pc.if_else(plain, arr, pa.scalar(None, pa.string())),
                      pa.float64())
        out = out.to_numpy(zero_copy_only=False)
        out = out if out.flags.writeable else out.copy()
        out += 0.0  # -0 is 0: never a negative zero
        rest = np.empty(0, dtype=np.int64) if every else \
            np.flatnonzero(~plain.to_numpy(zero_copy_only=False))
        bad_rows: list[int] = []
        errors: list[CellError] = []
        if len(rest):
            texts = arr.take(pa.array(rest)).to_pylist()
            for pos, text in zip(rest, texts):
                try:
                    out[pos] = parse_amount(text)
                except CellError as exc:
                    out[pos] = np.nan
                    bad_rows.append(int(pos))
                    errors.append(exc)
        with np.errstate(invalid="ignore"):
            over = np.flatnonzero(np.abs(out) > limits.MAX_AMOUNT)
            zero = np.flatnonzero(out == 0) if col.nonzero else np.empty(0, dtype=np.int64)
        for positions, error in ((over, CellError("reader.amount_range", limit=limit_text())),
                                 (zero, CellError("reader.amount_zero"))):
            bad_rows += positions.tolist()
            errors += [error] * len(positions)
        if not bad_rows:
            return _none_bad(out)
        bad = np.asarray(bad_rows, dtype=np.int64)
        out[bad] = np.nan
        return Parsed(out, bad, errors, arr.take(pa.array(bad)).to_pylist())
    # hashed chunk by chunk, one dictionary shared by all chunks: no copy of the column
    chunks = pc.dictionary_encode(arr).chunks if n else []
    uniques = chunks[0].dictionary.to_pylist() if chunks else []
    codes = np.concatenate([(c.indices.fill_null(-1) if c.null_count else c.indices)
                            .to_numpy(zero_copy_only=False) for c in chunks]
                           ) if chunks else np.zeros(0, dtype=np.int32)
    parse: Callable[[str], Any]
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
        table: np.ndarray = np.array([categories.index(str(p)) if p is not None else -1
                                      for p in parsed] + [-1])
        out = pd.Categorical.from_codes(table[codes], categories=categories)
    elif col.type == BOOL:
        table = np.array([None if p is None else p == "yes" for p in parsed] + [None],
                         dtype=object)
        out = pd.array(table[codes], dtype="boolean")
    else:
        out = np.array(parsed + [missing], dtype=dtype)[codes]
    if not reasons_of:
        return _none_bad(out)
    bad = np.flatnonzero(np.isin(codes, np.fromiter(reasons_of, dtype=np.int64)))
    return Parsed(out, bad, [reasons_of[c] for c in codes[bad]], [uniques[c] for c in codes[bad]])


# Arrow's kernels let go of the GIL: a large ledger's columns are typed two at a time
THREADED_ROWS = 200_000


def type_columns(loaded: LoadedLedger, cols: dict, frame_index: np.ndarray,
                 quoted: bool = True) -> list[Finding]:
    """Trim, check and parse each column; set loaded.frame; return the cell findings.
    quoted=False says the file has no quote character, so no cell holds a line break."""
    ledger = loaded.ledger
    n = len(frame_index)

    def line_of(pos: int) -> int:
        return loaded.line(int(frame_index[pos]))

    def one(col) -> tuple[list[Finding], object]:
        if col.name not in cols:
            return [], _empty_column(col, n)
        return _type_column(loaded, col, _strings(cols[col.name]), line_of, quoted)

    if n >= THREADED_ROWS and len(ledger.columns) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(2) as pool:
            typed = list(pool.map(one, ledger.columns))
    else:
        typed = [one(col) for col in ledger.columns]
    findings: list[Finding] = [f for found, _ in typed for f in found]
    data_cols: dict[str, object] = {col.name: values
                                    for col, (_, values) in zip(ledger.columns, typed)}
    if "category_claims_exit" in ledger.derived:
        data_cols["category_claims_exit"] = _claims_exit(cols.get("category"), n)
    frame = pd.DataFrame(data_cols, index=pd.RangeIndex(n))
    frame.index = pd.Index(frame_index, name="record")
    loaded.frame = frame
    return findings


def _type_column(loaded: LoadedLedger, col, arr: pa.ChunkedArray, line_of: Callable,
                 quoted: bool) -> tuple[list[Finding], object]:
    """One column trimmed, checked and parsed: its findings and its values."""
    display = loaded.display
    header = loaded.headers.get(col.name)
    findings: list[Finding] = []
    longest = pc.max(pc.binary_length(arr)).as_py() if len(arr) else None
    too_long = np.empty(0, dtype=np.int64)
    if longest is not None and longest > limits.MAX_CELL:  # bytes first: cheap, and >= chars
        lengths = pc.utf8_length(arr).to_numpy(zero_copy_only=False)
        too_long = np.flatnonzero(np.nan_to_num(lengths.astype("float64")) > limits.MAX_CELL)
        findings += [Finding.of(display, "reader.cell_too_long", line_of(r), col.name,
                                header=header, length=f"{int(lengths[r]):,}",
                                limit=f"{limits.MAX_CELL:,}") for r in too_long]
        if len(too_long):
            keep = np.ones(len(arr), dtype=bool)
            keep[too_long] = False
            arr = pc.if_else(pa.array(keep), arr, pa.scalar(None, pa.string()))
    arr = pc.utf8_trim_whitespace(arr)
    empty = pc.equal(arr, "")
    if pc.any(empty).as_py():  # no copy of a column that has no empty cell
        arr = pc.if_else(empty, pa.scalar(None, pa.string()), arr)
    if col.type == RID:
        arr = pc.utf8_upper(arr)
    if col.required and arr.null_count:
        missing = np.setdiff1d(np.flatnonzero(arr.is_null().to_numpy(zero_copy_only=False)),
                               too_long)
        findings += [Finding.of(display, "reader.required_empty", line_of(r), col.name,
                                header=header) for r in missing]
    if col.type in (ID, RID) and quoted:  # names may hold a line break; ids never do
        multiline = pc.fill_null(pc.match_substring(arr, "\n"), False)
        rows = np.flatnonzero(multiline.to_numpy(zero_copy_only=False))
        findings += [Finding.of(display, "reader.multiline", line_of(r), col.name,
                                arr[int(r)].as_py(), header=header) for r in rows]
    if col.type in (ID, RID, TEXT):
        # Arrow strings as they are: no Python object per cell
        return findings, arr.to_pandas()
    parsed, bad, reasons, texts = _parse_column(col, arr)
    findings += _findings_for(display, bad, line_of, col.name, reasons, texts, header)
    return findings, _finish(col, parsed)


def _claims_exit(values, n: int) -> pd.api.extensions.ExtensionArray:
    """Per household, what its category label says of its status: True for the national
    system's 脱贫户 labels (一般脱贫户 ...: it exited), False for the 贫困户 labels (it is
    poor), empty for any other spelling (a code, 低保户 ...) or an empty cell."""
    if values is None:
        return _no_booleans(n)
    arr = pc.utf8_trim_whitespace(_strings(values))
    exited = pc.is_in(arr, value_set=pa.array(sorted(EXIT_CLAIMING_LABELS), pa.string()))
    poor = pc.is_in(arr, value_set=pa.array(sorted(POOR_CLAIMING_LABELS), pa.string()))
    out = pc.if_else(exited, pa.scalar(True), pc.if_else(poor, pa.scalar(False),
                                                         pa.scalar(None, pa.bool_())))
    return pd.arrays.BooleanArray(
        pc.fill_null(out, False).to_numpy(zero_copy_only=False).astype(bool),
        out.is_null().to_numpy(zero_copy_only=False).astype(bool))


def _finish(col, parsed):
    if col.type == DATE:  # parsed to seconds already: no copy of a column of millions
        return pd.Series(np.asarray(parsed, dtype="datetime64[s]"), copy=False)
    if col.type in (YEAR, COUNT):
        return pd.Series(parsed).astype("Int64")
    if col.type == AMOUNT:
        series = pd.Series(parsed, dtype="float64")
        return series.fillna(col.default) if col.default is not None else series
    return parsed  # enumerations and yes/no come typed already


def _empty_column(col, n: int):
    """A column the file does not have: empty cells of the column's type (built from
    arrays, not from a list of n Python objects)."""
    if col.type == DATE:
        return pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[s]"))
    if col.type in (YEAR, COUNT):
        return pd.Series(pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64),
                                                np.ones(n, dtype=bool)))
    if col.type == AMOUNT:
        return pd.Series(np.full(n, np.nan if col.default is None else col.default))
    if col.type == BOOL:
        return pd.Series(_no_booleans(n))
    if col.type == ENUM:
        return pd.Categorical.from_codes(np.full(n, -1, dtype=np.int64),
                                         categories=ENUMS[col.enum].codes)
    return pd.Series(np.full(n, None, dtype=object), dtype="object")


def _no_booleans(n: int) -> pd.api.extensions.ExtensionArray:
    return pd.arrays.BooleanArray(np.zeros(n, dtype=bool), np.ones(n, dtype=bool))
