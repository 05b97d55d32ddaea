"""Issue 11: exits as offices decided them (contract 2)."""

from __future__ import annotations

import pandas as pd

from povcli import reports
from povcli.flow import flow
from povcli.read.load import open_ledgers
from povcli.model import Rolls, exit_rows, year_end
from povcli.programs import villages
from povcli.summary import summary

from conftest import household, make_ledgers, member, pid, write_csv


def summary_of(folder, year):
    report = summary(open_ledgers(folder), year)
    return dict(zip(report.frame["metric"], report.frame["value"]))


EXIT_HEADER = ["household_id", "exit_year", "verification", "verified_on", "per_capita_income"]


def two_households(tmp_path, exits, header=EXIT_HEADER):
    """H1 with two people, H2 with one; exits.csv written with the header given."""
    folder = make_ledgers(
        tmp_path, households=[household("H1"), household("H2", head=3)],
        members=[member(1, "H1"), member(2, "H1", "spouse"), member(3, "H2")])
    write_csv(folder / "exits.csv", header, exits)
    return folder


def test_pending_and_empty_verification_are_pre_exits_and_stay_poor(tmp_path):
    folder = two_households(tmp_path, [["H1", "2016", "pending", "", ""],
                                       ["H2", "2016", "", "", ""]])
    rows = reports.exits(open_ledgers(folder)).frame.to_dict("records")
    assert rows == [{"year": 2016, "households": 0, "people": 0, "verified_people": 0,
                     "passed_people": 0, "pass_rate": rows[0]["pass_rate"],
                     "pending_people": 3}]
    assert pd.isna(rows[0]["pass_rate"])
    s = summary_of(folder, 2016)
    assert (s["poor_households"], s["poor_people"]) == (2, 3)
    assert (s["exited_people_year"], s["exited_people_total"]) == (0, 0)


def test_fail_is_no_exit_and_pass_is(tmp_path):
    folder = two_households(tmp_path, [["H1", "2016", "pass", "", ""],
                                       ["H2", "2016", "fail", "", ""]])
    rows = reports.exits(open_ledgers(folder)).frame.to_dict("records")
    assert rows == [{"year": 2016, "households": 1, "people": 2, "verified_people": 3,
                     "passed_people": 2, "pass_rate": 2 / 3, "pending_people": 0}]
    s = summary_of(folder, 2016)
    assert (s["poor_households"], s["poor_people"], s["exited_people_year"]) == (1, 1, 2)


def test_contract_column_order_of_exits():
    assert reports.EXIT_COLUMNS == ["year", "households", "people", "verified_people",
                                    "passed_people", "pass_rate", "pending_people"]


def test_no_verification_column_counts_every_row_with_a_note(tmp_path):
    folder = two_households(tmp_path, [["H1", "2016"], ["H2", "2017"]],
                            header=["household_id", "exit_year"])
    ledgers = open_ledgers(folder)
    report = reports.exits(ledgers)
    rows = report.frame.to_dict("records")
    assert [(r["year"], r["households"], r["people"], r["pending_people"]) for r in rows] == [
        (2016, 1, 2, 0), (2017, 1, 1, 0)]
    for r in rows:
        assert pd.isna(r["verified_people"]) and pd.isna(r["passed_people"])
        assert pd.isna(r["pass_rate"])
    assert "reports.exits_unverified" in report.notes
    s = summary_of(folder, 2017)
    assert (s["poor_people"], s["exited_people_total"]) == (0, 3)
    assert s["verified_people_year"] is None and s["pass_rate_year"] is None


def test_an_empty_verification_column_is_not_a_missing_one(tmp_path):
    # the column is there, every cell empty: every row is a pre-exit
    folder = two_households(tmp_path, [["H1", "2016", ""], ["H2", "2016", ""]],
                            header=["household_id", "exit_year", "verification"])
    s = summary_of(folder, 2016)
    assert (s["poor_people"], s["exited_people_year"]) == (3, 0)


def test_no_verification_column_on_the_command_line(tmp_path, run):
    folder = two_households(tmp_path, [["H1", "2016"]], header=["household_id", "exit_year"])
    result = run("exits", "--data", str(folder), "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "year,households,people,verified_people,passed_people,pass_rate,pending_people",
        "2016,1,2,,,,0"]
    assert "no verification column" in result.stderr
    zh = run("exits", "--data", str(folder), "--format", "csv", "--lang", "zh")
    assert "没有“查验结果”列" in zh.stderr


