"""One household's whole file (`povcli show`) and finding households (`povcli find`).

Pure functions from a LedgerSet to plain data; rendering and masking are render's job.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from .findings import UsageError
from .read.arrowkit import is_in
from .read.loaded import LedgerSet
from .messages import Said, define, say
from .model import Rolls, latest_year, year_end
from .reports import Report

define({
    "dossier.no_household": ("no household '{id}' in the ledgers (look for it with povcli "
                             "find)", "台账中没有户编号为“{id}”的户（可用 povcli find 查找）"),
    "dossier.no_text": ("give some text to look for: a name, part of an id, a village",
                        "请给出要查找的内容：姓名、编号的一部分或村名"),
    "dossier.by_id": ("household id", "户编号"),
    "dossier.by_head": ("head's name", "户主姓名"),
    "dossier.by_area": ("area", "地址"),
    "dossier.by_member": ("member {name}", "成员{name}"),
    "dossier.by_rid": ("resident id", "身份证号"),
    "dossier.no_match": ("no household matches '{text}'", "没有与“{text}”相符的户"),
})


def _iso(value) -> str | None:
    return None if pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def _plain(value):
    """A JSON-friendly scalar: no numpy types, no NaN."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return _iso(value)
    if hasattr(value, "item"):
        return value.item()
    return value


def _of_household(ledgers: LedgerSet, household_id: str) -> LedgerSet:
    """The ledgers the roll model reads, cut to the rows of one household."""
    loaded = dict(ledgers.loaded)
    for name in ("households", "members", "changes", "exits"):
        one = loaded.get(name)
        if one is not None:
            frame = one.frame
            loaded[name] = replace(one, frame=frame[is_in(frame["household_id"], [household_id])])
    return replace(ledgers, loaded=loaded)


