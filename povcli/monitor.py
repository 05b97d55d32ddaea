"""`povcli monitor`: return-to-poverty monitoring (防返贫监测), as the contract counts it.

A household is monitored at D when an episode has identified_on ≤ D and no
eliminated_on ≤ D. Identified in Y / eliminated in Y go by those dates; households are
counted once per category, people as the members on the household's roll at the event's
date (31 December for "monitored at year end"). For an unregistered household the
member rule applies without the household's identification date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .findings import UsageError
from .income import household_incomes, parameter, registered
from .read.loaded import LedgerSet
from .model import Rolls, exit_rows, monitored_at, year_end
from .reports import Report

CATEGORIES = ("unstable", "marginal", "sudden")
BY_CHOICES = ("risk", "township", "village")
MEASURES = ["identified_households", "identified_people", "eliminated_households",
            "eliminated_people", "monitored_households", "monitored_people"]
KINDS = {m: "count" for m in MEASURES}
KINDS.update(income_before="amount", income_year="amount", income_change="rate",
             line="amount", per_capita_income="amount")


def episodes(ledgers: LedgerSet) -> pd.DataFrame:
    """The monitoring ledger with each household's township, village and registered."""
    ep = ledgers.frame("monitoring")
    hh = ledgers.frame("households").drop_duplicates("household_id")
    reg = registered(ledgers)
    info = pd.DataFrame({"household_id": hh["household_id"].astype(object),
                         "township": hh["township"].astype(object),
                         "village": hh["village"].astype(object),
                         "registered": reg.loc[hh.index].to_numpy()})
    out = ep.assign(household_id=ep["household_id"].astype(object),
                    category=ep["category"].astype(object),
                    row_index=ep.index.to_numpy())
    out = out.merge(info, on="household_id", how="left")
    out["registered"] = out["registered"].fillna(True).astype(bool)
    return out


def members_at(rolls: Rolls, when, registered_household: np.ndarray) -> np.ndarray:
    """Boolean per member row: on the household's roll at `when` by the person rule;
    for members of unregistered households (registered_household False per member row)
    without the household's identification date."""
    on = rolls.members_on(when)
    if registered_household.all():
        return on
    return np.where(registered_household, on, rolls.members_on_unidentified(when))


class People:
    """Members on a household's roll at a date, per household id, with a cache."""

    def __init__(self, ledgers: LedgerSet):
        self.rolls = Rolls.of(ledgers)
        reg = registered(ledgers)
        reg_code = np.ones(self.rolls.n_households, dtype=bool)
        reg_code[self.rolls.hh_row] = reg.to_numpy()
        known = self.rolls.member_hh >= 0
        self.member_registered = np.where(known, reg_code[np.maximum(self.rolls.member_hh, 0)],
                                          True)
        self._cache: dict = {}

    def per_household(self, when) -> np.ndarray:
        when = pd.Timestamp(when)
        if when not in self._cache:
            on = members_at(self.rolls, when, self.member_registered) & (self.rolls.member_hh >= 0)
            self._cache[when] = np.bincount(self.rolls.member_hh[on],
                                            minlength=self.rolls.n_households)
        return self._cache[when]

    def count(self, household_ids: pd.Series, dates: pd.Series) -> np.ndarray:
        codes = self.rolls.household_codes(household_ids)
        out = np.zeros(len(household_ids), dtype=np.int64)
        for i, (code, when) in enumerate(zip(codes, dates)):
            if code >= 0 and pd.notna(when):
                out[i] = self.per_household(when)[code]
        return out




def monitor_years(ep: pd.DataFrame, year: int | None) -> list[int]:
    if year is not None:
        return [year]
    years = set(ep["identified_on"].dt.year.dropna().astype(int))
    years |= set(ep["eliminated_on"].dt.year.dropna().astype(int))
    return sorted(years)


def latest_monitoring_year(ledgers: LedgerSet) -> int | None:
    ep = ledgers.get("monitoring")
    if ep is None or ep.empty:
        return None
    years = pd.concat([ep["identified_on"].dt.year, ep["eliminated_on"].dt.year]).dropna()
    return int(years.max()) if len(years) else None


def _explode_risks(ep: pd.DataFrame) -> pd.DataFrame:
    risks = ep["risks"].astype(object).fillna("").map(
        lambda s: [r for r in str(s).split(",") if r] or ["(none)"])
    return ep.assign(risk=risks).explode("risk")


