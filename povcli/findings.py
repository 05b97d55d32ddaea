"""Findings: one problem at one place in the user's files. No pandas here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

# Columns holding resident ID numbers: personal data, masked unless asked for.
ID_COLUMNS = frozenset({"person_id", "head_id"})

# An 18-character resident ID (17 digits and a digit or X) or an old 15-digit one,
# standing alone (not inside a longer run of digits). Masking goes by value, not by
# column: an ID is masked wherever it appears in any text povcli writes.
_ID_IN_TEXT = re.compile(r"(?<![0-9])(\d{6})(\d{8}|\d{5})(\d{3}[\dXx]|\d{4})(?![0-9A-Za-z])")


def mask_id(value):
    """Region (first six) and last four stay visible: 220503********0015."""
    if not isinstance(value, str) or not value:
        return value
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_text(text):
    """Every resident ID (18 characters, or 15 digits) inside a text, masked."""
    if not isinstance(text, str) or len(text) < 15:
        return text
    return _ID_IN_TEXT.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), text)


@dataclass(frozen=True)
class Finding:
    file: str
    reason: str  # the message in English (built from msg and params when msg is given)
    line: int | None = None
    column: str | None = None
    value: str | None = None
    severity: str = "error"
    code: str | None = None  # the check rule, when a rule found it
    household: str | None = None
    person: str | None = None
    year: int | None = None  # the year of the row's date, for `check --year`
    msg: str | None = None  # message id in messages.MESSAGES
    params: tuple = field(default=(), compare=False)  # ((name, value), ...)
    header: str | None = None  # the column as the user's file names it

    @classmethod
    def of(cls, file: str, msg: str, line: int | None = None, column: str | None = None,
           value=None, *, severity: str = "error", code: str | None = None,
           household=None, person=None, year=None, header: str | None = None,
           **params) -> "Finding":
        """A finding whose message is the catalogue's `msg` with `params`."""
        from .messages import say

        return cls(file, say(msg, "en", **params), line, column,
                   None if value is None else str(value), severity, code, household, person,
                   year, msg, tuple(params.items()), header)

    def message(self, lang: str = "en") -> str:
        """The message alone, in `lang`."""
        if self.msg:
            from .messages import say
            return say(self.msg, lang, **dict(self.params))
        return self.reason  # a finding made without a catalogue id says only English

    def text(self, lang: str = "en") -> str:
        """FILE:LINE: column C: reason (value 'V'), in `lang`."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = self.message(lang)
        if self.column is not None:
            name = self.header or self.column
            what = (f"{name}列：{what}" if lang == "zh" else f"column {name}: {what}")
        if self.value is not None:
            what += (f"（值 '{_short(self.value)}'）" if lang == "zh"
                     else f" (value '{_short(self.value)}')")
        return f"{where}: {what}"

    def __str__(self) -> str:
        return self.text("en")

    def masked(self) -> "Finding":
        """The same finding with resident ID numbers masked, by column and by value."""
        is_id = self.column in ID_COLUMNS or (self.value is not None and self.value == self.person)
        value = mask_id(self.value) if is_id else mask_text(self.value)
        params = tuple((k, mask_text(v) if isinstance(v, str) else v) for k, v in self.params)
        return replace(self, value=value, person=mask_id(self.person), reason=mask_text(
            self.reason), params=params, file=mask_text(self.file))

    def sort_key(self):
        return (self.file, self.line or 0, self.column or "", self.reason)


def _short(value: str, limit: int = 60) -> str:
    value = value.replace("\n", "\\n").replace("\r", "\\r")
    return value if len(value) <= limit else value[: limit - 1] + "…"


class LedgerError(Exception):
    """The ledgers cannot be used as they are; carries every finding of the run, and
    what the reader said of the files before (notes: a title row skipped...), which a
    run that reads the set whole says as it reads."""

    def __init__(self, findings: list[Finding], notes=()):
        self.findings = sorted(findings, key=Finding.sort_key)
        self.notes = list(notes)
        super().__init__(f"{len(self.findings)} problem(s) in the ledgers")


class UsageError(Exception):
    """The user asked for something povcli cannot do (exit 2, one line).

    Either a plain English text, or a message id with parameters (shown in the
    user's language)."""

    def __init__(self, text: str, msg: str | None = None, **params):
        self.msg = msg
        self.params = params
        super().__init__(text)

    @classmethod
    def of(cls, msg: str, **params) -> "UsageError":
        from .messages import say
        return cls(say(msg, "en", **params), msg, **params)

    def text(self, lang: str = "en") -> str:
        if self.msg:
            from .messages import say
            return say(self.msg, lang, **self.params)
        return str(self)
