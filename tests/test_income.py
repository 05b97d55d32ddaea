"""`povcli income` and `povcli monitor`: measures pinned on hand-computed tiny ledgers,
every format, bad cells, and the sample."""

from __future__ import annotations

import json
import math

import pytest

from povcli import api
from povcli.income import fgt, gini, watts

from conftest import SAMPLE, household, make_ledgers, member, write_csv

INCOME_HEADER = ["household_id", "year", "size", "wage", "business", "business_cost",
                 "property", "transfer", "per_capita_net"]
MONITOR_HEADER = ["household_id", "category", "identified_on", "risks", "eliminated_on",
                  "elimination", "per_capita_income"]


# --------------------------------------------------------------------------- measures

def test_fgt_by_hand_a_person_at_the_line_is_not_poor():
    y = [0, 1000, 2000, 2000, 4000]
    assert fgt(y, 2000, 0) == pytest.approx(2 / 5)  # 2000 is not below 2000
    assert fgt(y, 2000, 1) == pytest.approx((1 + 0.5) / 5)
    assert fgt(y, 2000, 2) == pytest.approx((1 + 0.25) / 5)
    assert fgt([2000, 2000], 2000, 0) == 0.0


def test_watts_by_hand_and_empty_when_a_poor_income_is_not_positive():
    assert watts([1000, 2000, 4000], 2000) == pytest.approx(math.log(2) / 3)
    assert watts([0, 1000, 4000], 2000) is None
    assert watts([-50, 3000], 2000) is None
    assert watts([2500, 3000], 2000) == 0.0  # nobody poor


def test_gini_population_form_with_ties_and_zeros():
    assert gini([1, 1, 1]) == pytest.approx(0.0)
    assert gini([0, 0, 10, 10]) == pytest.approx(0.5)  # 80 / (2·16·5)
    assert gini([0, 0, 0, 12]) == pytest.approx(0.75)  # 72 / (2·16·3)
    assert gini([1000, 2000, 2000]) == pytest.approx(4000 / 30000)
    assert gini([]) is None and gini([0, 0]) is None


# --------------------------------------------------------------------------- tiny ledgers

def tiny(folder, incomes=None, monitoring=None, policy=None, members=None):
    make_ledgers(folder, households=[household("H1"), household("H2", head=3),
                                     household("H3", head=4)],
                 members=members or [member(1, "H1"), member(2, "H1", "spouse"),
                                     member(3, "H2"), member(4, "H3")],
                 exits=[["H1", "2016", "pass", "2016-11-01", ""],
                        ["H2", "2016", "pass", "2016-11-01", ""]])
    write_csv(folder / "incomes.csv", INCOME_HEADER, incomes if incomes is not None else [
        ["H1", "2017", "2", "3000", "", "", "", "1000", "2000"],
        ["H2", "2017", "1", "", "1500", "500", "", "", ""],
    ])
    if monitoring is not None:
        write_csv(folder / "monitoring.csv", MONITOR_HEADER, monitoring)
    if policy is not None:
        write_csv(folder / "policy.csv", ["year", "exit_standard", "monitoring_line"], policy)
    return folder


def test_income_figures_by_hand(tmp_path, run):
    folder = tiny(tmp_path / "l")
    (row,) = run.rows("income", "-d", folder, "--line", "2000")
    # people: 2 at 2000 (H1), 1 at 1000 (H2); H3 has no incomes row
    assert row["households"] == "2" and row["people"] == "3"
    assert row["missing_households"] == "1"
    assert float(row["mean_income"]) == pytest.approx(5000 / 3, abs=0.01)
    assert float(row["median_income"]) == 2000
    assert float(row["p0"]) == pytest.approx(1 / 3)
    assert float(row["p1"]) == pytest.approx(0.5 / 3)
    assert float(row["p2"]) == pytest.approx(0.25 / 3)
    assert float(row["watts"]) == pytest.approx(math.log(2) / 3)
    assert float(row["gini"]) == pytest.approx(4000 / 30000)
    assert row["transfer_heavy_households"] == "0"
    # shares over people: wage 2·1500 of 5000, net business 1000 of 5000, transfer 2·500
    assert float(row["wage_share"]) == pytest.approx(0.6)
    assert float(row["business_net_share"]) == pytest.approx(0.2)
    assert float(row["transfer_share"]) == pytest.approx(0.2)


