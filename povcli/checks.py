"""`povcli check`: numbered rules over a ledger set, each a pure function to findings.

A rule says what is wrong and what would fix it, at the file and line of the row
that is wrong. Rules run on ledgers whose cells could be read, even when keys or
references are broken: finding those is the job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Callable

import numpy as np
import pandas as pd

from .findings import Finding
from .ledgers import LedgerSet, integrity_findings, is_in
from .model import Rolls, exit_rows, year_end
from .policy import line_for, poverty_lines

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Params:
    """The numbers rules use; each has a documented default and a check option."""

    school_age: tuple[int, int] = (6, 22)  # education aid: ages at payment, inclusive
    duplicate_window: int = 30  # days within which equal payments look duplicated
    cadre_load: int = 5  # households one cadre may be paired with
    incidence: float = 0.02  # a poor village exits below this poverty incidence
    outlier: float = 8.0  # robust z-score (median / MAD) beyond which an amount is odd


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    summary: str
    source: str
    run: Callable


RULES: dict[str, Rule] = {}


def rule(code: str, severity: str, summary: str, source: str):
    def register(fn):
        RULES[code] = Rule(code, severity, summary, source, fn)
        return fn
    return register


@dataclass
class Context:
    ledgers: LedgerSet
    params: Params
    as_of: pd.Timestamp  # rolls are looked at on this date
    today: pd.Timestamp
    read_findings: list[Finding] = field(default_factory=list)

    def __post_init__(self):
        self.rolls = Rolls.of(self.ledgers)

    def frame(self, name: str) -> pd.DataFrame | None:
        return self.ledgers.get(name)

    def each(self, code: str, name: str, rows: pd.DataFrame, message: Callable,
             value: Callable | None = None, dated: str | None = None) -> list[Finding]:
        """A finding of `code` for every row of `rows` (a part of ledger `name`): message
        and value are made from the row, household and person come from its columns."""
        return [self.find(code, name, i, message(r), getattr(r, "household_id", None),
                          getattr(r, "person_id", None), None if value is None else value(r),
                          getattr(r, dated) if dated else None)
                for i, r in zip(rows.index, rows.itertuples(index=False))]

    def find(self, code: str, name: str, index, message: str, household=None, person=None,
             value=None, when=None) -> Finding:
        """A finding of rule `code` at record `index` of ledger `name`."""
        one = self.ledgers.loaded[name]
        year = None if when is None or pd.isna(when) else int(pd.Timestamp(when).year)
        return Finding(one.display, message, one.line(int(index)), None,
                       None if value is None else str(value), RULES[code].severity, code,
                       None if pd.isna(household) else str(household) if household is not None
                       else None,
                       None if person is None or pd.isna(person) else str(person), year)


# --------------------------------------------------------------------------- ledger rules

@rule("L01", ERROR, "a cell or row the reader could not use", "the ledger contract")
def _unreadable(ctx: Context):
    return [Finding(f.file, f.reason, f.line, f.column, f.value, ERROR, "L01")
            for f in ctx.read_findings]


def _integrity(ctx: Context):
    if not hasattr(ctx, "_integrity"):
        ctx._integrity = integrity_findings(ctx.ledgers)
    return ctx._integrity


@rule("L02", ERROR, "a duplicate key (the same id twice in one ledger)", "the ledger contract")
def _duplicates(ctx: Context):
    members = ctx.ledgers.loaded["members"].display
    out = [_recode(f, "L02", "keep one of the two rows") for f in _integrity(ctx)
           if "duplicate" in f.reason
           and f.column != "voucher" and not (f.file == members and f.column == "person_id")]
    # a person twice in one household (twice in two households is H01)
    m = ctx.frame("members")
    twice = m[m.duplicated(["person_id", "household_id"], keep="first")
              & m["person_id"].notna()]
    out += [ctx.find("L02", "members", i, "this person is listed twice in the household: "
                     "drop one row", twice.at[i, "household_id"], twice.at[i, "person_id"])
            for i in twice.index]
    return out


@rule("L03", ERROR, "a reference to a household, member or project that is not there",
      "the ledger contract")
def _references(ctx: Context):
    return [_recode(f, "L03", "correct the id or add the missing row") for f in _integrity(ctx)
            if "duplicate" not in f.reason]


def _recode(f: Finding, code: str, fix: str) -> Finding:
    return Finding(f.file, f"{f.reason}: {fix}", f.line, f.column, f.value,
                   RULES[code].severity, code)


# --------------------------------------------------------------------------- resident IDs

_EXCEL_NUMBER = re.compile(r"\d(?:\.\d+)?E\+?\d+", re.I)


def id_problem(number: str) -> tuple[str, str] | None:
    """(rule code, message) for a resident ID that is not right, else None."""
    from stdnum.cn import ric
    from stdnum.exceptions import InvalidComponent

    if _EXCEL_NUMBER.fullmatch(number):
        return "I05", ("turned into a number by Excel: its digits are lost; enter it again "
                       "from the ID card, with the column formatted as text")
    if len(number) == 15 and number.isdigit():
        return "I04", "an old 15-digit ID: record the 18-digit one of the current card"
    if len(number) != 18 or not number[:17].isdigit() or not (
            number[17].isdigit() or number[17] == "X"):
        return "I06", "not an 18-character resident ID (17 digits and a digit or X)"
    if ric.calc_check_digit(number) != number[17]:
        if number.endswith("000"):
            return "I05", ("its last digits were lost to Excel (it keeps 15): enter it "
                           "again from the ID card, with the column formatted as text")
        return "I01", (f"wrong check digit (digit 18 should be {ric.calc_check_digit(number)}):"
                       " a typo in the number?")
    try:
        born = ric.get_birth_date(number)
    except InvalidComponent:
        return "I02", "digits 7-14 are not a real birth date: a typo in the number?"
    if born > date.today():
        return "I02", "its birth date is in the future: a typo in the number?"
    if not _known_area(number[:6]):
        return "I03", (f"area code {number[:6]} is not in the code table (it may be newer "
                       "than the table): check it against the ID card")
    return None


@lru_cache(maxsize=None)
def _known_area(code: str) -> bool:
    # python-stdnum's table of GB/T 2260 codes, past and present. Not ric.validate: it
    # rejects a code for people born before the code existed, though IDs carry the code
    # of where they were issued (二道江区 220503 dates from 1986; its elders have it).
    from stdnum import numdb

    return any("county" in props for _, props in numdb.get("cn/loc").info(code))


def _valid_ids(numbers: pd.Series) -> np.ndarray:
    """True where an ID is surely right: form, check digit, birth date, known area."""
    s = numbers.astype(object)
    form = s.str.fullmatch(r"\d{17}[\dX]").fillna(False).to_numpy(dtype=bool)
    out = np.zeros(len(s), dtype=bool)
    idx = np.flatnonzero(form)
    if not len(idx):
        return out
    body = s.to_numpy()[idx].astype("U18").astype("S18")
    digits = np.frombuffer(body.tobytes(), dtype=np.uint8).reshape(len(idx), 18)[:, :17] - 48
    check = np.array(list("10X98765432"))[(digits @ _WEIGHTS) % 11]
    last = np.frombuffer(body.tobytes(), dtype="S1").reshape(len(idx), 18)[:, 17].astype("U1")
    born = pd.to_datetime(pd.Series(body.astype("U18")).str[6:14], format="%Y%m%d",
                          errors="coerce")
    areas = pd.Series(body.astype("U18")).str[:6]
    known = areas.map({a: _known_area(a) for a in areas.unique()}).to_numpy(dtype=bool)
    ok = (check == last) & born.notna().to_numpy() & (born <= pd.Timestamp.today()).to_numpy() \
        & known
    out[idx] = ok
    return out


_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])


def _all_id_findings(ctx: Context) -> list[Finding]:
    if hasattr(ctx, "_id_rows"):
        return ctx._id_rows
    out = []
    for name, column, who in (("households", "head_id", "household_id"),
                              ("members", "person_id", "household_id")):
        frame = ctx.frame(name)
        if frame is None:
            continue
        ids = frame[column].dropna()
        doubtful = ids[~_valid_ids(ids)]  # only these go through stdnum one by one
        problems = {u: id_problem(u) for u in pd.unique(doubtful)}
        for index, number in doubtful.items():
            problem = problems[number]
            if problem:
                out.append(ctx.find(problem[0], name, index, f"column {column}: {problem[1]}",
                                    frame.at[index, who], number,
                                    number if problem[0] in ("I05", "I06") else None))
    ctx._id_rows = out
    return out


def _id_findings(ctx: Context, codes: set[str]):
    return [f for f in _all_id_findings(ctx) if f.code in codes]


for _code, _summary in (("I01", "a resident ID with a wrong check digit"),
                        ("I02", "a resident ID whose birth date is impossible"),
                        ("I04", "an old 15-digit resident ID"),
                        ("I05", "a resident ID mangled by Excel (2.20503E+17, zeros at the end)"),
                        ("I06", "a resident ID of the wrong length or form")):
    rule(_code, ERROR, _summary, "GB 11643 (via python-stdnum)")(
        lambda ctx, c=_code: _id_findings(ctx, {c}))
rule("I03", WARNING, "a resident ID with an area code not in the table (tables lag changes)",
     "GB 11643 / GB/T 2260 (via python-stdnum)")(lambda ctx: _id_findings(ctx, {"I03"}))


def _id_fields(numbers: pd.Series) -> pd.DataFrame:
    """Birth date and sex read from valid-looking 18-digit IDs (NaT / None otherwise)."""
    s = numbers.astype(object).where(numbers.notna(), "")
    ok = s.str.fullmatch(r"\d{17}[\dX]").fillna(False)
    born = pd.to_datetime(s.where(ok, "").str[6:14], format="%Y%m%d", errors="coerce")
    sex = np.where(ok, np.where(s.str[16].fillna("0").isin(list("13579")), "M", "F"), None)
    return pd.DataFrame({"born": born, "sex": sex}, index=numbers.index)


@rule("I07", ERROR, "a member's sex disagrees with the resident ID (digit 17)",
      "GB 11643")
def _sex_mismatch(ctx: Context):
    m = ctx.frame("members")
    fields = _id_fields(m["person_id"])
    sex = m["sex"].astype(object)
    bad = sex.notna() & fields["sex"].notna() & (sex != fields["sex"])
    return [ctx.find("I07", "members", i, f"column sex: {sex[i]}, but the resident ID says "
                     f"{fields.at[i, 'sex']}: correct one of them", m.at[i, "household_id"],
                     m.at[i, "person_id"], sex[i]) for i in m.index[bad]]


@rule("I08", ERROR, "a member's birth date disagrees with the resident ID (digits 7-14)",
      "GB 11643")
def _birth_mismatch(ctx: Context):
    m = ctx.frame("members")
    fields = _id_fields(m["person_id"])
    born = m["birth_date"]
    bad = born.notna() & fields["born"].notna() & (born != fields["born"])
    return [ctx.find("I08", "members", i, f"column birth_date: {born[i]:%Y-%m-%d}, but the "
                     f"resident ID says {fields.at[i, 'born']:%Y-%m-%d}: correct one of them",
                     m.at[i, "household_id"], m.at[i, "person_id"], f"{born[i]:%Y-%m-%d}")
            for i in m.index[bad]]


# --------------------------------------------------------------------------- households

@rule("H01", ERROR, "one person in two households", "建档立卡: a person is filed once")
def _two_households(ctx: Context):
    m = ctx.frame("members").dropna(subset=["person_id", "household_id"])
    pairs = m.drop_duplicates(["person_id", "household_id"])
    many = pairs[pairs.duplicated("person_id", keep=False)]
    out = []
    for person, rows in many.groupby("person_id", sort=False):
        first = rows.index[0]
        for i in rows.index[1:]:
            out.append(ctx.find("H01", "members", i, (
                f"this person is also a member of household {m.at[first, 'household_id']} "
                f"(line {ctx.ledgers.loaded['members'].line(first)}): keep them in one"),
                m.at[i, "household_id"], person))
    return out


def _heads(ctx: Context) -> pd.Series:
    m = ctx.frame("members")
    return m[m["relation"] == "head"].groupby("household_id").size()


@rule("H02", ERROR, "a household with no member whose relation is head (户主)",
      "建档立卡: one head per household")
def _no_head(ctx: Context):
    hh = ctx.frame("households")
    heads = _heads(ctx)
    bad = ~hh["household_id"].isin(heads.index)
    return ctx.each("H02", "households", hh[bad], lambda r: (
        "no member of this household is its head (relation head 户主) in members.csv: mark "
        "the head"))


@rule("H03", ERROR, "a household with several heads", "建档立卡: one head per household")
def _several_heads(ctx: Context):
    hh = ctx.frame("households")
    heads = _heads(ctx)
    n = hh["household_id"].map(heads).fillna(0)
    return ctx.each("H03", "households", hh.assign(heads=n)[n > 1], lambda r: (
        f"{int(r.heads)} members of this household are marked head (户主) in members.csv: "
        "keep one"))


@rule("H04", ERROR, "head_id is not a member of the household", "the ledger contract")
def _head_not_member(ctx: Context):
    hh = ctx.frame("households")
    m = ctx.frame("members")
    pairs = pd.MultiIndex.from_arrays([m["person_id"].to_numpy(), m["household_id"].to_numpy()])
    here = pd.MultiIndex.from_arrays([hh["head_id"].to_numpy(), hh["household_id"].to_numpy()])
    bad = hh["head_id"].notna().to_numpy() & ~here.isin(pairs)
    return [ctx.find("H04", "households", i, "column head_id: the head is not listed among "
                     "the household's members in members.csv: add them or correct the id",
                     hh.at[i, "household_id"], hh.at[i, "head_id"], hh.at[i, "head_id"])
            for i in hh.index[bad]]


@rule("H05", WARNING, "a household on no roll, with no removal recorded",
      "动态管理: removals are recorded")
def _on_no_roll(ctx: Context):
    hh = ctx.frame("households")
    on = ctx.rolls.households_on(ctx.as_of)
    ch = ctx.rolls.changes
    removed = set(ch.loc[(ch["direction"] == "out") & (ch["date"] <= ctx.as_of), "household_id"])
    bad = (hh["identified_on"] <= ctx.as_of) & ~on & ~hh["household_id"].isin(removed)
    return ctx.each("H05", "households", hh[bad], lambda r: (
        f"nobody of this household is on the rolls on {ctx.as_of:%Y-%m-%d}, yet no removal "
        "is recorded in changes.csv: record the removal, or list its members"))


# --------------------------------------------------------------------------- exits

def _exits(ctx: Context) -> pd.DataFrame | None:
    if ctx.frame("exits") is None:
        return None
    if not hasattr(ctx, "_exit_rows"):
        rows = exit_rows(ctx.ledgers, ctx.rolls)
        hh = ctx.frame("households").drop_duplicates("household_id").set_index("household_id")
        rows["identified_on"] = rows["household_id"].map(hh["identified_on"])
        # an exit of a household that is not there is L03's finding, not these rules'
        ctx._exit_rows = rows[rows["household_id"].isin(hh.index)]
    return ctx._exit_rows


@rule("E01", ERROR, "an exit before the household was identified", "贫困退出机制")
def _exit_before(ctx: Context):
    rows = _exits(ctx)
    if rows is None:
        return []
    bad = rows["identified_on"].notna() & (rows["exit_year"] < rows["identified_on"].dt.year)
    return [ctx.find("E01", "exits", i, f"exit year {rows.at[i, 'exit_year']} is before the "
                     f"household was identified ({rows.at[i, 'identified_on']:%Y-%m-%d}): "
                     "correct the year", rows.at[i, "household_id"],
                     value=rows.at[i, "exit_year"], when=year_end(rows.at[i, "exit_year"]))
            for i in rows.index[bad]]


@rule("E02", ERROR, "an exit with per-capita income at or below that year's poverty line",
      "贫困退出机制: income stably above the national line; lines built in or policy.csv")
def _income_below_line(ctx: Context):
    rows = _exits(ctx)
    if rows is None:
        return []
    lines = poverty_lines(ctx.frame("policy"))
    line = rows["exit_year"].map(lambda y: line_for(lines, int(y)) if pd.notna(y) else None)
    line = pd.to_numeric(line, errors="coerce")
    bad = rows["exited"] & rows["per_capita_income"].notna() & line.notna() & (
        rows["per_capita_income"] <= line)
    return [ctx.find("E02", "exits", i, f"per-capita income {rows.at[i, 'per_capita_income']:,.2f}"
                     f" is not above the {int(rows.at[i, 'exit_year'])} poverty line "
                     f"{line[i]:,.0f}: the household does not meet the exit standard, or the "
                     "income is wrong", rows.at[i, "household_id"],
                     value=f"{rows.at[i, 'per_capita_income']:.2f}",
                     when=year_end(rows.at[i, "exit_year"])) for i in rows.index[bad]]


@rule("E03", WARNING, "an exit still pending verification after its year ended",
      "入户查验: every exit verified at home")
def _still_pending(ctx: Context):
    rows = _exits(ctx)
    if rows is None:
        return []
    pending = ~rows["verification"].isin(["pass", "fail"])
    bad = pending & (rows["exit_year"] < ctx.as_of.year)
    # undated: it is a finding as of the check's date, whatever the exit's year
    return [ctx.find("E03", "exits", i, f"the {int(rows.at[i, 'exit_year'])} exit is still "
                     "not verified: record the home visit's result (pass or fail)",
                     rows.at[i, "household_id"]) for i in rows.index[bad]]


@rule("E04", ERROR, "two exits of one household without a return to poverty between them",
      "贫困退出机制")
def _exit_twice(ctx: Context):
    rows = _exits(ctx)
    if rows is None:
        return []
    done = rows[rows["exited"]]
    counts = done["household_id"].value_counts()
    done = done[done["household_id"].isin(counts.index[counts > 1])].sort_values(
        ["household_id", "exit_year"])
    returned = ctx.rolls.changes[ctx.rolls.changes["reason"] == "returned"]
    out = []
    for hid, group in done.groupby("household_id", sort=False):
        years = group["exit_year"].tolist()
        for (i_prev, y_prev), (i, y) in zip(zip(group.index, years), zip(group.index[1:],
                                                                         years[1:])):
            back = returned[(returned["household_id"] == hid)
                            & (returned["date"].dt.year > y_prev)
                            & (returned["date"] <= year_end(y))]
            if back.empty:
                out.append(ctx.find("E04", "exits", i, (
                    f"the household already exited in {y_prev} (line "
                    f"{ctx.ledgers.loaded['exits'].line(i_prev)}) and no return to poverty "
                    "(returned) is recorded since: drop one exit or record the return"),
                    hid, value=y, when=year_end(y)))
    return out


@rule("E05", ERROR, "an exit of a household with nobody left on the rolls",
      "the ledger contract: exit people are members on the rolls")
def _exit_of_nobody(ctx: Context):
    rows = _exits(ctx)
    if rows is None:
        return []
    bad = rows["exited"] & (rows["people"] == 0)
    return [ctx.find("E05", "exits", i, f"nobody of this household is on the rolls on "
                     f"31 December {int(rows.at[i, 'exit_year'])}, so the exit counts no one: "
                     "check the changes, or drop the exit", rows.at[i, "household_id"],
                     when=year_end(rows.at[i, "exit_year"])) for i in rows.index[bad]]


# --------------------------------------------------------------------------- changes

def _change_states(ctx: Context) -> pd.DataFrame:
    """Each change with whether its person was on the rolls just before it."""
    if hasattr(ctx, "_states"):
        return ctx._states
    rolls = ctx.rolls
    ch = rolls.changes.copy()
    people = rolls.members["person_id"]
    known = ch["person_id"].isin(people)
    identified = pd.Series(rolls.identified.to_numpy(), index=people).groupby(level=0).first()
    joins_later = pd.Series(rolls.joins_later, index=people).groupby(level=0).first()
    prev = ch.groupby("person_id")["direction"].shift(1).astype(object)
    default_on = (ch["date"] >= ch["person_id"].map(identified)) & ~ch["person_id"].map(
        joins_later).fillna(False).astype(bool)
    ch["was_on"] = np.where(prev.notna(), prev == "in", default_on)
    ch["known"] = known
    ctx._states = ch
    return ch


@rule("C01", ERROR, "a removal of someone not on the rolls that day", "动态管理")
def _remove_absent(ctx: Context):
    ch = _change_states(ctx)
    bad = ch["known"] & (ch["direction"] == "out") & ~ch["was_on"]
    return ctx.each("C01", "changes", ch[bad], lambda r: (
        f"removes a person who is not on the rolls on {r.date:%Y-%m-%d}: drop the row or "
        "record how they came on"), lambda r: f"{r.date:%Y-%m-%d}", "date")


@rule("C02", ERROR, "an addition of someone already on the rolls (returned excepted)",
      "动态管理")
def _add_present(ctx: Context):
    ch = _change_states(ctx)
    bad = ch["known"] & (ch["direction"] == "in") & (ch["reason"] != "returned") & ch["was_on"]
    return ctx.each("C02", "changes", ch[bad], lambda r: (
        f"adds a person who is already on the rolls on {r.date:%Y-%m-%d}: drop the row, or "
        "record the removal before it"), lambda r: f"{r.date:%Y-%m-%d}", "date")


def _deaths(ctx: Context) -> pd.Series:
    ch = ctx.rolls.changes
    return ch[ch["reason"] == "death"].groupby("person_id")["date"].min()


@rule("C03", ERROR, "a change recorded after the person's death", "动态管理")
def _after_death(ctx: Context):
    ch = ctx.rolls.changes
    died = ch["person_id"].map(_deaths(ctx))
    bad = died.notna() & (ch["date"] > died)
    return ctx.each("C03", "changes", ch.assign(died=died)[bad], lambda r: (
        f"recorded after the person's death on {r.died:%Y-%m-%d}: drop the row or correct "
        "the death"), lambda r: f"{r.date:%Y-%m-%d}", "date")


# --------------------------------------------------------------------------- subsidies

def _on_at(ctx: Context, rows: pd.DataFrame, person: bool) -> np.ndarray:
    """Whether each payment's person (or household) was on the rolls on its date."""
    if person:
        return ctx.rolls.persons_on_at(rows["person_id"], rows["date"])
    return ctx.rolls.households_on_at(rows["household_id"], rows["date"])


