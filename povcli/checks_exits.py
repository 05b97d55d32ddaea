"""Check rules of exits as offices decided them (issue 11): the exit income test against
the exit standard in force, the exit's two income figures, the national system's
category labels against the exits. Registered with checks.rule; imported at the end of
checks.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .checks import ERROR, WARNING, Context, rule, _exits
from .findings import Finding
from .messages import say
from .model import exit_incomes, exit_standards, year_end


def _words(code: str) -> tuple[str, str]:
    """A rule's summary and basis in English, from the catalogue (checks.CODE.rule/basis)."""
    return say(f"checks.{code}.rule", "en"), say(f"checks.{code}.basis", "en")


def find(ctx: Context, code: str, name: str, index, msg: str, household=None, person=None,
         value=None, when=None, column: str | None = None, **params) -> Finding:
    """A finding of rule `code` at record `index` of ledger `name`, its message the
    catalogue's `msg` with `params`."""
    from .checks import RULES

    one = ctx.ledgers.loaded[name]
    year = None if when is None or pd.isna(when) else int(pd.Timestamp(when).year)
    return Finding.of(one.display, msg, one.line(int(index)), column,
                      None if value is None else str(value), severity=RULES[code].severity,
                      code=code, household=None if household is None or pd.isna(household)
                      else str(household), person=None if person is None or pd.isna(person)
                      else str(person), year=year,
                      header=one.headers.get(column) if column else None, **params)


def batch(ctx: Context, code: str, name: str, index, msg: str, household=None,
          value=None, years=None, column: str | None = None, **params):
    """Findings of rule `code` at records `index` of ledger `name` as columns (what
    `find` makes one at a time): `years` the exit year of each (the finding's date is
    its 31 December), the column named as the user's file names it."""
    from .checks import _year_ends

    one = ctx.ledgers.loaded[name]
    when = None if years is None else _year_ends(np.asarray(years, dtype=np.int64))
    out = ctx.batch(code, name, index, msg, household, value=value, when=when,
                    column=column, **params)
    if column is not None and len(out):
        out.header = np.full(len(out), one.headers.get(column), dtype=object)
    return out


def _money(x: float) -> str:
    return f"{x:,.2f}"


def income_test(ledgers, rows: pd.DataFrame) -> pd.DataFrame:
    """Per exit row (rows' index): the exit's income, the standard it is tested against
    (the exit standard in force, else the national line), what that standard is, and
    whether the income is strictly above it (empty where income or standard is not
    known)."""
    incomes = exit_incomes(ledgers).reindex(rows.index)
    standards = exit_standards(ledgers, rows["exit_year"]).set_index("year")
    years = rows["exit_year"].astype("float64")
    out = incomes.assign(
        standard=years.map(standards["standard"]).astype("float64"),
        standard_kind=years.map(standards["standard_kind"]),
        standard_from=years.map(standards["standard_from"]))
    known = out["income"].notna() & out["standard"].notna()
    above = pd.Series(pd.NA, index=out.index, dtype="boolean")
    above[known] = (out.loc[known, "income"] > out.loc[known, "standard"]).to_numpy()
    out["above"] = above
    return out


@rule("E02", ERROR, *_words("E02"))
def _income_not_above_standard(ctx: Context):
    rows = _exits(ctx)
    if rows is None or rows.empty:
        return []
    rows = rows[rows["exited"] | rows["pre_exit"]]
    test = income_test(ctx.ledgers, rows)
    bad = (test["above"] == False).fillna(False).to_numpy()  # noqa: E712
    if not bad.any():  # pandas 2.1 takes an empty boolean array for a list of columns
        return []
    rows, test = rows[bad], test[bad]
    years = rows["exit_year"].to_numpy(dtype=np.int64)
    national = (test["standard_kind"] != "exit_standard").to_numpy()
    recorded = test["recorded"].notna().to_numpy()
    out = []
    for is_national in (False, True):
        for has_column in (True, False):
            at = (national == is_national) & (recorded == has_column)
            if not at.any():
                continue
            income = test["income"].to_numpy(dtype=float)[at]
            out.append(batch(
                ctx, "E02", "exits", rows.index[at],
                "checks.exit_income_national" if is_national else "checks.exit_income_standard",
                rows["household_id"][at], value=[f"{v:.2f}" for v in income],
                years=years[at], column="per_capita_income" if has_column else None,
                income=[_money(v) for v in income], exit_year=years[at].astype(object),
                standard=[_money(v) for v in test["standard"].to_numpy(dtype=float)[at]]))
    return out


