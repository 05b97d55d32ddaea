"""F5-F12 from the sample ledgers, the yearly flow balancing, and --list rows that
equal the figures they explain."""

from __future__ import annotations


import pytest

from povcli.read.load import open_ledgers
from povcli.programs import (EDUCATION_COLUMNS, HOUSING_COLUMNS, POLICY_COLUMNS,
                             PROJECT_COLUMNS, VILLAGE_COLUMNS)
from povcli.flow import FLOW_COLUMNS, flow

from conftest import SAMPLE, household, make_ledgers, member, pid

D = ["--data", str(SAMPLE)]


def metrics(rows):
    return {r["metric"]: r["value"] for r in rows}


# ---- the source document's figures F5-F12

def test_f5_project_funds(run):
    rows = run.rows("projects", *D)
    higher = sum(float(r["funds_higher"]) for r in rows)
    local = sum(float(r["funds_local"]) for r in rows)
    total = sum(float(r["funds_total"]) for r in rows)
    assert (higher, local) == (6_000_000, 4_900_000) and total >= 10_000_000
    m = metrics(run.rows("summary", *D))
    assert float(m["project_funds_higher_total"]) == 6_000_000
    assert float(m["project_funds_local_total"]) == 4_900_000


def test_f6_photovoltaic_people_and_income_per_household(run):
    by_kind = {r["kind"]: r for r in run.rows("projects", *D, "--by", "kind")}
    assert by_kind["photovoltaic"]["people"] == "127"
    (pv,) = run.rows("subsidies", *D, "--year", "2017", "--program", "photovoltaic")
    assert 3_800 <= float(pv["amount_per_household"]) <= 4_200


def test_f7_key_industry_projects_and_their_people(run):
    (row,) = run.rows("projects", *D, "--key", "--by", "kind")
    assert (row["kind"], row["projects"], row["key_projects"]) == ("industry", "8", "8")
    assert int(row["people"]) > 400


def test_f8_pairing(run):
    m = metrics(run.rows("pairing", *D, "--year", "2017"))
    assert (m["households_covered"], m["leaders"], m["units"], m["cadres"]) == (
        "233", "26", "52", "235")


def test_f9_villages_paired_with_an_enterprise(run):
    rows = run.rows("villages", *D)
    assert len(rows) == 19 and all(r["enterprise"] for r in rows)
    assert list(rows[0]) == VILLAGE_COLUMNS


def test_f10_education(run):
    rows = run.rows("education", *D)
    assert sum(int(r["students"]) for r in rows) == 62
    assert sum(float(r["amount"]) for r in rows) == 70_000
    listed = run.rows("education", *D, "--list")
    assert len({r["person_id"] for r in listed}) == 62


def test_f11_dangerous_houses(run):
    rows = [r for r in run.rows("housing", *D) if r["year"] in ("2016", "2017")]
    by_grade = {}
    for r in rows:
        by_grade[r["grade"]] = by_grade.get(r["grade"], 0) + int(r["households"])
    assert by_grade == {"C": 13, "D": 9}


def test_f12_dibao_standard(run):
    (row,) = run.rows("policy", *D, "--year", "2017")
    assert (float(row["dibao_standard"]), row["dibao_standard_from"]) == (3600, "policy.csv")
    assert metrics(run.rows("summary", *D))["dibao_standard"] == "3600.00"


@pytest.mark.parametrize("command,columns", [
    ("projects", PROJECT_COLUMNS), ("villages", VILLAGE_COLUMNS), ("housing", HOUSING_COLUMNS),
    ("education", EDUCATION_COLUMNS), ("policy", POLICY_COLUMNS), ("flow", FLOW_COLUMNS),
    ("pairing", ["metric", "value"])])
def test_contract_columns(run, command, columns):
    result = run(command, *D, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].split(",")[:len(columns)] == columns


@pytest.mark.parametrize("by", ["kind", "year", "village"])
def test_projects_grouped_funds_add_up(run, by):
    rows = run.rows("projects", *D, "--by", by)
    assert list(rows[0])[0] == by
    assert sum(float(r["funds_total"]) for r in rows) == 11_020_000


