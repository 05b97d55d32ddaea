"""Issue 14: assess, match, compare, diff, sample — planted cases, hand-computed."""

from __future__ import annotations

import csv
import io
import shutil

import pytest

from conftest import ROOT, SAMPLE

EX = ROOT / "examples"
ASSESS = EX / "assess"
LISTS = EX / "match"


def rows(result):
    assert result.exit_code in (0, 1), result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def no_crash(result):
    text = result.stdout + result.stderr
    assert "internal error" not in text and "Traceback" not in text, text


# --------------------------------------------------------------------------- assess

def rates(run, *args):
    return {(r["year"], r.get("township"), r["measure"]): r
            for r in run.rows("assess", "-d", ASSESS, *args)}


def test_assessment_rates_as_the_contract_defines_them(run):
    r = rates(run)
    # wrong exit: people of exited rows flagged yes (B02, 2) / people of exited rows with
    # the flag given (B01 3 + B02 2; B04's flag is empty: not assessed)
    assert (r["2017", None, "wrong_exit_rate"]["numerator"],
            r["2017", None, "wrong_exit_rate"]["denominator"]) == ("2", "5")
    assert r["2017", None, "wrong_exit_rate"]["passes"] == "no"
    # missed: general rows, 4 missed of 4 + 5 + 3 people
    m = r["2017", None, "missed_rate"]
    assert (m["numerator"], m["denominator"], m["threshold"]) == ("4", "12", "0.02")
    # approval counts households: yes 4 of the 5 that gave an answer
    a = r["2017", None, "approval"]
    assert (a["numerator"], a["denominator"], a["rate"], a["passes"]) == ("4", "5", "0.8", "no")
    # incidence: poor at end of 2017 = B02 (returned, 2) + B03 (exit failed, 4) / 500
    i = r["2017", None, "incidence"]
    assert (i["numerator"], i["denominator"], i["rate"], i["passes"]) == ("6", "500", "0.012",
                                                                          "yes")
    # return rate: 1 returned person in 2017 / exited_people_total at end of 2016 = 3 + 2
    # (B03's failed exit is no exit)
    t = r["2017", None, "return_rate"]
    assert (t["numerator"], t["denominator"], t["rate"], t["passes"]) == ("1", "5", "0.2", "")


def test_assessment_by_township_and_empty_denominators(run):
    r = rates(run, "--by", "township")
    assert r["2017", "二道江乡", "approval"]["numerator"] == "2"
    assert r["2017", "二道江乡", "approval"]["denominator"] == "3"
    assert r["2017", "五道江镇", "approval"]["passes"] == "yes"
    empty = r["2017", "五道江镇", "wrong_exit_rate"]  # only B04, not assessed
    assert (empty["denominator"], empty["rate"], empty["passes"]) == ("0", "", "")


def test_assessment_thresholds_are_parameters(run):
    r = rates(run, "--approval", "0.8", "--incidence", "0.01")
    assert r["2017", None, "approval"]["passes"] == "yes"  # at least
    assert r["2017", None, "incidence"]["passes"] == "no"  # at most


def test_assessment_list_shows_the_households(run):
    listed = run.rows("assess", "-d", ASSESS, "--list")
    wrong = [(x["household_id"], x["counted"]) for x in listed
             if x["measure"] == "wrong_exit_rate"]
    assert wrong == [("B01", "no"), ("B02", "yes")]
    assert [x["household_id"] for x in listed if x["measure"] == "return_rate"] == ["B02"]


def test_assess_without_assessment_gives_the_ledgers_rates(run, tmp_path):
    folder = tmp_path / "l"
    shutil.copytree(ASSESS, folder)
    (folder / "assessment.csv").unlink()
    result = run("assess", "-d", folder, "-f", "csv", "--year", "2017")
    got = {r["measure"] for r in rows(result)}
    assert got == {"incidence", "return_rate", "readiness_failed"}
    assert "assessment.csv" in result.stderr


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json", "markdown"])
def test_assess_every_format(run, fmt):
    result = run("assess", "-d", ASSESS, "-f", fmt, "--lang", "zh")
    assert result.exit_code == 0, result.stderr
    no_crash(result)


def test_assess_xlsx(run, tmp_path):
    result = run("assess", "-d", ASSESS, "-o", tmp_path / "a.xlsx")
    assert result.exit_code == 0 and (tmp_path / "a.xlsx").stat().st_size > 0


def test_assessment_bad_cell_is_a_file_line_error(run, tmp_path):
    folder = tmp_path / "l"
    shutil.copytree(ASSESS, folder)
    path = folder / "assessment.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("2017,B01,二道江乡,样子沟村,3",
                                                             "2017,B01,二道江乡,样子沟村,三"),
                    encoding="utf-8")
    result = run("assess", "-d", folder)
    assert result.exit_code == 2
    assert "assessment.csv:2: column people" in result.stderr
    no_crash(result)