@rule("S01", ERROR, "a payment for a person removed before its date (death, moved, ...)",
      "audit: payments to people no longer on the rolls")
def _paid_removed(ctx: Context):
    pay = ctx.frame("subsidies")
    if pay is None:
        return []
    rows = pay[pay["person_id"].notna() & pay["date"].notna() & (pay["amount"] > 0)]
    on = _on_at(ctx, rows, person=True)
    bad = rows[~on]
    last_out = ctx.rolls.changes[ctx.rolls.changes["direction"] == "out"]
    out = []
    for i in bad.index:
        why = last_out[(last_out["person_id"] == bad.at[i, "person_id"])
                       & (last_out["date"] <= bad.at[i, "date"])]
        reason = (f" ({why['reason'].iloc[-1]} on {why['date'].iloc[-1]:%Y-%m-%d})"
                  if len(why) else "")
        out.append(ctx.find("S01", "subsidies", i, (
            f"paid on {bad.at[i, 'date']:%Y-%m-%d} for a person not on the rolls then{reason}: "
            "recover the payment or correct the record"), bad.at[i, "household_id"],
            bad.at[i, "person_id"], f"{bad.at[i, 'amount']:.2f}", bad.at[i, "date"]))
    return out


@rule("S02", ERROR, "a payment to a household not on the rolls that day",
      "audit: payments to households off the rolls")