def test_pairing_uncovered_lists_households(run, tmp_path):
    import shutil
    folder = tmp_path / "s"
    shutil.copytree(SAMPLE, folder)
    path = folder / "帮扶责任台账.csv"
    lines = path.read_bytes().decode("gb18030").split("\r\n")
    gone = lines[1].split(",")[0]
    path.write_bytes("\r\n".join([lines[0]] + [ln for ln in lines[1:]
                                               if not ln.startswith(gone + ",")])
                     .encode("gb18030"))
    rows = run.rows("pairing", "-d", folder, "--uncovered")
    assert [r["household_id"] for r in rows] == [gone]
    assert metrics(run.rows("pairing", "-d", folder))["households_not_covered"] == "1"


# ---- the flow balances

@pytest.mark.parametrize("year", [2014, 2015, 2016, 2017])
def test_flow_balances_on_the_sample(run, year):
    rows = run.rows("flow", *D, "--year", str(year))
    differences = [r for r in rows if r["line"].startswith("difference")]
    assert len(differences) == 2 and all(r["people"] == "0" for r in differences)


def test_flow_shows_what_does_not_balance(tmp_path):
    # an addition of someone already on the rolls is recorded but changes nothing
    folder = make_ledgers(
        tmp_path, households=[household("H1", "2014-01-01")],
        members=[member(1, "H1"), member(2, "H1", "child")],
        changes=[["2017-01-05", "H1", pid(2), "in", "birth"],
                 ["2017-03-01", "H1", pid(2), "in", "other_in"]],
        exits=[["H1", "2017", "pass", "", ""]])
    frame = flow(open_ledgers(folder), 2017).frame
    diff = frame[frame["line"].str.startswith("difference")]["people"].tolist()
    assert diff == [-1, -1]


def test_flow_with_return_to_poverty_and_a_household_identified_without_rows(tmp_path):
    folder = make_ledgers(
        tmp_path, households=[household("H1", "2014-01-01"), household("H2", "2017-06-01",
                                                                      head=3)],
        members=[member(1, "H1"), member(2, "H1", "spouse"), member(3, "H2")],
        changes=[["2017-04-01", "H1", pid(1), "in", "returned"]],
        exits=[["H1", "2016", "pass", "", ""]])
    frame = flow(open_ledgers(folder), 2017).frame.set_index("line")
    assert frame.loc["+ identified with their household (no change row)", "people"].tolist() \
        == [1, 1]
    assert frame.loc["+ returned with their household (no row of their own)", "people"] == 1
    assert frame.loc["+ returned (返贫)", "people"] == 1
    assert (frame.loc[frame.index.str.startswith("difference"), "people"] == 0).all()


def test_flow_balances_on_generated_ledgers(tmp_path):
    import subprocess
    import sys
    from conftest import ROOT
    for seed in (1, 2):
        out = tmp_path / f"g{seed}"
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_sample_data.py"),
                        "--out", str(out), "--seed", str(seed)], check=True,
                       capture_output=True)
        ledgers = open_ledgers(out)
        for year in (2015, 2016, 2017):
            frame = flow(ledgers, year).frame
            diffs = frame[frame["line"].str.startswith("difference")]["people"]
            assert (diffs == 0).all(), (seed, year)


# ---- --list rows equal the figures they explain, for every report

def _count(rows, **where):
    return sum(all(r[k] == v for k, v in where.items()) for r in rows)


