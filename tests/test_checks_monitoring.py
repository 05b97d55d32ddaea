"""The M rules of `povcli check` (incomes, return-to-poverty monitoring): each fires on a
planted case, stays quiet on a clean one and on the sample ledgers."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from povcli.checks import RULES, run_checks, rules_frame, select_rules
from povcli.read.load import read_ledgers

from conftest import HOUSEHOLD_HEADER, SAMPLE, household, pid, write_csv

TODAY = pd.Timestamp("2026-11-28")
MEMBERS = ["person_id", "household_id", "name", "relation", "sex", "birth_date", "health",
           "labor"]


def clean() -> dict:
    return {
        "households": [household("H1"), household("H2", head=3)],
        "members": [[pid(1), "H1", "甲", "head", "M", "1970-01-01", "健康", "普通劳动力"],
                    [pid(2), "H1", "乙", "spouse", "F", "1972-01-01", "长期慢性病", "无劳动力"],
                    [pid(3), "H2", "丙", "head", "M", "1950-01-01", "健康", "无劳动力"]],
        "exits": [["H1", "2016", "pass", "2016-11-01", "2000"]],
        "changes": [],
        "incomes": [["H1", "2016", "2", "4000", "", "", "", "", ""],
                    ["H1", "2022", "2", "14000", "", "", "", "", "7000"]],
        "monitoring": [["H1", "unstable", "2021-03-01", "employment", "2022-06-01", "assisted",
                        ""]],
        "policy": [["2021", "6000"]],
    }


HEADERS = {
    "households": HOUSEHOLD_HEADER, "members": MEMBERS,
    "exits": ["household_id", "exit_year", "verification", "verified_on", "per_capita_income"],
    "changes": ["date", "household_id", "person_id", "direction", "reason"],
    "incomes": ["household_id", "year", "size", "wage", "business", "business_cost", "property",
                "transfer", "per_capita_net"],
    "monitoring": ["household_id", "category", "identified_on", "risks", "eliminated_on",
                   "elimination", "per_capita_income"],
    "policy": ["year", "monitoring_line"],
}


def m_findings(folder, ledgers: dict):
    folder.mkdir()
    for name, rows in ledgers.items():
        if rows is not None:
            write_csv(folder / f"{name}.csv", HEADERS[name], rows)
    loaded, read = read_ledgers(folder)
    return run_checks(loaded, read, select_rules(["M"], None), today=TODAY)


def test_the_clean_case_is_clean(tmp_path):
    assert m_findings(tmp_path / "l", clean()) == []


def plant(case: str, d: dict) -> None:
    mon = d["monitoring"][0]
    if case == "M01":
        mon[3] = ""
    elif case == "M02":
        mon[4] = "2021-06-01"
    elif case == "M03":
        d["incomes"][1] = ["H1", "2022", "2", "10000", "", "", "", "", ""]  # 5000 < 6000
    elif case == "M04":
        mon[5] = "natural"
        for m in d["members"]:
            m[7] = "丧失劳动力" if m[1] == "H1" else m[7]
    elif case == "M05":
        mon[1] = "marginal"
    elif case == "M06":
        mon[0] = "H2"
    elif case == "M07":
        mon[4] = "2020-12-31"
    elif case == "M08":
        d["monitoring"].append(["H1", "sudden", "2022-01-01", "disaster", "", "", ""])
    elif case == "M09":
        d["changes"].append(["2023-05-01", "H2", pid(3), "in", "returned"])
    elif case == "M10":
        mon[3] = "illness"
        for m in d["members"]:
            m[6] = "健康"
    elif case == "M11":
        d["incomes"][1][8] = "6500"


CASES = [f"M{n:02d}" for n in range(1, 12)]


def test_every_m_rule_has_a_case():
    assert sorted(c for c in RULES if c.startswith("M")) == CASES


@pytest.mark.parametrize("code", CASES)
def test_each_rule_fires_on_its_planted_case(tmp_path, code):
    d = clean()
    plant(code, d)
    found = m_findings(tmp_path / "l", d)
    mine = [f for f in found if f.code == code]
    assert mine, [str(f) for f in found]
    f = mine[0]
    assert f.line and f.severity == RULES[code].severity
    zh = f.message("zh")
    assert zh != f.message("en") and re.search(r"[\u4e00-\u9fff]", zh)
    assert "{" not in f.message("en") and "{" not in zh


def test_a_missing_monitoring_line_is_said_never_invented(tmp_path):
    d = clean()
    plant("M03", d)
    d["policy"] = None
    found = [f for f in m_findings(tmp_path / "l", d) if f.code == "M03"]
    assert len(found) == 1 and "no monitoring_line for 2022" in found[0].reason


def test_silent_on_the_sample():
    loaded, read = read_ledgers(SAMPLE)
    assert run_checks(loaded, read, select_rules(["M"], None), today=TODAY) == []


def test_rules_list_takes_the_m_rules():
    frame = rules_frame()
    assert "M01" in set(frame["code"]) and frame["basis"].notna().all()


def test_an_unregistered_member_who_moved_is_off_the_roll_he_left():
    """The roll of a household never registered (monitoring's 边缘易致贫户) follows each
    membership's own latest change, as the model's person rule does: monitor used the
    person's latest change in any household, so someone who left U1 for U2 stayed on
    U1's roll too."""
    import numpy as np

    from conftest import household, ledger_frames, member, pid
    from povcli import api
    from povcli.model import Rolls
    from povcli.monitor import members_at

    frames = ledger_frames(
        households=[household("U1"), household("U2", head=2)],
        members=[member(1, "U1"), member(1, "U2", "spouse"), member(2, "U2")],
        changes=[["2021-03-01", "U1", pid(1), "out", "moved"],
                 ["2021-03-02", "U2", pid(1), "in", "marriage_in"]])
    frames["households"]["registered"] = "no"
    ledgers = api.ledgers_from_frames(frames)
    rolls = Rolls.of(ledgers)
    on = members_at(rolls, "2021-12-31", np.zeros(len(rolls.members), dtype=bool))
    where = dict(zip(zip(rolls.members["household_id"], rolls.members["person_id"]), on))
    assert not where[("U1", pid(1))]
    assert where[("U2", pid(1))] and where[("U2", pid(2))]
