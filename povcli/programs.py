"""Reports on the rest of an office's work: projects and funds, pairing, villages,
housing, education and the policy parameters. Pure functions to Reports, each with
a `listing` form that gives the rows behind its figures (`--list`)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from .findings import UsageError
from .read.arrowkit import distinct, index_in, is_in
from .read.loaded import LedgerSet
from .messages import Said
from .model import (Rolls, cadre_identity, household_values, latest_year, meets_incidence,
                    poverty_incidence, year_end)
from .policy import NATIONAL_POVERTY_LINE, value_for
from .reports import Report, _finish, _rows_of_year, with_area


def _year_or_latest(ledgers: LedgerSet, year: int | None) -> int:
    year = year or latest_year(ledgers)
    if year is None:
        raise UsageError.of("reports.no_dated_rows")
    return year


def _people_of(rolls: Rolls, pairs: pd.DataFrame, year_col: str = "year") -> pd.DataFrame:
    """(row of pairs, person) for members on the rolls on 31 Dec of each row's year."""
    members = rolls.members
    parts = []
    for year in pairs[year_col].dropna().unique():
        on = members[rolls.members_on(year_end(year))][["household_id", "person_id", "name"]]
        rows = pairs[pairs[year_col] == year]
        parts.append(rows.merge(on, on="household_id", how="inner"))
    if not parts:
        return pairs.iloc[:0].assign(person_id=pd.Series(dtype=object),
                                     name=pd.Series(dtype=object))
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------- projects

PROJECT_COLUMNS = ["project_id", "name", "kind", "year", "funds_higher", "funds_local",
                   "funds_other", "funds_total", "households", "people"]
FUNDS = ["funds_higher", "funds_local", "funds_other"]
PROJECT_BY = ("kind", "year", "village")


def _projects(ledgers: LedgerSet, year, township, village, key_only):
    projects = ledgers.frame("projects").copy()
    if year is not None:
        projects = projects[projects["year"] == year]
    if township:
        projects = projects[projects["township"] == township]
    if village:
        projects = projects[projects["village"] == village]
    if key_only:
        projects = projects[projects["key_project"].fillna(False).astype(bool)]
    projects["kind"] = projects["kind"].astype(str)
    projects["funds_total"] = projects[FUNDS].sum(axis=1)
    rolls = Rolls.of(ledgers)
    if ledgers.has("project_beneficiaries"):
        # the household codes of the roll model (of the households after any area filter)
        ben = ledgers.frame("project_beneficiaries").assign(
            code=rolls.ledger_household_codes("project_beneficiaries"))
    else:
        ben = pd.DataFrame({"project_id": pd.Series(dtype=object),
                            "household_id": pd.Series(dtype=object),
                            "code": pd.Series(dtype=np.int64)})
    ben = ben[is_in(ben["project_id"], projects["project_id"]) & (ben["code"].to_numpy() >= 0)]
    ben = ben.merge(projects[["project_id", "year", "kind", "village"]].rename(
        columns={"village": "project_village"}), on="project_id")
    return projects, ben, rolls


def kind_people(ledgers: LedgerSet, kind: str) -> int | None:
    """People behind the projects of one kind, all years (the `people` of that kind in
    `projects --by kind`); None when no project is of that kind."""
    plist, ben, rolls = _projects(ledgers, None, None, None, False)
    if not (plist["kind"] == kind).any():
        return None
    rows = ben[ben["kind"] == kind]
    return _distinct_people(rolls, rows) if len(rows) else 0


def _distinct_people(rolls: Rolls, ben: pd.DataFrame) -> int:
    """People on the rolls at the end of each project's year, in its beneficiary
    households, counted once across the projects of ben."""
    members = np.zeros(len(rolls.members), dtype=bool)
    safe = np.maximum(rolls.member_hh, 0)
    for year, rows in ben.groupby("year"):
        households = np.zeros(rolls.n_households, dtype=bool)
        codes = rows["code"].to_numpy()
        households[codes[codes >= 0]] = True
        members |= rolls.members_on(year_end(int(year))) & (rolls.member_hh >= 0) & \
            households[safe]
    return len(distinct(rolls.member_person[members]))


