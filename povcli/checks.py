"""`povcli check`: numbered rules over a ledger set, each a pure function to findings.

A rule says what is wrong and what would fix it, at the file and line of the row
that is wrong. Rules run on ledgers whose cells could be read, even when keys or
references are broken: finding those is the job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property, lru_cache
from typing import Callable

import numpy as np
import pandas as pd

from .findframe import Batch, FindingFrame
from .findings import Finding, UsageError
from .read.arrowkit import distinct, index_in, is_in
from .read.integrity import integrity_findings
from .read.loaded import LedgerSet
from .messages import Said, say  # Said: a message cell, English for csv, any language for tables
from .model import (Rolls, cadre_identity, exit_rows, latest_year, meets_incidence,
                    poverty_incidence, year_end)

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
# rules that run only when selected (check --select R): the exit-readiness tests, which
# judge exits by the assessors' standard rather than the ledgers' consistency
OPT_IN: set[str] = set()


def rule(code: str, severity: str, summary: str, source: str):
    def register(fn):
        RULES[code] = Rule(code, severity, summary, source, fn)
        return fn
    return register


def _year_ends(years) -> np.ndarray:
    """31 December of each year, as dates."""
    return pd.to_datetime([f"{y}-12-31" for y in np.asarray(years)]).to_numpy()


def _day(when) -> str:
    """A date as 2017-12-31 ('' when missing): message parameters are plain text."""
    return "" if when is None or pd.isna(when) else f"{pd.Timestamp(when):%Y-%m-%d}"


def _enum_code(value) -> str:
    """An enumeration code as a message parameter ("" when missing); a Chinese template
    shows its label through `{name:label:ENUM}`."""
    return "" if value is None or _missing(value) else str(value)


def _money(amount) -> str:
    return "" if amount is None or pd.isna(amount) else f"{amount:,.2f}"


def _true(mask) -> np.ndarray:
    """A boolean mask as numpy, missing values (NA, NaT comparisons) counted False."""
    if isinstance(mask, pd.Series):
        return mask.fillna(False).to_numpy(dtype=bool)
    return np.asarray(mask, dtype=bool)


@dataclass
class Context:
    ledgers: LedgerSet
    params: Params
    as_of: pd.Timestamp  # rolls are looked at on this date
    today: pd.Timestamp
    read_findings: list[Finding] = field(default_factory=list)
    # a household shard's context (checks_sharded): what the rules that look across
    # households need of the whole set, merged from every shard; None for a whole set
    whole: dict | None = None
    # (rule, key) -> what a shard's rule leaves for the merge to decide (checks_sharded)
    pending: dict = field(default_factory=dict)

    @cached_property
    def rolls(self) -> Rolls:
        return Rolls.of(self.ledgers)

    def frame(self, name: str) -> pd.DataFrame | None:
        return self.ledgers.get(name)

    def each(self, code: str, name: str, rows: pd.DataFrame, msg: str,
             params: Callable | None = None, value: Callable | None = None,
             dated: str | None = None) -> list[Finding]:
        """A finding of `code` for every row of `rows` (a part of ledger `name`): message
        parameters and value are made from the row, household and person from its columns."""
        return [self.find(code, name, i, msg, getattr(r, "household_id", None),
                          getattr(r, "person_id", None), None if value is None else value(r),
                          getattr(r, dated) if dated else None,
                          **({} if params is None else params(r)))
                for i, r in zip(rows.index, rows.itertuples(index=False))]

    def batch(self, code: str, name: str, index, msg, household=None, person=None,
              value=None, when=None, column: str | None = None, **params) -> Batch:
        """Findings of rule `code` at records `index` (an array) of ledger `name`, as
        columns: what `find` makes one at a time. household, person, value and `when`
        (the row's date, for --year) are arrays or None; a parameter is an array or one
        value for all."""
        index = np.asarray(index, dtype=np.int64)
        n = len(index)
        if not n:  # nothing found (the ledger may not even be there)
            return Batch(code, RULES[code].severity, "", index, msg)
        one = self.ledgers.loaded[name]
        lines = one.lines_of(index)
        return Batch(code, RULES[code].severity, one.display, lines, msg,
                     {k: _cells(v, n) for k, v in params.items()}, column, None,
                     _texts(value, n), _texts(household, n), _texts(person, n),
                     _years(when, n))

    def rows(self, code: str, name: str, rows: pd.DataFrame, msg, value=None,
             dated: str | None = None, **params) -> Batch:
        """A finding of `code` for every row of `rows` (a part of ledger `name`), its
        household and person from their columns (`each`, as columns)."""
        return self.batch(code, name, rows.index, msg,
                          rows["household_id"] if "household_id" in rows.columns else None,
                          rows["person_id"] if "person_id" in rows.columns else None,
                          value, rows[dated] if dated else None, **params)

    def find(self, code: str, name: str, index, msg: str, household=None, person=None,
             value=None, when=None, column: str | None = None, **params) -> Finding:
        """A finding of rule `code` at record `index` of ledger `name`, saying catalogue
        message `msg` with `params`."""
        one = self.ledgers.loaded[name]
        year = None if when is None or pd.isna(when) else int(pd.Timestamp(when).year)
        return Finding.of(one.display, msg, one.line(int(index)), column,
                          None if value is None or _missing(value) else value,
                          severity=RULES[code].severity, code=code,
                          household=None if household is None or _missing(household)
                          else str(household),
                          person=None if person is None or _missing(person) else str(person),
                          year=year, **params)


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _cells(values, n: int):
    """A message parameter: one value for all rows, or an object array of them."""
    if values is None or isinstance(values, (str, int, float)):
        return values
    return np.asarray(values.to_numpy() if isinstance(values, pd.Series) else values,
                      dtype=object)


def _texts(values, n: int):
    """Cells as Finding keeps them: str, None where missing (a scalar stays one)."""
    if values is None:
        return None
    if not isinstance(values, (pd.Series, np.ndarray, list, pd.Index)):
        return None if _missing(values) else str(values)
    if isinstance(getattr(values, "dtype", None), pd.StringDtype):  # text already
        from .read.arrowkit import arrow
        return arrow(values).to_numpy(zero_copy_only=False)  # (None where missing)
    s = pd.Series(np.asarray(values, dtype=object))
    out = np.full(n, None, dtype=object)
    known = s.notna().to_numpy()
    out[known] = s[known].astype(str).to_numpy(dtype=object)
    return out


def _years(when, n: int) -> np.ndarray | None:
    """The year of each row's date (-1 where there is none), for check --year."""
    if when is None:
        return None
    if not isinstance(when, (pd.Series, np.ndarray, list, pd.Index)):
        year = -1 if _missing(when) else int(pd.Timestamp(when).year)
        return np.full(n, year, dtype=np.int64)
    years = pd.Series(pd.to_datetime(np.asarray(when))).dt.year
    return years.fillna(-1).to_numpy(dtype=np.int64)


def _days(values) -> np.ndarray:
    """Dates as 2017-12-31 ('' where missing), as _day gives them, for many at once."""
    s = pd.Series(pd.to_datetime(np.asarray(values)))
    return s.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)


def _amounts(values) -> np.ndarray:
    """f"{amount:.2f}" of every value (a finding's value), each distinct amount once."""
    return _per_value(values, "{:.2f}".format)


def _moneys(values) -> np.ndarray:
    """_money of every value, each distinct amount once."""
    return _per_value(values, lambda v: "" if v != v else f"{v:,.2f}")


def _per_value(values, fmt) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return np.array([fmt(v) for v in uniques.tolist()] + [""], dtype=object)[codes]


def _codes(values) -> np.ndarray:
    """_enum_code of every value."""
    s = pd.Series(np.asarray(values, dtype=object))
    return s.where(s.notna(), "").astype(str).to_numpy(dtype=object)


# --------------------------------------------------------------------------- ledger rules

@rule("L01", ERROR, "a cell or row the reader could not use", "the ledger contract")
def _unreadable(ctx: Context):
    # the reader's own finding (its message, column and header), filed under L01
    return [replace(f, severity=ERROR, code="L01") for f in ctx.read_findings]