def test_pre_exit_stays_poor_in_flow_and_villages(tmp_path):
    folder = two_households(tmp_path, [["H1", "2016", "pending", "", ""],
                                       ["H2", "2016", "pass", "", ""]])
    ledgers = open_ledgers(folder)
    lines = flow(ledgers, 2016).frame
    poor = lines[lines["section"] == "poor"].set_index("line")
    assert int(poor.loc["poor at 2016-12-31, counted", "people"]) == 2
    assert int(poor.loc["difference (counted - recorded)", "people"]) == 0
    assert int(poor.loc["- exited in 2016 (脱贫)", "people"]) == 1
    frame = villages(ledgers, 2016).frame
    assert int(frame["poor_people"].sum()) == 2


def test_exit_rows_names_the_rule_of_each_row(tmp_path):
    folder = two_households(tmp_path, [["H1", "2016", "pending", "", ""],
                                       ["H2", "2016", "fail", "", ""]])
    ledgers = open_ledgers(folder)
    rows = exit_rows(ledgers, Rolls.of(ledgers))
    assert rows["exited"].tolist() == [False, False]
    assert rows["pre_exit"].tolist() == [True, False]
    assert rows["verified"].tolist() == [False, True]


# ---- policy: the exit standard, national figures only built in

def test_policy_value_follows_the_contract_rule():
    from povcli.policy import value_for
    policy = pd.DataFrame({"year": pd.array([2015, 2017], dtype="Int64"),
                           "poverty_line": [2855.0, None], "exit_standard": [2968.0, 3335.0],
                           "dibao_standard": [None, None], "monitoring_line": [None, None]})
    assert value_for("exit_standard", 2016, policy) == (2968.0, "policy.csv")
    assert value_for("exit_standard", 2018, policy) == (3335.0, "policy.csv")
    assert value_for("exit_standard", 2014, policy) == (None, None)
    # the policy row of 2015 gives the line for 2016 too (latest row <= Y that gives it)
    assert value_for("poverty_line", 2016, policy) == (2855.0, "policy.csv")
    # before any row: the national figure of that very year
    assert value_for("poverty_line", 2011, policy) == (2536.0, "national")
    # no built-in figure for 2012, and 2011's is not carried into it
    assert value_for("poverty_line", 2012, None) == (None, None)
    # no local parameter is built in
    assert value_for("dibao_standard", 2017, None) == (None, None)
    assert value_for("monitoring_line", 2021, None) == (None, None)


def test_policy_report_shows_no_built_in_dibao_standard(tmp_path):
    from povcli.programs import POLICY_COLUMNS, policy
    folder = make_ledgers(tmp_path, households=[household("H1")], members=[member(1, "H1")])
    frame = policy(open_ledgers(folder)).frame
    assert list(frame.columns) == POLICY_COLUMNS
    assert frame["dibao_standard"].isna().all() and frame["exit_standard"].isna().all()
    assert set(frame["poverty_line_from"]) == {"national"}
    assert 2012 not in set(frame["year"])
    row = policy(open_ledgers(folder), 2012).frame.iloc[0]
    assert pd.isna(row["poverty_line"])


def exit_at(tmp_path, income, policy_rows=None, incomes=None):
    folder = make_ledgers(tmp_path, households=[household("H1")],
                          members=[member(1, "H1"), member(2, "H1", "spouse")],
                          exits=[["H1", "2016", "pass", "2016-11-01", income]])
    if policy_rows is not None:
        write_csv(folder / "policy.csv", ["year", "poverty_line", "exit_standard"], policy_rows)
    if incomes is not None:
        write_csv(folder / "incomes.csv", ["household_id", "year", "size", "wage", "business",
                                           "business_cost", "property", "transfer"], incomes)
    return folder


def e_findings(folder, code):
    from povcli.checks import RULES, run_checks
    from povcli.read.load import read_ledgers
    ledgers, findings = read_ledgers(folder)
    return run_checks(ledgers, findings, [RULES[code]], today=pd.Timestamp("2026-01-01"))