@rule("E06", WARNING, *_words("E06"))
def _exit_income_disagrees(ctx: Context):
    rows = _exits(ctx)
    if rows is None or rows.empty or ctx.frame("incomes") is None:
        return []
    inc = exit_incomes(ctx.ledgers).reindex(rows.index)
    bad = inc["recorded"].notna() & inc["computed"].notna() & (
        (inc["recorded"] - inc["computed"]).abs() > 1)
    bad = bad.to_numpy(dtype=bool)
    recorded = inc["recorded"].to_numpy(dtype=float)[bad]
    years = rows["exit_year"].to_numpy(dtype=np.int64)[bad]
    return batch(ctx, "E06", "exits", rows.index[bad], "checks.exit_income_disagrees",
                 rows["household_id"][bad], value=[f"{v:.2f}" for v in recorded],
                 years=years, column="per_capita_income",
                 recorded=[_money(v) for v in recorded],
                 computed=[_money(v) for v in inc["computed"].to_numpy(dtype=float)[bad]],
                 exit_year=years.astype(object))


@rule("E07", ERROR, *_words("E07"))
def _label_disagrees(ctx: Context):
    hh = ctx.frame("households")
    if "category_claims_exit" not in hh.columns:
        return []
    claims = hh["category_claims_exit"]  # True: says 脱贫户, False: says 贫困户
    if not claims.notna().any():
        return []
    rows = _exits(ctx)
    # the latest pass exit up to the rolls' date, and whether the household returned since
    latest = pd.Series(dtype="float64")
    if rows is not None and not rows.empty:
        done = rows[rows["exited"] & (rows["exit_year"] <= ctx.as_of.year)]
        latest = done.groupby(done["household_id"].astype(object))["exit_year"].max().astype(
            "float64")
    ch = ctx.rolls.changes
    ret = ch[(ch["reason"].astype(object) == "returned") & (ch["date"] <= ctx.as_of)]
    ret_year = ret.groupby(ret["household_id"].astype(object))["date"].max().dt.year
    ids = hh["household_id"].astype(object)
    exit_year = ids.map(latest).astype("float64")
    back = ids.map(ret_year).astype("float64") > exit_year
    exited_now = exit_year.notna() & ~back.fillna(False)
    says_exited = claims.fillna(False).astype(bool).to_numpy()
    # …贫困户 is also the contract's own label of the attribute: it claims the household is
    # poor only in a file that speaks the national system's status labels (some 脱贫户)
    some_exited = says_exited.any() if ctx.whole is None else ctx.whole["claims_exit"]
    says_poor = (~claims.fillna(True).astype(bool)).to_numpy() & some_exited
    exited_now = exited_now.to_numpy(dtype=bool)
    wrong = says_exited & ~exited_now
    late = says_poor & exited_now
    return [batch(ctx, "E07", "households", hh.index[wrong],
                  "checks.label_exited_without_exit", hh["household_id"][wrong],
                  column="category"),
            batch(ctx, "E07", "households", hh.index[late], "checks.label_poor_after_exit",
                  hh["household_id"][late], column="category",
                  exit_year=exit_year[late].to_numpy(dtype=np.int64).astype(object))]


# --------------------------------------------------------------------------- memberships

def _on_intervals(ctx: Context, rows: np.ndarray) -> list[tuple]:
    """(start, end) spans on the rolls of member rows `rows` (end None: still on)."""
    rolls = ctx.rolls
    # the dated changes of each membership, in date and file order: one sort, then a
    # slice per member row (not a pass over every change per row)
    if not hasattr(ctx, "_changes_by_member"):
        ok = np.flatnonzero(rolls._ok)
        by_member = ok[np.argsort(rolls.ch_member[ok], kind="stable")]
        ctx._changes_by_member = by_member, rolls.ch_member[by_member]
    by_member, sorted_members = ctx._changes_by_member
    out = []
    for r in rows:
        m = rolls.member_key[r]
        events = by_member[np.searchsorted(sorted_members, m):
                           np.searchsorted(sorted_members, m, side="right")]
        spans, start = [], None
        identified = rolls.identified.iloc[r]
        if not rolls.joins_later[r] and pd.notna(identified):
            start = pd.Timestamp(identified)
        for e in events:  # sorted by date, file order within a date
            when = pd.Timestamp(rolls.ch_date[e])
            if rolls.ch_in[e]:
                if start is None:
                    start = when
            elif start is not None:
                if when > start:
                    spans.append((start, when))
                start = None
        if start is not None:
            spans.append((start, None))
        out.append(spans)
    return out


