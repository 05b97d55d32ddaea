"""check's rules as they were written before they ran on integer codes (text keys,
Python strings, a loop per group): the reference the faster rules must agree with
(tests/test_checks_speed.py). Copied from povcli 90a1990; not used by povcli itself."""

from __future__ import annotations

import numpy as np
import pandas as pd

from povcli import checks
from povcli.checks import Context, _known_area, _true, _WEIGHTS, _enum_code, _money
from povcli.model import Rolls, codes_of


def memberships_on_at(self, household_ids, person_ids, when) -> np.ndarray:
    def key(hh, pid):
        return (pd.Series(np.asarray(hh, dtype=object)).astype(str) + "\x1f"
                + pd.Series(np.asarray(pid, dtype=object)).astype(str))
    n = len(person_ids)
    rows = pd.DataFrame({"key": key(household_ids, person_ids).to_numpy(dtype=object),
                         "when": pd.to_datetime(np.asarray(when)).astype("datetime64[s]"),
                         "row": np.arange(n)})
    rows = rows.dropna(subset=["when"])
    if rows.empty or not len(self.members):
        return np.ones(n, dtype=bool)
    ch = self.changes[["date", "household_id", "person_id", "direction"]].dropna(
        subset=["date"])
    ch = pd.DataFrame({"date": ch["date"].to_numpy(),
                       "key": key(ch["household_id"], ch["person_id"]).to_numpy(dtype=object),
                       "direction": ch["direction"].astype(object).to_numpy()})
    rows["key"] = rows["key"].astype(object)
    ch["key"] = ch["key"].astype(object)
    last = pd.merge_asof(rows.sort_values("when"), ch.sort_values("date", kind="stable"),
                         left_on="when", right_on="date", by="key", direction="backward")
    member_keys = key(self.members["household_id"], self.members["person_id"])
    member = codes_of(last["key"], pd.Index(member_keys))
    known = member >= 0
    safe = np.maximum(member, 0)
    default = (self.identified.to_numpy()[safe] <= last["when"].to_numpy()) & \
        ~self.joins_later[safe] if len(self.members) else np.zeros(len(last), bool)
    on = np.where(last["direction"].notna(), last["direction"] == "in", default)
    out = np.ones(n, dtype=bool)
    out[last["row"].to_numpy()] = np.where(known, on, True)
    return out


def households_on_at(self, household_ids, when) -> np.ndarray:
    codes = codes_of(household_ids, self.household_index)
    when = pd.to_datetime(when.to_numpy()).astype("datetime64[s]")
    if not len(self.household_index):
        return np.zeros(len(codes), dtype=bool)
    identified = np.where(codes >= 0, self.hh_identified[np.maximum(codes, 0)],
                          np.datetime64("NaT"))
    out = identified <= when
    changed = np.zeros(len(self.household_index), dtype=bool)
    ch_hh = codes_of(self.changes["household_id"], self.household_index)
    changed[ch_hh[ch_hh >= 0]] = True
    has_member = np.zeros(len(self.household_index), dtype=bool)
    ok = (self.member_hh >= 0) & ~self.joins_later
    has_member[self.member_hh[ok]] = True
    safe = np.maximum(codes, 0)
    plain = ~changed[safe] | (codes < 0)
    out &= ~plain | has_member[safe]
    rows = np.flatnonzero(~plain & out)
    if len(rows):
        sub = pd.DataFrame({"household_id": household_ids.to_numpy()[rows],
                            "when": when[rows], "row": rows})
        sub["household_id"] = sub["household_id"].astype(object)
        mem = self.members[["household_id", "person_id"]].astype(object)
        pairs = sub.merge(mem, on="household_id")
        pairs["on"] = memberships_on_at(self, pairs["household_id"], pairs["person_id"],
                                        pairs["when"])
        any_on = pairs.groupby("row")["on"].any()
        out[rows] = any_on.reindex(rows).fillna(False).to_numpy(dtype=bool)
    return out


def payees(rows: pd.DataFrame) -> pd.DataFrame:
    """rows with `payee` (person and household) and `program` as plain text keys."""
    payee = rows["person_id"].astype(object).fillna("").astype(str) + "|" + \
        rows["household_id"].astype(object).fillna("").astype(str)
    return rows.assign(payee=payee, program=rows["program"].astype(object).fillna("")
                       .astype(str))


def likely_duplicates(ctx: Context):
    pay = checks._payments(ctx)
    if pay is None:
        return []
    window = pd.Timedelta(days=ctx.params.duplicate_window)
    rows = payees(pay)
    pos = rows[_true(rows["amount"] > 0)].sort_values(["payee", "program", "amount", "date"],
                                                      kind="stable")
    prev = pos.shift(1)
    again = ((pos["payee"] == prev["payee"]) & (pos["program"] == prev["program"])
             & (pos["amount"] == prev["amount"]) & (pos["date"] - prev["date"] <= window))
    hits = pos[_true(again)]
    if hits.empty:
        return []
    neg = rows[_true(rows["amount"] < 0)]
    undone = pd.MultiIndex.from_arrays([neg["payee"].to_numpy(), neg["program"].to_numpy(),
                                        (-neg["amount"]).to_numpy()])
    keys = pd.MultiIndex.from_arrays([hits["payee"].to_numpy(), hits["program"].to_numpy(),
                                      hits["amount"].to_numpy()])
    hits = hits[~keys.isin(undone)]
    return ctx.rows("S04", "subsidies", hits, "checks.S04.again",
                    checks._amounts(hits["amount"]), "date",
                    program=checks._codes(hits["program"]),
                    amount=checks._moneys(hits["amount"]), days=ctx.params.duplicate_window)