def test_exit_income_tested_against_the_exit_standard(tmp_path):
    rows = [["2016", "2952", "3146"]]
    # above the national line, not above the province's exit standard
    (f,) = e_findings(exit_at(tmp_path / "a", "3000", rows), "E02")
    assert "exit standard 3,146.00" in f.text("en") and "脱贫标准3,146.00元" in f.text("zh")
    assert f.line == 2 and f.column == "per_capita_income"
    # equal fails: strictly above
    assert len(e_findings(exit_at(tmp_path / "b", "3146", rows), "E02")) == 1
    assert e_findings(exit_at(tmp_path / "c", "3146.01", rows), "E02") == []


def test_exit_income_without_exit_standard_uses_the_national_line_and_says_so(tmp_path):
    (f,) = e_findings(exit_at(tmp_path / "a", "2952"), "E02")
    assert "national poverty line 2,952.00" in f.text("en")
    assert "no exit standard" in f.text("en") and "按国家扶贫标准检验" in f.text("zh")
    assert e_findings(exit_at(tmp_path / "b", "2953"), "E02") == []


def test_exit_income_from_the_incomes_ledger_and_disagreement(tmp_path):
    # no income on the exit row: the incomes ledger's figure, (7000 + 1000 - 200) / 2
    folder = exit_at(tmp_path / "a", "", [["2016", "2952", "3146"]],
                     [["H1", "2016", "2", "7000", "1000", "200", "0", "0"]])
    assert e_findings(folder, "E02") == []
    folder = exit_at(tmp_path / "b", "", [["2016", "2952", "3146"]],
                     [["H1", "2016", "2", "3000", "1000", "200", "0", "0"]])
    (f,) = e_findings(folder, "E02")
    assert "1,900.00" in f.text("en")
    # two figures more than 1 yuan apart
    folder = exit_at(tmp_path / "c", "2901.50", None,
                     [["H1", "2016", "2", "5000", "1000", "200", "0", "0"]])
    (f,) = e_findings(folder, "E06")
    assert "2,900.00" in f.text("en") and "相差超过1元" in f.text("zh")
    folder = exit_at(tmp_path / "d", "2900.90", None,
                     [["H1", "2016", "2", "5000", "1000", "200", "0", "0"]])
    assert e_findings(folder, "E06") == []


# ---- villages: at the threshold meets it

def test_village_at_the_threshold_meets_it(tmp_path):
    folder = make_ledgers(tmp_path, households=[household("H1")],
                          members=[member(1, "H1"), member(2, "H1", "spouse")])
    write_csv(folder / "villages.csv", ["township", "village", "rural_population",
                                        "poor_village", "exit_year"],
              [["二道江乡", "样子沟村", "100", "是", "2016"]])
    frame = villages(open_ledgers(folder), 2016).frame
    assert frame.loc[0, "incidence"] == 0.02 and frame.loc[0, "meets_exit_threshold"] == "yes"
    assert e_findings(folder, "V01") == []
    write_csv(folder / "villages.csv", ["township", "village", "rural_population",
                                        "poor_village", "exit_year"],
              [["二道江乡", "样子沟村", "99", "是", "2016"]])
    assert villages(open_ledgers(folder), 2016).frame.loc[0, "meets_exit_threshold"] == "no"
    assert len(e_findings(folder, "V01")) == 1


# ---- the national system's category labels

def labelled(tmp_path, labels, exits):
    rows = []
    for n, label in enumerate(labels, start=1):
        row = household(f"H{n}", head=n)
        row[5] = label
        rows.append(row)
    return make_ledgers(tmp_path, households=rows,
                        members=[member(n, f"H{n}") for n in range(1, len(labels) + 1)],
                        exits=exits)


def test_national_labels_give_the_attribute_and_the_claim(tmp_path):
    labels = ["一般脱贫户", "低保脱贫户", "特困供养脱贫户", "低保特困供养脱贫户",
              "低保特困供养贫困户", "低保特困供养户", "一般贫困户", "dibao"]
    folder = labelled(tmp_path, labels, [])
    hh = open_ledgers(folder).frame("households")
    assert hh["category"].tolist() == ["general", "dibao", "tekun", "dibao_tekun",
                                       "dibao_tekun", "dibao_tekun", "general", "dibao"]
    assert hh["category_claims_exit"].tolist() == [True, True, True, True, False, pd.NA,
                                                   False, pd.NA]


