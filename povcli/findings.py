"""Findings: one problem at one place in the user's files. No pandas here."""

from __future__ import annotations

from dataclasses import dataclass, replace

# Columns holding resident ID numbers: personal data, masked unless asked for.
ID_COLUMNS = frozenset({"person_id", "head_id"})


def mask_id(value):
    """Region (first six) and last four stay visible: 220503********0015."""
    if not isinstance(value, str) or not value:
        return value
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


@dataclass(frozen=True)
class Finding:
    file: str
    reason: str
    line: int | None = None
    column: str | None = None
    value: str | None = None
    severity: str = "error"
    code: str | None = None  # the check rule, when a rule found it
    household: str | None = None
    person: str | None = None
    year: int | None = None  # the year of the row's date, for `check --year`

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = self.reason if self.column is None else f"column {self.column}: {self.reason}"
        if self.value is not None:
            what += f" (value '{_short(self.value)}')"
        return f"{where}: {what}"

    def masked(self) -> "Finding":
        """The same finding with resident ID numbers masked."""
        is_id = self.column in ID_COLUMNS or (self.value is not None and self.value == self.person)
        value = mask_id(self.value) if is_id else self.value
        return replace(self, value=value, person=mask_id(self.person))

    def sort_key(self):
        return (self.file, self.line or 0, self.column or "", self.reason)


def _short(value: str, limit: int = 60) -> str:
    value = value.replace("\n", "\\n").replace("\r", "\\r")
    return value if len(value) <= limit else value[: limit - 1] + "…"


class LedgerError(Exception):
    """The ledgers cannot be used as they are; carries every finding of the run."""

    def __init__(self, findings: list[Finding]):
        self.findings = sorted(findings, key=Finding.sort_key)
        super().__init__(f"{len(self.findings)} problem(s) in the ledgers")


class UsageError(Exception):
    """The user asked for something povcli cannot do (exit 2, one line)."""
