"""Reading a workbook sheet (calamine): its cells as the text a CSV would hold, after
guards on the workbook's unpacked size and the sheet's extent."""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from ..findings import Finding
from ..messages import Said
from ..schema import DATE, RID, Ledger
from . import limits
from .files import Source, unpacked_too_big
from .loaded import LoadedLedger, Untyped
from .table import match_header, names_required, row_kind


EXCEL_EPOCH = np.datetime64("1899-12-30")


class CellText(NamedTuple):
    text: str  # the text a CSV would hold
    problem: str | None = None  # a message id where that text is not certain


def _excel_text(value, type_: str) -> CellText:
    """An Excel cell as the text a CSV would hold."""
    if isinstance(value, str):
        return CellText(value)
    if isinstance(value, bool):
        return CellText("true" if value else "false")
    if isinstance(value, float):
        if type_ == RID and value >= 1e15:
            return CellText(f"{value:.6E}", "reader.excel_id_number")
        if type_ == DATE and value.is_integer():
            n = int(value)
            if 19000101 <= n <= 29991231:  # 20170713 typed as a number
                return CellText(str(n))
            if 1 <= n < 2958466:  # a date serial whose cell lost its date format
                return CellText(str(EXCEL_EPOCH + np.timedelta64(n, "D")))
        if value.is_integer() and abs(value) < 1e15:
            return CellText(str(int(value)))
        return CellText(repr(value))
    if isinstance(value, int):
        return CellText(str(value))
    if hasattr(value, "isoformat"):  # date, datetime, time
        text = value.isoformat()
        return CellText(text[:10] if type_ == DATE and len(text) >= 10 else text)
    return CellText(str(value))


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
    if (rows > limits.MAX_SHEET_ROWS or columns > limits.MAX_SHEET_COLUMNS
            or rows * columns > limits.MAX_SHEET_CELLS):
        return Finding.of(display, "reader.sheet_too_big", sheet=sheet, rows=f"{rows:,}",
                          columns=f"{columns:,}", max_rows=f"{limits.MAX_SHEET_ROWS:,}",
                          max_columns=f"{limits.MAX_SHEET_COLUMNS:,}",
                          max_cells=f"{limits.MAX_SHEET_CELLS:,}")
    return None


def read_excel(source: Source, ledger: Ledger, notes: list[str] | None = None) -> Untyped:
    from python_calamine import CalamineWorkbook

    display = source.display
    problem = unpacked_too_big(source.path)
    if problem is not None:
        return Untyped.refused([replace(problem, file=display)])
    try:
        book = CalamineWorkbook.from_path(str(source.path))
        name = source.sheet if source.sheet else book.sheet_names[0]
        shown = Source(source.path, name).display
        problem = _sheet_too_big(source.path, name, shown)
        if problem is not None:
            return Untyped.refused([problem])
        sheet = book.get_sheet_by_name(name)
        rows = sheet.to_python()
        first = sheet.start[0] + 1 if sheet.start else 1
    except Exception as exc:  # calamine raises its own kinds for every broken workbook
        return Untyped.refused([Finding.of(display, "reader.not_workbook",
                                           error=f"{type(exc).__name__}: {str(exc)[:120]}")])
    if source.sheet is None:
        source = Source(source.path, sheet.name)
        display = source.display
    numbered = [(first + i, r) for i, r in enumerate(rows)
                if any(v != "" and v is not None for v in r)]
    if not numbered:
        return Untyped.refused([Finding.of(display, "reader.empty_sheet")])
    at, best = 0, None
    for k, (_, row) in enumerate(numbered[:limits.TITLE_ROWS + 1]):
        named = names_required(["" if v is None else str(v) for v in row], ledger)
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
    matched = match_header(header, ledger, display, header_line)
    if matched.findings:
        return Untyped.refused(matched.findings)
    position, headers = matched.position, matched.headers
    findings: list[Finding] = []
    body = []
    for line, row in numbered[at + 1:]:
        if row_kind(row) == "totals":
            findings.append(Finding.of(display, "reader.totals_row", line))
        else:
            body.append((line, row))
    types = {c.name: c.type for c in ledger.columns}
    cols = {}
    for name, i in position.items():
        texts = []
        for line, row in body:
            value = row[i] if i < len(row) else ""
            text, doubt = _excel_text(value, types[name])
            if doubt:
                findings.append(Finding.of(display, doubt, line, name, header=headers[name]))
            texts.append(text)
        cols[name] = pa.array(texts, pa.string())
    loaded = LoadedLedger(ledger, source.path, "xlsx", pd.DataFrame(), headers,
                          _record_lines=np.asarray([header_line] + [ln for ln, _ in body]),
                          sheet=source.sheet)
    return Untyped(loaded, findings, cols, np.arange(len(body)))