def test_income_watts_empty_with_a_note_when_a_poor_income_is_zero(tmp_path, run):
    folder = tiny(tmp_path / "l", incomes=[["H1", "2017", "2", "0", "", "", "", "", ""],
                                           ["H2", "2017", "1", "3000", "", "", "", "", ""]])
    result = run("income", "-d", folder, "--line", "2000", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert "Watts index is left empty" in result.stderr
    row = result.stdout.splitlines()[1].split(",")
    header = result.stdout.splitlines()[0].split(",")
    assert row[header.index("watts")] == ""
    assert float(row[header.index("p0")]) == pytest.approx(2 / 3)


def test_income_line_from_policy_and_missing_line_said(tmp_path, run):
    folder = tiny(tmp_path / "l", policy=[["2016", "1500", ""]])
    (row,) = run.rows("income", "-d", folder, "--line", "exit")
    assert float(row["line"]) == 1500 and float(row["p0"]) == pytest.approx(1 / 3)
    result = run("income", "-d", folder, "--line", "monitoring", "--format", "csv")
    assert result.exit_code == 0
    assert "no monitoring_line for 2017" in result.stderr
    assert ",,,,," in result.stdout  # the line's measures are empty, nothing invented


def test_income_by_list_bunching_trend(tmp_path, run):
    folder = tiny(tmp_path / "l", incomes=[
        ["H1", "2016", "2", "2000", "", "", "", "", ""],
        ["H1", "2017", "2", "3000", "", "", "", "1000", ""],
        ["H2", "2017", "1", "1950", "", "", "", "", ""],
        ["H3", "2017", "1", "2050", "", "", "", "", ""]])
    rows = run.rows("income", "-d", folder, "--by", "village")
    assert [r["village"] for r in rows] == ["样子沟村", "样子沟村"]
    listed = run.rows("income", "-d", folder, "--list", "--year", "2017")
    assert [r["household_id"] for r in listed] == ["H1", "H2", "H3"]
    assert listed[0]["per_capita"] == "2000.00"
    (b,) = run.rows("income", "-d", folder, "--bunching", "--line", "2000", "--year", "2017")
    assert (b["below"], b["above"]) == ("1", "2")  # 1950 below; 2000 and 2050 above
    (t,) = run.rows("income", "-d", folder, "--trend")
    assert t["household_id"] == "H1" and float(t["change"]) == 1000


def test_income_refuses_a_bad_line(tmp_path, run):
    folder = tiny(tmp_path / "l")
    result = run("income", "-d", folder, "--line", "high")
    assert result.exit_code == 2 and "--line" in result.stderr
    assert "internal error" not in result.stderr


def test_bad_cells_of_the_new_ledgers_give_file_line_errors(tmp_path, run):
    folder = tiny(tmp_path / "l", incomes=[["H1", "20x7", "2", "3000", "", "", "", "", ""]],
                  monitoring=[["H1", "unstable", "2021-02-30", "illness", "", "", ""]])
    result = run("income", "-d", folder)
    assert result.exit_code == 2
    assert "incomes.csv:2: column year" in result.stderr
    result = run("monitor", "-d", folder)
    assert result.exit_code == 2
    assert "monitoring.csv:2: column identified_on" in result.stderr
    # (rules L and M only: C03 crashes on a set without deaths, fixed on the checks branch)
    result = run("check", "-d", folder, "-s", "L", "-s", "M", "--format", "csv")
    assert result.exit_code == 1, result.stderr  # reports and goes on
    assert "incomes.csv" in result.stdout and "monitoring.csv" in result.stdout
    assert "internal error" not in result.stderr


# --------------------------------------------------------------------------- monitor

def test_monitor_counts_by_hand(tmp_path, run):
    folder = tiny(tmp_path / "l", monitoring=[
        ["H1", "unstable", "2021-03-01", "illness、labor", "2021-12-20", "assisted", ""],
        ["H2", "sudden", "2021-05-01", "disaster", "", "", ""],
        ["H1", "unstable", "2022-03-01", "illness", "", "", ""]])
    rows = {r["category"]: r for r in run.rows("monitor", "-d", folder, "--year", "2021")}
    assert rows["unstable"]["identified_households"] == "1"
    assert rows["unstable"]["identified_people"] == "2"
    assert rows["unstable"]["eliminated_people"] == "2"
    assert rows["unstable"]["monitored_households"] == "0"
    assert rows["sudden"]["monitored_people"] == "1"
    assert rows["marginal"]["identified_households"] == "0"
    # without --year: the monitoring ledger's own latest year (2022), not the rolls'
    rows = {r["category"]: r for r in run.rows("monitor", "-d", folder)}
    assert rows["unstable"]["monitored_households"] == "1"
    risk = {r["risk"]: r for r in run.rows("monitor", "-d", folder, "--year", "2021",
                                           "--by", "risk")}
    assert risk["labor"]["identified_households"] == "1"
    assert risk["illness"]["identified_households"] == "1"
    listed = run.rows("monitor", "-d", folder, "--year", "2021", "--list")
    assert [r["household_id"] for r in listed] == ["H1", "H2"]


def test_monitor_candidates(tmp_path, run):
    folder = tiny(tmp_path / "l", incomes=[
        ["H1", "2022", "2", "20000", "", "", "", "", ""],
        ["H1", "2023", "2", "12000", "", "", "", "", ""],  # 10000 → 6000: fell by 40 %
        ["H2", "2023", "1", "6500", "", "", "", "", ""]],  # below 7000
        monitoring=[["H3", "sudden", "2023-01-05", "disaster", "", "", ""]],
        policy=[["2023", "", "7000"]])
    rows = run.rows("monitor", "-d", folder, "--candidates")
    assert {r["household_id"]: r["reasons"] for r in rows} == {
        "H1": "below_line,income_fell", "H2": "below_line"}


# --------------------------------------------------------------------------- formats, sample

@pytest.mark.parametrize("args", [["income"], ["income", "--line", "poverty"],
                                  ["income", "--bunching"], ["monitor"],
                                  ["monitor", "--list"], ["monitor", "--candidates"]])
@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json", "markdown"])
def test_every_format_on_the_sample(run, args, fmt):
    result = run(*args, "-d", SAMPLE, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip()
    if fmt == "json":
        assert json.loads(result.stdout)


@pytest.mark.parametrize("name", ["income", "monitor"])
def test_xlsx_and_chinese(run, tmp_path, name):
    out = tmp_path / f"{name}.xlsx"
    result = run(name, "-d", SAMPLE, "-o", out)
    assert result.exit_code == 0, result.stderr and out.stat().st_size > 0
    result = run(name, "-d", SAMPLE, "--lang", "zh")
    assert result.exit_code == 0, result.stderr


def test_sample_figures():
    frame = api.run("income", SAMPLE, year=2017, line="exit").frame
    assert frame["households"].iloc[0] == 233 and frame["people"].iloc[0] == 404
    monitor = api.run("monitor", SAMPLE).frame.set_index("category")
    assert monitor.at["unstable", "monitored_households"] == 2
    summary = api.run("summary", SAMPLE).frame.set_index("metric")["value"]
    assert summary["year"] == 2017  # monitoring dates do not move the latest year
    assert summary["people"] == 404


def test_summary_gains_monitoring_metrics_at_the_end():
    summary = api.run("summary", SAMPLE, year=2023).frame
    assert list(summary["metric"])[-1] == "monitoring_line"
    values = summary.set_index("metric")["value"]
    assert values["monitoring_monitored_households"] == 3 and values["monitoring_line"] == 7000


def test_candidates_screen_members_without_medical_insurance_where_recorded(run, tmp_path):
    """issue 13: a registered exited household with a member recorded as uninsured is a
    candidate; without the insured column a note says it was not screened."""
    import shutil

    from conftest import SAMPLE
    folder = tmp_path / "l"
    shutil.copytree(SAMPLE, folder)
    before = run("monitor", "-d", folder, "--candidates", "-f", "csv")
    assert "not screened" in before.stderr
    members = (folder / "members.csv").read_text(encoding="utf-8-sig").splitlines()
    header = members[0] + ",insured"
    # the first member of a household that exited in 2016 is not insured
    rows = [ln + (",否" if i == 1 else ",是") for i, ln in enumerate(members[1:], start=1)]
    (folder / "members.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    hid = rows[0].split(",")[1]
    after = run("monitor", "-d", folder, "--candidates", "-f", "csv", "--year", "2023")
    assert "not screened" not in after.stderr
    listed = {r.split(",")[3]: r for r in after.stdout.splitlines()[1:]}
    assert hid in listed and "uninsured" in listed[hid]
