"""`povcli readiness`: would each exit survive the assessors' visit (一达标两不愁三保障).

For the exit rows of a year (with `planned`, the pre-exits too), each household is
tested as the assessors did: income above the exit standard in force (一达标), food and
clothing (两不愁), compulsory education, basic medical insurance and safe housing
(三保障), and safe drinking water. A test whose column is not recorded is `unknown`,
never `pass`. Two warnings: an income within a margin above the standard, and
transfers more than half of the income (when incomes.csv has the household's year).

Pure functions to DataFrames; the check rules (checks_exits.py) and the report use the
same table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .read.loaded import LedgerSet
from .model import Rolls, exit_incomes, exit_rows, exit_standards, with_area, year_end

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
TESTS = ("income", "food_clothing", "schooling", "insurance", "housing", "water")
WARNINGS = ("income_margin", "transfer_share")
# where each test comes from, for the report and the rules
BASIS = {
    "income": "一达标: income strictly above the exit standard in force (policy.csv "
              "exit_standard; else the national line, said so)",
    "food_clothing": "两不愁: food and clothing secured (exits food_clothing)",
    "schooling": "三保障 义务教育: no member of compulsory-school age out of school without "
                 "a recorded reason (members schooling)",
    "insurance": "三保障 基本医疗: every member on the rolls insured (members insured)",
    "housing": "三保障 住房安全: grade A or B, or a C/D house renovated by 31 December "
               "(households housing_grade; subsidies housing, households renovated_on)",
    "water": "饮水安全: safe drinking water (households safe_water)",
}

# schooling texts: out of school, and a recorded reason for it (the national system's
# 在校生状况 values: 非在校生, 失学或辍学, 因病/因残不能上学, 送教上门 ...)
OUT_OF_SCHOOL = ("辍学", "失学", "非在校", "未入学", "未上学", "不在校", "dropout",
                 "out of school", "not in school")
REASONED = ("因病", "因残", "残疾", "送教上门", "重度", "免于入学", "延缓入学", "缓学", "休学",
            "exempt", "disab", "illness", "home schooling")


@dataclass(frozen=True)
class ReadinessParams:
    school_age: tuple[int, int] = (6, 15)  # compulsory schooling, by age at 31 December
    margin: float = 0.05  # an income within this share above the standard is a warning
    transfer_share: float = 0.5  # transfers above this share of income is a warning


def _recorded(ledgers: LedgerSet, name: str, column: str) -> bool:
    loaded = ledgers.loaded.get(name)
    return loaded is not None and column in loaded.headers


def out_of_school(text) -> bool | None:
    """True: out of school with no reason recorded; False: in school, or out with a
    reason; None: nothing recorded."""
    if text is None or (not isinstance(text, str) and pd.isna(text)) or not str(text).strip():
        return None
    low = str(text).strip().casefold()
    if not any(word in low for word in OUT_OF_SCHOOL):
        return False
    return not any(word in low for word in REASONED)


def _age_at(birth: pd.Series, when: pd.Series) -> pd.Series:
    """Whole years of age on `when` (a date per row)."""
    b = pd.to_datetime(birth)
    w = pd.to_datetime(when)
    years = w.dt.year - b.dt.year
    before = (w.dt.month < b.dt.month) | ((w.dt.month == b.dt.month) & (w.dt.day < b.dt.day))
    return (years - before.astype(int)).where(b.notna())


def _combine(values: pd.Series) -> str:
    """A household's outcome from its members' (pass/fail/unknown): any fail fails, else
    any unknown is unknown, else pass."""
    vals = set(values)
    return FAIL if FAIL in vals else UNKNOWN if UNKNOWN in vals else PASS


def assess(ledgers: LedgerSet, year: int | None = None, planned: bool = False,
           params: ReadinessParams = ReadinessParams(), rolls: Rolls | None = None
           ) -> pd.DataFrame:
    """One row per exit row tested (exits of `year`, every year when None; pre-exits too
    when `planned`): household, area, income and standard, each test's outcome, the
    warnings, and `failed` / `unknown` / `warnings` (the tests' names joined by ",")."""
    rolls = rolls or Rolls.of(ledgers)
    rows = exit_rows(ledgers, rolls)
    keep = rows["exited"] | (rows["pre_exit"] if planned else False)
    keep &= rows["exit_year"].notna()
    if year is not None:
        keep &= rows["exit_year"] == year
    rows = rows[keep.to_numpy(dtype=bool)]
    rows = rows[rows["household_id"].isin(set(ledgers.frame("households")["household_id"]))]
    if rows.empty:  # nothing to test: the table's columns, no rows
        return pd.DataFrame(columns=[*HOUSEHOLD_COLUMNS, "income_margin", "transfer_share",
                                     "share", "grade"])
    out = with_area(rows[["household_id", "exit_year", "people"]], ledgers).rename(
        columns={"exit_year": "year"})
    out["year"] = out["year"].astype("Int64")
    out["status"] = np.where(rows["exited"], "exited", "pre_exit")
    ends = out["year"].map(lambda y: year_end(int(y)))

    # 一达标: income strictly above the standard in force
    incomes = exit_incomes(ledgers).reindex(rows.index)
    standards = exit_standards(ledgers, rows["exit_year"]).set_index("year")
    years = rows["exit_year"].astype("float64")
    out["income"] = incomes["income"]
    out["standard"] = years.map(standards["standard"]).astype("float64")
    out["standard_kind"] = years.map(standards["standard_kind"])
    known = out["income"].notna() & out["standard"].notna()
    out["income_test"] = np.where(~known, UNKNOWN, np.where(
        out["income"] > out["standard"], PASS, FAIL))
    out["income_margin"] = known & (out["income"] > out["standard"]) & (
        out["income"] <= out["standard"] * (1 + params.margin))
    out["share"] = incomes["transfer_share"]
    out["transfer_share"] = (incomes["transfer_share"] > params.transfer_share).where(
        incomes["transfer_share"].notna())
    out["income_margin"] = out["income_margin"].where(known)

    # 两不愁: on the exit row
    if _recorded(ledgers, "exits", "food_clothing"):
        fc = rows["food_clothing"]
        out["food_clothing_test"] = np.where(fc.isna(), UNKNOWN, np.where(
            fc.fillna(False).astype(bool), PASS, FAIL))
    else:
        out["food_clothing_test"] = UNKNOWN

    # members on the rolls at 31 December of the exit year, per tested row
    members = rolls.members
    parts = []
    for y in out["year"].dropna().unique():
        on = members[rolls.members_on(year_end(int(y)))]
        mine = out.index[out["year"] == y]
        part = pd.DataFrame({"row": mine, "household_id": out.loc[mine, "household_id"]
                             .astype(object).to_numpy()}).merge(
            on.assign(household_id=on["household_id"].astype(object)), on="household_id")
        part["end"] = year_end(int(y))
        parts.append(part)
    people = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["row", "household_id", "end", "birth_date", "schooling", "insured"])

    def per_household(outcome: pd.Series, default: str) -> pd.Series:
        got = outcome.groupby(people["row"].to_numpy()).agg(_combine) if len(people) else \
            pd.Series(dtype=object)
        return pd.Series(out.index.map(got), index=out.index).fillna(default)

    # 三保障 义务教育
    if _recorded(ledgers, "members", "schooling") and len(people):
        age = _age_at(people["birth_date"], people["end"])
        lo, hi = params.school_age
        school_age = (age >= lo) & (age <= hi)
        state = people["schooling"].map(out_of_school)
        member = pd.Series(np.where(age.isna(), UNKNOWN, np.where(
            ~school_age, PASS, np.where(state.isna(), UNKNOWN, np.where(
                state.fillna(False).astype(bool), FAIL, PASS)))), index=people.index)
        out["schooling_test"] = per_household(member, PASS)
    else:
        out["schooling_test"] = UNKNOWN

    # 三保障 基本医疗
    if _recorded(ledgers, "members", "insured") and len(people):
        ins = people["insured"]
        member = pd.Series(np.where(ins.isna(), UNKNOWN, np.where(
            ins.fillna(False).astype(bool), PASS, FAIL)), index=people.index)
        out["insurance_test"] = per_household(member, UNKNOWN)
    else:
        out["insurance_test"] = UNKNOWN

    # 三保障 住房安全
    hh = ledgers.frame("households").drop_duplicates("household_id").set_index("household_id")
    ids = out["household_id"]
    grade = ids.map(hh["housing_grade"].astype(object))
    renovated = pd.Series(False, index=out.index)
    evidence = False
    if "renovated_on" in hh.columns and _recorded(ledgers, "households", "renovated_on"):
        evidence = True
        done_on = pd.to_datetime(pd.Series([hh["renovated_on"].get(h, pd.NaT) for h in ids],
                                           index=ids.index, dtype="datetime64[s]"))
        renovated |= (done_on <= ends).fillna(False)
    pay = ledgers.get("subsidies")
    if pay is not None:
        evidence = True
        housing = pay[(pay["program"].astype(object) == "housing")]
        first = housing.groupby(housing["household_id"].astype(object))["date"].min()
        when = pd.to_datetime(pd.Series([first.get(h, pd.NaT) for h in ids], index=ids.index,
                                        dtype="datetime64[s]"))
        renovated |= (when <= ends).fillna(False)
    out["grade"] = grade
    safe = grade.isin(["A", "B"])
    out["housing_test"] = np.where(grade.isna(), UNKNOWN, np.where(
        safe | renovated, PASS, FAIL if evidence else UNKNOWN))

    # 饮水安全
    if "safe_water" in hh.columns and _recorded(ledgers, "households", "safe_water"):
        water = ids.map(hh["safe_water"].astype(object))
        out["water_test"] = np.where(water.isna(), UNKNOWN, np.where(
            water.fillna(False).astype(bool), PASS, FAIL))
    else:
        out["water_test"] = UNKNOWN

    def names(columns, flags):
        """The names whose flag is set, joined by "," (per row)."""
        joined = pd.Series("", index=out.index, dtype=object)
        for name, flag in zip(columns, flags):
            joined = joined.where(~flag, joined.where(joined == "", joined + ",") + name)
        return joined

    out["failed"] = names(TESTS, [out[f"{t}_test"] == FAIL for t in TESTS])
    out["unknown"] = names(TESTS, [out[f"{t}_test"] == UNKNOWN for t in TESTS])
    out["warnings"] = names(WARNINGS, [out[w].astype("boolean").fillna(False).astype(bool)
                                       for w in WARNINGS])
    out["result"] = np.where(out["failed"] != "", FAIL, np.where(out["unknown"] != "",
                                                                 UNKNOWN, PASS))
    return out


