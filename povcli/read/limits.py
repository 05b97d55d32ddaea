"""Limits on what povcli reads: a cell, an amount, a workbook, the title rows above a
header. Read as `limits.NAME` at each read, so a test may patch them here."""

from __future__ import annotations

import csv
import sys

MAX_CELL = 1_000_000  # characters in one cell
MAX_AMOUNT = 1e12  # yuan, either sign
MAX_UNPACKED = 500 * 1024 * 1024  # bytes, all members of a workbook's zip together
MAX_SHEET_ROWS = 1_048_576
MAX_SHEET_COLUMNS = 1_000
MAX_SHEET_CELLS = 50_000_000  # rows x columns of a sheet's extent
TITLE_ROWS = 10  # rows above the header that may be skipped

# the cells povcli reads can be long, up to MAX_CELL characters (4 bytes each at most)
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
