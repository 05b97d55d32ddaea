"""Rules of `povcli check` on incomes and return-to-poverty monitoring (codes M..).

Registered into checks.RULES by the `rule` decorator; checks.py imports this module at
its end. Each rule skips rows whose needed cells are missing (the reader reported them
as L01). A rule that needs the monitoring line of a year that policy.csv does not give
says so in a finding (M03's note) and judges nothing for that year: no line is invented.

Bases: 国务院扶贫办《关于建立防止返贫监测和帮扶机制的指导意见》(2020) and 国家乡村振兴局等
《关于健全防止返贫动态监测和帮扶机制的指导意见》(2021): monitoring objects of three kinds,
risk eliminated when income is stably above the monitoring line and the 两不愁三保障 hold,
in principle after at least half a year of monitoring (a household without labour is not
eliminated "naturally" but stays under assistance), by the village's assessment.
"""

from __future__ import annotations

import pandas as pd

from .checks import ERROR, RULES, WARNING, Context, rule
from .findings import Finding
from .messages import define
from .income import household_incomes, parameter
from .monitor import episodes

GUIDANCE = "防止返贫动态监测和帮扶机制 (2021)"
UNABLE_TO_WORK = ("无劳动力", "丧失劳动力")
HEALTHY = ("健康",)


def _find(ctx: Context, code: str, name: str, index, msg: str, household=None, value=None,
          when=None, **params) -> Finding:
    one = ctx.ledgers.loaded[name]
    year = None if when is None or pd.isna(when) else int(pd.Timestamp(when).year)
    return Finding.of(one.display, msg, one.line(int(index)), None, value,
                      severity=RULES[code].severity, code=code,
                      household=None if household is None or pd.isna(household)
                      else str(household), year=year, **params)


def _episode(ctx: Context, code: str, r, value=None, when=None, **params) -> Finding:
    """A finding of rule `code` at monitoring episode `r` (a row of `episodes`)."""
    return _find(ctx, code, "monitoring", r.row_index, f"monitor.{code}", r.household_id,
                 value, when, **params)


def _episodes(ctx: Context) -> pd.DataFrame | None:
    if ctx.frame("monitoring") is None:
        return None
    if not hasattr(ctx, "_monitoring"):
        ctx._monitoring = episodes(ctx.ledgers)
    return ctx._monitoring


def _day(when) -> str:
    return f"{pd.Timestamp(when):%Y-%m-%d}"


def _incomes(ctx: Context) -> pd.Series | None:
    if ctx.frame("incomes") is None:
        return None
    inc = household_incomes(ctx.ledgers).dropna(subset=["household_id", "year"])
    inc = inc.drop_duplicates(["household_id", "year"])
    return inc.set_index([inc["household_id"].astype(object),
                          inc["year"].astype("int64")])["per_capita"]


def _members_text(ctx: Context, column: str) -> dict:
    """household id -> the non-empty texts of a members column."""
    m = ctx.frame("members")
    if column not in m.columns:
        return {}
    rows = m[m[column].notna() & (m[column].astype(object) != "")]
    return rows.groupby(rows["household_id"].astype(object))[column].agg(
        lambda s: [str(v) for v in s]).to_dict()


@rule("M01", ERROR, "a monitoring episode with no risk recorded", GUIDANCE + ": 风险类型")
def _no_risk(ctx: Context):
    ep = _episodes(ctx)
    if ep is None:
        return []
    rows = ep[ep["risks"].isna() | (ep["risks"].astype(object) == "")]
    return [_episode(ctx, "M01", r, when=r.identified_on) for r in rows.itertuples()]


@rule("M02", WARNING, "risk eliminated less than six months after identification",
      GUIDANCE + ": 原则上纳入监测不少于半年")
def _too_soon(ctx: Context):
    ep = _episodes(ctx)
    if ep is None:
        return []
    ok = ep["identified_on"].notna() & ep["eliminated_on"].notna()
    e = ep[ok & (ep["eliminated_on"] >= ep["identified_on"])]
    soon = e[e["eliminated_on"] < e["identified_on"] + pd.DateOffset(months=6)]
    return [_episode(ctx, "M02", r, _day(r.eliminated_on), r.eliminated_on, identified=_day(r.identified_on),
                  days=int((r.eliminated_on - r.identified_on).days))
            for r in soon.itertuples()]


@rule("M03", ERROR, "eliminated by assistance while the year's per-capita income is below "
      "the monitoring line", GUIDANCE + ": 收入持续稳定高于监测标准方可风险消除")