# --------------------------------------------------------------------------- match

def match(run, kind, *args, show=False):
    extra = ["--show-ids"] if show else []
    result = run("match", kind, *args, "-d", ASSESS, "-f", "csv", *extra)
    no_crash(result)
    return result, {(r["code"], r["file"].rsplit("/", 1)[-1], r["line"]): r
                    for r in rows(result)}


def test_match_death_on_the_rolls_and_paid_after(run):
    result, found = match(run, "death", LISTS / "deaths.csv")
    assert result.exit_code == 1  # errors
    m02 = found["X02", "deaths.csv", "2"]
    assert (m02["household_id"], m02["ledger_file"].rsplit("/", 1)[-1], m02["ledger_line"]) == \
        ("B04", "members.csv", "11")
    m03 = found["X03", "deaths.csv", "2"]
    assert m03["ledger_file"].endswith("subsidies.csv") and m03["ledger_line"] == "3"
    assert m03["value"] == "800.00"  # the March payment was before the death
    assert not any(k[0] == "X03" and v["ledger_line"] == "2" for k, v in found.items())


def test_match_nothing_on_a_partial_or_wrong_id(run):
    _, found = match(run, "death", LISTS / "deaths.csv")
    # line 3: 17 digits of 李秀珍's ID; line 4: 刘长山's with a wrong check digit
    assert {k for k in found if k[0] == "X00"} == {("X00", "deaths.csv", "3"),
                                                    ("X00", "deaths.csv", "4")}
    assert not any(v["household_id"] == "B02" for v in found.values())


def test_match_ids_and_names_masked_by_default(run):
    result, found = match(run, "payroll", LISTS / "payroll.csv")
    assert "220503198809031033" not in result.stdout + result.stderr
    assert "王蕾" not in result.stdout and "王磊" not in result.stdout
    result, found = match(run, "payroll", LISTS / "payroll.csv", show=True)
    assert "220503198809031033" in result.stdout and "王蕾" in result.stdout


def test_match_payroll_and_name_disagreement(run):
    result, found = match(run, "payroll", LISTS / "payroll.csv")
    assert result.exit_code == 1
    assert found["X04", "payroll.csv", "2"]["household_id"] == "B01"
    assert ("X01", "payroll.csv", "2") in found
    # 陈玉兰 left the payroll in 2012, before her household was identified in 2014
    assert ("X04", "payroll.csv", "3") not in found


def test_match_vehicle_while_poor_is_a_warning(run):
    result, found = match(run, "vehicle", LISTS / "vehicles.csv")
    assert result.exit_code == 0
    assert found["X05", "vehicles.csv", "2"]["severity"] == "warning"
    assert ("X05", "vehicles.csv", "3") not in found  # B01 exited in 2016


def test_match_dibao_roster_both_ways(run):
    _, found = match(run, "dibao", LISTS / "dibao.csv", "--year", "2017")
    m06 = [v for k, v in found.items() if k[0] == "X06"]
    assert [v["household_id"] for v in m06] == ["B03"]  # 赵国强 left the roster in June
    assert m06[0]["ledger_file"].endswith("households.csv") and m06[0]["ledger_line"] == "4"
    assert found["X07", "dibao.csv", "3"]["household_id"] == "B01"
    _, earlier = match(run, "dibao", LISTS / "dibao.csv", "--year", "2016")
    assert not any(k[0] == "X06" for k in earlier)


def test_match_exemptions_drop_and_expire(run):
    _, found = match(run, "vehicle", LISTS / "vehicles.csv", "--exempt", LISTS / "exempt.csv")
    assert not found
    _, found = match(run, "payroll", LISTS / "payroll.csv", "--exempt", LISTS / "exempt.csv")
    assert ("X09", "exempt.csv", "3") in found  # expired: the X04 finding is back
    assert ("X04", "payroll.csv", "2") in found


def test_match_a_bad_list_is_a_file_line_error(run, tmp_path):
    path = tmp_path / "deaths.csv"
    path.write_bytes("身份证号,姓名,死亡日期\n220503194503024019,李秀珍,2017-02-30\n"
                     .encode("gb18030"))
    result = run("match", "death", path, "-d", ASSESS)
    assert result.exit_code == 2
    assert "deaths.csv:2: column 死亡日期" in result.stderr
    no_crash(result)
    missing = tmp_path / "payroll.csv"
    missing.write_text("person_id,name\n1,a\n", encoding="utf-8")
    result = run("match", "payroll", missing, "-d", ASSESS)
    assert result.exit_code == 2 and "start_date" in result.stderr
    result = run("match", "spaceship", missing, "-d", ASSESS)
    assert result.exit_code == 2
    no_crash(result)


