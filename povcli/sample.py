"""`povcli sample --year Y --seed S`: a reproducible visiting sample for an assessment.

As a provincial assessment plan draws it (the parameters are options):

1. every household with an exit row for year Y (all exits due: `exit_due`);
2. N villages drawn at random, with all their registered households (`village`);
3. a share of the other exited households (exited before Y) (`exited`);
4. a share of the ordinary households (households.csv rows with `registered` = no) of
   poor villages (villages.csv `poor_village` = yes), at most a cap (`ordinary`).

A household is drawn once, in the first stage that takes it. The draw depends only on
the ledgers and the seed: candidates are sorted by id, then numpy's PCG64 generator
seeded with S picks them; the same ledgers and seed give the same sample. A share is
rounded up (a share of 10 % of 3 households visits 1).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import audit_words  # noqa: F401  (Chinese words of these reports)
from .assess import registered
from .read.loaded import LedgerSet
from .model import Rolls, latest_year, year_end
from .reports import Report

COLUMNS = ["year", "stage", "township", "village", "household_id", "head_name", "people"]


def draw(ledgers: LedgerSet, year: int | None = None, listing: bool = False, seed: int = 0, villages: int = 2,
         exited_share: float = 0.1, ordinary_share: float = 0.1, ordinary_cap: int = 20
         ) -> Report:
    notes: list = []
    if year is None:
        year = latest_year(ledgers)
        notes.append(("year {year}: the latest year in the ledgers (give --year for another)",
                      {"year": year}))
    rng = np.random.default_rng(seed)
    hh = ledgers.frame("households")
    reg = registered(ledgers).to_numpy()
    rolls = Rolls.of(ledgers)
    on = rolls.households_on(year_end(year)).to_numpy()
    chosen: dict[str, str] = {}

    def take(ids, stage):
        for i in ids:
            chosen.setdefault(i, stage)

    exits = ledgers.get("exits")
    if exits is not None:
        take(sorted(exits.loc[exits["exit_year"] == year, "household_id"].dropna().unique()),
             "exit_due")
    places = sorted({(t, v) for t, v in zip(hh.loc[reg, "township"], hh.loc[reg, "village"])})
    n = min(villages, len(places))
    picked = [places[i] for i in sorted(rng.choice(len(places), n, replace=False))] if n else []
    for t, v in picked:
        take(sorted(hh.loc[reg & (hh["township"] == t).to_numpy() & (hh["village"] == v)
                           .to_numpy(), "household_id"]), "village")
    if exits is not None:
        passed = exits["verification"].astype(object) == "pass" if "verification" in \
            ledgers.loaded["exits"].headers else pd.Series(True, index=exits.index)
        before = set(exits.loc[passed & (exits["exit_year"] < year), "household_id"])
        pool = sorted(h for h in hh.loc[reg & on, "household_id"] if h in before
                      and h not in chosen)
        k = min(len(pool), math.ceil(exited_share * len(pool)))
        take([pool[i] for i in sorted(rng.choice(len(pool), k, replace=False))] if k else [],
             "exited")
    vil = ledgers.get("villages")
    if vil is not None:
        poor_v = {(t, v) for t, v, p in zip(vil["township"], vil["village"],
                                           vil["poor_village"].astype(object))
                  if p in (True, "yes")}
        ordinary = ~reg & np.array([(t, v) in poor_v for t, v in zip(hh["township"],
                                                                      hh["village"])],
                                   dtype=bool)
        pool = sorted(h for h in hh.loc[ordinary, "household_id"] if h not in chosen)
        k = min(len(pool), ordinary_cap, math.ceil(ordinary_share * len(pool)))
        take([pool[i] for i in sorted(rng.choice(len(pool), k, replace=False))] if k else [],
             "ordinary")
        if not pool:
            notes.append("no ordinary (unregistered) household of a poor village in the "
                         "ledgers: none drawn")
    people = rolls.people_per_household(year_end(year))
    codes = rolls.household_codes(hh["household_id"])
    size = dict(zip(hh["household_id"], np.where(codes >= 0, people[np.maximum(codes, 0)], 0)))
    info = hh.drop_duplicates("household_id").set_index("household_id")
    order = {"exit_due": 0, "village": 1, "exited": 2, "ordinary": 3}
    rows = [{"year": year, "stage": s, "township": info.at[h, "township"],
             "village": info.at[h, "village"], "household_id": h,
             "head_name": info.at[h, "head_name"], "people": int(size.get(h, 0))}
            for h, s in chosen.items() if h in info.index]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame = frame.assign(_o=frame["stage"].map(order)).sort_values(
        ["_o", "township", "village", "household_id"], kind="stable").drop(columns="_o")
    return Report("sample", f"Visiting sample of {year} (seed {seed})",
                  frame.reset_index(drop=True), notes=notes, meta={"year": year})