def _paid_off_roll(ctx: Context):
    pay = ctx.frame("subsidies")
    if pay is None:
        return []
    rows = pay[pay["date"].notna() & (pay["amount"] > 0)]
    bad = rows[~_on_at(ctx, rows, person=False)]
    return ctx.each("S02", "subsidies", bad, lambda r: (
        f"paid on {r.date:%Y-%m-%d} to a household not on the rolls that day: recover the "
        "payment or correct the record"), lambda r: f"{r.amount:.2f}", "date")


@rule("S03", ERROR, "the same voucher number on two payments", "audit: one voucher, one payment")
def _voucher_twice(ctx: Context):
    pay = ctx.frame("subsidies")
    if pay is None:
        return []
    v = pay["voucher"].dropna()
    dup = v[v.duplicated(keep="first")]
    if dup.empty:
        return []
    first = v[~v.duplicated(keep="first") & v.isin(dup.unique())]
    first_line = {val: ctx.ledgers.loaded["subsidies"].line(i) for i, val in first.items()}
    return [ctx.find("S03", "subsidies", i, f"voucher {val} is on line {first_line[val]} "
                     "already: one of the two is a double payment or a typo",
                     pay.at[i, "household_id"], pay.at[i, "person_id"], val, pay.at[i, "date"])
            for i, val in dup.items()]


