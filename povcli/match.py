"""`povcli match KIND LIST...`: the ledgers beside another department's list, by resident ID.

Audits of poverty funds found most of their problems this way: public security's deaths,
the public payroll (财政供养人员), vehicle, company and property registries, civil
affairs' dibao roster, the disability federation's. A list is read like a ledger (the
same reading rules: encodings, Chinese headers, title rows, file:line errors), its
layout declared below as a `schema.Ledger`. Rows join the members ledger on the full
18-character resident ID only: an ID that is not one (a wrong check digit, 15 digits,
Excel's lost digits) is reported (X00) and matched with nothing, so nothing is ever
matched on a partial ID.

Every finding has both places: the list's file:line (`file`, `line`) and the ledger's
(`ledger_file`, `ledger_line`). Rules:

| code | kind | severity | finding |
|---|---|---|---|
| X00 | any | warning | a list's ID is not a valid resident ID: not matched |
| X01 | any | warning | the list's name disagrees with the ledger's name for one ID |
| X02 | death | error | on the rolls the day after the listed death |
| X03 | death | error | a payment for the person dated after the listed death |
| X04 | payroll | error | on the public payroll while on the rolls (a likely wrong identification) |
| X05 | vehicle, company, property | warning | registered while the household was poor (registrations can be nominal) |
| X06 | dibao | warning | a dibao household on the rolls at year end with no member on the roster |
| X07 | dibao | warning | on the roster at year end, in a household on the rolls not filed as dibao |
| X08 | disability | warning | a household whose main cause is disability with no member on the list |
| X09 | exemptions | warning | an exemption that has expired (its findings are reported again) |
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import audit_words  # noqa: F401  (Chinese words of these reports)
from .findings import Finding, LedgerError, UsageError
from .read.load import read_ledger
from .read.loaded import LedgerSet
from .messages import say
from .model import Rolls, latest_year, year_end
from .schema import DATE, ID, RID, TEXT, AMOUNT, Column, Ledger

ERROR, WARNING = "error", "warning"


def _c(name, zh, type_, required=False):
    return Column(name, zh, type_, required)


PERSON = _c("person_id", "身份证号", RID, True)
NAME = _c("name", "姓名", TEXT)

LISTS: dict[str, Ledger] = {layout.name: layout for layout in [
    Ledger("death", "死亡人员名单", (PERSON, NAME, _c("death_date", "死亡日期", DATE, True)),
           what="one death registered by public security"),
    Ledger("payroll", "财政供养人员名单", (
        PERSON, NAME, _c("employer", "工作单位", TEXT), _c("start_date", "入职日期", DATE, True),
        _c("end_date", "离职日期", DATE)), what="one person paid from public funds"),
    Ledger("vehicle", "车辆登记名单", (
        PERSON, NAME, _c("plate", "号牌号码", TEXT), _c("registered_on", "登记日期", DATE, True),
        _c("deregistered_on", "注销日期", DATE)), what="one vehicle registered to a person"),
    Ledger("company", "企业登记名单", (
        PERSON, NAME, _c("company", "企业名称", TEXT, True), _c("capital", "注册资本", AMOUNT),
        _c("registered_on", "成立日期", DATE, True), _c("deregistered_on", "注销日期", DATE)),
        what="one company with a person as owner, shareholder or legal representative"),
    Ledger("property", "不动产登记名单", (
        PERSON, NAME, _c("address", "坐落", TEXT), _c("registered_on", "登记日期", DATE, True),
        _c("deregistered_on", "注销日期", DATE)), what="one property registered to a person"),
    Ledger("dibao", "低保名单", (
        PERSON, NAME, _c("since", "享受起始日期", DATE, True), _c("until", "享受终止日期", DATE)),
        what="one person on the civil affairs' dibao roster"),
    Ledger("disability", "残疾人名单", (
        PERSON, NAME, _c("grade", "残疾等级", TEXT), _c("since", "发证日期", DATE)),
        what="one person holding a disability certificate"),
]}
KINDS = tuple(LISTS)

EXEMPT = Ledger("exempt", "豁免名单", (
    _c("rule", "规则", TEXT, True), _c("person_id", "身份证号", RID),
    _c("household_id", "户编号", ID), _c("reason", "原因", TEXT, True),
    _c("until", "有效期至", DATE)), what="one known false lead")


@dataclass(frozen=True)
class MatchRule:
    code: str
    severity: str
    kinds: tuple[str, ...]


RULES = {r.code: r for r in [
    MatchRule("X00", WARNING, KINDS), MatchRule("X01", WARNING, KINDS),
    MatchRule("X02", ERROR, ("death",)), MatchRule("X03", ERROR, ("death",)),
    MatchRule("X04", ERROR, ("payroll",)),
    MatchRule("X05", WARNING, ("vehicle", "company", "property")),
    MatchRule("X06", WARNING, ("dibao",)), MatchRule("X07", WARNING, ("dibao",)),
    MatchRule("X08", WARNING, ("disability",)), MatchRule("X09", WARNING, ()),
]}


@dataclass(frozen=True)
class Match(Finding):
    """A finding of `match`: the list's place (file, line) and the ledger's."""

    ledger_file: str | None = None
    ledger_line: int | None = None


def mask_name(name):
    """The family name stays, the rest is starred: 王** (names are personal too)."""
    if not isinstance(name, str) or not name:
        return name
    return name[0] + "*" * (len(name) - 1)


def read_list(path: Path, kind: str, encoding: str | None = None) -> tuple:
    """A list read by the ledger reading rules: (LoadedLedger, notes); every problem a
    LedgerError (exit 2)."""
    notes: list[str] = []
    one, findings = read_ledger(Path(path), LISTS[kind] if kind in LISTS else EXEMPT,
                                encoding, notes)
    if findings or one is None:
        raise LedgerError(findings)
    return one, notes


def _bad_ids(ids: pd.Series) -> dict:
    """ID -> why it cannot be matched (not a full, valid resident ID)."""
    from .checks import _valid_ids, id_problem

    ids = ids.dropna()
    doubtful = pd.unique(ids[~_valid_ids(ids)])
    out = {}
    for number in doubtful:
        problem = id_problem(number)
        if problem and problem[0] != "I03":  # an area code newer than the table is fine
            out[number] = problem[1]
    return out


def _find(code: str, one, index, msg: str, *, household=None, person=None, value=None,
          ledger=None, ledger_index=None, year=None, **params) -> Match:
    lfile = lline = None
    if ledger is not None:
        lfile = ledger.display
        lline = ledger.line(int(ledger_index)) if ledger_index is not None else None
    place = (f"{lfile}:{lline}" if lline else lfile) or ""
    base = Finding.of(one.display if hasattr(one, "display") else str(one), msg,
                      one.line(int(index)) if index is not None else None, None, value,
                      severity=RULES[code].severity, code=code,
                      household=None if household is None or pd.isna(household)
                      else str(household),
                      person=None if person is None or pd.isna(person) else str(person),
                      year=year, place=place, **params)
    return Match(**{f: getattr(base, f) for f in base.__dataclass_fields__},
                 ledger_file=lfile, ledger_line=lline)


def _date(value) -> str:
    return "" if value is None or pd.isna(value) else str(pd.Timestamp(value).date())


def match(ledgers: LedgerSet, kind: str, lists: list, year: int | None = None,
          show_ids: bool = False, exempt=None, today=None) -> list[Match]:
    """Findings of matching `lists` (LoadedLedgers of one kind) with the ledgers."""
    rolls = Rolls.of(ledgers)
    members = ledgers.loaded["members"]
    mframe = members.frame
    hh = ledgers.frame("households")
    identified = dict(zip(hh["household_id"], hh["identified_on"]))
    name = (lambda n: n) if show_ids else mask_name
    out: list[Match] = []
    for one in lists:
        frame = one.frame
        bad = _bad_ids(frame["person_id"])
        for i, pid in frame["person_id"].items():
            if pid in bad:
                out.append(_find("X00", one, i, "match.m00", person=pid, value=pid))
        good = frame[frame["person_id"].notna() & ~frame["person_id"].isin(bad)]
        pairs = good.reset_index(names="list_row").merge(
            mframe[["person_id", "household_id", "name"]].reset_index(names="member_row"),
            on="person_id", suffixes=("", "_ledger"))
        for r in pairs.itertuples(index=False):
            listed, filed = getattr(r, "name"), getattr(r, "name_ledger")
            if isinstance(listed, str) and isinstance(filed, str) and \
                    listed.replace(" ", "") != filed.replace(" ", ""):
                out.append(_find("X01", one, r.list_row, "match.m01", household=r.household_id,
                                 person=r.person_id, ledger=members, ledger_index=r.member_row,
                                 listed=name(listed), filed=name(filed)))
        out += _rules(kind, one, pairs, ledgers, rolls, members, identified, year)
    if kind == "dibao":
        out += _dibao(ledgers, rolls, lists, year)
    if kind == "disability":
        out += _disability(ledgers, lists)
    if exempt is not None:
        out = _apply_exemptions(out, exempt, today, kind)
    return sorted(out, key=lambda f: (f.file, f.line or 0, f.code or "", f.reason))


def _rules(kind, one, pairs, ledgers, rolls, members, identified, year) -> list[Match]:
    out: list[Match] = []
    if pairs.empty:
        return out
    if kind == "death":
        after = pairs["death_date"] + pd.Timedelta(days=1)
        on = rolls.persons_on_at(pairs["person_id"], after)
        for r, flag in zip(pairs.itertuples(index=False), on):
            if flag:
                out.append(_find("X02", one, r.list_row, "match.m02", household=r.household_id,
                                 person=r.person_id, ledger=members, ledger_index=r.member_row,
                                 year=r.death_date.year, death=_date(r.death_date)))
        sub = ledgers.get("subsidies")
        if sub is not None:
            paid = sub[sub["person_id"].notna()].reset_index(names="pay_row").merge(
                pairs[["list_row", "person_id", "death_date"]].drop_duplicates(), on="person_id")
            paid = paid[paid["date"] > paid["death_date"]]
            for r in paid.itertuples(index=False):
                out.append(_find("X03", one, r.list_row, "match.m03", household=r.household_id,
                                 person=r.person_id, ledger=ledgers.loaded["subsidies"],
                                 ledger_index=r.pay_row, year=r.date.year,
                                 value=f"{r.amount:.2f}", date=_date(r.date),
                                 death=_date(r.death_date)))
    elif kind == "payroll":
        ident = pairs["household_id"].map(identified)
        when = pd.Series(np.maximum(pairs["start_date"].to_numpy(), ident.to_numpy()),
                         index=pairs.index)
        ended = pairs["end_date"].notna() & (pairs["end_date"] < when)
        on = rolls.persons_on_at(pairs["person_id"], when) & ~ended.to_numpy()
        for r, flag, d in zip(pairs.itertuples(index=False), on, when):
            if flag:
                out.append(_find("X04", one, r.list_row, "match.m04", household=r.household_id,
                                 person=r.person_id, ledger=members, ledger_index=r.member_row,
                                 year=pd.Timestamp(d).year, employer=r.employer if isinstance(r.employer, str) else "",
                                 start=_date(r.start_date), date=_date(d)))
    elif kind in ("vehicle", "company", "property"):
        ident = pairs["household_id"].map(identified)
        when = pd.Series(np.maximum(pairs["registered_on"].to_numpy(), ident.to_numpy()),
                         index=pairs.index)
        gone = pairs["deregistered_on"].notna() & (pairs["deregistered_on"] < when)
        hh = ledgers.frame("households")
        for r, d, g in zip(pairs.itertuples(index=False), when, gone):
            if g or pd.isna(d):
                continue
            poor = rolls.poor_households(pd.Timestamp(d))
            hit = poor[hh["household_id"] == r.household_id]
            if hit.any():
                what = {"vehicle": getattr(r, "plate", None), "company": getattr(
                    r, "company", None), "property": getattr(r, "address", None)}[kind]
                out.append(_find("X05", one, r.list_row, f"match.m05.{kind}",
                                 household=r.household_id, person=r.person_id,
                                 ledger=members, ledger_index=r.member_row,
                                 year=pd.Timestamp(d).year, what=what or "",
                                 registered=_date(r.registered_on), date=_date(d)))
    return out


def _on_roster(lists, when) -> set:
    ids = set()
    for one in lists:
        f = one.frame
        on = (f["since"] <= when) & (f["until"].isna() | (f["until"] >= when))
        ids |= set(f.loc[on, "person_id"].dropna())
    return ids


def _dibao(ledgers, rolls, lists, year) -> list[Match]:
    year = year or latest_year(ledgers)
    if year is None:
        return []
    end = year_end(year)
    roster = _on_roster(lists, end)
    hh = ledgers.loaded["households"]
    frame = hh.frame
    on_hh = rolls.households_on(end).to_numpy()
    people = rolls.people_on(end).to_numpy()
    members = ledgers.loaded["members"]
    m = members.frame
    covered = set(m.loc[m["person_id"].isin(roster), "household_id"])
    dibao = frame["category"].astype(object).fillna("").str.contains("dibao").to_numpy()
    out = []
    listing = lists[0]
    for i in frame.index[on_hh & dibao & ~frame["household_id"].isin(covered).to_numpy()]:
        out.append(_find("X06", listing.display, None, "match.m06",
                         household=frame.at[i, "household_id"], ledger=hh, ledger_index=i,
                         year=year, end=_date(end)))
    cat = dict(zip(frame["household_id"], frame["category"].astype(object).fillna("")))
    for one in lists:
        f = one.frame
        on = (f["since"] <= end) & (f["until"].isna() | (f["until"] >= end))
        for i, pid in f.loc[on, "person_id"].items():
            rows = m.index[(m["person_id"] == pid).to_numpy() & people]
            for j in rows:
                h = m.at[j, "household_id"]
                if "dibao" not in cat.get(h, "dibao"):
                    out.append(_find("X07", one, i, "match.m07", household=h, person=pid,
                                     ledger=members, ledger_index=j, year=year,
                                     end=_date(end), category=cat.get(h)))
    return out


def _disability(ledgers, lists) -> list[Match]:
    hh = ledgers.loaded["households"]
    frame = hh.frame
    listed = set()
    for one in lists:
        listed |= set(one.frame["person_id"].dropna())
    m = ledgers.frame("members")
    covered = set(m.loc[m["person_id"].isin(listed), "household_id"])
    rows = frame.index[(frame["cause"].astype(object) == "disability").to_numpy()
                       & ~frame["household_id"].isin(covered).to_numpy()]
    return [_find("X08", lists[0].display, None, "match.m08",
                  household=frame.at[i, "household_id"], ledger=hh, ledger_index=i)
            for i in rows]


def _apply_exemptions(findings: list[Match], exempt, today=None, kind=None) -> list[Match]:
    """Drop findings an exemption in force covers; report every expired exemption of a
    rule this kind of list runs (or of a rule povcli does not know)."""
    today = pd.Timestamp(today) if today is not None else pd.Timestamp.today().normalize()
    frame = exempt.frame
    live: list = []
    out: list[Match] = []
    for i, r in zip(frame.index, frame.itertuples(index=False)):
        rule = RULES.get(str(r.rule).strip().upper())
        if rule is not None and kind is not None and kind not in rule.kinds and \
                rule.code not in ("X00", "X01"):
            continue
        if pd.notna(r.until) and r.until < today:
            out.append(_find("X09", exempt, i, "match.m09", household=r.household_id,
                             person=r.person_id, value=r.rule, rule=r.rule,
                             until=_date(r.until), reason=r.reason))
        else:
            live.append(r)

    def covered(f: Match) -> bool:
        for r in live:
            if str(r.rule).strip().upper() != (f.code or ""):
                continue
            if pd.notna(r.person_id) and r.person_id == f.person:
                return True
            if pd.isna(r.person_id) and pd.notna(r.household_id) and \
                    r.household_id == f.household:
                return True
        return False
    return out + [f for f in findings if not covered(f)]


def findings_frame(findings: list[Match], lang: str = "en") -> pd.DataFrame:
    return pd.DataFrame({
        "code": [f.code for f in findings], "severity": [f.severity for f in findings],
        "file": [f.file for f in findings], "line": pd.array([f.line for f in findings],
                                                             dtype="Int64"),
        "household_id": [f.household for f in findings],
        "person_id": [f.person for f in findings],
        "message": [f.message(lang) for f in findings],
        "value": [f.value for f in findings],
        "ledger_file": [f.ledger_file for f in findings],
        "ledger_line": pd.array([f.ledger_line for f in findings], dtype="Int64"),
    })


def village_of(findings: list[Match], ledgers: LedgerSet) -> list[str | None]:
    hh = ledgers.frame("households")
    where = dict(zip(hh["household_id"], hh["village"]))
    return [where.get(f.household) for f in findings]


def kind_or_error(kind: str) -> str:
    if kind not in LISTS:
        raise UsageError.of("match.unknown_kind", kind=kind, kinds=", ".join(KINDS))
    return kind


__all__ = ["LISTS", "KINDS", "EXEMPT", "RULES", "Match", "match", "read_list", "say"]