def dossier(ledgers: LedgerSet, household_id: str, year: int | None = None) -> dict:
    """The household's record, members, timeline, payments, cadres and projects."""
    hh = ledgers.frame("households")
    rows = hh[hh["household_id"] == household_id]
    if rows.empty:
        raise UsageError.of("dossier.no_household", id=household_id)
    h = rows.iloc[0]
    year = year or latest_year(ledgers) or pd.Timestamp.today().year
    as_of = year_end(year)
    # a household's status hangs on its own rows alone: the roll model of its rows only
    # answers the same, without hashing every id of the county
    own = _of_household(ledgers, household_id)
    rolls = Rolls.of(own)
    members = own.frame("members")
    mine = pd.Series(True, index=members.index)
    on = pd.Series(rolls.members_on(as_of), index=members.index)
    poor = bool(rolls.poor_households(as_of)[rows.index[0]])
    on_rolls = bool(rolls.households_on(as_of)[rows.index[0]])

    people = []
    for i in members.index[mine]:
        m = members.loc[i]
        born = m["birth_date"]
        people.append({
            "person_id": m["person_id"], "name": m["name"], "relation": _plain(m["relation"]),
            "sex": _plain(m["sex"]), "birth_date": _iso(born),
            "age": None if pd.isna(born) else int(
                (as_of - pd.Timestamp(born)).days // 365.2425),
            "on_rolls": bool(on[i]), "schooling": _plain(m["schooling"]),
            "health": _plain(m["health"]), "labor": _plain(m["labor"])})

    timeline = [{"date": _iso(h["identified_on"]), "event": "identified",
                 "person_id": None, "detail": f"{h['category']}, cause {h['cause']}"}]
    changes = own.get("changes")
    if changes is not None:
        for _, c in changes[changes["household_id"] == household_id].iterrows():
            timeline.append({"date": _iso(c["date"]), "event": f"{c['direction']}",
                             "person_id": c["person_id"], "detail": str(c["reason"])})
    exits = own.get("exits")
    if exits is not None:
        for _, e in exits[exits["household_id"] == household_id].iterrows():
            verification = _plain(e["verification"]) or "pending"
            income = e["per_capita_income"]
            timeline.append({
                "date": _iso(e["verified_on"]) or f"{int(e['exit_year'])}-12-31",
                "event": "exit", "person_id": None,
                "detail": f"exit {int(e['exit_year'])}, verification {verification}"
                + ("" if pd.isna(income) else f", income {income:,.2f} a person")})
    timeline.sort(key=lambda t: t["date"] or "")

    payments = []
    subsidies = ledgers.get("subsidies")
    if subsidies is not None:
        pay = subsidies[subsidies["household_id"] == household_id]
        grouped = pay.assign(year=pay["date"].dt.year, program=pay["program"].astype(str)) \
            .groupby(["year", "program"]).agg(payments=("amount", "size"),
                                              amount=("amount", "sum")).reset_index()
        payments = [{k: _plain(v) for k, v in r.items()} for r in grouped.to_dict("records")]

    cadres = []
    pairings = ledgers.get("pairings")
    if pairings is not None:
        for _, p in pairings[pairings["household_id"] == household_id].iterrows():
            cadres.append({"cadre_name": p["cadre_name"], "cadre_id": _plain(p["cadre_id"]),
                           "unit": p["unit"], "leader": p["leader"], "since": _iso(p["since"])})

    projects = []
    beneficiaries, plist = ledgers.get("project_beneficiaries"), ledgers.get("projects")
    if beneficiaries is not None and plist is not None:
        ids = set(beneficiaries.loc[beneficiaries["household_id"] == household_id, "project_id"])
        for _, p in plist[plist["project_id"].isin(ids)].iterrows():
            projects.append({"project_id": p["project_id"], "name": p["name"],
                             "kind": _plain(p["kind"]), "year": _plain(p["year"])})

    return {
        "household_id": household_id, "as_of": _iso(as_of),
        "township": h["township"], "village": h["village"], "head_name": h["head_name"],
        "head_id": h["head_id"], "category": _plain(h["category"]), "cause": _plain(h["cause"]),
        "identified_on": _iso(h["identified_on"]), "housing_grade": _plain(h["housing_grade"]),
        "on_rolls": on_rolls, "poor": poor,
        "members": people, "timeline": timeline, "subsidies": payments,
        "subsidy_total": float(sum(p["amount"] for p in payments)),
        "cadres": cadres, "projects": projects,
    }


FIND_COLUMNS = ["household_id", "township", "village", "head_name", "members", "matched"]


def find(ledgers: LedgerSet, text: str) -> Report:
    """Households whose head, member, id or village matches text (any part of it)."""
    text = text.strip()
    if not text:
        raise UsageError.of("dossier.no_text")
    hh = ledgers.frame("households")
    members = ledgers.frame("members")
    matched: dict[str, list] = {}

    def note(ids, what):
        for hid in ids:
            matched.setdefault(hid, [])
            if what not in matched[hid]:
                matched[hid].append(what)

    def has(series):
        return series.astype(object).fillna("").str.contains(text, regex=False, case=False)

    note(hh.loc[has(hh["household_id"]), "household_id"], ("dossier.by_id", {}))
    note(hh.loc[has(hh["head_name"]), "household_id"], ("dossier.by_head", {}))
    note(hh.loc[has(hh["village"]) | has(hh["township"]), "household_id"],
         ("dossier.by_area", {}))
    hit = members[has(members["name"])]
    for hid, name in zip(hit["household_id"], hit["name"]):
        note([hid], ("dossier.by_member", {"name": name}))
    note(members.loc[has(members["person_id"]), "household_id"], ("dossier.by_rid", {}))
    note(hh.loc[has(hh["head_id"]), "household_id"], ("dossier.by_rid", {}))

    def said(parts):  # English in csv, the user's language in a table
        return Said(", ".join(say(m, "en", **p) for m, p in parts),
                    lambda lang: "，".join(say(m, lang, **p) for m, p in parts) if lang == "zh"
                    else ", ".join(say(m, lang, **p) for m, p in parts))
    count = members.groupby("household_id").size()
    rows = hh[hh["household_id"].isin(matched)].drop_duplicates("household_id")
    frame = pd.DataFrame({
        "household_id": rows["household_id"], "township": rows["township"],
        "village": rows["village"], "head_name": rows["head_name"],
        "members": rows["household_id"].map(count).fillna(0).astype(int),
        "matched": pd.Series([said(matched[h]) for h in rows["household_id"]],
                             index=rows.index, dtype=object),
    }).sort_values("household_id").reset_index(drop=True)
    notes = [] if len(frame) else [Said.of("dossier.no_match", text=text)]
    return Report("find", f"Households matching '{text}' (open one with povcli show ID)",
                  frame[FIND_COLUMNS], notes=notes)