@rule("S04", WARNING, "likely duplicate payments: same payee, program and amount within a "
      "window, not reversed", "audit: double payments")
def _likely_duplicates(ctx: Context):
    pay = ctx.frame("subsidies")
    if pay is None:
        return []
    window = pd.Timedelta(days=ctx.params.duplicate_window)
    rows = pay[pay["date"].notna()]
    payee = rows["person_id"].astype(object).fillna("").astype(str) + "|" + \
        rows["household_id"].astype(str)
    rows = rows.assign(payee=payee, program=rows["program"].astype(str))
    pos = rows[rows["amount"] > 0].sort_values(["payee", "program", "amount", "date"],
                                               kind="stable")
    prev = pos.shift(1)
    again = ((pos["payee"] == prev["payee"]) & (pos["program"] == prev["program"])
             & (pos["amount"] == prev["amount"]) & (pos["date"] - prev["date"] <= window))
    hits = pos[again.fillna(False).to_numpy(dtype=bool)]
    if hits.empty:
        return []
    neg = rows[rows["amount"] < 0]
    reversed_keys = set(zip(neg["payee"], neg["program"], -neg["amount"]))
    out = []
    for i in hits.index:
        program, amount = hits.at[i, "program"], hits.at[i, "amount"]
        if (hits.at[i, "payee"], program, amount) in reversed_keys:
            continue  # paid twice and the extra reversed: bookkeeping as it should be
        out.append(ctx.find("S04", "subsidies", i, (
            f"{program} {amount:,.2f} paid again within {ctx.params.duplicate_window} days "
            "to the same payee, and not reversed: a double payment?"),
            hits.at[i, "household_id"], hits.at[i, "person_id"], f"{amount:.2f}",
            hits.at[i, "date"]))
    return out