def test_label_and_exits_disagree(tmp_path):
    folder = labelled(tmp_path, ["一般脱贫户", "低保脱贫户", "一般贫困户", "一般贫困户", "general"],
                      [["H1", "2016", "pass", "", ""],   # says exited, exited: fine
                       ["H2", "2016", "pending", "", ""],  # says exited, only a pre-exit
                       ["H3", "2016", "pass", "", ""],   # says poor, exited
                       ["H5", "2016", "pass", "", ""]])  # a code says nothing
    found = e_findings(folder, "E07")
    assert [(f.household, f.line) for f in found] == [("H2", 3), ("H3", 4)]
    assert "脱贫户" in found[0].text("en") and "未脱贫" in found[1].text("zh")


def test_poor_labels_alone_are_the_attribute_not_a_claim(tmp_path):
    # a file that never writes 脱贫户 uses 一般贫困户 ... as the attribute's label
    folder = labelled(tmp_path, ["一般贫困户", "低保贫困户"], [["H1", "2016", "pass", "", ""]])
    assert e_findings(folder, "E07") == []


def test_label_poor_after_a_return_is_fine(tmp_path):
    folder = labelled(tmp_path, ["一般贫困户", "一般脱贫户"], [["H1", "2016", "pass", "", ""],
                                                          ["H2", "2016", "pass", "", ""]])
    write_csv(folder / "changes.csv", ["date", "household_id", "person_id", "direction",
                                       "reason"], [["2017-03-01", "H1", pid(1), "in", "returned"]])
    assert e_findings(folder, "E07") == []


def test_unknown_category_label_is_a_cell_error(tmp_path, run):
    folder = labelled(tmp_path, ["脱贫户X"], [])
    result = run("summary", "--data", str(folder))
    assert result.exit_code == 2
    assert "households.csv:2: column category" in result.stderr
    assert "Traceback" not in result.output


# ---- households' registered: only registered households count

def test_unregistered_household_counts_in_no_figure(tmp_path, run):
    from conftest import HOUSEHOLD_HEADER
    from povcli import api
    folder = make_ledgers(
        tmp_path, members=[member(1, "H1"), member(2, "H2"), member(3, "H2", "child")],
        changes=[["2017-03-01", "H2", pid(3), "in", "birth"],
                 ["2017-04-01", "H1", pid(1), "in", "returned"]],
        exits=[["H1", "2016", "pass", "", ""], ["H2", "2016", "pass", "", ""]],
        subsidies=[["2017-05-01", "H1", "", "dibao", "100", "", ""],
                   ["2017-05-01", "H2", "", "dibao", "300", "", ""]])
    write_csv(folder / "households.csv", HOUSEHOLD_HEADER + ["registered"],
              [household("H1") + ["是"], household("H2", head=2) + ["否"]])
    s = dict(zip(*api.run("summary", folder, 2017).frame[["metric", "value"]].T.values))
    assert (s["households"], s["people"], s["poor_people"]) == (1, 1, 1)
    assert (s["exited_people_total"], s["added_people_year"]) == (1, 1)
    assert s["subsidy_amount_year"] == 100
    exits = api.run("exits", folder).frame
    assert (int(exits.at[0, "households"]), int(exits.at[0, "people"])) == (1, 1)
    changes = api.run("changes", folder).frame
    assert changes["reason"].tolist() == ["returned"]
    subsidies = api.run("subsidies", folder).frame
    assert subsidies["amount"].tolist() == [100.0]
    assert int(api.run("villages", folder, 2017).frame["people"].sum()) == 1
    # read and checked all the same: the command runs, nothing crashes
    result = run("check", "--data", str(folder), "--format", "csv", "--select", "E,H")
    assert result.exit_code in (0, 1) and "internal error" not in result.stderr


# ---- members: a person may move between registered households

def moved(tmp_path, changes):
    return make_ledgers(
        tmp_path, households=[household("H1", "2014-06-01"), household("H2", "2014-06-01",
                                                                       head=2)],
        members=[member(1, "H1"), member(3, "H1", "child"), member(2, "H2"),
                 member(3, "H2", "spouse")],
        changes=changes, exits=[["H2", "2016", "pass", "", ""]])