@rule("H01", ERROR, *_words("H01"))
def _two_households_at_once(ctx: Context):
    m = ctx.frame("members")
    rolls = ctx.rolls
    person = pd.Series(rolls.member_person, index=m.index)
    valid = (rolls.member_hh >= 0) & (rolls.member_person >= 0)
    firsts = ~pd.DataFrame({"k": rolls.member_key}).duplicated().to_numpy()
    candidates = person[valid & firsts]
    many = candidates[candidates.duplicated(keep=False)]
    found, firsts_of, overlaps = [], [], []
    for _, group in many.groupby(many.to_numpy(), sort=False):
        positions = [m.index.get_loc(i) for i in group.index]
        spans = _on_intervals(ctx, np.asarray(positions))
        for b in range(1, len(positions)):
            for a in range(b):
                overlap = None
                for s1, e1 in spans[a]:
                    for s2, e2 in spans[b]:
                        start = max(s1, s2)
                        ends = [e for e in (e1, e2) if e is not None]
                        if not ends or start < min(ends):
                            overlap = start if overlap is None else min(overlap, start)
                if overlap is None or overlap > ctx.as_of:
                    continue
                found.append(group.index[b])
                firsts_of.append(group.index[a])
                overlaps.append(overlap)
                break
    if not found:
        return []
    # the findings as columns, put into words only when shown
    from .checks import _days, _texts

    rows = m.loc[found]
    members = ctx.ledgers.loaded["members"]
    when = pd.to_datetime(pd.Series(overlaps)).to_numpy()
    return ctx.batch("H01", "members", rows.index, "checks.two_households_at_once",
                     rows["household_id"], rows["person_id"], when=when,
                     other=_texts(m.loc[firsts_of, "household_id"], len(found)),
                     other_line=members.lines_of(firsts_of).astype(object),
                     date=_days(when))


# --------------------------------------------------------------------------- readiness
# The exit-readiness tests of `povcli readiness` (一达标两不愁三保障), one rule each; the
# income test is E02. They run when selected (check --select R): see checks.OPT_IN.

READINESS_RULES = {
    "R01": ("food_clothing", ERROR), "R02": ("schooling", ERROR),
    "R03": ("insurance", ERROR), "R04": ("housing", ERROR), "R05": ("water", ERROR),
    "R06": ("income_margin", WARNING), "R07": ("transfer_share", WARNING),
}


def _readiness(ctx: Context) -> pd.DataFrame | None:
    if ctx.frame("exits") is None:
        return None
    if not hasattr(ctx, "_readiness"):
        from .readiness import ReadinessParams, assess
        params = ReadinessParams(school_age=getattr(ctx.params, "compulsory_age", (6, 15)))
        ctx._readiness = assess(ctx.ledgers, None, False, params, ctx.rolls)
    return ctx._readiness


def _readiness_rule(code: str, test: str):
    def run(ctx: Context):
        table = _readiness(ctx)
        if table is None or table.empty:
            return []
        if test in ("income_margin", "transfer_share"):
            hit = table[test].astype("boolean").fillna(False).to_numpy(dtype=bool)
        else:
            hit = (table[f"{test}_test"] == "fail").to_numpy()
        out = []
        for i in table.index[hit]:
            r = table.loc[i]
            params = dict(exit_year=int(r["year"]))
            if test == "housing":
                params["grade"] = str(r["grade"])
            elif test == "income_margin":
                params.update(income=_money(r["income"]), standard=_money(r["standard"]))
            elif test == "transfer_share":
                params["share"] = f"{r['share']:.0%}"
            out.append(find(ctx, code, "exits", i, f"checks.{code}.found", r["household_id"],
                            when=year_end(int(r["year"])), **params))
        return out
    run.__name__ = f"_readiness_{test}"
    return run


def _register_readiness():
    from . import checks
    for code, (test, severity) in READINESS_RULES.items():
        rule(code, severity, *_words(code))(_readiness_rule(code, test))
        checks.OPT_IN.add(code)


_register_readiness()
