"""`povcli assess`: the assessors' rates (三率一度) of a year, as the contract defines them.

From assessment.csv (one row per household visited): wrong-exit rate (错退率), missed rate
(漏评率), approval (认可度). From the ledgers alone: the system's poverty incidence
(poor people at 31 December / the villages' rural population) and the return rate (返贫率).
Each rate with its numerator, denominator, threshold and whether it passes:

- wrong-exit rate and missed rate pass at or below 2 % (`--wrong-exit`, `--missed`);
- approval passes at or above 90 % (`--approval`);
- incidence passes at or below 2 % (`--incidence`; 3 % for the western provinces);
- the return rate has no threshold (it is shown, never judged).

A row whose flag is empty is not assessed: in neither numerator nor denominator of that
rate. An empty denominator gives an empty rate and no verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import audit_words  # noqa: F401  (Chinese words of these reports)
from .read.arrowkit import index_in
from .read.loaded import LedgerSet
from .model import Rolls, exit_rows, year_end
from .reports import Report

COLUMNS = ["year", "measure", "numerator", "denominator", "rate", "threshold", "passes"]
LIST_COLUMNS = ["year", "measure", "township", "village", "household_id", "people",
                "counted"]
MEASURES = ("wrong_exit_rate", "missed_rate", "approval", "incidence", "return_rate",
            "readiness_failed")


@dataclass(frozen=True)
class Thresholds:
    wrong_exit: float = 0.02  # at most
    missed: float = 0.02  # at most
    approval: float = 0.90  # at least
    incidence: float = 0.02  # at most (0.03 in the west)
    # the missed rate's denominator: the people of the visited ordinary households
    # ("visited", the contract's), or the unregistered rural population of the sampled
    # villages ("village": rural_population − registered people there), as some official
    # texts divide
    missed_base: str = "visited"


def _verdict(rate, threshold, at_least: bool = False):
    if rate is None or threshold is None:
        return None
    return "yes" if (rate >= threshold if at_least else rate <= threshold) else "no"


def _row(year, measure, num, den, threshold, at_least=False, **keys) -> dict:
    rate = None if not den else num / den
    return {"year": year, **keys, "measure": measure, "numerator": num,
            "denominator": den, "rate": rate, "threshold": threshold,
            "passes": _verdict(rate, threshold, at_least)}


def registered(ledgers: LedgerSet) -> pd.Series:
    """Boolean per household row: registered (建档立卡); the model's one rule."""
    from .model import registered as rule

    hh = ledgers.frame("households")
    return pd.Series(rule(hh), index=hh.index)


def _area_of(ids: pd.Series, ledgers: LedgerSet) -> pd.DataFrame:
    hh = ledgers.frame("households")
    codes = index_in(ids, hh["household_id"])
    out = {}
    for col in ("township", "village"):
        values = hh[col].astype(object).to_numpy()
        out[col] = np.where(codes >= 0, values[np.maximum(codes, 0)] if len(hh) else None, None)
    return pd.DataFrame(out, index=ids.index)


def _exited_rows(ledgers: LedgerSet, rolls: Rolls) -> pd.DataFrame:
    """Exit rows that are exits (a `pass`; every row where the ledger has no
    verification column), of registered households, with their people and area."""
    if not ledgers.has("exits"):
        return pd.DataFrame(columns=["household_id", "exit_year", "people", "township",
                                     "village"])
    rows = exit_rows(ledgers, rolls)
    recorded = "verification" in ledgers.loaded["exits"].headers
    exited = rows["passed"] if recorded else pd.Series(True, index=rows.index)
    hh = ledgers.frame("households")
    reg = set(hh.loc[registered(ledgers), "household_id"])
    keep = exited.to_numpy(dtype=bool) & rows["household_id"].isin(reg).to_numpy()
    rows = rows[keep]
    return pd.concat([rows[["household_id", "exit_year", "people"]],
                      _area_of(rows["household_id"], ledgers)], axis=1)