@rule("S05", WARNING, "education aid for someone outside school age (by the ID's birth date)",
      "教育扶贫: students")
def _not_school_age(ctx: Context):
    pay = ctx.frame("subsidies")
    if pay is None:
        return []
    rows = pay[(pay["program"] == "education") & pay["person_id"].notna() & pay["date"].notna()]
    born = _id_fields(rows["person_id"])["born"]
    age = rows["date"].dt.year - born.dt.year - (
        (rows["date"].dt.month * 100 + rows["date"].dt.day)
        < (born.dt.month * 100 + born.dt.day)).astype(int)
    low, high = ctx.params.school_age
    bad = born.notna() & ((age < low) | (age > high))
    return ctx.each("S05", "subsidies", rows.assign(age=age)[bad], lambda r: (
        f"education aid for a person aged {int(r.age)} (school age is {low}-{high}): check "
        "the person or the program"), lambda r: f"{r.amount:.2f}", "date")


@rule("S06", ERROR, "a reversal (negative amount) with no original payment",
      "audit: 冲正 reverses a payment")
def _reversal_without_original(ctx: Context):
    pay = ctx.frame("subsidies")
    if pay is None:
        return []
    neg = pay[pay["amount"] < 0]
    if neg.empty:
        return []
    key = ["household_id", "program"]
    pos = pay[pay["amount"] > 0]
    pairs = neg[key + ["person_id", "amount", "date"]].reset_index().merge(
        pos[key + ["person_id", "amount", "date"]].astype({"program": object}),
        on=key, suffixes=("", "_paid"), how="inner") if len(pos) else None
    matched = set()
    if pairs is not None and len(pairs):
        ok = (pairs["amount_paid"] >= -pairs["amount"]) & (pairs["date_paid"] <= pairs["date"])
        same_person = pairs["person_id"].isna() | (pairs["person_id"] == pairs["person_id_paid"])
        matched = set(pairs.loc[ok & same_person, "record"])
    out = []
    for i in neg.index:
        if i in matched:
            continue
        r = neg.loc[i]
        out.append(ctx.find("S06", "subsidies", i, (
            f"reverses {-r['amount']:,.2f} of {r['program']} that was never paid to this "
            "payee before: drop it or record the original payment"),
            r["household_id"], r["person_id"], f"{r['amount']:.2f}", r["date"]))
    return out