def test_list_walks_every_report(run):
    # summary: the people on the rolls, and the poor among them
    m = metrics(run.rows("summary", *D, "--year", "2016"))
    listed = run.rows("summary", *D, "--year", "2016", "--list")
    assert len(listed) == int(m["people"]) and _count(listed, poor="yes") == int(m["poor_people"])
    # exits: the people exited, per year
    for r in run.rows("exits", *D):
        assert _count(run.rows("exits", *D, "--list"), year=r["year"]) == int(r["people"])
    # changes: one row per person, per year, direction and reason
    listed = run.rows("changes", *D, "--list")
    for r in run.rows("changes", *D):
        assert _count(listed, year=r["year"], direction=r["direction"],
                      reason=r["reason"]) == int(r["people"])
    # subsidies: the payments
    listed = run.rows("subsidies", *D, "--list")
    for r in run.rows("subsidies", *D):
        assert _count(listed, year=r["year"], program=r["program"]) == int(r["payments"])
    # projects: the people of each project
    listed = run.rows("projects", *D, "--list")
    for r in run.rows("projects", *D):
        assert _count(listed, project_id=r["project_id"]) == int(r["people"])
    # pairing: the rows of covered households
    m = metrics(run.rows("pairing", *D))
    listed = run.rows("pairing", *D, "--list")
    assert len({r["household_id"] for r in listed}) == int(m["households_covered"])
    # villages: the poor people of each village
    listed = run.rows("villages", *D, "--list")
    for r in run.rows("villages", *D):
        assert _count(listed, township=r["township"], village=r["village"]) == \
            int(r["poor_people"])
    # housing: the households of each year and grade
    listed = run.rows("housing", *D, "--list")
    for r in run.rows("housing", *D):
        assert _count(listed, year=r["year"], grade=r["grade"]) == int(r["households"])
    # education: the payments of each year
    listed = run.rows("education", *D, "--list")
    for r in run.rows("education", *D):
        assert _count(listed, year=r["year"]) == int(r["payments"])
    # flow: the people behind each line that has them
    listed = run.rows("flow", *D, "--year", "2017", "--list")
    for r in run.rows("flow", *D, "--year", "2017"):
        if r["line"][0] in "+-":
            assert _count(listed, section=r["section"], line=r["line"]) == int(r["people"]), \
                r["line"]


def test_list_masks_ids_unless_asked(run):
    listed = run.rows("changes", *D, "--list")
    assert all("********" in r["person_id"] for r in listed)
    shown = run.rows("changes", *D, "--list", "--show-ids")
    assert all("*" not in r["person_id"] for r in shown)


@pytest.mark.parametrize("command", ["projects", "pairing", "villages", "housing", "education",
                                     "policy", "flow"])
@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "tsv"])
def test_new_commands_in_every_format(run, command, fmt):
    result = run(command, *D, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip()


def test_flow_and_report_of_households_without_members(run, tmp_path):
    # an office that has filed its households but no members yet: the figures are zeros,
    # not an internal error (flow compared dates with an empty float lookup)
    from conftest import household, make_ledgers
    folder = make_ledgers(tmp_path / "empty", [household("01")], [])
    for args in (["flow", "--year", "2017"], ["report", "--year", "2017", "-o",
                                               tmp_path / "r.html"]):
        result = run(*args, "-d", folder)
        assert "internal error" not in result.stderr, result.stderr
        assert result.exit_code == 0, result.stderr


def test_villages_total_text_is_a_catalogue_message():
    from povcli.read.load import read_ledgers
    from povcli.messages import say
    from povcli.programs import villages
    from conftest import SAMPLE
    report = villages(read_ledgers(SAMPLE)[0], 2017)
    msg, params = report.meta["total_text"]
    total = report.totals[0]
    assert params == {"paired": total["villages_paired"], "total": total["villages_total"]}
    assert total["enterprise"] == say(msg, "en", **params) == "19 of 19 villages paired"
    assert say(msg, "zh", **params) == "19个村中19个村有结对企业"


def test_kind_people_is_the_people_of_projects_by_kind():
    """summary's photovoltaic_people comes from programs.kind_people, the same count as
    the `people` of `projects --by kind`, for every kind (and None for a kind no
    project has)."""
    from povcli.programs import kind_people, projects

    ledgers = open_ledgers(SAMPLE)
    by_kind = projects(ledgers, by="kind").frame.set_index("kind")
    assert len(by_kind) > 1
    for kind, people in by_kind["people"].items():
        assert kind_people(ledgers, kind) == people
    assert kind_people(ledgers, "no-such-kind") is None