HOUSEHOLD_COLUMNS = ["year", "township", "village", "household_id", "status", "people",
                     "income", "standard", "standard_kind", *[f"{t}_test" for t in TESTS],
                     "result", "failed", "unknown", "warnings"]
COUNT_COLUMNS = ["year", "township", "village", "test", "households", "passed", "failed",
                 "unknown"]


def age_range(value: str | tuple[int, int]) -> tuple[int, int]:
    """(6, 15) from "6-15" (or "6–15"); a usage error for anything else."""
    from .findings import UsageError

    if not isinstance(value, str):
        low, high = (int(x) for x in value)
    else:
        try:
            low, high = (int(x) for x in value.replace("–", "-").split("-"))
        except ValueError:
            raise UsageError.of("reports.school_age", value=value) from None
    if not 0 <= low <= high:
        raise UsageError.of("reports.school_age", value=value)
    return low, high


def readiness(ledgers: LedgerSet, year: int | None = None, listing: bool = False,
              planned: bool = False, by: str | None = None,
              school_age: str | tuple[int, int] = ReadinessParams.school_age,
              margin: float = ReadinessParams.margin):
    """The report: per household (listing), else counts of households by year, area
    and test (passed / failed / unknown; for the warnings, failed = warned).
    `school_age` is a pair of ages or a range such as "6-15"."""
    from .reports import Report

    params = ReadinessParams(school_age=age_range(school_age), margin=margin)
    table = assess(ledgers, year, planned, params)
    notes = []
    if (table["standard_kind"] == "poverty_line").any():
        notes.append("reports.readiness_national_line")
    if (table["income_test"] == UNKNOWN).any() and table["standard"].isna().any():
        notes.append("reports.readiness_no_standard")
    kinds = {"income": "amount", "standard": "amount", "people": "count"}
    title = ("Exit readiness (一达标两不愁三保障): would each exit survive the assessors' "
             "visit" + (" — pre-exits included" if planned else ""))
    if listing:
        frame = table[HOUSEHOLD_COLUMNS].sort_values(
            ["year", "township", "village", "household_id"], kind="stable").reset_index(drop=True)
        return Report("readiness", title, frame, notes=notes, kinds=kinds)
    keys = ["year", "township"] + ([] if by == "township" else ["village"])
    parts = []
    for test in (*TESTS, "result"):
        column = "result" if test == "result" else f"{test}_test"
        part = table[keys].assign(test="all" if test == "result" else test,
                                  passed=(table[column] == PASS).astype(int),
                                  failed=(table[column] == FAIL).astype(int),
                                  unknown=(table[column] == UNKNOWN).astype(int))
        parts.append(part)
    for warning in WARNINGS:
        flag = table[warning].astype("boolean")
        parts.append(table[keys].assign(test=warning, passed=(flag == False).fillna(False)  # noqa: E712
                                        .astype(int), failed=flag.fillna(False).astype(int),
                                        unknown=flag.isna().astype(int)))
    rows = pd.concat(parts, ignore_index=True) if len(table) else pd.DataFrame(
        columns=[*keys, "test", "passed", "failed", "unknown"])
    order = {t: i for i, t in enumerate(["all", *TESTS, *WARNINGS])}
    frame = rows.groupby([*keys, "test"], sort=False, dropna=False).agg(
        households=("passed", "size"), passed=("passed", "sum"), failed=("failed", "sum"),
        unknown=("unknown", "sum")).reset_index()
    frame = frame.assign(_o=frame["test"].map(order)).sort_values(
        [*keys, "_o"], kind="stable").drop(columns="_o").reset_index(drop=True)
    columns = [c for c in COUNT_COLUMNS if c in frame.columns]
    for col in ("households", "passed", "failed", "unknown"):
        frame[col] = frame[col].astype("int64")
    return Report("readiness", title, frame[columns], notes=notes,
                  kinds={"households": "count", "passed": "count", "failed": "count",
                         "unknown": "count"})
