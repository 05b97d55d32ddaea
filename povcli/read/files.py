"""Finding the ledgers of a folder (or of one workbook): files and sheets named after a
ledger in English or Chinese, any case; refusing what is not a regular file."""

from __future__ import annotations

import os
import stat
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ..findings import Finding
from ..schema import LEDGERS
from . import limits

CSV_SUFFIXES = (".csv", ".tsv")
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


class Found(NamedTuple):
    """Ledger name -> where it is, and what stops a ledger being found (twice, no folder)."""

    sources: dict[str, Source]
    findings: list[Finding]


def ledger_by_name() -> dict[str, str]:
    """A file stem or sheet name (any case, English or Chinese) -> ledger name."""
    names = {}
    for ledger in LEDGERS.values():
        names[ledger.name.casefold()] = ledger.name
        names[unicodedata.normalize("NFC", ledger.zh).casefold()] = ledger.name
    return names


def _sheets(path: Path) -> list[str]:
    from python_calamine import CalamineWorkbook

    if not _regular(path) or unpacked_too_big(path) is not None:
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


def not_a_file(path: Path, display: str) -> Finding | None:
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


def find_files(folder: Path) -> Found:
    """Ledger name -> where it is: a CSV file or workbook named after it (English or
    Chinese, any case), or a sheet so named in a workbook. `folder` may be a workbook."""
    by_name = ledger_by_name()
    found: dict[str, list[Source]] = {}
    if folder.is_file() and folder.suffix.lower() in EXCEL_SUFFIXES:
        for sheet in _sheets(folder):
            name = by_name.get(unicodedata.normalize("NFC", sheet.strip()).casefold())
            if name:
                found.setdefault(name, []).append(Source(folder, sheet))
        if not found:
            problem = unpacked_too_big(folder)
            return Found({}, [problem or Finding.of(str(folder), "reader.no_sheet")])
        entries = []
    else:
        try:
            entries = sorted(os.listdir(folder))
        except FileNotFoundError:
            return Found({}, [Finding.of(str(folder), "reader.no_folder")])
        except NotADirectoryError:
            return Found({}, [Finding.of(str(folder), "reader.not_folder")])
        except OSError as exc:
            return Found({}, [Finding.of(str(folder), "reader.cannot_read",
                                         error=exc.strerror or str(exc))])
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
    return Found(sources, findings)


_ZIPPED = (".xlsx", ".xlsm", ".ods")


def unpacked_too_big(path: Path) -> Finding | None:
    """A finding when a zipped workbook would unpack to more than MAX_UNPACKED bytes."""
    if path.suffix.lower() not in _ZIPPED or not _regular(path):
        return None
    try:
        with zipfile.ZipFile(path) as zf:
            size = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None  # calamine says what is wrong with it
    if size > limits.MAX_UNPACKED:
        return Finding.of(str(path), "reader.workbook_too_big", size=f"{size:,}",
                          limit=f"{limits.MAX_UNPACKED:,}")
    return None
