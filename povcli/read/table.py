"""A table's shape whatever its format (CSV or a sheet): the header row naming the
ledger's columns, and the rows that are blank or totals."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..findings import Finding, mask_text
from ..schema import Ledger, header_index, header_key


@dataclass
class HeaderMatch:
    """A header's cells matched to the ledger's columns; findings say what is duplicated or
    missing (the header is usable only without them)."""

    position: dict[str, int]  # column -> its position among the cells
    headers: dict[str, str]  # column -> its header as written
    findings: list[Finding]


def match_header(header: list[str], ledger: Ledger, display: str, line: int | None
                 ) -> HeaderMatch:
    """Header cells matched to the ledger's columns."""
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
    return HeaderMatch(position, headers, findings)


def names_required(cells: list[str], ledger: Ledger) -> int:
    """How many columns of the ledger the cells name; -1 when they name every required one."""
    index = header_index(ledger)
    named = {index.get(header_key(c)) for c in cells} - {None}
    if all(col.name in named for col in ledger.columns if col.required):
        return -1
    return len(named)


TOTALS = r"^.{0,6}(合\s*计|总\s*计|小\s*计).{0,6}$"


def row_kind(cells) -> str | None:
    """'blank' for a row of empty cells, 'totals' for a totals row, else None."""
    for cell in cells:
        text = "" if cell is None else str(cell).strip()
        if text:
            return "totals" if re.match(TOTALS, text) else None
    return "blank"