def test_a_marriage_from_one_household_into_another(tmp_path, run):
    folder = moved(tmp_path, [["2015-05-01", "H1", pid(3), "out", "marriage_out"],
                              ["2015-05-01", "H2", pid(3), "in", "marriage_in"]])
    ledgers = open_ledgers(folder)
    rolls = Rolls.of(ledgers)
    m = rolls.members
    on14 = m[rolls.people_on(year_end(2014)).to_numpy()]
    on15 = m[rolls.people_on(year_end(2015)).to_numpy()]
    assert sorted(zip(on14["household_id"], on14["person_id"])) == [
        ("H1", pid(1)), ("H1", pid(3)), ("H2", pid(2))]
    assert sorted(zip(on15["household_id"], on15["person_id"])) == [
        ("H1", pid(1)), ("H2", pid(2)), ("H2", pid(3))]
    s15 = summary_of(folder, 2015)
    assert (s15["people"], s15["added_people_year"], s15["removed_people_year"]) == (3, 1, 1)
    # the person exits with the household they married into
    s16 = summary_of(folder, 2016)
    assert (s16["exited_people_year"], s16["poor_people"]) == (2, 1)
    lines = flow(ledgers, 2015).frame.set_index(["section", "line"])
    assert int(lines.loc[("rolls", "difference (counted - recorded)"), "people"]) == 0
    assert e_findings(folder, "H01") == []
    result = run("summary", "--data", str(folder), "--year", "2015", "--format", "csv")
    assert result.exit_code == 0, result.stderr


def test_on_the_rolls_of_two_households_at_once_is_a_finding(tmp_path):
    # married in without leaving the first household
    folder = moved(tmp_path, [["2015-05-01", "H2", pid(3), "in", "marriage_in"]])
    (f,) = e_findings(folder, "H01")
    assert (f.household, f.person, f.line) == ("H2", pid(3), 5)
    assert "2015-05-01" in f.text("en") and "同时" in f.text("zh")


def test_the_same_person_twice_in_one_household_is_a_reading_error(tmp_path, run):
    folder = make_ledgers(tmp_path, households=[household("H1")],
                          members=[member(1, "H1"), member(1, "H1")])
    result = run("summary", "--data", str(folder))
    assert result.exit_code == 2 and "members.csv:3" in result.stderr


# ---- povcli readiness: each test passing, failing and unknown

def ready_case(tmp_path, *, hh_extra=None, members=None, member_extra=None, exit_extra=None,
               subsidies=None, policy=None, incomes=None, income="5000"):
    """H1 (grade, safe_water ...), exited 2016 (pass) with `income`, and its members."""
    from conftest import HOUSEHOLD_HEADER, MEMBER_HEADER
    folder = make_ledgers(tmp_path, subsidies=subsidies)
    hh_extra = hh_extra or {}
    row = household("H1", grade=hh_extra.pop("housing_grade", ""))
    write_csv(folder / "households.csv", HOUSEHOLD_HEADER + list(hh_extra),
              [row + list(hh_extra.values())])
    members = members or [member(1, "H1")]
    member_extra = member_extra or {}
    write_csv(folder / "members.csv", MEMBER_HEADER + list(member_extra),
              [m + [v[k] for v in member_extra.values()] for k, m in enumerate(members)])
    exit_extra = exit_extra or {}
    write_csv(folder / "exits.csv", ["household_id", "exit_year", "verification",
                                     "per_capita_income", *exit_extra],
              [["H1", "2016", "pass", income, *exit_extra.values()]])
    if policy:
        write_csv(folder / "policy.csv", ["year", "exit_standard"], policy)
    if incomes:
        write_csv(folder / "incomes.csv", ["household_id", "year", "size", "wage", "transfer"],
                  incomes)
    return folder


def assessed(folder, planned=False):
    from povcli.readiness import assess
    return assess(open_ledgers(folder), planned=planned).iloc[0]


def test_readiness_unknown_where_nothing_is_recorded(tmp_path):
    r = assessed(ready_case(tmp_path, income=""))
    for test in ("income", "food_clothing", "insurance", "housing", "water"):
        assert r[f"{test}_test"] == "unknown", test
    assert r["schooling_test"] == "unknown"  # the members file has no schooling column
    assert r["result"] == "unknown" and r["failed"] == ""