def _integrity(ctx: Context):
    if not hasattr(ctx, "_integrity"):
        ctx._integrity = integrity_findings(ctx.ledgers)
    return ctx._integrity


@rule("L02", ERROR, "a duplicate key (the same id twice in one ledger)", "the ledger contract")
def _duplicates(ctx: Context):
    members = ctx.ledgers.loaded["members"].display
    out = [_recode(f, "L02", "keep") for f in _integrity(ctx)
           if f.code == "L02"  # the reader files each of its findings under its rule
           and f.column != "voucher" and not (f.file == members and f.column == "person_id")]
    # a person twice in one household (twice in two households is H01)
    m = ctx.frame("members")
    # (person, household) by the roll model's integer codes: a membership's code, or
    # the person alone where the household is missing (negative: apart from those)
    rolls = ctx.rolls
    key = np.where(m["household_id"].notna().to_numpy(), rolls.member_key,
                   -2 - rolls.member_person)
    twice = m[pd.Series(key).duplicated(keep="first").to_numpy() & (rolls.member_person >= 0)]
    out += [ctx.find("L02", "members", i, "checks.L02.twice", twice.at[i, "household_id"],
                     twice.at[i, "person_id"]) for i in twice.index]
    return out


@rule("L03", ERROR, "a reference to a household, member or project that is not there",
      "the ledger contract")
def _references(ctx: Context):
    return [_recode(f, "L03", "fix") for f in _integrity(ctx) if f.code == "L03"]


def _recode(f: Finding, code: str, fix: str) -> Finding:
    """The reader's finding filed under a rule. A catalogued one keeps its own message
    (both languages); an old English one gets the fix appended."""
    if f.msg:
        return replace(f, severity=RULES[code].severity, code=code)
    return Finding.of(f.file, f"checks.{code}.{fix}", f.line, f.column, f.value,
                      severity=RULES[code].severity, code=code, header=f.header,
                      reason=f.reason)


# --------------------------------------------------------------------------- resident IDs

_EXCEL_NUMBER = re.compile(r"\d(?:\.\d+)?E\+?\d+", re.I)


def id_problem(number: str) -> tuple[str, str, dict] | None:
    """(rule code, message id, parameters) for a resident ID that is not right, else None."""
    from stdnum.cn import ric
    from stdnum.exceptions import InvalidComponent

    if _EXCEL_NUMBER.fullmatch(number):
        return "I05", "checks.I05.number", {}
    if len(number) == 15 and number.isdigit():
        return "I04", "checks.I04.old", {}
    if len(number) != 18 or not number[:17].isdigit() or not (
            number[17].isdigit() or number[17] == "X"):
        return "I06", "checks.I06.form", {}
    if ric.calc_check_digit(number) != number[17]:
        if number.endswith("000"):
            return "I05", "checks.I05.zeros", {}
        return "I01", "checks.I01.digit", {"digit": ric.calc_check_digit(number)}
    try:
        born = ric.get_birth_date(number)
    except InvalidComponent:
        return "I02", "checks.I02.date", {}
    if born > date.today():
        return "I02", "checks.I02.future", {}
    if not _known_area(number[:6]):
        return "I03", "checks.I03.area", {"area": number[:6]}
    return None


@lru_cache(maxsize=None)
def _known_area(code: str) -> bool:
    # python-stdnum's table of GB/T 2260 codes, past and present. Not ric.validate: it
    # rejects a code for people born before the code existed, though IDs carry the code
    # of where they were issued (二道江区 220503 dates from 1986; its elders have it).
    from stdnum import numdb

    return any("county" in props for _, props in numdb.get("cn/loc").info(code))