def _counts(ep: pd.DataFrame, people: People, y: int, keys: list[str]) -> pd.DataFrame:
    """Per key group: households once, people at the event date (the first of the year
    for a household with two events of one kind in a year)."""
    start, end = pd.Timestamp(year=y, month=1, day=1), year_end(y)
    parts = {}
    for what, col in (("identified", "identified_on"), ("eliminated", "eliminated_on")):
        rows = ep[(ep[col] >= start) & (ep[col] <= end)].sort_values(col)
        rows = rows.drop_duplicates(keys + ["household_id"])
        rows = rows.assign(people=people.count(rows["household_id"], rows[col]))
        parts[what] = rows
    rows = ep[monitored_at(ep, end)].drop_duplicates(keys + ["household_id"])
    rows = rows.assign(people=people.count(rows["household_id"],
                                           pd.Series(end, index=rows.index)))
    parts["monitored"] = rows
    frames = []
    for what, rows in parts.items():
        g = rows.groupby(keys, dropna=False).agg(**{
            f"{what}_households": ("household_id", "size"),
            f"{what}_people": ("people", "sum")})
        frames.append(g)
    out = pd.concat(frames, axis=1).fillna(0).astype("int64").reset_index()
    return out


def monitor(ledgers: LedgerSet, year: int | None = None, by: str | None = None,
            listing: bool = False, candidates: bool = False, margin: float = 0.3) -> Report:
    """Monitoring objects by category per year (see the module's text)."""
    if by is not None and by not in BY_CHOICES:
        raise UsageError.of("monitor.bad_by", value=by, choices=", ".join(BY_CHOICES))
    notes = []
    if year is None:
        year = latest_monitoring_year(ledgers)
        if year is None:
            raise UsageError.of("monitor.empty")
        notes.append(("monitor.latest_year", {"year": year}))
    if candidates:
        return _candidates(ledgers, year, margin, notes)
    ep = episodes(ledgers)
    people = People(ledgers)
    if listing:
        return _listing(ledgers, ep, year, notes)
    if by == "risk":
        ep, keys = _explode_risks(ep), ["risk"]
    elif by == "village":
        keys = ["village", "category", "township"]
    elif by == "township":
        keys = ["township", "category"]
    else:
        keys = ["category"]
    frame = _counts(ep, people, year, keys)
    frame.insert(0, "year", year)
    if by is None:  # every category, zeros included
        frame = frame.set_index("category").reindex(list(CATEGORIES), fill_value=0)
        frame["year"] = year
        frame = frame.reset_index()[["year", "category", *MEASURES]]
    else:
        order = ["year", *[k for k in keys if k != "township" or by == "township"], *MEASURES]
        if by == "village":
            order.append("township")
        frame = frame.sort_values(keys).reset_index(drop=True)[order]
    totals = []
    if by != "risk" and len(frame) > 1:
        total = _counts(ep.assign(all="all"), people, year, ["all"])
        if len(total):
            totals.append({"year": "total", **{m: int(total.iloc[0][m]) for m in MEASURES}})
    return Report("monitor", "Monitoring objects (防返贫监测对象)", frame, totals=totals,
                  notes=notes, kinds=dict(KINDS), meta={"year": year})


def _income_of(ledgers: LedgerSet) -> pd.Series | None:
    if not ledgers.has("incomes"):
        return None
    inc = household_incomes(ledgers).drop_duplicates(["household_id", "year"])
    return inc.set_index([inc["household_id"].astype(object),
                          inc["year"].astype("int64")])["per_capita"]


def _listing(ledgers, ep, year, notes) -> Report:
    end = year_end(year)
    rows = ep[(ep["identified_on"] <= end)
              & ~(ep["eliminated_on"] < pd.Timestamp(year=year, month=1, day=1))]
    incomes = _income_of(ledgers)

    def inc(hid, y):
        if incomes is None:
            return None
        v = incomes.get((hid, y))
        return None if v is None or pd.isna(v) else float(v)
    status = np.where(monitored_at(rows, end), "monitored", "eliminated")
    before = [inc(h, year - 1) for h in rows["household_id"]]
    this = [inc(h, year) for h in rows["household_id"]]
    frame = pd.DataFrame({
        "year": year, "township": rows["township"].to_numpy(),
        "village": rows["village"].to_numpy(), "household_id": rows["household_id"].to_numpy(),
        "category": rows["category"].to_numpy(), "risks": rows["risks"].astype(object).to_numpy(),
        "identified_on": rows["identified_on"].dt.strftime("%Y-%m-%d").to_numpy(),
        "eliminated_on": rows["eliminated_on"].dt.strftime("%Y-%m-%d").to_numpy(),
        "elimination": rows["elimination"].astype(object).to_numpy(),
        "status": status, "income_before": before, "income_year": this})
    frame["income_change"] = [None if b is None or t is None or b <= 0 else (t - b) / b
                              for b, t in zip(before, this)]
    frame = frame.sort_values(["township", "village", "household_id", "identified_on"],
                              na_position="last").reset_index(drop=True)
    return Report("monitor", "Monitoring objects of the year, one row per episode", frame,
                  notes=notes, kinds=dict(KINDS), meta={"year": year})


COMPULSORY_AGES = (6, 15)  # 义务教育: primary and junior middle school
OUT_OF_SCHOOL = ("辍学", "失学", "未入学", "dropout", "out of school")