@rule("S07", WARNING, "an amount far out of line for its program and year (robust z-score)",
      "audit: outliers")
def _outliers(ctx: Context):
    pay = ctx.frame("subsidies")
    if pay is None:
        return []
    rows = pay[(pay["amount"] > 0) & pay["date"].notna()]
    rows = rows.assign(year=rows["date"].dt.year, program=rows["program"].astype(object))
    out = []
    for (year, program), group in rows.groupby(["year", "program"]):
        if len(group) < 5:
            continue
        median = group["amount"].median()
        mad = (group["amount"] - median).abs().median()
        scale = 1.4826 * mad if mad > 0 else 0.1 * median
        z = (group["amount"] - median).abs() / scale
        for i in group.index[z > ctx.params.outlier]:
            out.append(ctx.find("S07", "subsidies", i, (
                f"{program} {group.at[i, 'amount']:,.2f} is far from the usual "
                f"{median:,.2f} of {year}: a typo in the amount?"),
                group.at[i, "household_id"], group.at[i, "person_id"],
                f"{group.at[i, 'amount']:.2f}", group.at[i, "date"]))
    return out


# --------------------------------------------------------------------------- pairing, villages

@rule("P01", WARNING, "a poor household on the rolls with no cadre paired", "包保帮扶: 全覆盖")
def _no_cadre(ctx: Context):
    pairs = ctx.frame("pairings")
    if pairs is None:
        return []
    hh = ctx.frame("households")
    poor = ctx.rolls.poor_households(ctx.as_of)
    started = pairs["since"].isna() | (pairs["since"] <= ctx.as_of)
    bad = poor & ~is_in(hh["household_id"], pairs.loc[started, "household_id"])
    return ctx.each("P01", "households", hh[bad], lambda r: (
        f"poor on {ctx.as_of:%Y-%m-%d} and no cadre is paired with it in pairings.csv: "
        "assign one"))


