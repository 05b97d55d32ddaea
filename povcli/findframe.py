"""Findings as columns: what `check` finds, kept as arrays until it is shown.

A rule that can find something on every row (a broken ID, a payment off the rolls)
returns a `Batch`: its code, file, lines, message id and message parameters as arrays,
one entry a finding. `FindingFrame` puts the batches of a run together, sorts them as
`check` always has (file, line, rule, English message), filters by year, masks
resident IDs, and puts messages into words only for the rows that are shown, in
English or Chinese, formatting each distinct parameter value once. A rule that finds
little may still return a list of `Finding`; it is carried as it is. Every finding
reads the same as the `Finding` it stands for (`to_findings`).
"""

from __future__ import annotations

import string
from itertools import repeat
from typing import Iterable, Sequence

import numpy as np

from .findings import ID_COLUMNS, Finding, mask_id, mask_text
from .messages import MESSAGES, _Formatter, say

_NONE = -1  # a line or year that is not there


def _objects(values, n: int) -> np.ndarray:
    """An object array of n entries: values as given (None where missing)."""
    if values is None:
        return np.full(n, None, dtype=object)
    if isinstance(values, (str, int, float)) or np.isscalar(values):
        return np.full(n, values, dtype=object)
    return np.asarray(values, dtype=object)


class Batch:
    """One rule's findings (or a list of Finding objects carried as they are)."""

    def __init__(self, code: str | None, severity: str, file: str, lines, msg,
                 params: dict | None = None, column: str | None = None,
                 header: str | None = None, value=None, household=None, person=None,
                 year=None, findings: list[Finding] | None = None):
        self.findings = findings
        if findings is not None:
            n = len(findings)
            self.code = _objects([f.code for f in findings], n)
            self.severity = _objects([f.severity for f in findings], n)
            self.file = _objects([f.file for f in findings], n)
            self.line = np.array([_NONE if f.line is None else f.line for f in findings],
                                 dtype=np.int64)
            self.column = _objects([f.column for f in findings], n)
            self.header = _objects([f.header for f in findings], n)
            self.value = _objects([f.value for f in findings], n)
            self.household = _objects([f.household for f in findings], n)
            self.person = _objects([f.person for f in findings], n)
            self.year = np.array([_NONE if f.year is None else f.year for f in findings],
                                 dtype=np.int64)
            self.msg = _objects([f.msg for f in findings], n)
            self.params = {}
            return
        self.line = np.asarray(lines, dtype=np.int64)
        n = len(self.line)
        self.code = _objects(code, n)
        self.severity = _objects(severity, n)
        self.file = _objects(file, n)
        self.column = _objects(column, n)
        self.header = _objects(header, n)
        self.value = _objects(value, n)
        self.household = _objects(household, n)
        self.person = _objects(person, n)
        self.year = np.full(n, _NONE, dtype=np.int64) if year is None else np.asarray(
            year, dtype=np.int64)
        self.msg = _objects(msg, n)
        self.params = {k: _objects(v, n) for k, v in (params or {}).items()}

    def __len__(self) -> int:
        return len(self.line)

    @classmethod
    def of(cls, findings: list[Finding]) -> "Batch":
        return cls(None, "", "", (), None, findings=list(findings))

    # -- words
    def reasons(self, rows: np.ndarray) -> list[str]:
        """The English message (without the column) of rows, as Finding.reason is."""
        if self.findings is not None:
            return [self.findings[i].reason for i in rows]
        return self.words(rows, "en")

    def words(self, rows: np.ndarray, lang: str) -> list[str]:
        """The message of rows in lang (Finding.message)."""
        if self.findings is not None:
            return [self.findings[i].message(lang) for i in rows]
        out: list[str] = [""] * len(rows)
        msgs = self.msg[rows]
        for msg in dict.fromkeys(msgs.tolist()):
            where = np.flatnonzero(msgs == msg) if len(set(msgs.tolist())) > 1 else \
                np.arange(len(rows))
            texts = _format(msg, lang, {k: v[rows[where]] for k, v in self.params.items()},
                            len(where))
            for j, text in zip(where.tolist(), texts):
                out[j] = text
        return out

    def finding(self, i: int) -> Finding:
        if self.findings is not None:
            return self.findings[i]
        params = tuple((k, v[i]) for k, v in self.params.items())
        msg = self.msg[i]
        return Finding(self.file[i], say(msg, "en", **dict(params)),
                       None if self.line[i] == _NONE else int(self.line[i]), self.column[i],
                       self.value[i], self.severity[i], self.code[i], self.household[i],
                       self.person[i], None if self.year[i] == _NONE else int(self.year[i]),
                       msg, params, self.header[i])

    def masked(self) -> "Batch":
        """Resident IDs masked as Finding.masked does, each distinct value once."""
        if self.findings is not None:
            return Batch.of([f.masked() for f in self.findings])
        out = Batch.__new__(Batch)
        out.__dict__.update(self.__dict__)
        is_id = np.isin(self.column.astype(str), list(ID_COLUMNS)) | (
            (self.value == self.person) & np.not_equal(self.value, None))
        value = masked_texts(self.value).copy()
        if is_id.any():
            value[is_id] = _mapped(self.value[is_id], mask_id)
        out.value = value
        out.person = _mapped(self.person, mask_id)
        out.file = masked_texts(self.file)
        out.params = {k: masked_texts(v) for k, v in self.params.items()}
        return out