def _returned(ledgers: LedgerSet, year: int) -> pd.DataFrame:
    """`returned` changes dated in `year` of registered households, with area."""
    ch = ledgers.get("changes")
    if ch is None:
        return pd.DataFrame(columns=["household_id", "person_id", "township", "village"])
    hh = ledgers.frame("households")
    reg = set(hh.loc[registered(ledgers), "household_id"])
    rows = ch[(ch["reason"].astype(object) == "returned") & (ch["date"].dt.year == year)
              & ch["household_id"].isin(reg)]
    return pd.concat([rows[["household_id", "person_id"]],
                      _area_of(rows["household_id"], ledgers)], axis=1)


def _unregistered_population(visited: pd.DataFrame, villages: pd.DataFrame | None,
                             area: pd.DataFrame, registered_on: pd.DataFrame) -> int:
    """Rural population of the villages the assessors visited, less their registered
    people on the rolls: the unregistered population the missed rate stands for."""
    if villages is None:
        general = visited[(visited["sample_type"] == "general") & visited["missed"].notna()]
        return int(general["people"].sum())
    sampled = visited[["township", "village"]].drop_duplicates()
    pop = villages.merge(sampled, on=["township", "village"])["rural_population"].sum()
    filed = registered_on.merge(sampled, on=["township", "village"])
    return max(int(pop) - len(filed), 0)


def _in_area(frame: pd.DataFrame, township: str | None, village: str | None) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    if township:
        keep &= frame["township"] == township
    if village:
        keep &= frame["village"] == village
    return frame[keep]