def test_readiness_income(tmp_path):
    policy = [["2016", "3146"]]
    assert assessed(ready_case(tmp_path / "a", policy=policy, income="3146"))["income_test"] \
        == "fail"
    r = assessed(ready_case(tmp_path / "b", policy=policy, income="3200"))
    assert (r["income_test"], bool(r["income_margin"])) == ("pass", True)
    r = assessed(ready_case(tmp_path / "c", policy=policy, income="5000"))
    assert (r["income_test"], bool(r["income_margin"])) == ("pass", False)
    # no exit standard: the national line of 2016, 2952
    r = assessed(ready_case(tmp_path / "d", income="2952"))
    assert (r["income_test"], r["standard_kind"]) == ("fail", "poverty_line")


def test_readiness_food_clothing_and_water(tmp_path):
    yes = assessed(ready_case(tmp_path / "a", hh_extra={"safe_water": "是"},
                              exit_extra={"food_clothing": "是"}))
    assert (yes["water_test"], yes["food_clothing_test"]) == ("pass", "pass")
    no = assessed(ready_case(tmp_path / "b", hh_extra={"饮水安全": "否"},
                             exit_extra={"两不愁": "否"}))
    assert (no["water_test"], no["food_clothing_test"]) == ("fail", "fail")
    empty = assessed(ready_case(tmp_path / "c", hh_extra={"safe_water": ""},
                                exit_extra={"food_clothing": ""}))
    assert (empty["water_test"], empty["food_clothing_test"]) == ("unknown", "unknown")


def test_readiness_schooling(tmp_path):
    kids = [member(1, "H1"), member(2, "H1", "child")]
    kids[1][5] = "2006-03-01"  # 10 at the end of 2016
    cases = {"小学": "pass", "失学或辍学": "fail", "因病辍学": "pass", "": "unknown"}
    for n, (text, outcome) in enumerate(cases.items()):
        r = assessed(ready_case(tmp_path / str(n), members=kids,
                                member_extra={"schooling": ["非在校生", text]}))
        assert r["schooling_test"] == outcome, text
    # an adult out of school is no matter
    adult = [member(1, "H1")]
    r = assessed(ready_case(tmp_path / "adult", members=adult,
                            member_extra={"schooling": ["非在校生"]}))
    assert r["schooling_test"] == "pass"


def test_readiness_insurance(tmp_path):
    two = [member(1, "H1"), member(2, "H1", "spouse")]
    for n, (values, outcome) in enumerate([(["是", "是"], "pass"), (["是", "否"], "fail"),
                                           (["是", ""], "unknown")]):
        r = assessed(ready_case(tmp_path / str(n), members=two,
                                member_extra={"insured": values}))
        assert r["insurance_test"] == outcome, values


def test_readiness_housing(tmp_path):
    def pay(date):
        return [[date, "H1", "", "housing", "20000", "", ""]]
    cases = [({"housing_grade": "B"}, None, "pass"),
             ({"housing_grade": "D"}, pay("2016-10-01"), "pass"),
             ({"housing_grade": "D"}, pay("2017-03-01"), "fail"),
             ({"housing_grade": "C", "renovated_on": "2016-12-31"}, None, "pass"),
             ({"housing_grade": "C", "renovated_on": ""}, None, "fail"),
             ({"housing_grade": "C"}, None, "unknown"),  # nothing to tell a renovation by
             ({}, pay("2016-10-01"), "unknown")]
    for n, (extra, payments, outcome) in enumerate(cases):
        r = assessed(ready_case(tmp_path / str(n), hh_extra=dict(extra), subsidies=payments))
        assert r["housing_test"] == outcome, (extra, payments)


def test_readiness_transfer_share(tmp_path):
    r = assessed(ready_case(tmp_path / "a", incomes=[["H1", "2016", "1", "2000", "3000"]]))
    assert bool(r["transfer_share"]) is True
    r = assessed(ready_case(tmp_path / "b", incomes=[["H1", "2016", "1", "4000", "1000"]]))
    assert bool(r["transfer_share"]) is False
    assert pd.isna(assessed(ready_case(tmp_path / "c"))["transfer_share"])


