"""Reports: pure functions from a LedgerSet to a Report (a DataFrame with a title).

The columns are the contract's (`shared/spec/ledgers.md`, "The report tables");
values are raw numbers and English codes. No printing and no formatting here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .findings import UsageError
from .ledgers import LedgerSet
from .model import Rolls, exit_rows, latest_year, with_area, year_end

BY_CHOICES = ("township", "village")


@dataclass
class Report:
    name: str
    title: str
    frame: pd.DataFrame
    totals: list[dict] = field(default_factory=list)  # rows shown under a table, never in csv/json
    notes: list[str] = field(default_factory=list)  # said on stderr


def _group_keys(by: str | None) -> list[str]:
    if by is None:
        return ["year"]
    if by not in BY_CHOICES:
        raise UsageError(f"--by takes one of: {', '.join(BY_CHOICES)} (not '{by}')")
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

EXIT_COLUMNS = ["year", "households", "people", "verified_people", "passed_people", "pass_rate"]


def _exit_aggregate(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    parts = rows.assign(
        households=rows["exited"].astype(int),
        exited_people=rows["people"].where(rows["exited"], 0),
        verified_people=rows["people"].where(rows["verified"], 0),
        passed_people=rows["people"].where(rows["passed"], 0),
    )
    agg = parts.groupby(keys, observed=True, dropna=False).agg(
        households=("households", "sum"), people=("exited_people", "sum"),
        verified_people=("verified_people", "sum"), passed_people=("passed_people", "sum"),
    ).reset_index() if keys else pd.DataFrame([{
        "households": parts["households"].sum(), "people": parts["exited_people"].sum(),
        "verified_people": parts["verified_people"].sum(),
        "passed_people": parts["passed_people"].sum()}])
    agg["pass_rate"] = agg["passed_people"] / agg["verified_people"].where(
        agg["verified_people"] > 0)
    return agg


def exits(ledgers: LedgerSet, year: int | None = None, by: str | None = None,
          rolls: Rolls | None = None) -> Report:
    """Households and people exited per year, and their home-visit verification."""
    keys = _group_keys(by)
    rolls = rolls or Rolls(ledgers)
    rows = exit_rows(ledgers, rolls)
    rows = with_area(_rows_of_year(rows, rows["exit_year"], year), ledgers)
    frame = _exit_aggregate(rows, _with_township(keys, by))
    frame = _finish(frame, keys, EXIT_COLUMNS, by)
    totals = []
    if len(frame) > 1:
        total = _exit_aggregate(rows, []).iloc[0].to_dict()
        totals.append({"year": "total", **total})
    return Report("exits", "Exits from poverty (脱贫退出) and their verification", frame, totals)


# --------------------------------------------------------------------------- changes

CHANGE_COLUMNS = ["year", "direction", "reason", "people"]


def changes(ledgers: LedgerSet, year: int | None = None, by: str | None = None) -> Report:
    """People added to and removed from the rolls (动态调整), by direction and reason."""
    keys = _group_keys(by) + ["direction", "reason"]
    rows = ledgers.frame("changes")
    rows = with_area(_rows_of_year(rows, rows["date"].dt.year, year), ledgers)
    rows = rows.assign(direction=rows["direction"].astype(str), reason=rows["reason"].astype(str))
    frame = rows.groupby(_with_township(keys, by), dropna=False).size().rename(
        "people").reset_index()
    frame = _finish(frame, keys, CHANGE_COLUMNS, by)
    totals = [{"year": "total", "direction": d, "people": int((rows["direction"] == d).sum())}
              for d in ("in", "out") if (rows["direction"] == d).any()]
    return Report("changes", "Dynamic changes (动态调整), people", frame, totals)


# --------------------------------------------------------------------------- subsidies

SUBSIDY_COLUMNS = ["year", "program", "payments", "households", "people", "amount"]


def _subsidy_aggregate(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if not keys:
        return pd.DataFrame([{
            "payments": len(rows), "households": rows["household_id"].nunique(),
            "people": rows["person_id"].nunique(), "amount": rows["amount"].sum()}])
    return rows.groupby(keys, dropna=False).agg(
        payments=("amount", "size"), households=("household_id", "nunique"),
        people=("person_id", "nunique"), amount=("amount", "sum")).reset_index()


def subsidies(ledgers: LedgerSet, year: int | None = None, by: str | None = None,
              program: str | None = None) -> Report:
    """Payments, households and people paid, and amounts (reversals subtract)."""
    keys = _group_keys(by) + ["program"]
    rows = ledgers.frame("subsidies")
    rows = with_area(_rows_of_year(rows, rows["date"].dt.year, year), ledgers)
    rows = rows.assign(program=rows["program"].astype(str))
    if program is not None:
        rows = rows[rows["program"] == program]
    frame = _subsidy_aggregate(rows, _with_township(keys, by))
    frame = _finish(frame, keys, SUBSIDY_COLUMNS, by)
    totals = []
    if len(frame) > 1:
        totals.append({"year": "total", **_subsidy_aggregate(rows, []).iloc[0].to_dict()})
    return Report("subsidies", "Subsidy payments (帮扶资金发放), yuan", frame, totals)


# --------------------------------------------------------------------------- summary

SUMMARY_METRICS = [
    "year", "households", "people", "poor_households", "poor_people",
    "exited_people_year", "exited_people_total", "added_people_year", "removed_people_year",
    "subsidy_amount_year",
    # beyond the contract's list
    "exited_households_year", "verified_people_year", "passed_people_year", "pass_rate_year",
    "subsidy_payments_year",
]


def summary(ledgers: LedgerSet, year: int | None = None) -> Report:
    """The figures of one year, at 31 December: rolls, exits, changes, subsidies."""
    notes = []
    if year is None:
        year = latest_year(ledgers)
        if year is None:
            raise UsageError("the ledgers hold no dated row: give --year")
        notes.append(f"year {year}: the latest year in the ledgers (give --year for another)")
    rolls = Rolls(ledgers)
    end = year_end(year)
    values: dict[str, object] = {m: None for m in SUMMARY_METRICS}
    values.update(
        year=year,
        households=int(rolls.households_on(end).sum()),
        people=int(rolls.people_on(end).sum()),
        poor_households=int(rolls.poor_households(end).sum()),
        poor_people=int(rolls.poor_people(end).sum()),
    )
    if ledgers.has("exits"):
        rows = exit_rows(ledgers, rolls)
        upto = rows[rows["exit_year"] <= year]
        this = rows[rows["exit_year"] == year]
        values.update(
            exited_people_year=int(this.loc[this["exited"], "people"].sum()),
            exited_people_total=int(upto.loc[upto["exited"], "people"].sum()),
            exited_households_year=int(this["exited"].sum()),
            verified_people_year=int(this.loc[this["verified"], "people"].sum()),
            passed_people_year=int(this.loc[this["passed"], "people"].sum()),
        )
        verified = values["verified_people_year"]
        values["pass_rate_year"] = values["passed_people_year"] / verified if verified else None
    else:
        notes.append("no exits ledger: exit figures are left empty")
    if ledgers.has("changes"):
        ch = ledgers.frame("changes")
        ch = ch[ch["date"].dt.year == year]
        values.update(added_people_year=int((ch["direction"] == "in").sum()),
                      removed_people_year=int((ch["direction"] == "out").sum()))
    else:
        values.update(added_people_year=0, removed_people_year=0)
        notes.append("no changes ledger: nobody was added or removed")
    if ledgers.has("subsidies"):
        pay = ledgers.frame("subsidies")
        pay = pay[pay["date"].dt.year == year]
        values.update(subsidy_amount_year=float(pay["amount"].sum()),
                      subsidy_payments_year=int(len(pay)))
    else:
        notes.append("no subsidies ledger: subsidy figures are left empty")
    frame = pd.DataFrame({"metric": list(values), "value": pd.Series(list(values.values()),
                                                                     dtype=object)})
    return Report("summary", f"Summary for {year}, at {end.date()}", frame, notes=notes)


def summary_value(report: Report, metric: str):
    """One metric of a summary report."""
    frame = report.frame
    return frame.loc[frame["metric"] == metric, "value"].iloc[0]