def projects(ledgers: LedgerSet, year: int | None = None, by: str | None = None,
             township: str | None = None, village: str | None = None,
             key_only: bool = False, listing: bool = False) -> Report:
    """Funds by source and beneficiaries, per project or per kind, year or village."""
    if by is not None and by not in PROJECT_BY:
        raise UsageError.of("reports.bad_by", option="projects --by",
                            choices=", ".join(PROJECT_BY), value=by)
    plist, ben, rolls = _projects(ledgers, year, township, village, key_only)
    title = "Poverty-alleviation projects (扶贫项目): funds in yuan, beneficiaries"
    if listing:
        people = _people_of(rolls, ben.drop(columns="code"))
        frame = people.rename(columns={"project_village": "village"})[
            ["project_id", "year", "kind", "household_id", "person_id", "name"]]
        return Report("projects", title + " — the people behind them",
                      frame.sort_values(["project_id", "household_id", "person_id"])
                      .reset_index(drop=True))
    if by is None:
        households = ben.groupby("project_id")["household_id"].nunique()
        # a project's households are distinct, so its people add up household by household
        counts = np.zeros(len(ben), dtype=np.int64)
        for y, rows in ben.groupby("year"):
            per = rolls.people_per_household(year_end(int(y)))
            codes = rows["code"].to_numpy()
            counts[ben.index.get_indexer(rows.index)] = np.where(codes >= 0,
                                                                 per[np.maximum(codes, 0)], 0)
        persons = pd.Series(counts, index=ben.index).groupby(ben["project_id"]).sum()
        frame = plist.assign(households=plist["project_id"].map(households).fillna(0).astype(int),
                             people=plist["project_id"].map(persons).fillna(0).astype(int))
        frame = frame.sort_values(["year", "project_id"]).reset_index(drop=True)
        frame = frame[PROJECT_COLUMNS + ["key_project", "township", "village"]]
        frame["key_project"] = frame["key_project"].map({True: "yes", False: "no"})
    else:
        key = by
        plist = plist.assign(village=plist["village"].fillna("").astype(object))
        ben = ben.assign(village=ben["project_village"].fillna("").astype(object))

        funds = plist.groupby(key)[FUNDS + ["funds_total"]].sum()
        counts = plist.groupby(key).agg(
            projects=("project_id", "size"),
            key_projects=("key_project", lambda s: int(s.fillna(False).astype(bool).sum())))
        frame = funds.join(counts)
        frame["households"] = ben.groupby(key)["household_id"].nunique()
        frame["people"] = pd.Series({k: _distinct_people(rolls, rows)
                                     for k, rows in ben.groupby(key)}, dtype="int64")
        frame = frame.fillna({"households": 0, "people": 0}).astype(
            {"households": int, "people": int}).reset_index().sort_values(key)
        frame = frame[[key, *FUNDS, "funds_total", "households", "people", "projects",
                       "key_projects"]].reset_index(drop=True)
    total = {c: plist[c].sum() for c in FUNDS + ["funds_total"]}
    total.update(households=ben["household_id"].nunique(), people=_distinct_people(rolls, ben))
    first = frame.columns[0]
    return Report("projects", title, frame, [{first: "total (distinct)", **total}])


# --------------------------------------------------------------------------- pairing

class PairingRows(NamedTuple):
    """The households on the rolls at the end of a year and the pairings of those
    households; and, per household code of the roll model, whether it is on, poor and
    covered (booleans, one slot more for "no household": False)."""

    on: pd.DataFrame
    pairs: pd.DataFrame  # with `cadre`, who the cadre is (the contract's rule)
    pair_code: np.ndarray  # household code of each pairing row
    on_code: np.ndarray
    poor_code: np.ndarray
    covered_code: np.ndarray


