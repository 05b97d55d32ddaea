"""`povcli income`: per-capita net income of households, and the measures at a line.

The contract's "Incomes" bullet, exactly: a household's per-capita net income of Y =
(wage + business − business_cost + property + transfer) / size. The figures of Y cover
the households on the rolls at 31 December of Y that have an incomes row for Y (the
others are counted apart as missing); every person on the rolls of such a household
carries the household's figure, and every measure is over those people (N):

- mean, median: of the N figures (numpy.median: the middle one, or the mean of the two
  middle ones). Expanding households to people makes every measure person-weighted
  without a weighted-quantile routine.
- FGT at a line z (Foster–Greer–Thorbecke): P_α = (1/N)·Σ_{y<z} ((z − y)/z)^α with
  α = 0 (P0, headcount ratio), α = 1 (P1, poverty gap index), α = 2 (P2, squared gap).
  y = z is not poor.
- Watts = (1/N)·Σ_{y<z} ln(z / y); empty, with a note, when a poor person's y ≤ 0.
- Gini, population form (no n/(n−1) correction): G = Σ_i Σ_j |y_i − y_j| / (2·N²·μ),
  computed from the sorted figures as (2·Σ_i i·y_(i)) / (N·Σ y) − (N + 1)/N, which is
  the same number in O(N log N). No dependency of povcli computes it (numpy has no Gini;
  scipy is not a dependency), so it is written here and pinned by hand-computed tests.
  Empty when the mean is not above 0.

Registered households only (households' `registered`, default yes). Lines: `exit`
(policy.csv exit_standard), `monitoring` (policy.csv monitoring_line), `poverty` (the
national poverty line, built in or from policy.csv), or an amount. Local parameters are
never invented: a year without one leaves the line's measures empty and says so.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .findings import UsageError
from .read.arrowkit import index_in
from .read.loaded import LedgerSet
from .model import Rolls, year_end
from .policy import line_for, poverty_lines
from .reports import Report

COMPONENTS = ("wage", "business", "business_cost", "property", "transfer")
SHARES = ("wage", "business_net", "property", "transfer")
LINES = ("exit", "monitoring", "poverty")
LINE_COLUMN = {"exit": "exit_standard", "monitoring": "monitoring_line",
               "poverty": "poverty_line"}
BY_CHOICES = ("township", "village")

AMOUNT, RATE, COUNT, NUMBER, TEXT = "amount", "rate", "count", "number", "text"


# --------------------------------------------------------------------------- measures

def fgt(y, z: float, alpha: int) -> float | None:
    """Foster–Greer–Thorbecke P_alpha of figures y at line z; y = z is not poor."""
    y = np.asarray(y, dtype="float64")
    if not len(y) or not z > 0:
        return None
    poor = y < z
    gap = (z - y[poor]) / z
    return float(np.sum(gap ** alpha) / len(y)) if alpha else float(poor.sum() / len(y))


def watts(y, z: float) -> float | None:
    """Watts index; None when a poor figure is ≤ 0 (its log is undefined)."""
    y = np.asarray(y, dtype="float64")
    if not len(y) or not z > 0:
        return None
    poor = y[y < z]
    if (poor <= 0).any():
        return None
    return float(np.sum(np.log(z / poor)) / len(y))


def gini(y) -> float | None:
    """Gini coefficient, population form; None when empty or the mean is not above 0."""
    y = np.sort(np.asarray(y, dtype="float64"))
    n = len(y)
    total = y.sum()
    if not n or not total > 0:
        return None
    ranks = np.arange(1, n + 1)
    return float(2.0 * np.sum(ranks * y) / (n * total) - (n + 1.0) / n)


# --------------------------------------------------------------------------- parameters

def parameter(ledgers: LedgerSet, column: str, year: int) -> float | None:
    """A local parameter of policy.csv in force in `year` (the row with the latest year
    ≤ Y that gives it), or None: never a built-in figure (the poverty line excepted,
    which is national and built in)."""
    if column == "poverty_line":
        return line_for(poverty_lines(ledgers.get("policy")), year)
    policy = ledgers.get("policy")
    if policy is None or column not in policy.columns:
        return None
    rows = policy.dropna(subset=["year", column])
    rows = rows[rows["year"] <= year]
    if rows.empty:
        return None
    return float(rows.loc[rows["year"].astype("int64").idxmax(), column])


def parse_line(text: str | None) -> str | float | None:
    """--line: exit, monitoring, poverty or an amount in yuan."""
    if text is None:
        return None
    word = text.strip().lower()
    if word in LINES:
        return word
    try:
        amount = float(word.replace(",", "").lstrip("¥￥"))
    except ValueError:
        amount = float("nan")
    if not math.isfinite(amount) or amount <= 0:
        raise UsageError.of("income.bad_line", value=text, lines=", ".join(LINES))
    return amount


def line_value(ledgers: LedgerSet, line, year: int) -> float | None:
    if line is None:
        return None
    if isinstance(line, float):
        return line
    return parameter(ledgers, LINE_COLUMN[line], year)


# --------------------------------------------------------------------------- the figures

def household_incomes(ledgers: LedgerSet) -> pd.DataFrame:
    """Every incomes row with its computed per-capita net income (NaN when size is 0
    or missing) and the net business income."""
    from .model import net_income, per_capita_net

    inc = ledgers.frame("incomes")
    out = inc.copy()
    for col in COMPONENTS:
        out[col] = out[col].astype("float64").fillna(0.0)
    out["business_net"] = out["business"] - out["business_cost"]
    out["net_income"] = net_income(inc)
    out["per_capita"] = per_capita_net(inc)
    return out


def registered(ledgers: LedgerSet) -> pd.Series:
    """Boolean per household row: registered (建档立卡); the model's one rule."""
    from .model import registered as rule

    hh = ledgers.frame("households")
    return pd.Series(rule(hh), index=hh.index)


