"""`povcli summary`: the figures of one year, at 31 December, from every ledger present."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import programs
from .findings import UsageError
from .read.loaded import LedgerSet
from .model import (Rolls, exit_counts, exit_rows, exited_people_total, latest_year,
                    verification_recorded, with_area, year_end)
from .policy import value_for
from .reports import Report, metric_frame, metric_value

SUMMARY_METRICS = [
    "year", "households", "people", "poor_households", "poor_people",
    "exited_people_year", "exited_people_total", "added_people_year", "removed_people_year",
    "subsidy_amount_year",
    # beyond the contract's list
    "exited_households_year", "verified_people_year", "passed_people_year", "pass_rate_year",
    "subsidy_payments_year", "pending_people_year",
]


def summary(ledgers: LedgerSet, year: int | None = None, listing: bool = False) -> Report:
    """The figures of one year, at 31 December: rolls, exits, changes, subsidies, and the
    projects, pairing, villages, education, housing and policy where their ledgers are."""
    notes = []
    if year is None:
        year = latest_year(ledgers)
        if year is None:
            raise UsageError.of("reports.no_dated_rows")
        notes.append(("year {year}: the latest year in the ledgers (give --year for another)",
                      {"year": year}))
    rolls = Rolls.of(ledgers)
    end = year_end(year)
    if listing:
        members = with_area(rolls.members, ledgers)
        on = rolls.people_on(end).to_numpy()
        poor = rolls.poor_people(end).to_numpy()
        frame = members[on].assign(year=year, poor=pd.Series(poor[on], index=members.index[on])
                                   .map({True: "yes", False: "no"}))
        frame = frame[["year", "township", "village", "household_id", "person_id", "name",
                       "poor"]].sort_values(["township", "village", "household_id"])
        return Report("summary", f"People on the rolls at {end.date()}",
                      frame.reset_index(drop=True), notes=notes, meta={"year": year})
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
        recorded = verification_recorded(ledgers)
        this = exit_counts(rows[rows["exit_year"] == year], [], recorded).iloc[0]

        def number(value, kind=int):  # a count (a row of one frame holds floats), or
            return None if pd.isna(value) else kind(value)  # None where not recorded

        values.update(
            exited_people_year=int(this["people"]),
            exited_people_total=exited_people_total(rows, year),
            exited_households_year=int(this["households"]),
            verified_people_year=number(this["verified_people"]),
            passed_people_year=number(this["passed_people"]),
            pending_people_year=int(this["pending_people"]),
            pass_rate_year=number(this["pass_rate"], float),
        )
        if not recorded:
            notes.append("reports.exits_unverified")
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
        # masks over every payment, and only the cells a figure counts taken: a copy of
        # the year's ids took 0.6 s at 1.6 M payments a year
        in_year = (pay["date"].dt.year == year).to_numpy()
        values.update(subsidy_amount_year=float(pay["amount"][in_year].sum()),
                      subsidy_payments_year=int(in_year.sum()))
        values.update(_subsidy_areas(ledgers, year, pay, in_year))
    else:
        notes.append("no subsidies ledger: subsidy figures are left empty")
    values.update(_other_areas(ledgers, year))
    if ledgers.has("monitoring"):  # return-to-poverty monitoring, at the end of the list
        from .monitor import summary_metrics
        values.update(summary_metrics(ledgers, year))
    return Report("summary", f"Summary for {year}, at {end.date()}", metric_frame(values),
                  notes=notes, meta={"year": year})


def _subsidy_areas(ledgers: LedgerSet, year: int, pay: pd.DataFrame,
                   in_year: np.ndarray) -> dict:
    pv = in_year & (pay["program"] == "photovoltaic").to_numpy()
    edu = in_year & (pay["program"] == "education").to_numpy()
    houses = programs.housing(ledgers, year).frame
    return {
        "photovoltaic_amount_per_household_year":
            float(round(float(pay["amount"][pv].sum()), 2) / pay["household_id"][pv].nunique())
            if pv.any() else None,
        "education_students_year": int(pay["person_id"][edu].nunique()),
        "education_amount_year": float(pay["amount"][edu].sum()),
        "housing_households_year": int(houses["households"].sum()),
    }


def _other_areas(ledgers: LedgerSet, year: int) -> dict:
    out: dict[str, object] = {}
    if ledgers.has("projects"):
        plist = ledgers.frame("projects")
        upto = plist[plist["year"] <= year]
        out.update({
            "projects_total": len(upto),
            "key_projects_total": int(upto["key_project"].fillna(False).astype(bool).sum()),
            "project_funds_higher_total": float(upto["funds_higher"].sum()),
            "project_funds_local_total": float(upto["funds_local"].sum()),
            "project_funds_other_total": float(upto["funds_other"].sum()),
            "project_funds_total": float(upto[programs.FUNDS].sum().sum()),
        })
        people = programs.kind_people(ledgers, "photovoltaic")
        if people is not None:
            out["photovoltaic_people"] = int(people)
    if ledgers.has("pairings"):
        pairing = programs.pairing(ledgers, year)
        for metric in ("households_covered", "leaders", "units", "cadres"):
            out[f"pairing_{metric}"] = metric_value(pairing, metric)
    if ledgers.has("villages"):
        v = ledgers.frame("villages")
        out.update(villages=len(v), villages_with_enterprise=int(v["enterprise"].notna().sum()))
    for column in ("poverty_line", "dibao_standard"):  # policy.csv's, or the national line
        out[column] = value_for(column, year, ledgers.get("policy"))[0]
    return out
