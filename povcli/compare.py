"""`povcli compare FIGURES.csv` and `povcli diff OLD NEW`.

compare: published figures (a news release, a work report) beside the ledgers' own. A
figures file is read by the ledger reading rules; its layout:

| column | 中文 | rule |
|---|---|---|
| metric | 指标 | required: a metric of `povcli summary` (households, people, poor_people, ...) |
| year | 年度 | required year |
| area | 地区 | optional: a township, a village, or "township village"; empty = all |
| value | 数值 | required number (`404`, `4,000`, `100%`, `90人` are read as 404, 4000, 1.0, 90) |
| source | 来源 | optional text: where it was published |

The ledgers' figure is the summary's metric of that year and area; difference =
published − ledgers.

diff: two exports of the same ledgers (two years' snapshots of the national system),
row by row, keyed by each ledger's key: households by household_id, members by
(household_id, person_id), exits by (household_id, exit_year), subsidies by voucher,
the others (and rows whose key is empty) by the whole row. A row is added, removed or
altered (same key, some cell differs: the columns are named).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from . import audit_words  # noqa: F401  (Chinese words of these reports)
from .findings import Finding, LedgerError, UsageError, mask_text
from .read.loaded import LedgerSet
from .reports import Report
from .schema import LEDGERS, TEXT, YEAR, Column, Ledger

FIGURES = Ledger("figures", "公布数字", (
    Column("metric", "指标", TEXT, True), Column("year", "年度", YEAR, True),
    Column("area", "地区", TEXT), Column("value", "数值", TEXT, True),
    Column("source", "来源", TEXT)), what="one published figure")

COMPARE_COLUMNS = ["metric", "year", "area", "published", "ledgers", "difference", "source"]
FIGURE_FRAME = pd.DataFrame(columns=[c.name for c in FIGURES.columns])
_NUMBER = re.compile(r"^[-+]?\d+(\.\d+)?$")


def number(text: str) -> float | None:
    """A published number as people write it: 4,000 / 100% / 90人 / 约4000元."""
    t = str(text).strip().replace(",", "").replace("，", "")
    t = re.sub(r"^(约|近|超过|逾|共|合计)", "", t)
    t = re.sub(r"(人|户|元|万元|个|名|次|年)$", "", t)
    scale = 1.0
    if t.endswith("%"):
        t, scale = t[:-1], 0.01
    if not _NUMBER.match(t):
        return None
    return float(t) * scale


def read_figures(path: Path, encoding: str | None = None):
    from .read.load import read_ledger

    one, findings = read_ledger(Path(path), FIGURES, encoding)
    if one is None or findings:
        raise LedgerError(findings)
    bad = []
    for i, (text, metric) in enumerate(zip(one.frame["value"], one.frame["metric"])):
        if number(text) is None:
            bad.append(Finding.of(one.display, "compare.not_number", one.line(
                one.frame.index[i]), "value", text, header=one.headers.get("value")))
    if bad:
        raise LedgerError(bad)
    return one


def _area(ledgers: LedgerSet, area) -> tuple[str | None, str | None]:
    """(township, village) of an area cell."""
    if area is None or pd.isna(area) or not str(area).strip():
        return None, None
    parts = str(area).split()
    hh = ledgers.frame("households")
    if len(parts) == 2:
        return parts[0], parts[1]
    if (hh["township"] == parts[0]).any():
        return parts[0], None
    return None, parts[0]


def published(ledgers: LedgerSet, year: int | None = None, listing: bool = False,
              figures: Path | None = None, encoding: str | None = None) -> Report:
    """The published figures of file `figures` beside the ledgers' own (none: an empty
    table)."""
    return compare(ledgers, None if figures is None else read_figures(Path(figures), encoding),
                   listing)


def compare(ledgers: LedgerSet, figures, listing: bool = False) -> Report:
    from .model import restrict
    from .summary import summary

    out, listed, notes = [], [], []
    cache: dict = {}
    rows = FIGURE_FRAME if figures is None else figures.frame
    for r in rows.itertuples(index=False):
        town, village = _area(ledgers, r.area)
        key = (int(r.year), town, village)
        try:
            if key not in cache:
                part = restrict(ledgers, town, village)
                cache[key] = (summary(part, int(r.year)), part)
            report, part = cache[key]
        except UsageError as exc:
            notes.append(str(exc))
            report = part = None
        frame = None if report is None else report.frame
        own = None
        if frame is not None and (frame["metric"] == r.metric).any():
            own = frame.loc[frame["metric"] == r.metric, "value"].iloc[0]
        elif frame is not None:
            notes.append(f"no metric '{r.metric}' in povcli summary")
        published = _whole(number(r.value))
        own = None if own is None or pd.isna(own) else _whole(float(own))
        out.append({"metric": r.metric, "year": int(r.year),
                    "area": None if pd.isna(r.area) else r.area, "published": published,
                    "ledgers": own, "difference": None if own is None else _whole(published - own),
                    "source": None if pd.isna(r.source) else r.source})
        if listing and part is not None:
            rows = summary(part, int(r.year), listing=True).frame
            if r.metric == "poor_people":
                rows = rows[rows["poor"] == "yes"]
            if r.metric in ("households", "poor_households"):
                rows = rows.drop_duplicates("household_id")
            listed.append(rows.assign(metric=r.metric))
    if listing:
        frame = pd.concat(listed, ignore_index=True) if listed else pd.DataFrame(
            columns=["metric", "year", "township", "village", "household_id", "person_id",
                     "name", "poor"])
        first = ["metric", "year"]
        frame = frame[first + [c for c in frame.columns if c not in first]]
        return Report("compare", "Records behind the ledgers' figures", frame, notes=notes)
    return Report("compare", "Published figures beside the ledgers'", pd.DataFrame(
        out, columns=COMPARE_COLUMNS, dtype=object), notes=list(dict.fromkeys(notes)))


def _whole(x: float):
    """4.0 as 4 (counts stay counts), 0.95 as it is."""
    return int(x) if float(x).is_integer() else round(x, 10)


# --------------------------------------------------------------------------- diff

KEYS = {"households": ("household_id",), "members": ("household_id", "person_id"),
        "exits": ("household_id", "exit_year"), "subsidies": ("voucher",),
        "projects": ("project_id",), "villages": ("township", "village"),
        "policy": ("year",), "incomes": ("household_id", "year")}
DIFF_COLUMNS = ["ledger", "old_rows", "new_rows", "added", "removed", "altered", "unchanged"]
DIFF_LIST = ["ledger", "change", "key", "columns", "old", "new"]


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        s = frame[col]
        if s.dtype.kind == "M":
            s = s.dt.strftime("%Y-%m-%d")
        elif s.dtype.kind == "f":  # 600 as the ledger wrote it, not 600.0
            s = s.map(lambda x: x if pd.isna(x) else str(_whole(x)))
        out[col] = s.astype(object).where(s.notna(), "").astype(str)
    return out


def _keyed(frame: pd.DataFrame, key: tuple) -> pd.Series:
    whole = frame.apply(lambda r: "|".join(r), axis=1) if len(frame) else pd.Series(
        [], dtype=object)
    if not key:
        return "row:" + whole
    k = frame[list(key)]
    have = (k != "").all(axis=1)
    keyed = k.apply(lambda r: " / ".join(r), axis=1) if len(frame) else whole
    return keyed.where(have, "row:" + whole)


def exports_diff(ledgers: LedgerSet, year: int | None = None, listing: bool = False,
                 old: LedgerSet | None = None, show_ids: bool = False) -> Report:
    """diff as a report: `ledgers` is the newer export, `old` the older (none: every row
    is added)."""
    return diff(old, ledgers, listing, show_ids)


def diff(old: LedgerSet | None, new: LedgerSet, listing: bool = False,
         show_ids: bool = False) -> Report:
    if old is None:
        old = LedgerSet(new.folder, {}, {})
    names = [n for n in LEDGERS if n in old.loaded or n in new.loaded]
    summary, listed = [], []
    hide = (lambda t: t) if show_ids else mask_text
    for name in names:
        columns = [c.name for c in LEDGERS[name].columns]
        a = _text(old.frame(name)[columns]) if name in old.loaded else pd.DataFrame(
            columns=columns)
        b = _text(new.frame(name)[columns]) if name in new.loaded else pd.DataFrame(
            columns=columns)
        key = KEYS.get(name, ())
        a.index, b.index = _keyed(a, key), _keyed(b, key)
        a = a[~a.index.duplicated()]
        b = b[~b.index.duplicated()]
        added = b.index.difference(a.index, sort=False)
        removed = a.index.difference(b.index, sort=False)
        both = a.index.intersection(b.index, sort=False)
        changed = []
        for k in both:
            cols = [c for c in columns if a.at[k, c] != b.at[k, c]]
            if cols:
                changed.append((k, cols))
        summary.append({"ledger": name, "old_rows": len(a), "new_rows": len(b),
                        "added": len(added), "removed": len(removed),
                        "altered": len(changed), "unchanged": len(both) - len(changed)})
        if listing:
            def cells(row, cols):
                return hide("; ".join(f"{c}={row[c]}" for c in cols if row[c] != ""))
            for k in added:
                listed.append([name, "added", hide(k.removeprefix("row:")), "", "",
                               cells(b.loc[k], columns)])
            for k in removed:
                listed.append([name, "removed", hide(k.removeprefix("row:")), "",
                               cells(a.loc[k], columns), ""])
            for k, cols in changed:
                listed.append([name, "altered", hide(k), ", ".join(cols),
                               hide("; ".join(f"{c}={a.at[k, c]}" for c in cols)),
                               hide("; ".join(f"{c}={b.at[k, c]}" for c in cols))])
    if listing:
        return Report("diff", "Rows added, removed or altered", pd.DataFrame(
            listed, columns=DIFF_LIST))
    return Report("diff", "Two exports of the ledgers compared", pd.DataFrame(
        summary, columns=DIFF_COLUMNS), kinds={c: "count" for c in DIFF_COLUMNS[1:]})