def _assisted_below(ctx: Context):
    ep = _episodes(ctx)
    incomes = _incomes(ctx)
    if ep is None or incomes is None:
        return []
    e = ep[(ep["elimination"].astype(object) == "assisted") & ep["eliminated_on"].notna()]
    out, unlined = [], {}
    for r in e.itertuples():
        year = int(r.eliminated_on.year)
        y = incomes.get((r.household_id, year))
        if y is None or pd.isna(y):
            continue
        line = parameter(ctx.ledgers, "monitoring_line", year)
        if line is None:
            unlined.setdefault(year, r.row_index)
            continue
        if y < line:
            out.append(_episode(ctx, "M03", r, f"{y:.2f}", r.eliminated_on, of_year=year, income=f"{y:.2f}",
                             monitoring_line=f"{line:.2f}"))
    for year, row in unlined.items():  # say so; never a built-in line
        said = _find(ctx, "M03", "monitoring", row, "monitor.M03_no_line", None, None,
                     pd.Timestamp(year=year, month=12, day=31), of_year=year)
        if ctx.whole is None:
            out.append(said)
        else:  # one household shard: the merge says it once, at the set's first such row
            ctx.pending[("M03", year)] = (int(row), said)
    return out


@rule("M04", WARNING, "eliminated \"naturally\" though no member is able to work",
      GUIDANCE + ": 无劳动能力的监测户应落实兜底保障，不宜自然消除")
def _natural_without_labor(ctx: Context):
    ep = _episodes(ctx)
    labor = _members_text(ctx, "labor")
    if ep is None or not labor:
        return []
    e = ep[(ep["elimination"].astype(object) == "natural")]
    out = []
    for r in e.itertuples():
        texts = labor.get(r.household_id)
        if texts and all(any(w in t for w in UNABLE_TO_WORK) for t in texts):
            out.append(_episode(ctx, "M04", r, when=r.eliminated_on))
    return out


@rule("M05", ERROR, "a marginal (边缘易致贫) monitoring object that is a registered household",
      GUIDANCE + ": 边缘易致贫户为一般农户")
def _marginal_registered(ctx: Context):
    ep = _episodes(ctx)
    if ep is None:
        return []
    rows = ep[(ep["category"] == "marginal") & ep["registered"] & ep["township"].notna()]
    return [_episode(ctx, "M05", r, when=r.identified_on) for r in rows.itertuples()]


@rule("M06", ERROR, "an unstable (脱贫不稳定) monitoring object that never exited",
      GUIDANCE + ": 脱贫不稳定户为已脱贫户")
def _unstable_not_exited(ctx: Context):
    ep = _episodes(ctx)
    if ep is None:
        return []
    exits = ctx.frame("exits")
    passed = {} if exits is None else exits[exits["verification"].astype(object) == "pass"] \
        .dropna(subset=["exit_year"]).groupby(exits["household_id"].astype(object))[
        "exit_year"].min().to_dict()
    rows = ep[(ep["category"] == "unstable") & ep["identified_on"].notna()]
    out = []
    for r in rows.itertuples():
        first = passed.get(r.household_id)
        if first is None or int(first) > r.identified_on.year:
            out.append(_episode(ctx, "M06", r, when=r.identified_on))
    return out


@rule("M07", ERROR, "a risk eliminated before it was identified", "the ledger contract")
def _eliminated_before(ctx: Context):
    ep = _episodes(ctx)
    if ep is None:
        return []
    rows = ep[ep["eliminated_on"] < ep["identified_on"]]
    return [_episode(ctx, "M07", r, _day(r.eliminated_on), r.identified_on, identified=_day(r.identified_on))
            for r in rows.itertuples()]


@rule("M08", ERROR, "two monitoring episodes of one household that overlap",
      "the ledger contract: one episode at a time")
def _overlap(ctx: Context):
    ep = _episodes(ctx)
    if ep is None:
        return []
    e = ep[ep["identified_on"].notna()].sort_values(["household_id", "identified_on"])
    out = []
    for hid, g in e.groupby("household_id", sort=False):
        if len(g) < 2:
            continue
        open_until, open_row = None, None
        for r in g.itertuples():
            if open_row is not None and (pd.isna(open_until) or r.identified_on < open_until):
                out.append(_find(ctx, "M08", "monitoring", r.row_index, "monitor.M08", hid,
                                 _day(r.identified_on), r.identified_on,
                                 other=ctx.ledgers.loaded["monitoring"].line(int(open_row))))
            end = r.eliminated_on
            if open_row is None or pd.isna(end) or (pd.notna(open_until) and end > open_until):
                open_until, open_row = end, r.row_index
    return out


@rule("M09", WARNING, "a return to poverty of a household never monitored before it "
      "(the monitoring missed it)", GUIDANCE + ": 早发现、早干预，防止返贫")
def _returned_unmonitored(ctx: Context):
    ep = _episodes(ctx)
    ch = ctx.frame("changes")
    if ep is None or ch is None:
        return []
    # returns before monitoring records began (in the whole set): not judged
    began = ep["identified_on"].min() if ctx.whole is None else ctx.whole["monitoring_began"]
    if pd.isna(began):
        return []
    first = ep.groupby("household_id")["identified_on"].min().to_dict()
    rows = ch[(ch["reason"].astype(object) == "returned") & (ch["date"] >= began)]
    rows = rows.sort_values("date").drop_duplicates("household_id")
    out = []
    for i, r in zip(rows.index, rows.itertuples(index=False)):
        seen = first.get(r.household_id)
        if seen is None or seen > r.date:
            out.append(_find(ctx, "M09", "changes", i, "monitor.M09", r.household_id,
                             _day(r.date), r.date))
    return out


