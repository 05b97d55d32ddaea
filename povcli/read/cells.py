"""One cell's text to its value: dates, years, amounts, counts, codes of an enumeration.
A cell that cannot be read raises CellError, a catalogue message id with parameters."""

from __future__ import annotations

import re
from datetime import date
from typing import Callable

import numpy as np

from ..messages import MESSAGES, say
from ..schema import ENUMS, SET_SEPARATORS, enum_index, header_key
from . import limits


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


def limit_text() -> str:
    return f"{limits.MAX_AMOUNT:,.0f}"


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
    if fen > limits.MAX_AMOUNT * 100:
        raise CellError("reader.amount_range", limit=limit_text())
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
