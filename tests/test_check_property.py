"""`povcli check` on random small ledger sets with random damage: every rule runs and no
exception escapes (a damaged cell is a finding, never an internal error)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from povcli.checks import RULES, Context, Params, run_checks
from povcli.read.load import read_ledgers

from conftest import HOUSEHOLD_HEADER, MEMBER_HEADER, pid, write_csv

TODAY = pd.Timestamp("2026-11-28")

HIDS = ["01", "02", "03", "99"]  # 99: never a household, a dangling reference
DATES = ["2014-06-01", "2016-03-01", "2017-06-30", "2017-12-31", "2018-01-05", "",
         "2017-13-05", "不详", "2099-01-01"]
YEARS = ["2016", "2017", "2018", "2013", "", "2016年度", "x"]
AMOUNTS = ["500", "4000", "-4000", "-500", "-777.77", "900", "", "一千", "0"]


def pick(values):
    return st.sampled_from(values)


people = st.builds(lambda n: pid(n) if n >= 0 else "2.20503E+17",
                   st.integers(min_value=-1, max_value=6))

households = st.lists(st.tuples(pick(HIDS[:3] + ["02"]), pick(["样子沟村", "三道沟村", ""]),
                                people, pick(["general", "dibao", "zz", ""]),
                                pick(DATES[:4] + ["", "2016-02-30"])),
                      min_size=1, max_size=4)
members = st.lists(st.tuples(people, pick(HIDS), pick(["head", "spouse", "child", "zz", ""]),
                             pick(["M", "F", "", "?"]),
                             pick(["1980-01-01", "2010-05-05", "", "19800101x"])),
                   max_size=7)
changes = st.none() | st.lists(st.tuples(
    pick(DATES), pick(HIDS + [""]), people | st.just(""), pick(["in", "out", "", "up"]),
    pick(["death", "moved", "birth", "returned", "other_in", "misidentified", "zz", ""])),
    max_size=6)
exits = st.none() | st.lists(st.tuples(
    pick(HIDS + [""]), pick(YEARS), pick(["pass", "fail", "pending", "", "zz"]),
    pick(DATES), pick(["5000", "2000", "", "abc"])), max_size=4)
subsidies = st.none() | st.lists(st.tuples(
    pick(DATES), pick(HIDS + [""]), people | st.just(""),
    pick(["dibao", "education", "health", "other", "zz", ""]), pick(AMOUNTS),
    pick(["municipal", "", "zz"]), pick(["V1", "V2", ""])), max_size=8)
villages = st.none() | st.lists(st.tuples(
    pick(["二道江乡", ""]), pick(["样子沟村", "样子沟", "三道沟村", ""]),
    pick(["100", "0", "", "abc", "1670"]), pick(["是", "否", "", "也许"]), pick(YEARS),
    pick(["某公司", ""])), max_size=3)
pairings = st.none() | st.lists(st.tuples(
    pick(HIDS + [""]), pick(["张三", ""]), pick(["BF1", "BF2", ""]), pick(["区扶贫办", ""]),
    pick(["某领导", ""]), pick(DATES)), max_size=4)
policy = st.none() | st.lists(st.tuples(pick(YEARS), pick(["3000", "", "abc"]),
                                        pick(["3500", ""])), max_size=2)


def _write(folder: Path, data: dict) -> None:
    write_csv(folder / "households.csv", HOUSEHOLD_HEADER,
              [[h, "二道江乡", v, f"户主{h}", head, cat, "illness", when, ""]
               for h, v, head, cat, when in data["households"]])
    write_csv(folder / "members.csv", MEMBER_HEADER,
              [[p, h, "某人", rel, sex, born] for p, h, rel, sex, born in data["members"]])
    headers = {
        "changes": ["date", "household_id", "person_id", "direction", "reason"],
        "exits": ["household_id", "exit_year", "verification", "verified_on",
                  "per_capita_income"],
        "subsidies": ["date", "household_id", "person_id", "program", "amount", "source",
                      "voucher"],
        "villages": ["township", "village", "rural_population", "poor_village", "exit_year",
                     "enterprise"],
        "pairings": ["household_id", "cadre_name", "cadre_id", "unit", "leader", "since"],
        "policy": ["year", "poverty_line", "dibao_standard"],
    }
    for name, header in headers.items():
        if data[name] is not None:
            write_csv(folder / f"{name}.csv", header, [list(r) for r in data[name]])


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.fixed_dictionaries({
    "households": households, "members": members, "changes": changes, "exits": exits,
    "subsidies": subsidies, "villages": villages, "pairings": pairings, "policy": policy}),
    st.sampled_from([None, 2016, 2017]))
def test_every_rule_survives_damaged_ledgers(data, year):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write(folder, data)
        ledgers, findings = read_ledgers(folder)
        if any(f.line is None for f in findings):
            return  # refused as a whole (exit 2), before any rule runs
        # each rule alone, so the one that fails is named
        as_of = pd.Timestamp(f"{year or 2017}-12-31")
        ctx = Context(ledgers, Params(), as_of, TODAY, findings)
        for code, rule in RULES.items():
            try:
                rule.run(ctx)
            except Exception as error:  # pragma: no cover - the report names the rule
                raise AssertionError(f"rule {code} failed: {error!r}") from error
        found = run_checks(ledgers, findings, year=year, today=TODAY)
        for f in found:
            assert f.message("zh") and f.message("en")