@rule("M10", WARNING, "an illness risk with no member in poor health (where health is "
      "recorded)", GUIDANCE + ": 风险类型与家庭实际相符")
def _illness_without_patient(ctx: Context):
    ep = _episodes(ctx)
    health = _members_text(ctx, "health")
    if ep is None or not health:
        return []
    sick = ep[ep["risks"].astype(object).fillna("").str.split(",").map(
        lambda rs: "illness" in rs)]
    out = []
    for r in sick.itertuples():
        texts = health.get(r.household_id)
        if texts and all(t in HEALTHY for t in texts):
            out.append(_episode(ctx, "M10", r, when=r.identified_on))
    return out


@rule("M11", ERROR, "a given per-capita net income that differs from the computed one by "
      "more than 1 yuan", "the ledger contract: incomes")
def _per_capita_differs(ctx: Context):
    if ctx.frame("incomes") is None:
        return []
    inc = household_incomes(ctx.ledgers)
    bad = inc[(inc["per_capita_net"] - inc["per_capita"]).abs() > 1]
    return [_find(ctx, "M11", "incomes", i, "monitor.M11", r.household_id,
                  f"{r.per_capita_net:.2f}", pd.Timestamp(year=int(r.year), month=12, day=31)
                  if pd.notna(r.year) else None, computed=f"{r.per_capita:.2f}")
            for i, r in zip(bad.index, bad.itertuples(index=False))]


# the rule list (`check --list-rules`) in both languages
_G_ZH = "《关于健全防止返贫动态监测和帮扶机制的指导意见》(2021)"
define({f"checks.{code}.{part}": pair for code, rule_pair, basis_pair in [
    ("M01", ("a monitoring episode with no risk recorded", "监测对象没有登记风险类型"),
     (GUIDANCE + ": 风险类型", _G_ZH + "：风险类型")),
    ("M02", ("risk eliminated less than six months after identification",
             "纳入监测不满半年即标注风险消除"),
     (GUIDANCE + ": 原则上纳入监测不少于半年", _G_ZH + "：原则上纳入监测不少于半年")),
    ("M03", ("eliminated by assistance while the year's per-capita income is below the "
             "monitoring line", "帮扶消除但当年人均纯收入低于监测标准"),
     (GUIDANCE + ": 收入持续稳定高于监测标准方可风险消除",
      _G_ZH + "：收入持续稳定高于监测标准方可风险消除")),
    ("M04", ("eliminated \"naturally\" though no member is able to work",
             "家中无劳动能力成员却标注自然消除"),
     (GUIDANCE + ": 无劳动能力的监测户应落实兜底保障，不宜自然消除",
      _G_ZH + "：无劳动能力的监测户应落实兜底保障，不宜自然消除")),
    ("M05", ("a marginal (边缘易致贫) monitoring object that is a registered household",
             "边缘易致贫户却是建档立卡户"),
     (GUIDANCE + ": 边缘易致贫户为一般农户", _G_ZH + "：边缘易致贫户为一般农户")),
    ("M06", ("an unstable (脱贫不稳定) monitoring object that never exited",
             "脱贫不稳定户却从未脱贫"),
     (GUIDANCE + ": 脱贫不稳定户为已脱贫户", _G_ZH + "：脱贫不稳定户为已脱贫户")),
    ("M07", ("a risk eliminated before it was identified", "风险消除日期早于纳入监测日期"),
     ("the ledger contract", "台账数据规范")),
    ("M08", ("two monitoring episodes of one household that overlap", "同一户两次监测时间重叠"),
     ("the ledger contract: one episode at a time", "台账数据规范：同一时间只有一次监测")),
    ("M09", ("a return to poverty of a household never monitored before it (the monitoring "
             "missed it)", "返贫户此前未被纳入监测（监测遗漏）"),
     (GUIDANCE + ": 早发现、早干预，防止返贫", _G_ZH + "：早发现、早干预，防止返贫")),
    ("M10", ("an illness risk with no member in poor health (where health is recorded)",
             "风险类型为因病，但没有健康状况不佳的成员（已登记健康状况时）"),
     (GUIDANCE + ": 风险类型与家庭实际相符", _G_ZH + "：风险类型与家庭实际相符")),
    ("M11", ("a given per-capita net income that differs from the computed one by more than "
             "1 yuan", "填写的人均纯收入与计算结果相差超过1元"),
     ("the ledger contract: incomes", "台账数据规范：收入")),
] for part, pair in (("rule", rule_pair), ("basis", basis_pair))})
