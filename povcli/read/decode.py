"""Bytes to text: UTF-8 first, GB18030 else, and the place (line, byte) where bytes are
not in the encoding they claim."""

from __future__ import annotations

from typing import NamedTuple

from ..findings import Finding

ENCODINGS = ("utf-8", "gb18030")


class Decoded(NamedTuple):
    text: str
    encoding: str  # the encoding used


def decode(raw: bytes, encoding: str | None) -> Decoded:
    """Bytes -> text and the encoding used. Strict UTF-8 first: GB18030 decodes almost
    anything."""
    if encoding:
        enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
        return Decoded(raw.decode(enc), encoding)
    try:
        return Decoded(raw.decode("utf-8-sig"), "utf-8")
    except UnicodeDecodeError:
        return Decoded(raw.decode("gb18030"), "gb18030")


def is_utf8(data) -> bool:
    """Strictly valid UTF-8, checked in pieces (no copy of a big file in memory)."""
    return decodes(data, "utf-8")


def decodes(data, encoding: str) -> bool:
    """Whether data is valid text in encoding, checked in pieces (no copy in memory)."""
    import codecs
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        for i in range(0, len(data), 1 << 24):
            decoder.decode(data[i:i + (1 << 24)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _place(raw: bytes, offset: int) -> tuple[int, int]:
    """(line, byte within the line), both from 1, of a byte offset."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, offset - line_start + 1


def undecodable(display: str, raw: bytes, offset: int, msg: str, **params) -> Finding:
    line, byte = _place(raw, offset)
    return Finding.of(display, msg, line, byte=byte, **params)