def reversals(ctx: Context):
    if hasattr(ctx, "_reversal_rows"):
        return ctx._reversal_rows
    pay = checks._payments(ctx)
    rows = None
    if pay is not None and _true(pay["amount"] < 0).any():
        p = payees(pay[_true(pay["amount"] != 0)])
        p = p.assign(size=p["amount"].abs().round(2), neg=p["amount"] < 0,
                     record=p.index).reset_index(drop=True)
        p = p.sort_values(["payee", "program", "date", "neg", "record"], kind="stable")
        group = [p["payee"], p["program"]]
        paid = p["amount"].where(~p["neg"], 0.0)
        p["paid"] = paid.groupby(group).cumsum()
        p["reversed"] = (-p["amount"].where(p["neg"], 0.0)).groupby(group).cumsum()
        p["paid_before"] = (~p["neg"]).astype(int).groupby(group).cumsum() > 0
        p["larger_before"] = paid.groupby(group).cummax()
        same = [p["payee"], p["program"], p["size"]]
        payments_so_far = (~p["neg"]).astype(int).groupby(same).cumsum()
        neg = p[p["neg"]].copy()
        neg["P"] = payments_so_far[neg.index]
        key = [neg["payee"], neg["program"], neg["size"]]
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


def valid_ids(numbers: pd.Series) -> np.ndarray:
    s = numbers.astype(object)
    form = s.str.fullmatch(r"[0-9]{17}[0-9X]").fillna(False).to_numpy(dtype=bool)
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


def id_fields(numbers: pd.Series) -> pd.DataFrame:
    s = numbers.astype(object).where(numbers.notna(), "")
    ok = s.str.fullmatch(r"[0-9]{17}[0-9X]").fillna(False).astype(bool)
    born = pd.to_datetime(s.where(ok, "").str[6:14], format="%Y%m%d", errors="coerce")
    sex = np.where(ok, np.where(s.str[16].isin(list("13579")), "M", "F"), None)
    return pd.DataFrame({"born": born, "sex": sex}, index=numbers.index)


def duplicates(ctx: Context):
    out = [checks._recode(f, "L02", "keep") for f in checks._integrity(ctx)
           if f.code == "L02" and f.column != "voucher"
           and not (f.file == ctx.ledgers.loaded["members"].display
                    and f.column == "person_id")]
    m = ctx.frame("members")
    twice = m[_true(m.duplicated(["person_id", "household_id"], keep="first")
                    & m["person_id"].notna())]
    out += [ctx.find("L02", "members", i, "checks.L02.twice", twice.at[i, "household_id"],
                     twice.at[i, "person_id"]) for i in twice.index]
    return out


def head_not_member(ctx: Context):
    hh = ctx.frame("households")
    m = ctx.frame("members")
    pairs = pd.MultiIndex.from_arrays([m["person_id"].to_numpy(), m["household_id"].to_numpy()])
    here = pd.MultiIndex.from_arrays([hh["head_id"].to_numpy(), hh["household_id"].to_numpy()])
    bad = hh["head_id"].notna().to_numpy() & ~here.isin(pairs)
    rows = hh[bad]
    return ctx.batch("H04", "households", rows.index, "checks.H04.head", rows["household_id"],
                     rows["head_id"], rows["head_id"], column="head_id")


def outliers(ctx: Context):
    pay = checks._payments(ctx)
    if pay is None:
        return []
    rows = pay[_true(pay["amount"] > 0)]
    rows = rows.assign(year=rows["date"].dt.year, program=rows["program"].astype(object))
    out = []
    for (year, program), group in rows.groupby(["year", "program"]):
        if len(group) < 5:
            continue
        median = group["amount"].median()
        mad = (group["amount"] - median).abs().median()
        scale = 1.4826 * mad if mad > 0 else 0.1 * median
        if not scale > 0:
            continue
        z = (group["amount"] - median).abs() / scale
        far = group[_true(z > ctx.params.outlier)]
        if len(far):
            out.append(ctx.rows("S07", "subsidies", far, "checks.S07.far",
                                checks._amounts(far["amount"]), "date",
                                program=_enum_code(program), amount=checks._moneys(
                                    far["amount"]), median=_money(median),
                                pay_year=int(year)))
    return out


def patch(monkeypatch) -> None:
    """Put the reference in place of the fast code (monkeypatch undoes it)."""
    from dataclasses import replace

    monkeypatch.setattr(Rolls, "memberships_on_at", memberships_on_at)
    monkeypatch.setattr(Rolls, "households_on_at", households_on_at)
    monkeypatch.setattr(checks, "_reversals", reversals)
    monkeypatch.setattr(checks, "_valid_ids", valid_ids)
    monkeypatch.setattr(checks, "_id_fields", id_fields)
    for code, fn in (("L02", duplicates), ("H04", head_not_member), ("S07", outliers),
                     ("S04", likely_duplicates)):
        monkeypatch.setitem(checks.RULES, code, replace(checks.RULES[code], run=fn))
