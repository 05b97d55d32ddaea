"""`povcli report`: the year's figures for a written annual report.

The figures come from the same report functions as the commands (summary, exits,
changes, subsidies, villages, ...); this module only gathers them, with the series the
charts draw. Pure: no matplotlib, no printing.
"""

from __future__ import annotations

from .flow import flow
from .read.loaded import LedgerSet
from .model import Rolls, year_end
from .programs import education, housing, projects, villages
from .reports import changes, exits, subsidies
from .summary import summary


def annual_figures(ledgers: LedgerSet, year: int) -> dict:
    """Everything the annual report says and draws, as plain data."""
    s = summary(ledgers, year)
    metrics = dict(zip(s.frame["metric"], s.frame["value"]))
    fig: dict = {"year": year, "metrics": metrics, "tables": {"summary": s}}
    hh = ledgers.frame("households")
    first = int(hh["identified_on"].dt.year.min())
    rolls = Rolls.of(ledgers)
    fig["rolls_by_year"] = [
        (y, int(rolls.people_on(year_end(y)).sum()), int(rolls.poor_people(year_end(y)).sum()))
        for y in range(first, year + 1)]
    if ledgers.has("exits"):
        e = exits(ledgers, rolls=rolls)
        fig["tables"]["exits"] = e
        rows = e.frame[e.frame["year"] <= year]
        fig["exits_by_year"] = [(int(r.year), int(r.people)) for r in rows.itertuples()]
        fig["first_exit_year"] = int(rows["year"].min()) if len(rows) else None
    if ledgers.has("changes"):
        c = changes(ledgers, year)
        fig["tables"]["changes"] = c
        fig["changes_by_reason"] = [(r.direction, r.reason, int(r.people))
                                    for r in c.frame.itertuples()]
        fig["tables"]["flow"] = flow(ledgers, year)
    if ledgers.has("subsidies"):
        sub = subsidies(ledgers, year)
        fig["tables"]["subsidies"] = sub
        fig["subsidies_by_program"] = [(r.program, float(r.amount))
                                       for r in sub.frame.itertuples()]
        edu = education(ledgers)
        fig["education"] = {"students": int(edu.frame["students"].sum()),
                            "amount": float(edu.frame["amount"].sum()),
                            "distinct_students": int(ledgers.frame("subsidies").loc[
                                lambda p: p["program"] == "education", "person_id"].nunique())}
        houses = housing(ledgers).frame
        houses = houses[houses["year"] <= year]
        fig["housing"] = {"years": sorted({int(y) for y in houses["year"]}),
                          "by_grade": houses.groupby("grade")["households"].sum().to_dict(),
                          "households": int(houses["households"].sum())}
    if ledgers.has("projects"):
        fig["tables"]["projects"] = projects(ledgers, by="kind")
    if ledgers.has("incomes"):
        found = _incomes(ledgers, year)
        if found:
            fig["income"], fig["tables"]["income"] = found
    if ledgers.has("monitoring"):
        from .monitor import latest_monitoring_year, monitor

        latest = latest_monitoring_year(ledgers)
        if latest is not None:
            fig["tables"]["monitor"] = monitor(ledgers, latest)
            fig["monitoring_year"] = latest
    v = villages(ledgers, year)  # from households alone when there is no villages ledger
    fig["tables"]["villages"] = v
    fig["incidence_by_village"] = [
        (r.village, None if r.incidence != r.incidence else float(r.incidence))
        for r in v.frame.itertuples()]
    return fig


def _incomes(ledgers: LedgerSet, year: int):
    """The income distribution of the latest incomes year up to `year`: each person's
    per-capita income (as the contract weighs it) and the lines in force."""
    from .income import income, line_value, people_of_year

    frame = ledgers.frame("incomes")
    years = frame["year"].dropna()
    years = years[years <= year]
    if not len(years):
        return None
    y = int(years.max())
    people, _ = people_of_year(ledgers, y)
    lines = {name: line_value(ledgers, name, y) for name in ("exit", "monitoring", "poverty")}
    info = {"year": y, "per_capita": people["per_capita"].dropna().tolist(),
            "lines": {k: v for k, v in lines.items() if v is not None}}
    return info, income(ledgers, y, line="exit" if lines["exit"] else None)
