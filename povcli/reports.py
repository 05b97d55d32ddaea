"""Reports: pure functions from a LedgerSet to a Report (a DataFrame with a title).

The columns are the contract's (`shared/spec/ledgers.md`, "The report tables");
values are raw numbers and English codes. No printing and no formatting here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .findings import UsageError
from .read.loaded import LedgerSet
from .model import (Rolls, exit_counts, exit_rows, id_codes, verification_recorded, with_area,
                    year_end)

BY_CHOICES = ("township", "village")


@dataclass
class Report:
    name: str
    title: str
    frame: pd.DataFrame
    totals: list[dict] = field(default_factory=list)  # rows shown under a table, never in csv/json
    notes: list[str] = field(default_factory=list)  # said on stderr
    kinds: dict[str, str] = field(default_factory=dict)  # column -> display kind, where
    # the column's name alone does not say (render.COLUMN_KINDS)
    meta: dict = field(default_factory=dict)  # parameters of the title (year) for i18n


def _group_keys(by: str | None) -> list[str]:
    if by is None:
        return ["year"]
    if by not in BY_CHOICES:
        raise UsageError.of("reports.bad_by", option="--by", choices=", ".join(BY_CHOICES),
                            value=by)
    return ["year", by]


def _with_township(keys: list[str], by: str | None) -> list[str]:
    return keys + ["township"] if by == "village" else keys


def _finish(frame: pd.DataFrame, keys: list[str], columns: list[str], by: str | None
            ) -> pd.DataFrame:
    """Contract column order, sorted by key columns, year first; a village keeps its
    township as an extra last column (names repeat across townships)."""
    order = [keys[0], *keys[1:], *[c for c in columns if c not in keys]]
    if by == "village":
        order.append("township")
        sort = [*keys, "township"]
    else:
        sort = keys
    frame = frame.sort_values(sort, kind="stable").reset_index(drop=True)
    return frame[order]


def _rows_of_year(frame: pd.DataFrame, year_col: pd.Series, year: int | None) -> pd.DataFrame:
    frame = frame.assign(year=year_col.astype("Int64"))
    frame = frame[frame["year"].notna()]
    if year is not None:
        frame = frame[frame["year"] == year]
    return frame


# --------------------------------------------------------------------------- exits

EXIT_COLUMNS = ["year", "households", "people", "verified_people", "passed_people", "pass_rate",
                "pending_people"]


def exits(ledgers: LedgerSet, year: int | None = None, by: str | None = None,
          rolls: Rolls | None = None, listing: bool = False) -> Report:
    """Households and people exited per year, and their home-visit verification."""
    keys = _group_keys(by)
    rolls = rolls or Rolls.of(ledgers)
    rows = exit_rows(ledgers, rolls)
    recorded = verification_recorded(ledgers)
    notes = [] if recorded else ["reports.exits_unverified"]
    rows = _rows_of_year(rows, rows["exit_year"], year)
    rows = with_area(rows, ledgers) if by or listing else rows
    if listing:
        report = _exit_people(rows, rolls, keys, by)
        report.notes.extend(notes)
        return report
    frame = exit_counts(rows, _with_township(keys, by), recorded)
    frame = _finish(frame, keys, EXIT_COLUMNS, by)
    totals = []
    if len(frame) > 1:
        total = exit_counts(rows, [], recorded).iloc[0].to_dict()
        totals.append({"year": "total", **total})
    return Report("exits", "Exits from poverty (脱贫退出) and their verification", frame, totals,
                  notes=notes, kinds={"pending_people": "count"})


def _exit_people(rows: pd.DataFrame, rolls: Rolls, keys: list[str], by: str | None) -> Report:
    """The people of exited rows: members on the rolls on 31 December of the exit year."""
    done = rows[rows["exited"]]
    members = rolls.members
    parts = []
    for year in done["year"].unique():
        on = members[rolls.members_on(year_end(year))][["household_id", "person_id", "name"]]
        parts.append(done[done["year"] == year].merge(on, on="household_id"))
    cols = [*keys, "household_id", "person_id", "name", "verification"] + (
        ["township"] if by == "village" else [])
    listed = (pd.concat(parts, ignore_index=True) if parts else
              done.assign(person_id=None, name=None).iloc[:0])
    listed = listed.assign(verification=listed["verification"].astype(object).fillna("pending"))
    return Report("exits", "Exits from poverty (脱贫退出), the people",
                  listed[cols].sort_values([*keys, "household_id"], kind="stable")
                  .reset_index(drop=True))


# --------------------------------------------------------------------------- changes

CHANGE_COLUMNS = ["year", "direction", "reason", "people"]


def changes(ledgers: LedgerSet, year: int | None = None, by: str | None = None,
            listing: bool = False) -> Report:
    """People added to and removed from the rolls (动态调整), by direction and reason."""
    keys = _group_keys(by) + ["direction", "reason"]
    rows = ledgers.frame("changes")
    rows = _rows_of_year(rows, rows["date"].dt.year, year)
    rows = with_area(rows, ledgers) if by or listing else rows
    rows = rows.assign(direction=rows["direction"].astype(str), reason=rows["reason"].astype(str))
    if listing:
        names = ledgers.frame("members").drop_duplicates("person_id").set_index("person_id")
        listed = rows.assign(name=rows["person_id"].map(names["name"]))[
            [*keys, "date", "household_id", "person_id", "name"]
            + (["township"] if by == "village" else [])]
        return Report("changes", "Dynamic changes (动态调整), the people",
                      listed.sort_values([*keys, "date"], kind="stable").reset_index(drop=True))
    frame = rows.groupby(_with_township(keys, by), dropna=False).size().rename(
        "people").reset_index()
    frame = _finish(frame, keys, CHANGE_COLUMNS, by)
    totals = [{"year": "total", "direction": d, "people": int((rows["direction"] == d).sum())}
              for d in ("in", "out") if (rows["direction"] == d).any()]
    return Report("changes", "Dynamic changes (动态调整), people", frame, totals)


# --------------------------------------------------------------------------- subsidies

SUBSIDY_COLUMNS = ["year", "program", "payments", "households", "people", "amount"]


# up to this many (group, code) cells, distinct codes per group are counted in a table of
# flags (one write per row, no hashing); beyond it, by hashing the pairs
FLAG_CELLS = 1 << 26


def _distinct_per_group(group: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Distinct codes (>= 0) in each group."""
    ok = codes >= 0
    width = int(codes.max()) + 1 if ok.any() else 1
    pairs = group[ok].astype(np.int64) * width + codes[ok]
    if n_groups * width <= FLAG_CELLS:
        seen = np.zeros(n_groups * width, dtype=bool)
        seen[pairs] = True
        return seen.reshape(n_groups, width).sum(axis=1)
    pairs = pd.unique(pairs)
    return np.bincount(pairs // width, minlength=n_groups)[:n_groups]


def _subsidy_aggregate(rows: pd.DataFrame, keys: list[str], hh: np.ndarray | None = None,
                       person: np.ndarray | None = None) -> pd.DataFrame:
    # distinct ids counted on integer codes (hashed once, by the caller): far cheaper
    # than on strings; -1 is a missing person (not counted) and never a household
    hh = id_codes(rows["household_id"]) if hh is None else hh
    person = id_codes(rows["person_id"]) if person is None else person
    if not keys:
        named = person >= 0
        return pd.DataFrame([{
            "payments": len(rows), "households": len(pd.unique(hh)),
            "people": len(pd.unique(person[named])) if named.any() else None,
            "amount": round(float(rows["amount"].sum()), 2)}])
    # a category (the program) is grouped by its integer code: pandas numbers the groups
    # of a categorical key by ranking every row again (a sort of millions of rows)
    categories = {k: rows[k].dtype for k in keys
                  if isinstance(rows[k].dtype, pd.CategoricalDtype)}
    groups = rows["amount"].groupby(
        [rows[k].cat.codes.rename(k) if k in categories else rows[k] for k in keys],
        dropna=False, observed=True)
    frame = groups.agg(payments="size", amount="sum").reset_index()
    for key, dtype in categories.items():
        frame[key] = pd.Categorical.from_codes(frame[key].to_numpy(), dtype=dtype)
    # a sum of amounts in yuan and fen is a whole number of fen: the float sum's last bits
    # depend on the order of adding (and would decide a tie of amount_per_household)
    frame["amount"] = frame["amount"].round(2)
    number = groups.ngroup().to_numpy()
    n = len(frame)
    frame["households"] = _distinct_per_group(number, hh + 1, n)  # -1 counted as pandas did
    frame["people"] = _distinct_per_group(number, person, n)
    named = np.bincount(number[person >= 0], minlength=n)[:n]
    # a program paid per household names no person: its people are not recorded (empty),
    # not zero
    frame["people"] = frame["people"].astype("Int64").where(named > 0)
    # codes grouped by category: the report's keys are plain text, as the ledger spells them
    for key in keys:
        if isinstance(frame[key].dtype, pd.CategoricalDtype):
            frame[key] = frame[key].astype(str)
    return frame[[*keys, "payments", "households", "people", "amount"]]


def program_code(value: str) -> str:
    """A program by its code or Chinese label (资金项目), or a usage error naming the codes."""
    from .findings import UsageError
    from .schema import ENUMS, normalize_value

    code = normalize_value("program", value)
    if code is None:
        raise UsageError.of("reports.unknown_program", value=value,
                            codes=", ".join(ENUMS["program"].codes))
    return code


def subsidies(ledgers: LedgerSet, year: int | None = None, by: str | None = None,
              program: str | None = None, listing: bool = False) -> Report:
    """Payments, households and people paid, and amounts (reversals subtract)."""
    keys = _group_keys(by) + ["program"]
    rows = ledgers.frame("subsidies")
    rows = _rows_of_year(rows, rows["date"].dt.year, year)
    rows = with_area(rows, ledgers) if by or listing else rows
    if program is not None:
        rows = rows[(rows["program"].astype(object) == program_code(program)).to_numpy()]
    if listing:
        listed = rows.assign(program=rows["program"].astype(str),
                             source=rows["source"].astype(object))[
            [*keys, "date", "household_id", "person_id", "amount", "source", "voucher"]
            + (["township"] if by == "village" else [])]
        return Report("subsidies", "Subsidy payments (帮扶资金发放), the rows",
                      listed.sort_values([*keys, "date"], kind="stable").reset_index(drop=True))
    hh, person = id_codes(rows["household_id"]), id_codes(rows["person_id"])
    frame = _subsidy_aggregate(rows, _with_township(keys, by), hh, person)
    # photovoltaic income per household, and the like for every program
    frame["amount_per_household"] = frame["amount"] / frame["households"].where(
        frame["households"] > 0)
    frame = _finish(frame, keys, SUBSIDY_COLUMNS + ["amount_per_household"], by)
    totals = []
    if len(frame) > 1:
        totals.append({"year": "total", **_subsidy_aggregate(rows, [], hh, person).iloc[0]
                                        .to_dict()})
    return Report("subsidies", "Subsidy payments (帮扶资金发放), yuan", frame, totals)


def metric_frame(values: dict) -> pd.DataFrame:
    """A metric/value table from a dict, values kept as they are."""
    return pd.DataFrame({"metric": list(values),
                         "value": pd.Series(list(values.values()), dtype=object)})


def metric_value(report: Report, metric: str):
    """One metric of a metric/value report."""
    frame = report.frame
    return frame.loc[frame["metric"] == metric, "value"].iloc[0]