@rule("P02", WARNING, "a cadre paired with more households than the load limit",
      "包保帮扶: a cadre's load")
def _cadre_load(ctx: Context):
    pairs = ctx.frame("pairings")
    if pairs is None:
        return []
    cadre = pairs["cadre_id"].astype(object).where(
        pairs["cadre_id"].notna(), pairs["cadre_name"].astype(object) + " / "
        + pairs["unit"].astype(object))
    rows = pairs.assign(cadre=cadre).drop_duplicates(["cadre", "household_id"])
    limit = ctx.params.cadre_load
    counts = rows.groupby("cadre", sort=False)["household_id"].transform("size")
    nth = rows.groupby("cadre", sort=False).cumcount()
    over = rows[(nth == limit).to_numpy() & (counts > limit).to_numpy()]  # the row past it
    return [ctx.find("P02", "pairings", i, (
        f"cadre {over.at[i, 'cadre']} is paired with {int(counts[i])} households (limit "
        f"{limit}): share them out"), over.at[i, "household_id"], value=over.at[i, "cadre"])
        for i in over.index]


@rule("V01", ERROR, "a village marked exited whose poverty incidence at the end of its exit "
      "year is not below the threshold", "贫困退出机制: villages exit below 2 % (3 % in the west)")
def _village_exit(ctx: Context):
    villages = ctx.frame("villages")
    if villages is None:
        return []
    hh = ctx.frame("households")
    area = pd.DataFrame({"township": ctx.rolls.household_index.map(
        hh.drop_duplicates("household_id").set_index("household_id")["township"]),
        "village": ctx.rolls.household_index.map(
        hh.drop_duplicates("household_id").set_index("household_id")["village"])})
    out = []
    exiting = villages[villages["exit_year"].notna()]
    for year, group in exiting.groupby("exit_year"):
        end = year_end(year)
        poor = ctx.rolls.poor_people(end).to_numpy() & (ctx.rolls.member_hh >= 0)
        per_hh = np.bincount(ctx.rolls.member_hh[poor], minlength=len(area))
        counts = pd.Series(per_hh, index=pd.MultiIndex.from_frame(area)).groupby(
            level=[0, 1]).sum()
        for i in group.index:
            v = group.loc[i]
            population = v["rural_population"]
            if pd.isna(population) or population <= 0:
                continue
            n = int(counts.get((v["township"], v["village"]), 0))
            incidence = n / population
            if incidence >= ctx.params.incidence:
                out.append(ctx.find("V01", "villages", i, (
                    f"exited in {int(year)} with {n} poor people of {int(population)} "
                    f"({incidence:.1%}), not below {ctx.params.incidence:.0%}: check the exit "
                    "or the figures"), value=v["village"], when=end))
    return out