def _id_bytes(numbers) -> tuple[np.ndarray, np.ndarray]:
    """Where each number has an ID's form (17 ASCII digits and a digit or X; missing:
    no), and the 18 bytes of those numbers, one row each: read from Arrow's buffer,
    no Python string per cell."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .read.arrowkit import arrow

    a = arrow(numbers)
    if not pa.types.is_string(a.type):
        a = a.cast(pa.string())
    form = pc.fill_null(pc.match_substring_regex(a, r"^[0-9]{17}[0-9X]$"), False)
    ids = a.filter(form)
    raw = np.zeros((0, 18), dtype=np.uint8)
    if len(ids):
        offsets = np.frombuffer(ids.buffers()[1], dtype=np.int32)[
            ids.offset:ids.offset + len(ids) + 1]
        data = np.frombuffer(ids.buffers()[2], dtype=np.uint8)
        raw = data[offsets[0]:offsets[-1]].reshape(len(ids), 18)  # ASCII: 18 bytes each
    return form.to_numpy(zero_copy_only=False).astype(bool), raw


def _births(raw: np.ndarray) -> np.ndarray:
    """The birth date in digits 7-14 of each ID (rows of bytes), as datetime64[s]: NaT
    where it is no date; a year pandas may not hold (before 1678, after 2261) is left
    to pd.to_datetime, as it was read before."""
    if not len(raw):
        return np.zeros(0, dtype="datetime64[s]")
    d = raw[:, 6:14].astype(np.int64) - 48
    year = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    month = d[:, 4] * 10 + d[:, 5]
    day = d[:, 6] * 10 + d[:, 7]
    ok = (month >= 1) & (month <= 12) & (day >= 1)
    ym = ((year - 1970) * 12 + np.clip(month, 1, 12) - 1).astype("datetime64[M]")
    first = ym.astype("datetime64[D]")
    length = ((ym + 1).astype("datetime64[D]") - first).astype(np.int64)
    ok &= day <= length
    out = np.where(ok, first + (day - 1).astype("timedelta64[D]"),
                   np.datetime64("NaT")).astype("datetime64[s]")
    odd = np.flatnonzero((year < 1678) | (year > 2261))
    if len(odd):
        text = raw[odd, 6:14].copy().view("S8").ravel().astype(str)
        out[odd] = pd.to_datetime(pd.Series(text), format="%Y%m%d", errors="coerce") \
            .to_numpy().astype("datetime64[s]")
    return out


def _valid_ids(numbers: pd.Series) -> np.ndarray:
    """True where an ID is surely right: form, check digit, birth date, known area."""
    form, raw = _id_bytes(numbers)
    out = np.zeros(len(numbers), dtype=bool)
    if not len(raw):
        return out
    check = np.frombuffer(b"10X98765432", dtype=np.uint8)[
        ((raw[:, :17].astype(np.int64) - 48) @ _WEIGHTS) % 11]
    born = _births(raw)
    area = (raw[:, :6].astype(np.int64) - 48) @ np.array([100000, 10000, 1000, 100, 10, 1])
    areas, which = np.unique(area, return_inverse=True)
    known = np.array([_known_area(f"{a:06d}") for a in areas], dtype=bool)[which.ravel()]
    today = np.datetime64(pd.Timestamp.today().normalize().date(), "s")
    out[np.flatnonzero(form)] = (check == raw[:, 17]) & ~np.isnat(born) & (born <= today) \
        & known
    return out


_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])


def _id_problems(ids: pd.Series) -> pd.DataFrame:
    """id_problem of every ID (a Series of text, none missing), as columns: code, msg,
    digit (I01), area (I03); rows without a problem left out. The usual cases (a check
    digit that fails, Excel's zeros, a birth date, an area) are computed for all rows at
    once; anything else goes through id_problem, once per distinct number."""
    s = ids.astype(object).astype(str)
    text = s.to_numpy(dtype=object)
    n = len(s)
    code = np.full(n, None, dtype=object)
    msg = np.full(n, None, dtype=object)
    digit = np.full(n, None, dtype=object)
    area = np.full(n, None, dtype=object)
    form, raw = _id_bytes(text)
    slow = ~form
    idx = np.flatnonzero(form)
    if len(idx):
        check = np.array(list("10X98765432"), dtype=object)[((raw[:, :17] - 48) @ _WEIGHTS)
                                                            % 11]
        last = raw[:, 17].view("S1").astype("U1").astype(object)
        wrong = check != last
        zeros = wrong & (raw[:, 15:18] == 48).all(axis=1)
        sub = pd.Series(text[idx])
        born = pd.to_datetime(sub.str[6:14], format="%Y%m%d", errors="coerce")
        ok = ~wrong
        # a date pandas cannot hold (before 1677) is id_problem's to judge
        odd = ok & born.isna().to_numpy() & ~sub.str[6:8].isin(["19", "20"]).to_numpy()
        slow[idx[odd]] = True
        ok &= ~odd
        bad_date = ok & born.isna().to_numpy()
        future = ok & ~bad_date & (born > pd.Timestamp(date.today())).to_numpy()
        areas = sub.str[:6]
        rest = ok & ~bad_date & ~future
        known = areas.map({a: _known_area(a) for a in pd.unique(areas[rest])}).to_numpy()
        unknown = rest & (known == False)  # noqa: E712 (NaN elsewhere)
        for mask, c, m in ((zeros, "I05", "checks.I05.zeros"),
                           (wrong & ~zeros, "I01", "checks.I01.digit"),
                           (bad_date, "I02", "checks.I02.date"),
                           (future, "I02", "checks.I02.future"),
                           (unknown, "I03", "checks.I03.area")):
            code[idx[mask]], msg[idx[mask]] = c, m
        at = wrong & ~zeros
        digit[idx[at]] = check[at]
        area[idx[unknown]] = areas.to_numpy(dtype=object)[unknown]
    if slow.any():
        problems = {u: id_problem(u) for u in pd.unique(text[slow])}
        for i in np.flatnonzero(slow):
            problem = problems[text[i]]
            if problem:
                code[i], msg[i], params = problem
                digit[i], area[i] = params.get("digit"), params.get("area")
    out = pd.DataFrame({"code": code, "msg": msg, "digit": digit, "area": area},
                       index=ids.index)
    return out[out["code"].notna().to_numpy()]


def _all_id_findings(ctx: Context) -> dict[str, list[Batch]]:
    """The ID rules' findings, by rule code."""
    if hasattr(ctx, "_id_rows"):
        return ctx._id_rows
    out: dict[str, list[Batch]] = {}
    for name, column, who in (("households", "head_id", "household_id"),
                              ("members", "person_id", "household_id")):
        frame = ctx.frame(name)
        if frame is None or column not in frame.columns:
            continue
        ids = frame[column].dropna()
        doubtful = ids[~_valid_ids(ids)]  # only these are looked at closer
        found = _id_problems(doubtful)
        numbers = doubtful.astype(object).astype(str)
        for (code, msg), rows in found.groupby(["code", "msg"], sort=False):
            number = numbers[rows.index]
            params = {"digit": rows["digit"]} if code == "I01" else \
                {"area": rows["area"]} if code == "I03" else {}
            out.setdefault(code, []).append(ctx.batch(
                code, name, rows.index, msg, frame.loc[rows.index, who], number,
                number if code in ("I05", "I06") else None, column=column, **params))
    ctx._id_rows = out
    return out


def _id_findings(ctx: Context, codes: set[str]):
    return [b for c in sorted(codes) for b in _all_id_findings(ctx).get(c, [])]


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
    form, raw = _id_bytes(numbers)
    born = np.full(len(numbers), np.datetime64("NaT"), dtype="datetime64[s]")
    born[form] = _births(raw)
    sex = np.full(len(numbers), None, dtype=object)
    sex[form] = np.where(raw[:, 16] % 2 == 1, "M", "F")  # ASCII 1 3 5 7 9 are odd
    return pd.DataFrame({"born": born, "sex": sex}, index=numbers.index)


@rule("I07", ERROR, "a member's sex disagrees with the resident ID (digit 17)",
      "GB 11643")
def _sex_mismatch(ctx: Context):
    m = ctx.frame("members")
    fields = _id_fields(m["person_id"])
    sex = m["sex"].astype(object)
    bad = _true(sex.notna() & fields["sex"].notna() & (sex != fields["sex"]))
    rows = m[bad]
    return ctx.rows("I07", "members", rows, "checks.I07.sex", sex[bad],
                    sex=sex[bad], id_sex=fields["sex"][bad])


@rule("I08", ERROR, "a member's birth date disagrees with the resident ID (digits 7-14)",
      "GB 11643")
def _birth_mismatch(ctx: Context):
    m = ctx.frame("members")
    fields = _id_fields(m["person_id"])
    born = m["birth_date"]
    bad = _true(born.notna() & fields["born"].notna() & (born != fields["born"]))
    days = _days(born[bad])
    return ctx.rows("I08", "members", m[bad], "checks.I08.born", days, born=days,
                    id_born=_days(fields["born"][bad]))


# --------------------------------------------------------------------------- households

# H01 (one person on the rolls of two households at once) is in checks_exits.py: a
# person may move between households (contract 2).


def _heads(ctx: Context) -> pd.Series:
    m = ctx.frame("members")
    return m[_true(m["relation"] == "head")].groupby("household_id").size()


@rule("H02", ERROR, "a household with no member whose relation is head (户主)",
      "建档立卡: one head per household")
def _no_head(ctx: Context):
    hh = ctx.frame("households")
    heads = _heads(ctx)
    bad = ~is_in(hh["household_id"], heads.index.to_series())
    return ctx.rows("H02", "households", hh[bad], "checks.H02.none")


@rule("H03", ERROR, "a household with several heads", "建档立卡: one head per household")
def _several_heads(ctx: Context):
    hh = ctx.frame("households")
    heads = _heads(ctx)
    n = hh["household_id"].map(heads).fillna(0)
    bad = _true(n > 1)
    return ctx.rows("H03", "households", hh[bad], "checks.H03.many",
                    count=n[bad].astype("int64"))


@rule("H04", ERROR, "head_id is not a member of the household", "the ledger contract")
def _head_not_member(ctx: Context):
    hh = ctx.frame("households")
    m = ctx.frame("members")
    # (head, household) among the members' (person, household), as integer codes
    rolls = ctx.rolls
    head = rolls.person_codes(hh["head_id"])
    span = np.int64(rolls.n_people + 1)
    known = (rolls.member_hh >= 0) & (rolls.member_person >= 0)
    pairs = rolls.member_hh[known] * span + rolls.member_person[known]
    here = rolls.hh_row * span + head
    bad = hh["head_id"].notna().to_numpy() & ~(
        (head >= 0) & (rolls.hh_row >= 0) & is_in(here, pairs))
    odd = np.flatnonzero((head >= 0) & (rolls.hh_row < 0))  # no household id: as text
    if len(odd):
        pairs_text = pd.MultiIndex.from_arrays([m["person_id"].to_numpy(),
                                                m["household_id"].to_numpy()])
        here_text = pd.MultiIndex.from_arrays([hh["head_id"].to_numpy()[odd],
                                               hh["household_id"].to_numpy()[odd]])
        bad[odd] = ~here_text.isin(pairs_text)
    rows = hh[bad]
    return ctx.batch("H04", "households", rows.index, "checks.H04.head", rows["household_id"],
                     rows["head_id"], rows["head_id"], column="head_id")


@rule("H05", WARNING, "a household on no roll, with no removal recorded",
      "动态管理: removals are recorded")
def _on_no_roll(ctx: Context):
    hh = ctx.frame("households")
    on = ctx.rolls.households_on(ctx.as_of).to_numpy()
    ch = ctx.rolls.changes
    removed = ch.loc[_true((ch["direction"] == "out") & (ch["date"] <= ctx.as_of)),
                     "household_id"]
    bad = _true(hh["identified_on"] <= ctx.as_of) & ~on & ~is_in(hh["household_id"], removed)
    return ctx.rows("H05", "households", hh[bad], "checks.H05.nobody", date=_day(ctx.as_of))


# --------------------------------------------------------------------------- exits

def _exits(ctx: Context) -> pd.DataFrame | None:
    if ctx.frame("exits") is None:
        return None
    if not hasattr(ctx, "_exit_rows"):
        rows = exit_rows(ctx.ledgers, ctx.rolls)
        hh = ctx.frame("households").drop_duplicates("household_id").dropna(
            subset=["household_id"]).set_index("household_id")
        # reindex, not map: an empty households frame maps dates through float64
        rows["identified_on"] = hh["identified_on"].reindex(
            rows["household_id"].astype(object)).to_numpy()
        # an exit of a household that is not there is L03's finding, not these rules';
        # an exit without a readable year is L01's
        rows = rows[is_in(rows["household_id"], hh.index.to_series())
                    & rows["exit_year"].notna().to_numpy()]
        ctx._exit_rows = rows.assign(exit_year=rows["exit_year"].astype("int64"))
    return ctx._exit_rows


@rule("E01", ERROR, "an exit before the household was identified", "贫困退出机制")
def _exit_before(ctx: Context):
    rows = _exits(ctx)
    if rows is None:
        return []
    identified = pd.to_datetime(rows["identified_on"])
    bad = _true(identified.notna() & (rows["exit_year"] < identified.dt.year))
    years = rows["exit_year"][bad].to_numpy(dtype=np.int64)
    return ctx.batch("E01", "exits", rows.index[bad], "checks.E01.before",
                     rows["household_id"][bad], value=years, when=_year_ends(years),
                     exit_year=years.astype(object), identified=_days(identified[bad]))


# E02 (the exit income test) is in checks_exits.py: it tests the exit standard in force.


@rule("E03", WARNING, "an exit still pending verification after its year ended",
      "入户查验: every exit verified at home")
def _still_pending(ctx: Context):
    rows = _exits(ctx)
    if rows is None:
        return []
    pending = ~_true(rows["verification"].isin(["pass", "fail"]))
    bad = pending & _true(rows["exit_year"] < ctx.as_of.year)
    # undated: it is a finding as of the check's date, whatever the exit's year
    return ctx.batch("E03", "exits", rows.index[bad], "checks.E03.pending",
                     rows["household_id"][bad],
                     exit_year=rows["exit_year"][bad].to_numpy(dtype=np.int64).astype(object))


@rule("E04", ERROR, "two exits of one household without a return to poverty between them",
      "贫困退出机制")
def _exit_twice(ctx: Context):
    rows = _exits(ctx)
    if rows is None:
        return []
    done = rows[_true(rows["exited"])]
    counts = done["household_id"].value_counts()
    done = done[done["household_id"].isin(counts.index[counts > 1])].sort_values(
        ["household_id", "exit_year"])
    ch = ctx.rolls.changes
    returned = ch[_true((ch["reason"] == "returned") & ch["date"].notna())]
    out = []
    for hid, group in done.groupby("household_id", sort=False):
        years = group["exit_year"].tolist()
        mine = returned[_true(returned["household_id"] == hid)]
        for (i_prev, y_prev), (i, y) in zip(zip(group.index, years), zip(group.index[1:],
                                                                         years[1:])):
            back = mine[_true((mine["date"].dt.year > y_prev) & (mine["date"] <= year_end(y)))]
            if back.empty:
                out.append(ctx.find("E04", "exits", i, "checks.E04.twice", hid, value=y,
                                    when=year_end(y), first_year=int(y_prev),
                                    first_line=ctx.ledgers.loaded["exits"].line(i_prev)))
    return out


@rule("E05", ERROR, "an exit of a household with nobody left on the rolls",
      "the ledger contract: exit people are members on the rolls")
def _exit_of_nobody(ctx: Context):
    rows = _exits(ctx)
    if rows is None:
        return []
    bad = _true(rows["exited"] & (rows["people"] == 0))
    years = rows["exit_year"][bad].to_numpy(dtype=np.int64)
    return ctx.batch("E05", "exits", rows.index[bad], "checks.E05.nobody",
                     rows["household_id"][bad], when=_year_ends(years),
                     exit_year=years.astype(object))


# --------------------------------------------------------------------------- changes

def _change_states(ctx: Context) -> pd.DataFrame:
    """Each dated change with whether its person was on the rolls just before it (an
    undated change is L01's finding and decides nothing here)."""
    if hasattr(ctx, "_states"):
        return ctx._states
    rolls = ctx.rolls
    dated = rolls.changes["date"].notna().to_numpy()
    ch = rolls.changes[dated].copy()
    # by membership (household, person): a person may move between households
    ch["was_on"] = rolls.was_on_before()[dated].to_numpy(dtype=bool)
    ch["known"] = rolls.ch_member[dated] >= 0
    ctx._states = ch
    return ch


@rule("C01", ERROR, "a removal of someone not on the rolls that day", "动态管理")
def _remove_absent(ctx: Context):
    ch = _change_states(ctx)
    bad = ch["known"].to_numpy() & _true(ch["direction"] == "out") & ~ch["was_on"].to_numpy()
    days = _days(ch["date"][bad])
    return ctx.rows("C01", "changes", ch[bad], "checks.C01.absent", days, "date", date=days)


@rule("C02", ERROR, "an addition of someone already on the rolls (returned excepted)",
      "动态管理")
def _add_present(ctx: Context):
    ch = _change_states(ctx)
    bad = ch["known"].to_numpy() & _true((ch["direction"] == "in")
                                         & (ch["reason"] != "returned")) \
        & ch["was_on"].to_numpy()
    days = _days(ch["date"][bad])
    return ctx.rows("C02", "changes", ch[bad], "checks.C02.present", days, "date", date=days)


@rule("C03", ERROR, "a change recorded after the person's death", "动态管理")
def _after_death(ctx: Context):
    ch = ctx.rolls.changes
    ch = ch[ch["date"].notna() & ch["person_id"].notna()]
    deaths = ch[_true(ch["reason"] == "death")]
    if deaths.empty:
        return []
    first = deaths.groupby("person_id")["date"].min()
    pos = index_in(ch["person_id"], pd.Index(first.index))
    died = np.where(pos >= 0, first.to_numpy().astype("datetime64[s]")[np.maximum(pos, 0)],
                    np.datetime64("NaT"))
    bad = (pos >= 0) & (ch["date"].to_numpy().astype("datetime64[s]") > died)
    rows = ch.assign(died=pd.to_datetime(died))[bad]
    return ctx.rows("C03", "changes", rows, "checks.C03.dead", _days(rows["date"]), "date",
                    died=_days(rows["died"]))


# --------------------------------------------------------------------------- subsidies

def _on_at(ctx: Context, rows: pd.DataFrame, person: bool) -> np.ndarray:
    """Whether each payment's person (or household) was on the rolls on its date (rows:
    the payments, as _payments gives them)."""
    # the ids' codes of the ledger's, hashed once and kept in the cache, where S02 finds
    # those S01 hashed (not held in memory to the end of check: 64 MB at 8 M payments)
    rolls, at = ctx.rolls, ctx._payment_at
    hh = rolls.ledger_household_codes("subsidies", hold=False)
    hh = hh if at is None else hh[at]
    if person:
        who = rolls.ledger_person_codes("subsidies", hold=False)
        return rolls.persons_on_at(rows["person_id"], rows["date"], rows["household_id"],
                                   codes=(hh, who if at is None else who[at]))
    return rolls.households_on_at(rows["household_id"], rows["date"], codes=hh)


def _payments(ctx: Context) -> pd.DataFrame | None:
    """Subsidy rows with a date and an amount (the others are L01's findings); their
    positions in the ledger are ctx._payment_at (None: all of them)."""
    if not hasattr(ctx, "_payment_rows"):
        pay = ctx.frame("subsidies")
        ctx._payment_at = None
        if pay is not None:
            ok = (pay["date"].notna() & pay["amount"].notna()).to_numpy(dtype=bool)
            if not ok.all():  # (no copy of 8 M rows when all are whole)
                pay, ctx._payment_at = pay[ok], np.flatnonzero(ok)
        ctx._payment_rows = pay
    return ctx._payment_rows


@rule("S01", ERROR, "a payment for a person removed before its date (death, moved, ...)",
      "audit: payments to people no longer on the rolls")
def _paid_removed(ctx: Context):
    pay = _payments(ctx)
    if pay is None:
        return []
    # asked of every payment (each row on its own), so no copy of 8 M rows is made
    bad = pay[_true(pay["person_id"].notna() & (pay["amount"] > 0))
              & ~_on_at(ctx, pay, person=True)]
    if bad.empty:
        return []
    ch = ctx.rolls.changes  # by date, file order within a date
    last_out = ch[_true((ch["direction"] == "out") & ch["date"].notna())]
    # the person's latest removal up to the payment's date (the later row of one date)
    removed = np.zeros(len(bad), dtype=bool)
    why = pd.DataFrame({"reason": np.full(len(bad), None, dtype=object),
                        "date": np.full(len(bad), np.datetime64("NaT"), "datetime64[ns]")})
    if len(last_out):
        def text(values) -> pd.Series:  # one key type on both sides (object, never NA)
            return pd.Series([str(v) for v in values.astype(object).where(
                values.notna(), "\x00none")], dtype=object)
        left = pd.DataFrame({"person": text(bad["person_id"]),
                             "when": bad["date"].to_numpy().astype("datetime64[ns]"),
                             "row": np.arange(len(bad))}).sort_values("when", kind="stable")
        right = pd.DataFrame({"person": text(last_out["person_id"]),
                              "date": last_out["date"].to_numpy().astype("datetime64[ns]"),
                              "reason": last_out["reason"].astype(object).to_numpy(),
                              "found": True})
        why = pd.merge_asof(left, right, left_on="when", right_on="date", by="person",
                            direction="backward").sort_values("row").reset_index(drop=True)
        removed = why["found"].notna().to_numpy() & why["reason"].notna().to_numpy()
    days = _days(bad["date"])
    out = []
    for mask, msg in ((removed, "checks.S01.removed"), (~removed, "checks.S01.off")):
        if not mask.any():
            continue
        rows = bad[mask]
        extra = dict(reason=_codes(why["reason"].to_numpy()[mask]),
                     on=_days(why["date"].to_numpy()[mask])) if msg.endswith("removed") else {}
        out.append(ctx.rows("S01", "subsidies", rows, msg, _amounts(rows["amount"]), "date",
                            date=days[mask], **extra))
    return out


@rule("S02", ERROR, "a payment to a household not on the rolls that day",
      "audit: payments to households off the rolls")
def _paid_off_roll(ctx: Context):
    pay = _payments(ctx)
    if pay is None:
        return []
    bad = pay[_true(pay["amount"] > 0) & ~_on_at(ctx, pay, person=False)]
    return ctx.rows("S02", "subsidies", bad, "checks.S02.off", _amounts(bad["amount"]), "date",
                    date=_days(bad["date"]))


@rule("S03", ERROR, "the same voucher number on two payments", "audit: one voucher, one payment")
def _voucher_twice(ctx: Context):
    pay = ctx.frame("subsidies")
    if pay is None:
        return []
    # a voucher's 64-bit fingerprint, sorted: only the rows whose fingerprint another row
    # shares are compared as text (hashing 8 M vouchers' texts took 700 MB at once)
    from .read.arrowkit import factorize, fingerprints, repeats

    vouchers = pay["voucher"]
    judged = vouchers.notna().to_numpy(dtype=bool, copy=True)
    shared = None if ctx.whole is None else ctx.whole.get("voucher_bits")
    if shared is None:
        prints = fingerprints(vouchers)
    else:
        # one household shard: a voucher whose fingerprint's bucket some other shard also
        # holds (by the merged bitmap) is not judged here. Its fingerprint goes to the
        # merge, which finds those truly on two payments; a shard holding one of them
        # is asked once more (whole["voucher_prints"]) for those rows, to compare as text
        from .checks_sharded import voucher_prints
        prints, elsewhere = voucher_prints(vouchers, shared)
        elsewhere &= judged
        asked = ctx.whole.get("voucher_prints")
        if asked is not None:
            rows = pay[elsewhere & np.isin(prints, asked)]
            ctx.pending[("S03", "rows")] = (rows.index.to_numpy(), _texts(
                rows["voucher"], len(rows)), ctx.rows(
                    "S03", "subsidies", rows, "checks.S03.twice", rows["voucher"], "date",
                    voucher=_texts(rows["voucher"], len(rows)), first_line=0))
            return []
        if elsewhere.any():
            ctx.pending[("S03", "prints")] = np.sort(prints[elsewhere])
            judged &= ~elsewhere
    at = np.flatnonzero(judged)
    at = at[repeats(prints[at])]  # (none: no voucher twice, the usual case)
    if not len(at):
        return []
    codes = factorize(vouchers.iloc[at])[0]  # every row of a voucher twice is among them
    again = pd.Series(codes).duplicated(keep="first").to_numpy()
    if not again.any():
        return []
    first = np.full(int(codes.max()) + 1, -1, dtype=np.int64)
    seen, where = np.unique(codes, return_index=True)
    first[seen] = at[where]  # each voucher's first row (np.unique: its first position)
    dup = at[again]
    rows = pay.iloc[dup]
    voucher = rows["voucher"]
    return ctx.rows("S03", "subsidies", rows, "checks.S03.twice", voucher, "date",
                    voucher=_texts(voucher, len(dup)),
                    first_line=ctx.ledgers.loaded["subsidies"].lines_of(
                        pay.index.to_numpy()[first[codes[again]]]).astype(object))


def _key_codes(values: pd.Series) -> np.ndarray:
    """Integer codes of a text column, equal where the texts are (a missing value the
    same as an empty text): a key to group and sort by, never text itself. Hashed in
    Arrow."""
    import pyarrow.compute as pc

    from .read.arrowkit import factorize

    codes, uniques = factorize(values)
    empty = pc.index(uniques, "").as_py() if len(uniques) else -1
    codes[codes < 0] = empty if empty >= 0 else len(uniques)
    return codes


def _payee_codes(ctx: Context) -> np.ndarray:
    """Per payment (_payments' rows): one integer code per payee (person and household)
    and program, the key S04, S06 and S08 group by (never a text key)."""
    if not hasattr(ctx, "_payee_keys"):
        pay = _payments(ctx)
        person = _key_codes(pay["person_id"])
        household = _key_codes(pay["household_id"])
        payee = pd.factorize(person * np.int64(household.max(initial=0) + 1) + household)[0]
        program = _key_codes(pay["program"])
        ctx._payee_keys = payee.astype(np.int64) * np.int64(program.max(initial=0) + 1) \
            + program
    return ctx._payee_keys


def _by_group_and_date(group: np.ndarray, date: np.ndarray) -> np.ndarray:
    """The order of rows by group, then date, then file order (np.lexsort's), in one
    sort of a combined key when the dates are whole days and the key fits 64 bits."""
    if len(date):
        low = date.min()
        days = (date - low) // 86400
        room = np.int64(days.max()) + 1
        if (days * 86400 == date - low).all() and \
                group.max() < np.iinfo(np.int64).max // room - 1 and group.min() >= 0:
            return np.argsort(group * room + days, kind="stable")
    return np.lexsort((date, group))  # stable: file order within a date


@rule("S04", WARNING, "likely duplicate payments: same payee, program and amount within a "
      "window, not reversed", "audit: double payments")
def _likely_duplicates(ctx: Context):
    pay = _payments(ctx)
    if pay is None:
        return []
    window = np.int64(ctx.params.duplicate_window) * 86400  # seconds
    key = _payee_codes(ctx)
    amount = pay["amount"].to_numpy(dtype=float)
    date = pay["date"].to_numpy().astype("datetime64[s]").astype(np.int64)
    # payments of one payee, program and amount, by date: one after another within the
    # window is paid again
    paid = np.flatnonzero(amount > 0)
    size = pd.factorize(amount[paid])[0].astype(np.int64)
    span = np.int64(size.max(initial=0) + 1)
    if key.max(initial=0) < np.iinfo(np.int64).max // span - 1:
        group = key[paid] * span + size
    else:  # (too many keys to multiply out)
        group = pd.MultiIndex.from_arrays([key[paid], size]).factorize()[0]
    order = _by_group_and_date(group, date[paid])
    g, d = group[order], date[paid][order]
    again = np.zeros(len(order), dtype=bool)
    again[1:] = (g[1:] == g[:-1]) & (d[1:] - d[:-1] <= window)
    hit = np.sort(paid[order[again]])
    if not len(hit):
        return []
    back = np.flatnonzero(amount < 0)
    # paid twice and the extra reversed: bookkeeping as it should be
    undone = pd.MultiIndex.from_arrays([key[back], -amount[back]])
    hit = hit[~pd.MultiIndex.from_arrays([key[hit], amount[hit]]).isin(undone)]
    hits = pay.iloc[hit]
    return ctx.rows("S04", "subsidies", hits, "checks.S04.again", _amounts(hits["amount"]),
                    "date", program=_codes(hits["program"]), amount=_moneys(hits["amount"]),
                    days=ctx.params.duplicate_window)


@rule("S05", WARNING, "education aid for someone outside school age (by the ID's birth date)",
      "教育扶贫: students")
def _not_school_age(ctx: Context):
    pay = _payments(ctx)
    if pay is None:
        return []
    rows = pay[_true((pay["program"] == "education") & pay["person_id"].notna())]
    born = _id_fields(rows["person_id"])["born"]
    age = rows["date"].dt.year - born.dt.year - (
        (rows["date"].dt.month * 100 + rows["date"].dt.day)
        < (born.dt.month * 100 + born.dt.day)).astype(int)
    low, high = ctx.params.school_age
    bad = _true(born.notna() & ((age < low) | (age > high)))
    rows = rows[bad]
    return ctx.rows("S05", "subsidies", rows, "checks.S05.age", _amounts(rows["amount"]),
                    "date", age=age[bad].astype("int64").to_numpy().astype(object), low=low,
                    high=high)


def _reversals(ctx: Context) -> pd.DataFrame | None:
    """Each reversal (negative amount) of the subsidies, with how it stands against the
    payments to its payee (household and person) and program up to its date:
    `matched` (it undoes one equal payment, each payment undone at most once),
    `paid_before` (an earlier or same-day payment of this payee and program),
    `larger_before` (one larger than what it reverses), `paid` and `reversed` (sums up
    to and with it), `over` (reversed more than was paid). Sorting and cumulative sums
    in groups: no pairing of all rows."""
    if hasattr(ctx, "_reversal_rows"):
        return ctx._reversal_rows
    pay = _payments(ctx)
    rows = None
    if pay is not None and _true(pay["amount"] < 0).any():
        # only the payees and programs that have a reversal: every sum is one of theirs
        key = _payee_codes(ctx)
        amount = pay["amount"].to_numpy(dtype=float)
        mine = (amount != 0) & np.isin(key, distinct(key[amount < 0]))
        p = pay.iloc[np.flatnonzero(mine)][["date", "household_id", "person_id", "program",
                                             "amount"]].assign(payee=key[mine], prog=0)
        p = p.assign(size=p["amount"].abs().round(2), neg=p["amount"] < 0,
                     record=p.index).reset_index(drop=True)
        # payments before reversals on one date: a same-day payment can be reversed
        p = p.sort_values(["payee", "prog", "date", "neg", "record"], kind="stable")
        group = [p["payee"], p["prog"]]
        paid = p["amount"].where(~p["neg"], 0.0)
        p["paid"] = paid.groupby(group).cumsum()
        p["reversed"] = (-p["amount"].where(p["neg"], 0.0)).groupby(group).cumsum()
        p["paid_before"] = (~p["neg"]).astype(int).groupby(group).cumsum() > 0
        p["larger_before"] = paid.groupby(group).cummax()
        # equal amounts: the k-th reversal of a key is matched when, greedily in date
        # order, a payment is left for it: m_k = min(m_{k-1} + 1, P_k), so
        # m_k = k + min(0, min_{i<=k} (P_i - i)), P the payments up to reversal i
        same = [p["payee"], p["prog"], p["size"]]
        payments_so_far = (~p["neg"]).astype(int).groupby(same).cumsum()
        neg = p[p["neg"]].copy()
        neg["P"] = payments_so_far[neg.index]
        key = [neg["payee"], neg["prog"], neg["size"]]
        neg["k"] = neg.groupby(key).cumcount() + 1
        slack = (neg["P"] - neg["k"]).groupby(key).cummin().clip(upper=0)
        m = neg["k"] + slack
        m_prev = m.groupby(key).shift(1).fillna(0)
        neg["matched"] = (m > m_prev).to_numpy()
        neg["larger_before"] = neg["larger_before"] > neg["size"] + 0.005
        neg["over"] = neg["reversed"] > neg["paid"] + 0.005
        rows = neg.set_index("record")
    ctx._reversal_rows = rows
    return rows


@rule("S06", ERROR, "a reversal (冲正, negative amount) that undoes no earlier payment of its "
      "payee, program and amount, or more than was paid", "audit: 冲正 reverses one payment")
def _reversal_without_original(ctx: Context):
    rows = _reversals(ctx)
    if rows is None:
        return []
    partial = ~rows["over"] & rows["larger_before"]
    bad = rows[~rows["matched"] & ~partial]
    none = ~bad["paid_before"].to_numpy(dtype=bool)
    over = ~none & bad["over"].to_numpy(dtype=bool)
    out = []
    for mask, msg in ((none, "checks.S06.none"), (over, "checks.S06.over"),
                      (~none & ~over, "checks.S06.unmatched")):
        if not mask.any():
            continue
        r = bad[mask]
        extra = dict(reversed=_moneys(r["reversed"]), paid=_moneys(r["paid"]),
                     date=_days(r["date"])) if msg.endswith("over") else {}
        out.append(ctx.rows("S06", "subsidies", r, msg, _amounts(r["amount"]), "date",
                            amount=_moneys(-r["amount"]), program=_codes(r["program"]),
                            **extra))
    return out


@rule("S08", WARNING, "a reversal smaller than an earlier payment it could undo only in "
      "part (a partial recovery?)", "audit: 冲正 reverses one payment")
def _partial_reversal(ctx: Context):
    rows = _reversals(ctx)
    if rows is None:
        return []
    part = rows[~rows["matched"] & ~rows["over"] & rows["larger_before"]]
    return ctx.rows("S08", "subsidies", part, "checks.S08.partial", _amounts(part["amount"]),
                    "date", amount=_moneys(-part["amount"]), program=_codes(part["program"]))


def program_codes(programs: pd.Series) -> tuple[np.ndarray, list]:
    """(each row's program code, -1 where missing; the programs' names): a category
    column's own codes (the contract's programs are one), else hashed in Arrow. Never
    a Python string a row (8 M payments' programs as objects took 760 MB in S07)."""
    if isinstance(programs.dtype, pd.CategoricalDtype):
        return (programs.cat.codes.to_numpy().astype(np.int64),
                list(programs.cat.categories))
    from .read.arrowkit import factorize

    codes, names = factorize(programs)
    return codes, names.to_pylist()


@rule("S07", WARNING, "an amount far out of line for its program and year (robust z-score)",
      "audit: outliers")
def _outliers(ctx: Context):
    pay = _payments(ctx)
    if pay is None:
        return []
    # per (year, program) — a missing program is no group — its median and median
    # absolute deviation, then each row's distance from its own: over the whole set by
    # _far_in_groups, in a household shard from the merged counts (ctx.whole)
    program, programs = program_codes(pay["program"])
    use = np.flatnonzero(_true(pay["amount"] > 0) & (program >= 0))  # the rows judged
    if not len(use):
        return []
    amount = pay["amount"].to_numpy(dtype=float)[use]
    year = pay["date"].dt.year.to_numpy()[use].astype(np.int64)
    program = program[use]
    stats = None if ctx.whole is None else ctx.whole.get("amount_stats")
    if stats is None:
        hit, median = _far_in_groups(year, program, amount, ctx.params.outlier)
        return _far_rows(ctx, pay, use, hit, amount, year, program, programs, median)
    # (a shard's stats: the merged counts of every shard's) each row's group by an integer
    # key of year and program code; a group's figures taken per row only where needed
    span = np.int64(len(programs))
    code_of = {p: i for i, p in enumerate(programs)}
    names = stats.index.get_level_values("program")
    known = np.asarray([p in code_of for p in names], dtype=bool)
    keys = stats.index.get_level_values("year").to_numpy(dtype=np.int64)[known] * span + \
        np.asarray([code_of[p] for p in names[known]], dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    group = np.flatnonzero(known)[order][np.searchsorted(keys[order], year * span + program)]
    g_median, g_mad = stats["median"].to_numpy(), stats["mad"].to_numpy()
    scale = np.where(g_mad > 0, 1.4826 * g_mad, 0.1 * g_median)
    judged = (stats["size"].to_numpy() >= 5) & (scale > 0)
    dev = np.abs(amount - g_median[group])
    with np.errstate(divide="ignore", invalid="ignore"):
        dev /= np.where(judged, scale, 1.0)[group]
    far = judged[group] & (dev > ctx.params.outlier)
    del dev
    hit = np.flatnonzero(far)
    return _far_rows(ctx, pay, use, hit, amount, year, program, programs,
                     g_median[group[hit]])


def year_program_key(year: np.ndarray, program: np.ndarray) -> tuple[np.ndarray, bool]:
    """One integer a (year, program code) pair, in their order, and whether every key
    fits 16 bits (then numpy's stable sort of it is a radix sort: S07's rows are sorted
    by group in a tenth of the time)."""
    if not len(year):
        return np.zeros(0, dtype=np.int64), False
    key = (year - year.min()) * (np.int64(program.max()) + 1) + program
    return key, bool(key.min() >= 0 and key.max() < np.iinfo(np.int16).max)


def _far_in_groups(year: np.ndarray, program: np.ndarray, amount: np.ndarray,
                   outlier: float) -> tuple[np.ndarray, np.ndarray]:
    """S07 over the whole set: the positions of the amounts far from their group's
    median (sorted), and that median. The rows ordered by group with a 16-bit radix sort,
    then each group's median and MAD by partition (np.median: the middle two averaged,
    as pandas and the shards' counts take it), no sort of the amounts themselves."""
    key, small = year_program_key(year, program)
    order = np.argsort(key.astype(np.int16) if small else key, kind="stable")
    bounds = np.r_[0, np.flatnonzero(np.diff(key[order])) + 1, len(order)]
    hits, medians = [], []
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        if hi - lo < 5:  # too few payments to tell an outlier
            continue
        at = order[lo:hi]
        values = amount[at]
        median = np.median(values)
        dev = np.abs(values - median)
        mad = np.median(dev)
        scale = 1.4826 * mad if mad > 0 else 0.1 * median
        if not scale > 0:
            continue
        far = at[dev / scale > outlier]
        hits.append(far)
        medians.append(np.full(len(far), median))
    if not hits:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    hit, median = np.concatenate(hits), np.concatenate(medians)
    first = np.argsort(hit)
    return hit[first], median[first]


def _far_rows(ctx: Context, pay: pd.DataFrame, use: np.ndarray, hit: np.ndarray,
              amount: np.ndarray, year: np.ndarray, program: np.ndarray, programs: list,
              median: np.ndarray):
    """S07's findings: the payments `use[hit]`, each with its group's median."""
    if not len(hit):
        return []
    rows = pay.iloc[use[hit]]
    return ctx.rows("S07", "subsidies", rows, "checks.S07.far", _amounts(amount[hit]), "date",
                    program=_codes(np.asarray(programs, dtype=object)[program[hit]]),
                    amount=_moneys(amount[hit]), median=_moneys(median),
                    pay_year=year[hit].astype(object))


# --------------------------------------------------------------------------- pairing, villages

@rule("P01", WARNING, "a poor household on the rolls with no cadre paired", "包保帮扶: 全覆盖")
def _no_cadre(ctx: Context):
    pairs = ctx.frame("pairings")
    if pairs is None:
        return []
    hh = ctx.frame("households")
    poor = ctx.rolls.poor_households(ctx.as_of).to_numpy()
    started = _true(pairs["since"].isna() | (pairs["since"] <= ctx.as_of))
    bad = poor & ~is_in(hh["household_id"], pairs.loc[started, "household_id"])
    return ctx.rows("P01", "households", hh[bad], "checks.P01.none", date=_day(ctx.as_of))


def cadre_households(pairs: pd.DataFrame) -> pd.DataFrame:
    """Each cadre's pairing with a household once, the first row of each (P02: over the
    whole set, and each shard's count for checks_sharded), with its `cadre` identity."""
    return pairs.assign(cadre=cadre_identity(pairs)).dropna(
        subset=["cadre", "household_id"]).drop_duplicates(["cadre", "household_id"])


@rule("P02", WARNING, "a cadre paired with more households than the load limit",
      "包保帮扶: a cadre's load")
def _cadre_load(ctx: Context):
    pairs = ctx.frame("pairings")
    if pairs is None:
        return []
    rows = cadre_households(pairs)
    limit = ctx.params.cadre_load
    over_load = None if ctx.whole is None else ctx.whole.get("cadre_over")
    if over_load is not None:
        # one household shard: the cadres over the load in the whole set, by fingerprint
        # (checks_sharded). Their first limit + 1 pairings here, and their households
        # here, go to the merge: it counts each cadre's households by its text, and
        # finds the pairing past the limit among every shard's
        from .checks_sharded import _prints

        rows = rows[np.isin(_prints(rows["cadre"]), over_load)]
        if len(rows):
            nth = rows.groupby("cadre", sort=False).cumcount().to_numpy()
            here = rows.groupby("cadre", sort=False)["household_id"].transform(
                "size").to_numpy()
            first = rows[nth <= limit]
            cadre = _texts(first["cadre"], len(first))
            ctx.pending[("P02", "rows")] = (
                first.index.to_numpy(), cadre,
                np.where(nth[nth <= limit] == 0, here[nth <= limit], 0),
                ctx.batch("P02", "pairings", first.index, "checks.P02.load",
                          first["household_id"], value=cadre, cadre=cadre, count=0,
                          limit=limit))
        return []
    counts = rows.groupby("cadre", sort=False)["household_id"].transform("size")
    nth = rows.groupby("cadre", sort=False).cumcount()
    over = rows[(nth == limit).to_numpy() & (counts > limit).to_numpy()]  # past it
    cadre = _texts(over["cadre"], len(over))
    return ctx.batch("P02", "pairings", over.index, "checks.P02.load", over["household_id"],
                     value=cadre, cadre=cadre,
                     count=counts[over.index].to_numpy(dtype=np.int64).astype(object),
                     limit=limit)


def _household_areas(ctx: Context) -> pd.DataFrame:
    hh = ctx.frame("households").dropna(subset=["household_id"]).drop_duplicates(
        "household_id").set_index("household_id")
    return pd.DataFrame({"township": ctx.rolls.household_index.map(hh["township"]),
                         "village": ctx.rolls.household_index.map(hh["village"])})


def village_poor(ctx: Context, end: pd.Timestamp) -> pd.Series:
    """Poor people on the rolls at `end`, per (township, village) of their household."""
    area = _household_areas(ctx)
    poor = ctx.rolls.poor_people(end).to_numpy() & (ctx.rolls.member_hh >= 0)
    per_hh = np.bincount(ctx.rolls.member_hh[poor], minlength=len(area))
    return pd.Series(per_hh, index=pd.MultiIndex.from_frame(area)).groupby(
        level=[0, 1], dropna=False).sum()


@rule("V01", ERROR, "a village marked exited whose poverty incidence at the end of its exit "
      "year is above the threshold",
      "贫困退出机制: villages exit at or below 2 % (3 % in the west)")
def _village_exit(ctx: Context):
    villages = ctx.frame("villages")
    if villages is None:
        return []
    out = []
    exiting = villages[villages["exit_year"].notna()]
    for year, group in exiting.groupby("exit_year"):
        end = year_end(year)
        counts = village_poor(ctx, end) if ctx.whole is None else \
            ctx.whole["village_poor"][int(year)]  # (a shard's: every shard's, added up)
        for i in group.index:
            v = group.loc[i]
            population = v["rural_population"]
            if pd.isna(population) or population <= 0:
                continue
            n = int(counts.get((v["township"], v["village"]), 0))
            incidence = float(poverty_incidence([n], [population]).iloc[0])
            if not meets_incidence(incidence, ctx.params.incidence):
                out.append(ctx.find("V01", "villages", i, "checks.V01.exit",
                                    value=v["village"], when=end, exit_year=int(year), poor=n,
                                    population=int(population), incidence=f"{incidence:.1%}",
                                    threshold=f"{ctx.params.incidence:.0%}"))
    return out


@rule("V02", ERROR, "a household whose village is not in villages.csv (when it is there)",
      "the ledger contract: villages.csv lists every village")
def _village_unknown(ctx: Context):
    villages = ctx.frame("villages")
    if villages is None:
        return []
    hh = ctx.frame("households")
    listed = pd.MultiIndex.from_arrays([villages["township"].astype(object).to_numpy(),
                                        villages["village"].astype(object).to_numpy()])
    here = pd.MultiIndex.from_arrays([hh["township"].astype(object).to_numpy(),
                                      hh["village"].astype(object).to_numpy()])
    bad = hh["village"].notna().to_numpy() & ~here.isin(listed)
    rows = hh[bad]
    return ctx.batch("V02", "households", rows.index, "checks.V02.unknown",
                     rows["household_id"], value=rows["village"],
                     village=rows["village"].astype(object).to_numpy(),
                     township=_codes(rows["township"]))


# --------------------------------------------------------------------------- dates

@rule("D01", ERROR, "a date in the future", "common sense")
def _future(ctx: Context):
    from .schema import DATE, LEDGERS
    out = []
    for name, one in ctx.ledgers.loaded.items():
        for col in LEDGERS[name].columns:
            if col.type != DATE or col.name not in one.frame.columns:
                continue
            values = one.frame[col.name]
            bad = _true(values > ctx.today)
            if not bad.any():
                continue
            days = _days(values[bad])
            out.append(ctx.batch("D01", name, values.index[bad], "checks.D01.future",
                                 one.frame["household_id"][bad] if "household_id" in
                                 one.frame.columns else None, value=days, column=col.name,
                                 date=days))
    return out


# --------------------------------------------------------------------------- running

def select_rules(select: list[str] | None, ignore: list[str] | None) -> list[Rule]:
    """Rules whose code starts with any of `select` (all when empty), minus `ignore`.
    A code or prefix that names no rule is a usage error (a typo would run nothing)."""
    def matches(code, prefixes):
        return any(code.upper().startswith(p.strip().upper()) for p in prefixes if p.strip())
    for given in [*(select or []), *(ignore or [])]:
        if given.strip() and not any(matches(code, [given]) for code in RULES):
            raise UsageError.of("checks.unknown_rule", code=given.strip(),
                                codes=", ".join(sorted(RULES)))
    chosen = [r for r in RULES.values()
              if (matches(r.code, select) if select else r.code not in OPT_IN)]
    return [r for r in chosen if not ignore or not matches(r.code, ignore)]


def default_as_of(ledgers: LedgerSet, today: pd.Timestamp) -> pd.Timestamp:
    """The date the rolls are looked at when no year is given: 31 December of the
    ledgers' latest year, as the reports do (today when nothing is dated)."""
    year = latest_year(ledgers)
    return year_end(year) if year else today


def run_frame(ledgers: LedgerSet, read_findings: list[Finding] | None = None,
              rules: list[Rule] | None = None, params: Params = Params(),
              year: int | None = None, today: pd.Timestamp | None = None) -> FindingFrame:
    """The findings of the rules (every default rule when None) as columns, in check's
    order: file, line, rule, message (see findframe)."""
    today = pd.Timestamp(today or date.today())
    as_of = year_end(year) if year else default_as_of(ledgers, today)
    ctx = Context(ledgers, params, as_of, today, list(read_findings or []))
    batches: list[Batch] = []
    for r in rules if rules is not None else [r for r in RULES.values()
                                              if r.code not in OPT_IN]:
        batches += _batches(r.run(ctx))
    return FindingFrame(batches).in_year(year).sorted()


def _batches(found) -> list[Batch]:
    """What a rule returned (a Batch, a list of Finding, or a list of both), as batches
    in the same order."""
    if isinstance(found, Batch):
        return [found]
    out: list[Batch] = []
    loose: list[Finding] = []
    for x in found:
        if isinstance(x, Batch):
            if loose:
                out.append(Batch.of(loose))
                loose = []
            out.append(x)
        else:
            loose.append(x)
    if loose:
        out.append(Batch.of(loose))
    return out


def run_checks(ledgers: LedgerSet, read_findings: list[Finding] | None = None,
               rules: list[Rule] | None = None, params: Params = Params(),
               year: int | None = None, today: pd.Timestamp | None = None) -> list[Finding]:
    """run_frame's findings as Finding objects."""
    return run_frame(ledgers, read_findings, rules, params, year, today).to_findings()


FINDING_COLUMNS = ("code", "severity", "file", "line", "household_id", "person_id", "message",
                   "value")


def findings_frame(findings: list[Finding] | FindingFrame, lang: str = "en") -> pd.DataFrame:
    """The findings as check's table. Messages are cells that can say any language
    (English for csv); the first one asked in another language puts them all into it."""
    if not isinstance(findings, FindingFrame):
        findings = FindingFrame([Batch.of(findings)]) if findings else FindingFrame([])
    english = findings.messages("en")
    texts: dict[str, list[str]] = {"en": english}

    def words(i: int):
        def say_in(ln: str) -> str:
            if ln not in texts:  # every row in one go
                texts[ln] = findings.messages(ln)
            return texts[ln][i]
        return say_in
    messages = [Said(text, words(i)) for i, text in enumerate(english)]
    line = findings.column("line")
    return pd.DataFrame({
        "code": findings.column("code"), "severity": findings.column("severity"),
        "file": findings.column("file"),
        "line": pd.Series(np.where(line == -1, np.nan, line) if (line == -1).any() else line,
                          dtype="float64" if (line == -1).any() else "int64"),
        "household_id": findings.column("household"),
        "person_id": findings.column("person"),
        "message": pd.Series(messages, dtype=object),
        "value": findings.column("value"),
    })


def _with_column(f: Finding, lang: str) -> str:
    """The finding's message, after its column (as the user's file names it) if any."""
    text = f.message(lang)
    if f.column is None:
        return text
    name = f.header or f.column
    return f"{name}列：{text}" if lang == "zh" else f"column {name}: {text}"


def rules_frame(lang: str = "en") -> pd.DataFrame:
    """The rules, their summary and basis in `lang` (cells that can say any language)."""
    order = "LIHECSPVD"  # the contract's ledgers first; rules of later modules after them
    rules = sorted(RULES.values(), key=lambda r: (
        order.index(r.code[0]) if r.code[0] in order else len(order), r.code))

    def cells(part):
        return pd.Series([Said(say(f"checks.{r.code}.{part}", lang),
                               lambda ln, r=r: say(f"checks.{r.code}.{part}", ln))
                          for r in rules], dtype=object)
    return pd.DataFrame({"code": [r.code for r in rules],
                         "severity": [r.severity for r in rules],
                         "rule": cells("rule"), "basis": cells("basis")})


from . import checks_monitoring  # noqa: E402,F401  (rules M..: incomes, monitoring)
from . import checks_exits  # noqa: E402,F401
