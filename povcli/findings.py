"""Findings: one problem at one place in the user's files. No pandas here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    file: str
    reason: str
    line: int | None = None
    column: str | None = None
    value: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = self.reason if self.column is None else f"column {self.column}: {self.reason}"
        if self.value is not None:
            what += f" (value '{_short(self.value)}')"
        return f"{where}: {what}"

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