# --------------------------------------------------------------------------- dates

@rule("D01", ERROR, "a date in the future", "common sense")
def _future(ctx: Context):
    from .schema import DATE, LEDGERS
    out = []
    for name, one in ctx.ledgers.loaded.items():
        for col in LEDGERS[name].columns:
            if col.type != DATE:
                continue
            values = one.frame[col.name]
            for i in values.index[values > ctx.today]:
                out.append(ctx.find("D01", name, i, f"column {col.name}: "
                                    f"{values[i]:%Y-%m-%d} is in the future: a typo?",
                                    one.frame.at[i, "household_id"] if "household_id" in
                                    one.frame.columns else None, value=f"{values[i]:%Y-%m-%d}"))
    return out


# --------------------------------------------------------------------------- running

def select_rules(select: list[str] | None, ignore: list[str] | None) -> list[Rule]:
    """Rules whose code starts with any of `select` (all when empty), minus `ignore`."""
    def matches(code, prefixes):
        return any(code.upper().startswith(p.strip().upper()) for p in prefixes if p.strip())
    chosen = [r for r in RULES.values() if not select or matches(r.code, select)]
    return [r for r in chosen if not ignore or not matches(r.code, ignore)]


def run_checks(ledgers: LedgerSet, read_findings: list[Finding] | None = None,
               rules: list[Rule] | None = None, params: Params = Params(),
               year: int | None = None, today: pd.Timestamp | None = None) -> list[Finding]:
    today = pd.Timestamp(today or date.today())
    as_of = year_end(year) if year else today
    ctx = Context(ledgers, params, as_of, today, list(read_findings or []))
    findings: list[Finding] = []
    for r in rules if rules is not None else list(RULES.values()):
        findings += r.run(ctx)
    if year:
        findings = [f for f in findings if f.year is None or f.year == year]
    return sorted(findings, key=lambda f: (f.file, f.line or 0, f.code or "", f.reason))


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    return pd.DataFrame({
        "code": [f.code for f in findings], "severity": [f.severity for f in findings],
        "file": [f.file for f in findings], "line": [f.line for f in findings],
        "household_id": [f.household for f in findings],
        "person_id": [f.person for f in findings],
        "message": [f.reason for f in findings], "value": [f.value for f in findings],
    })


def rules_frame() -> pd.DataFrame:
    rules = sorted(RULES.values(), key=lambda r: ("LIHECSPVDM".find(r.code[0]) % 99, r.code))
    return pd.DataFrame({"code": [r.code for r in rules],
                         "severity": [r.severity for r in rules],
                         "rule": [r.summary for r in rules],
                         "basis": [r.source for r in rules]})


from . import checks_monitoring  # noqa: E402,F401  (rules M..: incomes, monitoring)