def people_of_year(ledgers: LedgerSet, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(people, households) of the income figures of `year`: each person on the rolls
    at 31 December of a registered household on the rolls with an incomes row for the
    year, carrying the household's figure; and those households, with `missing` True
    for the ones on the rolls without a row."""
    rolls = Rolls.of(ledgers)
    end = year_end(year)
    hh = ledgers.frame("households")
    on = rolls.households_on(end).to_numpy() & registered(ledgers).to_numpy()
    households = hh.loc[on, ["household_id", "township", "village"]].drop_duplicates(
        "household_id")
    inc = household_incomes(ledgers)
    inc = inc[inc["year"] == year].drop_duplicates("household_id")
    rows = index_in(households["household_id"], inc["household_id"])
    households = households.assign(missing=rows < 0)
    covered = households[~households["missing"]]
    covered = covered.merge(inc.drop(columns=["year"]), on="household_id", how="left")
    people_on = rolls.people_on(end).to_numpy()
    members = rolls.members.loc[people_on, ["household_id", "person_id"]]
    people = members.merge(covered, on="household_id", how="inner")
    counts = people.groupby("household_id").size()
    covered["people"] = covered["household_id"].map(counts).fillna(0).astype("int64")
    households = households.merge(covered.drop(columns=["township", "village", "missing"]),
                                  on="household_id", how="left")
    return people, households


def _measures(people: pd.DataFrame, households: pd.DataFrame, z: float | None,
              with_line: bool) -> dict:
    y = people["per_capita"].to_numpy(dtype="float64")
    valid = ~np.isnan(y)
    y = y[valid]
    covered = households[~households["missing"]]
    heavy = (covered["transfer"] > covered["net_income"] / 2).sum() if len(covered) else 0
    total = float(np.sum(y)) if len(y) else 0.0
    row = {
        "households": int(len(covered)), "people": int(len(y)),
        "missing_households": int(households["missing"].sum()),
        "mean_income": float(np.mean(y)) if len(y) else None,
        "median_income": float(np.median(y)) if len(y) else None,
    }
    size = people["size"].to_numpy(dtype="float64")[valid]
    for part in SHARES:
        share = people[part].to_numpy(dtype="float64")[valid] / size
        row[f"{part}_share"] = float(np.sum(share) / total) if total > 0 else None
    row["transfer_heavy_households"] = int(heavy)
    row["gini"] = gini(y)
    if with_line:
        row["line"] = z
        row["poor_people"] = int(np.sum(y < z)) if z is not None else None
        for alpha in (0, 1, 2):
            row[f"p{alpha}"] = fgt(y, z, alpha) if z is not None else None
        row["watts"] = watts(y, z) if z is not None else None
    return row


KINDS = {"mean_income": AMOUNT, "median_income": AMOUNT, "missing_households": COUNT,
         "transfer_heavy_households": COUNT, "gini": NUMBER, "line": AMOUNT,
         "poor_people": COUNT, "p0": RATE, "p1": NUMBER, "p2": NUMBER, "watts": NUMBER,
         **{f"{p}_share": RATE for p in SHARES}, "per_capita": AMOUNT,
         "per_capita_net": AMOUNT, "previous": AMOUNT, "change": AMOUNT, "change_rate": RATE,
         "net_income": AMOUNT, "wage": AMOUNT, "business": AMOUNT, "business_cost": AMOUNT,
         "property": AMOUNT, "transfer": AMOUNT, "size": COUNT, "below": COUNT,
         "above": COUNT, "margin": AMOUNT, "ratio": NUMBER}


def income_years(ledgers: LedgerSet, year: int | None) -> list[int]:
    inc = ledgers.frame("incomes")
    years = sorted(int(y) for y in inc["year"].dropna().unique())
    if year is not None:
        return [year]
    return years


def _line_notes(ledgers, line, years, values) -> list:
    notes = []
    if line is None or isinstance(line, float):
        return notes
    for year in years:
        if values.get(year) is None:
            notes.append(("income.no_line", {"line": LINE_COLUMN[line], "year": year}))
    return notes


def income(ledgers: LedgerSet, year: int | None = None, by: str | None = None,
           line=None, listing: bool = False, bunching: bool = False, margin: float = 0.1,
           trend: bool = False) -> Report:
    """The income report (see the module's text); one row per year (and area)."""
    if by is not None and by not in BY_CHOICES:
        raise UsageError.of("income.bad_by", value=by, choices=", ".join(BY_CHOICES))
    line = parse_line(line) if isinstance(line, str) else line
    if bunching and line is None:
        line = "exit"
    years = income_years(ledgers, year)
    values = {y: line_value(ledgers, line, y) for y in years}
    notes = _line_notes(ledgers, line, years, values)
    if trend:
        return _trend(ledgers, years, by, notes)
    if bunching:
        return _bunching(ledgers, years, values, margin, by, notes)
    rows, listed = [], []
    for y in years:
        people, households = people_of_year(ledgers, y)
        z = values.get(y)
        if listing:
            listed.append(_listing(households, y, z, line is not None))
            continue
        watts_empty = False
        if by is None:
            row = {"year": y, **_measures(people, households, z, line is not None)}
            rows.append(row)
            watts_empty = z is not None and row["watts"] is None and row["people"] > 0
        else:
            keys = [by] + (["township"] if by == "village" else [])
            for key, part in households.groupby(keys, sort=True):
                key = key if isinstance(key, tuple) else (key,)
                mine = people
                for k, v in zip(keys, key):
                    mine = mine[mine[k] == v]
                row = {"year": y, by: key[0], **_measures(mine, part, z, line is not None)}
                if by == "village":
                    row["township"] = key[1]
                rows.append(row)
                watts_empty |= z is not None and row["watts"] is None and row["people"] > 0
        if watts_empty:
            notes.append(("income.watts_empty", {"year": y}))
        missing = int(households["missing"].sum())
        if missing:
            notes.append(("income.missing", {"year": y, "count": missing}))
    if listing:
        frame = pd.concat(listed, ignore_index=True) if listed else pd.DataFrame()
        title = "Per-capita net income of each household (户人均纯收入)"
    else:
        frame = pd.DataFrame(rows)
        title = "Household incomes (家庭收入)"
    if line is not None:
        notes.append(("income.alpha", {}))
    return Report("income", title, frame, notes=notes, kinds=dict(KINDS),
                  meta={"line": line if isinstance(line, str) else None})


def _listing(households: pd.DataFrame, year: int, z, with_line: bool) -> pd.DataFrame:
    h = households[~households["missing"]].sort_values(["township", "village",
                                                        "household_id"])
    out = pd.DataFrame({"year": year, "township": h["township"], "village": h["village"],
                        "household_id": h["household_id"], "size": h["size"],
                        "people": h["people"]})
    for col in ("wage", "business", "business_cost", "property", "transfer", "net_income",
                "per_capita", "per_capita_net"):
        out[col] = h[col]
    out["transfer_heavy"] = np.where(h["transfer"] > h["net_income"] / 2, "yes", "no")
    if with_line:
        out["line"] = z
        out["below_line"] = (np.where(h["per_capita"] < z, "yes", "no") if z is not None
                             else None)
    return out.reset_index(drop=True)


def _bunching(ledgers, years, values, margin, by, notes) -> Report:
    """Households just below the line against just above it: below = [z − m, z),
    above = [z, z + m], m = margin × z."""
    if not 0 < margin < 1:
        raise UsageError.of("income.bad_margin", value=margin)
    rows = []
    for y in years:
        z = values.get(y)
        _, households = people_of_year(ledgers, y)
        h = households[~households["missing"]]
        groups = [((), h)] if by is None else [
            (k if isinstance(k, tuple) else (k,), g)
            for k, g in h.groupby([by] + (["township"] if by == "village" else []))]
        for key, g in groups:
            row = {"year": y}
            if by:
                row[by] = key[0]
            m = None if z is None else margin * z
            pc = g["per_capita"]
            below = None if z is None else int(((pc >= z - m) & (pc < z)).sum())
            above = None if z is None else int(((pc >= z) & (pc <= z + m)).sum())
            row.update(line=z, margin=m, below=below, above=above,
                       ratio=(above / below) if below else None,
                       sign="look" if (below is not None and above > 2 * max(below, 1))
                       else "")
            if by == "village":
                row["township"] = key[1]
            rows.append(row)
            if row["sign"]:
                notes.append(("income.bunching_sign", {"year": y, "above": above,
                                                       "below": below}))
    notes.append(("income.bunching_note", {}))
    return Report("income", "Households just below and just above the line", pd.DataFrame(
        rows), notes=notes, kinds=dict(KINDS))


def _trend(ledgers, years, by, notes) -> Report:
    """Change from the year before, per household (those with both years' rows)."""
    parts = []
    inc = household_incomes(ledgers)
    for y in years:
        _, households = people_of_year(ledgers, y)
        h = households[~households["missing"]]
        before = inc[inc["year"] == y - 1].drop_duplicates("household_id").set_index(
            "household_id")["per_capita"]
        prev = h["household_id"].map(before)
        out = pd.DataFrame({"year": y, "township": h["township"], "village": h["village"],
                            "household_id": h["household_id"], "per_capita": h["per_capita"],
                            "previous": prev})
        out["change"] = out["per_capita"] - out["previous"]
        out["change_rate"] = out["change"] / out["previous"].where(out["previous"] > 0)
        parts.append(out[out["previous"].notna()])
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["year", "township", "village", "household_id", "per_capita", "previous",
                 "change", "change_rate"])
    frame = frame.sort_values(["year", "township", "village", "household_id"]).reset_index(
        drop=True)
    return Report("income", "Per-capita income against the year before", frame, notes=notes,
                  kinds=dict(KINDS))