def _pairing_rows(ledgers: LedgerSet, year: int) -> PairingRows:
    end = year_end(year)
    rolls = Rolls.of(ledgers)
    hh = ledgers.frame("households")
    on_rows = rolls.households_on(end).to_numpy()
    poor_rows = rolls.poor_households(end).to_numpy()
    # household ids hashed once (codes of the roll model): every "is it on, poor,
    # covered" below is an array lookup, not a hash of a million ids
    slots = rolls.n_households + 1  # code -1, no such household, is the last
    on_code = np.zeros(slots, dtype=bool)
    on_code[rolls.hh_row[on_rows]] = True
    poor_code = np.zeros(slots, dtype=bool)
    poor_code[rolls.hh_row[poor_rows]] = True
    pairs = ledgers.frame("pairings")
    code = rolls.ledger_household_codes("pairings")
    keep = on_code[code] & (pairs["since"].isna() | (pairs["since"] <= end)).to_numpy()
    pairs = pairs[keep]
    covered_code = np.zeros(slots, dtype=bool)
    covered_code[code[keep]] = True
    return PairingRows(hh[on_rows], pairs.assign(cadre=cadre_identity(pairs)), code[keep],
                       on_code, poor_code, covered_code)


def cadre_load(rows: PairingRows) -> pd.Series:
    """Households per cadre (a household paired twice with one cadre counts once)."""
    cadre, names = pd.factorize(rows.pairs["cadre"])
    known = cadre >= 0
    slots = len(rows.on_code)
    pairs = distinct(cadre[known].astype(np.int64) * slots + rows.pair_code[known])
    counts = np.bincount(pairs // slots, minlength=len(names))
    return pd.Series(counts[counts > 0], index=pd.Index(names)[counts > 0])


def pairing(ledgers: LedgerSet, year: int | None = None, uncovered: bool = False,
            listing: bool = False) -> Report:
    """Who is paired with whom (包保帮扶): coverage, leaders, units, cadres, load."""
    year = _year_or_latest(ledgers, year)
    rows = _pairing_rows(ledgers, year)
    on, pairs = rows.on, rows.pairs
    hh_row = Rolls.of(ledgers).hh_row
    yes_no = np.array(["no", "yes"])
    on_codes = hh_row[rows.on_code[hh_row]]  # the code of each household on the rolls
    if uncovered:
        alone = ~rows.covered_code[on_codes]
        mine, mine_codes = on[alone], on_codes[alone]
        frame = pd.DataFrame({"household_id": mine["household_id"],
                              "township": mine["township"], "village": mine["village"],
                              "head_name": mine["head_name"],
                              "poor": yes_no[rows.poor_code[mine_codes].astype(int)]}
                             ).reset_index(drop=True)
        return Report("pairing", f"Households on the rolls at {year}-12-31 with no cadre", frame)
    if listing:
        frame = pairs.assign(poor=yes_no[rows.poor_code[rows.pair_code].astype(int)])[
            ["household_id", "cadre_name", "cadre_id", "unit", "leader", "poor"]]
        return Report("pairing", f"Pairings of households on the rolls at {year}-12-31",
                      frame.sort_values(["household_id", "cadre_name"]).reset_index(drop=True))
    load = cadre_load(rows)
    is_poor = rows.poor_code[on_codes]
    is_covered = rows.covered_code[on_codes]
    metrics = {
        "year": year, "households": len(on), "households_covered": int(rows.covered_code.sum()),
        "households_not_covered": int((~is_covered).sum()),
        "poor_households": int(is_poor.sum()),
        "poor_households_covered": int((is_poor & is_covered).sum()),
        "poor_households_not_covered": int((is_poor & ~is_covered).sum()),
        "leaders": pairs["leader"].nunique(), "units": pairs["unit"].nunique(),
        "cadres": len(load),
        "households_per_cadre_min": int(load.min()) if len(load) else None,
        "households_per_cadre_median": float(load.median()) if len(load) else None,
        "households_per_cadre_max": int(load.max()) if len(load) else None,
    }
    frame = pd.DataFrame({"metric": list(metrics), "value": pd.Series(list(metrics.values()),
                                                                      dtype=object)})
    return Report("pairing", f"Pairing (包保帮扶) at {year}-12-31", frame)


# --------------------------------------------------------------------------- villages

VILLAGE_COLUMNS = ["township", "village", "rural_population", "people", "poor_people",
                   "incidence", "poor_village", "exit_year", "meets_exit_threshold", "enterprise"]


def villages(ledgers: LedgerSet, year: int | None = None, threshold: float = 0.02,
             listing: bool = False) -> Report:
    """Per village at year end: people on the rolls, poor people, poverty incidence."""
    year = _year_or_latest(ledgers, year)
    end = year_end(year)
    rolls = Rolls.of(ledgers)
    members = with_area(rolls.members, ledgers)
    people = members[rolls.people_on(end).to_numpy()]
    poor = members[rolls.poor_people(end).to_numpy()]
    if listing:
        frame = poor[["township", "village", "household_id", "person_id", "name"]]
        return Report("villages", f"Poor people by village at {year}-12-31",
                      frame.sort_values(["township", "village", "household_id"])
                      .reset_index(drop=True))
    table = ledgers.get("villages")
    if table is None:
        table = pd.DataFrame(columns=["township", "village", "rural_population", "poor_village",
                                      "exit_year", "enterprise"])
    hh = ledgers.frame("households")
    known = set(zip(table["township"], table["village"]))
    extra = hh[["township", "village"]].drop_duplicates()
    extra = extra[[(t, v) not in known for t, v in zip(extra["township"], extra["village"])]]
    table = pd.concat([table, extra], ignore_index=True)
    key = list(zip(table["township"], table["village"]))
    n_people = people.groupby(["township", "village"]).size()
    n_poor = poor.groupby(["township", "village"]).size()
    frame = table.assign(
        people=[int(n_people.get(k, 0)) for k in key],
        poor_people=[int(n_poor.get(k, 0)) for k in key])
    # a village of households.csv that villages.csv lacks (a typo, a new village) has no
    # rural population: its incidence is unknown, shown empty, and the rest goes on
    population = pd.Series(pd.to_numeric(frame["rural_population"], errors="coerce")
                           .to_numpy(dtype="float64", na_value=np.nan), index=frame.index)
    frame["incidence"] = poverty_incidence(frame["poor_people"], population).to_numpy()
    frame["meets_exit_threshold"] = np.where(frame["incidence"].isna(), None, np.where(
        meets_incidence(frame["incidence"], threshold), "yes", "no"))
    frame["poor_village"] = frame["poor_village"].astype(object).map(
        lambda v: None if v is None or v is pd.NA or v != v else "yes" if v else "no")
    frame = frame.sort_values(["township", "village"]).reset_index(drop=True)[VILLAGE_COLUMNS]
    total_pop = population.sum()
    paired, total = int(frame["enterprise"].notna().sum()), len(frame)
    totals = [{"township": "total", "rural_population": total_pop,
               "people": frame["people"].sum(), "poor_people": frame["poor_people"].sum(),
               "incidence": frame["poor_people"].sum() / total_pop if total_pop else None,
               "enterprise": Said.of("reports.villages_paired", paired=paired, total=total),
               "villages_paired": paired, "villages_total": total}]
    # the total's text in any language: say(*meta["total_text"] with lang) in the enterprise
    # cell of the totals row
    return Report("villages", f"Villages (行政村) at {year}-12-31: poverty incidence "
                  f"(exit threshold {threshold:.0%})", frame, totals,
                  meta={"total_text": ("reports.villages_paired",
                                       {"paired": paired, "total": total})})


# --------------------------------------------------------------------------- housing

HOUSING_COLUMNS = ["year", "grade", "households", "amount"]


def housing(ledgers: LedgerSet, year: int | None = None, listing: bool = False) -> Report:
    """Dangerous-house renovations (危房改造) by year and the house's grade."""
    pay = ledgers.frame("subsidies")
    # the housing rows of the columns used: not a copy of every column of 8 M payments
    pay = pay.loc[(pay["program"] == "housing").to_numpy(),
                  ["date", "household_id", "amount"]]
    rows = _rows_of_year(pay, pay["date"].dt.year, year)
    hh = ledgers.frame("households")
    rows = rows.assign(grade=pd.Series(_of_household(hh, rows["household_id"], "housing_grade"),
                                       index=rows.index, dtype=object).fillna("unknown"))
    title = "Dangerous-house renovations (危房改造), yuan"
    if listing:
        listed = rows.groupby(["year", "grade", "household_id"]).agg(
            amount=("amount", "sum"), payments=("amount", "size")).reset_index()
        listed["head_name"] = _of_household(hh, listed["household_id"], "head_name")
        return Report("housing", title + " — the households", listed[
            ["year", "grade", "household_id", "head_name", "payments", "amount"]])
    frame = rows.groupby(["year", "grade"]).agg(households=("household_id", "nunique"),
                                                amount=("amount", "sum")).reset_index()
    frame = _finish(frame, ["year", "grade"], HOUSING_COLUMNS, None)
    totals = [{"year": "total", "grade": grade, "households": g["household_id"].nunique(),
               "amount": g["amount"].sum()} for grade, g in rows.groupby("grade")]
    if len(totals) > 1:
        totals.append({"year": "total", "grade": "all",
                       "households": rows["household_id"].nunique(),
                       "amount": rows["amount"].sum()})
    return Report("housing", title, frame, totals)


def _of_household(hh: pd.DataFrame, ids: pd.Series, column: str) -> np.ndarray:
    """Per id: `column` of the id's first row in households, None where there is none
    (one hash of the ids; households neither copied nor indexed)."""
    return household_values(hh, index_in(ids, hh["household_id"]), column)


# --------------------------------------------------------------------------- education

EDUCATION_COLUMNS = ["year", "students", "payments", "amount"]


def education(ledgers: LedgerSet, year: int | None = None, listing: bool = False) -> Report:
    """Students aided (教育扶贫) and amounts, by year."""
    pay = ledgers.frame("subsidies")
    pay = pay[pay["program"] == "education"]
    rows = _rows_of_year(pay, pay["date"].dt.year, year)
    title = "Education aid (教育扶贫): students and yuan"
    if listing:
        names = ledgers.frame("members").drop_duplicates("person_id").set_index("person_id")
        frame = rows.assign(name=rows["person_id"].map(names["name"]))[
            ["year", "date", "household_id", "person_id", "name", "amount"]]
        return Report("education", title + " — the payments",
                      frame.sort_values(["year", "date", "household_id"]).reset_index(drop=True))
    frame = rows.groupby("year").agg(students=("person_id", "nunique"),
                                     payments=("amount", "size"),
                                     amount=("amount", "sum")).reset_index()
    frame = _finish(frame, ["year"], EDUCATION_COLUMNS, None)
    totals = [{"year": "total (distinct)", "students": rows["person_id"].nunique(),
               "payments": len(rows), "amount": rows["amount"].sum()}] if len(frame) > 1 else []
    return Report("education", title, frame, totals)


# --------------------------------------------------------------------------- policy

POLICY_COLUMNS = ["year", "poverty_line", "poverty_line_from", "dibao_standard",
                  "dibao_standard_from", "exit_standard", "exit_standard_from",
                  "monitoring_line", "monitoring_line_from"]


def policy(ledgers: LedgerSet, year: int | None = None, listing: bool = False) -> Report:
    """The parameters in force each year (policy.csv's latest row up to the year that
    gives one, else the national poverty line built in for that very year): every year
    the built-in table or policy.csv names. `_from` says where a value comes from
    (policy.csv, national); no local parameter is built in."""
    own = ledgers.get("policy")
    years = set(NATIONAL_POVERTY_LINE)
    if own is not None:
        years |= {int(y) for y in own["year"].dropna()}
    if year is not None:
        years = {int(year)}
    rows = []
    for y in sorted(years):
        row = {"year": y}
        for column in ("poverty_line", "dibao_standard", "exit_standard", "monitoring_line"):
            row[column], row[f"{column}_from"] = value_for(column, y, own)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=POLICY_COLUMNS)
    return Report("policy", "Policy parameters in force (yuan per person a year)", frame,
                  kinds={"exit_standard": "amount", "monitoring_line": "amount"})