def _mapped(values: np.ndarray, fn) -> np.ndarray:
    """fn over an object array, once per distinct value (missing ones one by one)."""
    import pandas as pd

    if not len(values):
        return np.zeros(0, dtype=object)
    try:
        codes, uniques = pd.factorize(values)
    except TypeError:  # unhashable: one by one
        return np.array([fn(v) for v in values.tolist()] + [None], dtype=object)[:-1]
    done = np.empty(len(uniques) + 1, dtype=object)
    done[:-1] = [fn(u) for u in uniques]  # (an array of values: no broadcasting)
    out = done[codes]
    missing = np.flatnonzero(codes == -1)
    for i in missing.tolist():
        out[i] = fn(values[i])
    return out


def _may_hold_ids(values) -> bool:
    """Whether any text among values has a run of 15 digits (every resident ID mask_text
    masks has one): when none has, masking them changes nothing. One linear pass in
    Arrow's regular expressions over all of them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        texts = pa.array(values, pa.string())  # None is null
    except (pa.ArrowException, TypeError):  # not all text: only the texts can hold one
        texts = pa.array([v for v in values if isinstance(v, str)], pa.string())
    if not len(texts):
        return False
    return bool(pc.any(pc.match_substring_regex(texts, r"[0-9]{15}")).as_py())


def masked_texts(values: np.ndarray) -> np.ndarray:
    """mask_text of every value (as it is where nothing can be an ID)."""
    values = np.asarray(values, dtype=object)
    return _mapped(values, mask_text) if _may_hold_ids(values.tolist()) else values


_FORMATTER = _Formatter()


def _format(msg: str, lang: str, params: dict[str, np.ndarray], n: int) -> list[str]:
    """say(msg, lang, **params of each row) for n rows: the template parsed once, each
    distinct value of a parameter formatted once."""
    en, zh = MESSAGES.get(msg, (msg, msg))
    template = zh if lang == "zh" else en
    parts = list(string.Formatter().parse(template))
    if any(name and ("." in name or "[" in name or "{" in (spec or ""))
           for _, name, spec, _ in parts):  # the rare template: as say does, row by row
        return [say(msg, lang, **{k: v[i] for k, v in params.items()}) for i in range(n)]
    columns: list[Iterable[str]] = []
    for literal, name, spec, conversion in parts:
        if literal:
            columns.append(repeat(literal, n))
        if name is None:
            continue
        if name not in params:
            columns.append(repeat(_FORMATTER.format_field("{" + name + "}", spec or ""), n))
            continue
        def fmt(v, spec=spec or "", conversion=conversion):
            return _FORMATTER.format_field(
                _FORMATTER.convert_field(v, conversion) if conversion else v, spec)
        columns.append(_mapped(params[name], fmt).tolist())
    if not columns:
        return [""] * n
    return ["".join(row) for row in zip(*columns)]


class FindingFrame:
    """The findings of a run as columns, with their batches (see the module's text)."""

    def __init__(self, batches: Sequence[Batch], rows: np.ndarray | None = None,
                 which: np.ndarray | None = None):
        self.batches = [b for b in batches if len(b)]
        if which is None:
            which = np.repeat(np.arange(len(self.batches)),
                              [len(b) for b in self.batches]).astype(np.int64)
            rows = np.concatenate([np.arange(len(b)) for b in self.batches]).astype(
                np.int64) if self.batches else np.zeros(0, dtype=np.int64)
        self.which, self.rows = which, rows
        self.is_masked = False  # made by masked(): IDs in every column masked
        self._whole: dict[str, np.ndarray] = {}  # a column of all batches, shared by takes

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> np.ndarray:
        """One column (code, severity, file, line, column, header, value, household,
        person, year, msg) over every finding, in order."""
        if not self.batches:
            return np.zeros(0, dtype=np.int64 if name in ("line", "year") else object)
        if name not in self._whole:
            self._whole[name] = np.concatenate([getattr(b, name) for b in self.batches])
        if "starts" not in self._whole:
            self._whole["starts"] = np.cumsum([0] + [len(b) for b in self.batches])[:-1]
        return self._whole[name][self._whole["starts"][self.which] + self.rows]

    def take(self, positions) -> "FindingFrame":
        out = FindingFrame(self.batches, self.rows[positions], self.which[positions])
        out.is_masked, out._whole = self.is_masked, self._whole
        return out

    def _per_batch(self, fn) -> list:
        out: list = [None] * len(self)
        for b, batch in enumerate(self.batches):
            at = np.flatnonzero(self.which == b)
            if len(at):
                for j, v in zip(at.tolist(), fn(batch, self.rows[at])):
                    out[j] = v
        return out

    def reasons(self) -> list[str]:
        return self._per_batch(lambda batch, rows: batch.reasons(rows))

    def messages(self, lang: str = "en") -> list[str]:
        """Each finding's message after its column, as the user's file names it."""
        words = self._per_batch(lambda batch, rows: batch.words(rows, lang))
        names = self.column("header")
        columns = self.column("column")
        out = []
        for text, column, header in zip(words, columns.tolist(), names.tolist()):
            if column is None:
                out.append(text)
            else:
                name = header or column
                out.append(f"{name}列：{text}" if lang == "zh" else f"column {name}: {text}")
        return out

    def sorted(self) -> "FindingFrame":
        """In the order check has always listed: file, line, rule, English message."""
        if len(self) < 2:
            return self
        import pandas as pd

        file = pd.factorize(self.column("file"), sort=True)[0]
        line = np.maximum(self.column("line"), 0)  # no line sorts as 0
        code = pd.factorize(np.where(pd.isna(self.column("code")), "", self.column("code"))
                            .astype(object), sort=True)[0]
        first = np.lexsort((code, line, file))
        keys = np.stack([file[first], line[first], code[first]])
        tie = np.zeros(len(first), dtype=bool)
        same = (keys[:, 1:] == keys[:, :-1]).all(axis=0)
        tie[1:] |= same
        tie[:-1] |= same
        if tie.any():  # the message decides only among findings of one rule at one line
            at = np.flatnonzero(tie)
            sub = self.take(first[at])
            reason = pd.factorize(np.asarray(sub.reasons(), dtype=object), sort=True)[0]
            group = np.cumsum(np.r_[True, ~same[at[:-1]] | (np.diff(at) != 1)])
            first[at] = first[at][np.lexsort((reason, group))]
        return self.take(first)

    def in_year(self, year: int | None) -> "FindingFrame":
        """Findings of `year` (by the date of their row) and the undated ones."""
        if not year:
            return self
        y = self.column("year")
        return self.take(np.flatnonzero((y == _NONE) | (y == year)))

    def in_households(self, ids) -> "FindingFrame":
        """Findings of households `ids`, and those of no household (a project, a
        village, a file's cells)."""
        from .read.arrowkit import is_in

        hh = self.column("household")
        none = np.array([v is None or v == "" or v != v for v in hh.tolist()], dtype=bool)
        return self.take(np.flatnonzero(none | is_in(hh, ids)))

    def masked(self) -> "FindingFrame":
        out = FindingFrame([b.masked() for b in self.batches], self.rows, self.which)
        out.is_masked = True
        return out

    def to_findings(self) -> list[Finding]:
        return [self.batches[b].finding(r) for b, r in zip(self.which.tolist(),
                                                            self.rows.tolist())]

    def errors(self) -> int:
        return int((self.column("severity") == "error").sum())

    def counts(self) -> list[tuple[tuple[str, str], int]]:
        """(code, file) -> findings, most first (ties in order of first appearance), as
        Counter.most_common gives them."""
        from collections import Counter

        return Counter(zip(self.column("code").tolist(),
                           self.column("file").tolist())).most_common()