def assess(ledgers: LedgerSet, year: int | None = None, by: str | None = None,
           listing: bool = False, township: str | None = None, village: str | None = None,
           wrong_exit: float = Thresholds.wrong_exit, missed: float = Thresholds.missed,
           approval: float = Thresholds.approval, incidence: float = Thresholds.incidence,
           missed_base: str = Thresholds.missed_base) -> Report:
    """The rates of every year of assessment.csv (or of `year`), per township with
    by="township"; with listing, the households behind each rate. The thresholds are
    those of `Thresholds`."""
    from .model import latest_year

    thresholds = Thresholds(wrong_exit, missed, approval, incidence, missed_base)
    notes: list = []
    assessment = ledgers.get("assessment")
    if assessment is not None:
        assessment = _in_area(assessment, township, village)
    if year is not None:
        years = [int(year)]
    elif assessment is not None and assessment["year"].notna().any():
        years = sorted(int(y) for y in assessment["year"].dropna().unique())
    else:
        latest = latest_year(ledgers)
        years = [latest] if latest is not None else []
        notes.append(("year {year}: the latest year in the ledgers (give --year for another)",
                      {"year": latest}))
    if assessment is None:
        notes.append("no assessment.csv: only what the ledgers alone give (system incidence, "
                      "return rate)")
    if not ledgers.has("villages"):
        notes.append("no villages.csv: no rural population, so no system incidence")
    rolls = Rolls.of(ledgers)
    exited = _in_area(_exited_rows(ledgers, rolls), township, village)
    members = rolls.members
    area = _area_of(members["household_id"], ledgers)
    reg_hh = set(ledgers.frame("households").loc[registered(ledgers), "household_id"])
    is_reg = members["household_id"].isin(reg_hh).to_numpy()
    villages = ledgers.get("villages")
    if villages is not None:
        villages = _in_area(villages, township, village)

    groups_of = (lambda frame: [(None, frame)]) if by is None else (
        lambda frame: [(t, frame[frame["township"] == t]) for t in townships])
    townships: list = []
    if by == "township":
        pool = [ledgers.frame("households")["township"]]
        if assessment is not None:
            pool.append(assessment["township"])
        if villages is not None:
            pool.append(villages["township"])
        townships = sorted({t for s in pool for t in s.dropna().astype(str)
                            if (not township or t == township)})

    def on_rolls(y):  # registered people on the rolls at the end of year y, by area
        return area[rolls.people_on(year_end(y)).to_numpy() & is_reg]

    if thresholds.missed_base == "village" and villages is None:
        notes.append("no villages.csv: the missed rate is divided by the visited people")
    def ready_of(y):  # the readiness tests of the year's exits, per household
        from .readiness import assess as tests
        if not ledgers.has("exits"):
            return pd.DataFrame(columns=["township", "village", "household_id", "people",
                                         "result"])
        return tests(ledgers, y, rolls=rolls)

    rows: list[dict] = []
    listed: list[dict] = []
    for y in years:
        end = year_end(y)
        poor = rolls.poor_people(end).to_numpy() & is_reg
        poor_area = _in_area(area[poor], township, village)
        returned = _in_area(_returned(ledgers, y), township, village)
        before = exited[exited["exit_year"] <= y - 1]
        visited = None if assessment is None else assessment[assessment["year"] == y]
        for key, _ in groups_of(pd.DataFrame({"township": []})):
            keys = {} if by is None else {"township": key}

            def part(frame):
                return frame if key is None else frame[frame["township"] == key]

            if visited is not None:
                v = part(visited)
                for measure, sample, flag, limit, people, at_least in (
                        ("wrong_exit_rate", "exited", "wrong_exit", thresholds.wrong_exit,
                         True, False),
                        ("missed_rate", None, "missed", thresholds.missed, True, False),
                        ("approval", None, "approves", thresholds.approval, False, True)):
                    if measure == "missed_rate":
                        sample = "general"
                    rated = v if sample is None else v[v["sample_type"] == sample]
                    rated = rated[rated[flag].notna()]
                    weight = rated["people"].astype("int64") if people else pd.Series(
                        1, index=rated.index)
                    yes = rated[flag].astype(object).isin([True, "yes"]).to_numpy()
                    base = int(weight.sum())
                    if measure == "missed_rate" and thresholds.missed_base == "village":
                        base = _unregistered_population(v, villages, area, on_rolls(y))
                    rows.append(_row(y, measure, int(weight[yes].sum()), base,
                                     limit, at_least, **keys))
                    if listing:
                        listed += [{"year": y, "measure": measure, "township": r.township,
                                    "village": r.village, "household_id": r.household_id,
                                    "people": int(r.people),
                                    "counted": "yes" if r_yes else "no"}
                                   for r, r_yes in zip(rated.itertuples(index=False), yes)]
            if villages is not None:
                pv = part(poor_area)
                rural = int(part(villages)["rural_population"].sum())
                rows.append(_row(y, "incidence", int(len(pv)), rural, thresholds.incidence,
                                 **keys))
                if listing:
                    for (t, vname), n in pv.groupby(["township", "village"]).size().items():
                        listed.append({"year": y, "measure": "incidence", "township": t,
                                       "village": vname, "household_id": None,
                                       "people": int(n), "counted": "yes"})
            r = part(returned)
            rows.append(_row(y, "return_rate", int(r["person_id"].nunique()),
                             int(part(before)["people"].sum()), None, **keys))
            # what assessors would likely find: the year's exits that fail a readiness
            # test (一达标两不愁三保障) in the ledgers themselves; shown, never judged
            tested = part(_in_area(ready_of(y), township, village))
            failed = tested["result"] == "fail"
            rows.append(_row(y, "readiness_failed", int(failed.sum()), int(len(tested)), None,
                             **keys))
            if listing:
                listed += [{"year": y, "measure": "readiness_failed", "township": t.township,
                            "village": t.village, "household_id": t.household_id,
                            "people": int(t.people), "counted": "yes" if bad else "no"}
                           for t, bad in zip(tested.itertuples(index=False), failed)]
            if listing:
                for (hid, t, vname), g in r.groupby(["household_id", "township", "village"],
                                                     dropna=False):
                    listed.append({"year": y, "measure": "return_rate", "township": t,
                                   "village": vname, "household_id": hid,
                                   "people": int(g["person_id"].nunique()), "counted": "yes"})
    order = ["year", *(["township"] if by else []), *COLUMNS[1:]]
    if listing:
        frame = pd.DataFrame(listed, columns=LIST_COLUMNS)
        rank = {m: i for i, m in enumerate(MEASURES)}
        frame = frame.assign(_m=frame["measure"].map(rank)).sort_values(
            ["year", "_m", "township", "village", "household_id"], kind="stable",
            na_position="first").drop(columns="_m").reset_index(drop=True)
        return Report("assess", "Households behind the assessment rates", frame,
                      notes=notes, kinds={"people": "count"})
    frame = pd.DataFrame(rows, columns=order)
    return Report("assess", "Assessment rates (三率一度)", frame, notes=notes,
                  kinds={"numerator": "count", "denominator": "count", "rate": "rate",
                         "threshold": "rate"})