def _candidates(ledgers: LedgerSet, year: int, margin: float, notes: list) -> Report:
    """The screening list (排查): registered exited households not monitored at 31
    December of the year that meet a monitoring condition."""
    if not 0 < margin < 1:
        raise UsageError.of("monitor.bad_margin", value=margin)
    rolls = Rolls.of(ledgers)
    end = year_end(year)
    hh = ledgers.frame("households").drop_duplicates("household_id")
    reg = registered(ledgers).loc[hh.index].to_numpy()
    exited = set()
    if ledgers.has("exits"):
        rows = exit_rows(ledgers, rolls)
        done = rows[rows["passed"] & (rows["exit_year"] <= year)]
        exited = set(done["household_id"].astype(object))
    poor_now = set(hh.loc[rolls.poor_households(end).loc[hh.index].to_numpy(), "household_id"])
    monitored = set()
    if ledgers.has("monitoring"):
        ep = episodes(ledgers)
        monitored = set(ep.loc[monitored_at(ep, end), "household_id"])
    pool = hh[reg & hh["household_id"].isin(exited).to_numpy()
              & ~hh["household_id"].isin(poor_now | monitored).to_numpy()]
    reasons: dict[str, list[str]] = {h: [] for h in pool["household_id"]}
    line = parameter(ledgers, "monitoring_line", year)
    incomes = _income_of(ledgers)
    this_of, before_of = {}, {}
    if incomes is None:
        notes.append(("monitor.no_incomes", {}))
    else:
        for h in reasons:
            this_of[h] = incomes.get((h, year))
            before_of[h] = incomes.get((h, year - 1))
        if line is None:
            notes.append(("monitor.no_line", {"year": year}))
        for h in reasons:
            t, b = this_of.get(h), before_of.get(h)
            if line is not None and t is not None and pd.notna(t) and t < line:
                reasons[h].append("below_line")
            if t is not None and b is not None and pd.notna(t) and pd.notna(b) and b > 0 \
                    and (b - t) / b > margin:
                reasons[h].append("income_fell")
    housing_paid = set()
    if ledgers.has("subsidies"):
        pay = ledgers.frame("subsidies")
        housing_paid = set(pay.loc[pay["program"] == "housing", "household_id"])
    if "housing_grade" in pool.columns:
        for h, grade in zip(pool["household_id"], pool["housing_grade"].astype(object)):
            if grade in ("C", "D") and h not in housing_paid:
                reasons[h].append("unsafe_house")
    members = rolls.members
    on = rolls.members_on(end)
    if "schooling" in members.columns and "birth_date" in members.columns:
        age = end.year - members["birth_date"].dt.year
        text = members["schooling"].astype(object).fillna("")
        out = text.map(lambda s: any(w in s for w in OUT_OF_SCHOOL)) & age.between(
            *COMPULSORY_AGES) & on
        for h in set(members.loc[out.to_numpy(), "household_id"]):
            if h in reasons:
                reasons[h].append("out_of_school")
    insured = ledgers.loaded["members"].headers.get("insured") is not None
    if insured:  # a member on the rolls recorded as not insured (是否参加基本医疗保险: 否)
        uninsured = (members["insured"].astype("boolean") == False).fillna(False)  # noqa: E712
        for h in set(members.loc[(uninsured & on).to_numpy(), "household_id"]):
            if h in reasons:
                reasons[h].append("uninsured")
    else:
        notes.append(("monitor.no_insurance", {}))
    info = pool.set_index("household_id")
    rows = [{"year": year, "township": info.at[h, "township"], "village": info.at[h, "village"],
             "household_id": h, "reasons": ",".join(r), "income_before": _num(before_of.get(h)),
             "income_year": _num(this_of.get(h)), "line": line}
            for h, r in reasons.items() if r]
    frame = pd.DataFrame(rows, columns=["year", "township", "village", "household_id",
                                        "reasons", "income_before", "income_year", "line"])
    frame = frame.sort_values(["township", "village", "household_id"]).reset_index(drop=True)
    notes.append(("monitor.candidates_note", {"margin": f"{margin:.0%}"}))
    return Report("monitor", "Households to screen (排查): a monitoring condition met, not "
                  "monitored", frame, notes=notes, kinds=dict(KINDS), meta={"year": year})


def _num(v):
    return None if v is None or pd.isna(v) else float(v)


def summary_metrics(ledgers: LedgerSet, year: int) -> dict:
    """The monitoring metrics of `summary` (when the monitoring ledger exists)."""
    if not ledgers.has("monitoring"):
        return {}
    ep = episodes(ledgers)
    people = People(ledgers)
    c = _counts(ep.assign(all="all"), people, year, ["all"])
    row = c.iloc[0] if len(c) else None
    out = {f"monitoring_{m}_year" if not m.startswith("monitored") else f"monitoring_{m}":
           (int(row[m]) if row is not None else 0) for m in MEASURES}
    out["monitoring_line"] = parameter(ledgers, "monitoring_line", year)
    return out