def test_readiness_planned_takes_the_pre_exits(tmp_path):
    folder = two_households(tmp_path, [["H1", "2016", "pending", "", ""],
                                       ["H2", "2016", "pass", "", ""]])
    from povcli.readiness import assess
    assert assess(open_ledgers(folder))["household_id"].tolist() == ["H2"]
    assert sorted(assess(open_ledgers(folder), planned=True)["household_id"]) == ["H1", "H2"]


def test_readiness_command_and_rules(tmp_path, run):
    folder = ready_case(tmp_path, hh_extra={"housing_grade": "D", "safe_water": "否"},
                        exit_extra={"food_clothing": "是"},
                        subsidies=[["2017-03-01", "H1", "", "housing", "20000", "", ""]])
    result = run("readiness", "--data", str(folder), "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = {r.split(",")[3]: r for r in result.stdout.splitlines()[1:]}
    assert rows["all"].endswith(",1,0,1,0") and rows["housing"].endswith(",1,0,1,0")
    assert rows["food_clothing"].endswith(",1,1,0,0")
    listed = run("readiness", "--data", str(folder), "--format", "json", "--list")
    (row,) = __import__("json").loads(listed.stdout)
    assert (row["housing_test"], row["water_test"], row["failed"]) == (
        "fail", "fail", "housing,water")
    zh = run("readiness", "--data", str(folder), "--lang", "zh")
    assert zh.exit_code == 0 and "Traceback" not in zh.output
    # the rules run when selected, not by default
    plain = run("check", "--data", str(folder), "--format", "csv")
    assert ",R0" not in plain.stdout
    chosen = run("check", "--data", str(folder), "--format", "csv", "--select", "R")
    codes = sorted(line.split(",")[0] for line in chosen.stdout.splitlines()[1:])
    assert codes == ["R04", "R05"]
    assert chosen.exit_code == 1
    zh = run("check", "--data", str(folder), "--select", "R", "--lang", "zh")
    assert "住房安全有保障" in zh.stdout + zh.stderr


def test_readiness_bad_new_cell_is_a_reading_error(tmp_path, run):
    folder = ready_case(tmp_path, hh_extra={"safe_water": "也许"})
    result = run("readiness", "--data", str(folder))
    assert result.exit_code == 2 and "households.csv:2: column safe_water" in result.stderr


def test_a_move_written_in_before_out_is_no_change_finding(tmp_path):
    folder = moved(tmp_path, [["2015-05-01", "H2", pid(3), "in", "marriage_in"],
                              ["2015-05-01", "H1", pid(3), "out", "marriage_out"]])
    for code in ("C01", "C02", "H01"):
        assert e_findings(folder, code) == [], code
    # a payment for the person in their new household after the move is fine (S01)
    write_csv(folder / "subsidies.csv", ["date", "household_id", "person_id", "program",
                                         "amount"],
              [["2015-09-01", "H2", pid(3), "health", "300"]])
    assert e_findings(folder, "S01") == []


def test_approved_on_is_read_and_dates_the_set(tmp_path):
    from povcli.model import latest_year
    folder = two_households(tmp_path, [["H1", "2016", "pass", "2016-11-01", "2018-01-15"]],
                            header=["household_id", "exit_year", "verification", "verified_on",
                                    "批准退出日期"])
    ledgers = open_ledgers(folder)
    assert ledgers.frame("exits")["approved_on"].tolist() == [pd.Timestamp("2018-01-15")]
    assert latest_year(ledgers) == 2018


def test_an_empty_income_component_counts_as_none_in_the_exit_test_as_in_income(tmp_path):
    """One rule for the net income (model.net_income), used by the exit test and by
    `povcli income` alike: an empty component is none, not an unknown income."""
    from povcli.income import household_incomes

    folder = exit_at(tmp_path, "", [["2016", "2952", "3146"]],
                     [["H1", "2016", "2", "3000", "1000", "200", "", "0"]])
    (f,) = e_findings(folder, "E02")  # (3000 + 1000 - 200) / 2 = 1900, not above 3146
    assert "1,900.00" in f.text("en")
    assert household_incomes(open_ledgers(folder))["per_capita"].tolist() == [1900.0]