def test_match_reads_a_workbook(run, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["身份证号", "姓名", "死亡日期"])
    sheet.append(["220503194503024019", "李秀珍", "2017-06-20"])
    book.save(tmp_path / "deaths.xlsx")
    result = run("match", "death", tmp_path / "deaths.xlsx", "-d", ASSESS, "-f", "csv")
    assert result.exit_code == 1 and "X02" in result.stdout


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json", "markdown"])
def test_match_every_format(run, fmt):
    result = run("match", "death", LISTS / "deaths.csv", "-d", ASSESS, "-f", fmt,
                 "--lang", "zh")
    assert result.exit_code == 1
    no_crash(result)
    assert "220503194503024019" not in result.stdout


def test_match_split_by_village(run, tmp_path):
    result = run("match", "death", LISTS / "deaths.csv", "-d", ASSESS, "--split-by",
                 "village", "-o", tmp_path / "out")
    no_crash(result)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["-.xlsx", "菇园村.xlsx"]
    result = run("match", "death", LISTS / "deaths.csv", "-d", ASSESS, "--split-by",
                 "village")
    assert result.exit_code == 2


def test_match_never_writes_over_a_list(run):
    before = (LISTS / "deaths.csv").read_bytes()
    result = run("match", "death", LISTS / "deaths.csv", "-d", ASSESS, "-o",
                 LISTS / "deaths.csv")
    assert result.exit_code == 2 and (LISTS / "deaths.csv").read_bytes() == before
    no_crash(result)


# --------------------------------------------------------------------------- compare

FIGURES = EX / "diff" / "figures.csv"


def test_compare_published_beside_the_ledgers(run):
    got = {(r["metric"], r["area"]): r for r in run.rows("compare", FIGURES, "-d", ASSESS)}
    assert got["poor_people", ""]["published"] == "3"
    assert got["poor_people", ""]["ledgers"] == "6"
    assert got["poor_people", ""]["difference"] == "-3"
    assert got["people", ""]["difference"] == "0"  # "10人" is 10
    town = got["exited_people_year", "五道江镇"]  # B04, 1 person, exited in 2017
    assert (town["ledgers"], town["source"]) == ("1", "镇工作总结")


def test_compare_reads_numbers_as_published(run):
    from povcli.compare import number

    assert [number(t) for t in ("4,000", "100%", "90人", "约4000元", "0.95", "很多")] == \
        [4000.0, 1.0, 90.0, 4000.0, 0.95, None]


def test_compare_list_and_bad_figures(run, tmp_path):
    listed = run.rows("compare", FIGURES, "-d", ASSESS, "--list")
    poor = {r["household_id"] for r in listed if r["metric"] == "poor_people"}
    assert poor == {"B02", "B03"}
    bad = tmp_path / "f.csv"
    bad.write_text("指标,年度,数值\npeople,2017,很多\n", encoding="utf-8")
    result = run("compare", bad, "-d", ASSESS)
    assert result.exit_code == 2 and "f.csv:2: column 数值" in result.stderr
    no_crash(result)


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json", "markdown"])
def test_compare_every_format(run, fmt):
    result = run("compare", FIGURES, "-d", ASSESS, "-f", fmt, "--lang", "zh")
    assert result.exit_code == 0, result.stderr
    no_crash(result)


# --------------------------------------------------------------------------- diff

DIFF = EX / "diff"


def test_diff_summary_by_ledger(run):
    got = {r["ledger"]: r for r in run.rows("diff", DIFF / "2017", DIFF / "2018")}
    assert (got["exits"]["added"], got["exits"]["altered"], got["exits"]["unchanged"]) == \
        ("1", "1", "3")
    assert got["changes"]["added"] == "1" and got["subsidies"]["added"] == "3"
    assert got["households"]["unchanged"] == "4"
    back = {r["ledger"]: r for r in run.rows("diff", DIFF / "2018", DIFF / "2017")}
    assert back["subsidies"]["removed"] == "3"


def test_diff_list_names_the_altered_columns_and_masks_ids(run):
    result = run("diff", DIFF / "2017", DIFF / "2018", "--list", "-f", "csv")
    listed = rows(result)
    (altered,) = [r for r in listed if r["change"] == "altered"]
    assert (altered["key"], altered["columns"], altered["old"], altered["new"]) == \
        ("B03 / 2016", "verification", "verification=fail", "verification=pass")
    assert "220503194503024019" not in result.stdout
    shown = run("diff", DIFF / "2017", DIFF / "2018", "--list", "-f", "csv", "--show-ids")
    assert "220503194503024019" in shown.stdout


def test_diff_shows_amounts_as_the_ledger_wrote_them(run):
    listed = rows(run("diff", DIFF / "2017", DIFF / "2018", "--list", "-f", "csv"))
    (paid,) = [r for r in listed if r["key"] == "PZ2017-101"]
    assert "amount=600;" in paid["new"] and "600.0" not in paid["new"]


def test_diff_bad_export_exits_2(run, tmp_path):
    shutil.copytree(DIFF / "2018", tmp_path / "x")
    (tmp_path / "x" / "exits.csv").write_text(
        "household_id,exit_year\nB01,twenty\n", encoding="utf-8")
    result = run("diff", DIFF / "2017", tmp_path / "x")
    assert result.exit_code == 2 and "exits.csv:2" in result.stderr
    no_crash(result)


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json", "markdown"])
def test_diff_every_format(run, fmt):
    result = run("diff", DIFF / "2017", DIFF / "2018", "-f", fmt, "--lang", "zh")
    assert result.exit_code == 0, result.stderr
    no_crash(result)


# --------------------------------------------------------------------------- sample

def test_sample_stages_and_reproducible(run, tmp_path):
    folder = tmp_path / "s"
    shutil.copytree(ASSESS, folder)
    path = folder / "households.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",registered"] + [ln + ",yes" for ln in lines[1:]]
    for n in range(1, 6):  # five ordinary households of 菇园村 (a poor village)
        lines.append(f"G0{n},五道江镇,菇园村,农户{n},22050319800101{n:04d},general,other,"
                     f"2017-01-01,no")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ("sample", "-d", folder, "--year", "2017", "--villages", "1",
            "--exited-share", "0.5", "--ordinary-share", "0.5", "--ordinary-cap", "2")
    first = run.rows(*args, "--seed", "7")
    assert first == run.rows(*args, "--seed", "7")
    stages = [r["stage"] for r in first]
    assert stages[0] == "exit_due" and first[0]["household_id"] == "B04"
    assert stages.count("ordinary") == 2  # ceil(0.5 x 5) = 3, capped at 2
    assert all(r["household_id"].startswith("G") for r in first if r["stage"] == "ordinary")
    assert len({r["household_id"] for r in first}) == len(first)  # drawn once
    others = [run.rows(*args, "--seed", str(s)) for s in range(8)]
    assert any(o != first for o in others)


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json", "markdown"])
def test_sample_every_format(run, fmt):
    result = run("sample", "-d", ASSESS, "--year", "2017", "-f", fmt, "--lang", "zh")
    assert result.exit_code == 0, result.stderr
    no_crash(result)


def test_assess_counts_registered_households_only(run, tmp_path):
    folder = tmp_path / "r"
    shutil.copytree(ASSESS, folder)
    path = folder / "households.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    # B02 (2 people, returned in 2017) becomes a household kept for monitoring alone
    lines = [lines[0] + ",registered"] + [ln + (",no" if ln.startswith("B02") else ",yes")
                                          for ln in lines[1:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = {x["measure"]: x for x in run.rows("assess", "-d", folder, "--year", "2017")}
    assert (r["return_rate"]["numerator"], r["return_rate"]["denominator"]) == ("0", "3")
    assert r["incidence"]["numerator"] == "4"  # B03 alone


def test_missed_rate_over_the_unregistered_population_of_the_sampled_villages():
    """--missed-base village: missed people / (rural population of the villages visited
    − their registered people on the rolls). By hand from examples/assess: both villages
    were visited (200 + 300 people), their four registered households have 10 people on
    the rolls at the end of 2017, and the visited ordinary households counted 4 missed."""
    from povcli import api

    ledgers = api.open_ledgers(ASSESS, "assess")
    frame = api.build("assess", ledgers, 2017,
                      missed_base="village").frame
    row = frame[frame["measure"] == "missed_rate"].iloc[0]
    assert (row["numerator"], row["denominator"]) == (4, 500 - 10)


def test_assess_gives_the_share_of_exits_failing_readiness(run):
    """Without assessment.csv: what assessors would likely find — the year's exits that
    fail a readiness test — beside incidence and the return rate, shown, never judged."""
    rows = {r["measure"]: r for r in run.rows("assess", "-d", SAMPLE, "--year", "2016")}
    listed = run.rows("readiness", "-d", SAMPLE, "--year", "2016", "--list")
    failing = sum(r["result"] == "fail" for r in listed)
    assert failing > 0  # six 2016 exits whose C/D house was renovated only in 2017
    assert rows["readiness_failed"]["numerator"] == str(failing)
    assert rows["readiness_failed"]["denominator"] == str(len(listed))
    assert rows["readiness_failed"]["passes"] == ""
