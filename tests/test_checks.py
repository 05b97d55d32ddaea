"""`povcli check`: every rule fires on a planted fault, with the right file and line,
and stays quiet on the clean sample ledgers and on near misses."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from povcli.checks import OPT_IN, RULES, Params, id_problem, run_checks
from povcli.read.decode import decode
from povcli.read.files import find_files
from povcli.read.load import read_ledgers
from povcli.model import Rolls, year_end

from conftest import SAMPLE

TODAY = pd.Timestamp("2026-11-28")
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


class Ledgers:
    """A copy of the sample ledgers to plant faults in, row by row."""

    def __init__(self, folder: Path):
        shutil.copytree(SAMPLE, folder)
        self.folder = folder
        self.files, _ = find_files(folder)
        self.loaded, _ = read_ledgers(folder)

    def frame(self, name):
        return self.loaded.frame(name)

    def _read(self, name):
        raw = self.files[name].path.read_bytes()
        text, encoding = decode(raw, None)
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
        return rows, encoding, raw.startswith(b"\xef\xbb\xbf")

    def _write(self, name, rows, encoding, bom):
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        data = out.getvalue().encode(encoding)
        self.files[name].path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)

    def _col(self, header, column):
        from povcli.schema import LEDGERS, header_key
        index = {header_key(h): i for i, h in enumerate(header)}
        for spelling in (column, [c.zh for c in LEDGERS[self.name].columns
                                  if c.name == column][0]):
            if header_key(spelling) in index:
                return index[header_key(spelling)]
        raise KeyError(column)

    def set(self, name, record, /, **cells) -> int:
        """Change cells of record (0-based); returns its line."""
        rows, enc, bom = self._read(name)
        self.name = name
        for column, value in cells.items():
            rows[record + 1][self._col(rows[0], column)] = value
        self._write(name, rows, enc, bom)
        return record + 2

    def append(self, name, /, **cells) -> int:
        rows, enc, bom = self._read(name)
        self.name = name
        row = [""] * len(rows[0])
        for column, value in cells.items():
            row[self._col(rows[0], column)] = value
        rows.append(row)
        self._write(name, rows, enc, bom)
        return len(rows)

    def file(self, name) -> str:
        return self.files[name].display

    def check(self, **params):
        ledgers, findings = read_ledgers(self.folder)
        assert all(f.line is not None for f in findings)
        found = run_checks(ledgers, findings, params=Params(**params), today=TODAY)
        # every message of a rule is a catalogue message with its Chinese (--lang zh)
        untranslated = [f.reason for f in found if f.code != "L01" and not (
            f.msg and f.message("zh") != f.message("en") and _CHINESE.search(f.message("zh")))]
        assert not untranslated, untranslated
        return {(f.code, f.file, f.line) for f in found}


@pytest.fixture(scope="module")
def sample():
    ledgers, findings = read_ledgers(SAMPLE)
    return ledgers


@pytest.fixture
def plant(tmp_path):
    return Ledgers(tmp_path / "ledgers")


def quiet_member(led: Ledgers) -> int:
    """A member who is no head and is named in no change or payment."""
    m = led.frame("members")
    used = set(led.frame("changes")["person_id"]) | set(led.frame("subsidies")["person_id"])
    ok = m[(m["relation"] != "head") & ~m["person_id"].isin(used)]
    return int(ok.index[0])


def with_check_digit(body17: str) -> str:
    from stdnum.cn import ric
    return body17 + ric.calc_check_digit(body17 + "0")


# ---- the clean sample keeps every rule quiet

def test_sample_ledgers_are_clean(sample):
    assert run_checks(sample, today=TODAY) == []


# ---- each rule fires on a planted fault, and on nothing else

def plant_case(led: Ledgers, code: str):
    """Plant the fault of `code`; return the findings expected, as (code, file, line)."""
    m, hh = led.frame("members"), led.frame("households")
    ch, ex = led.frame("changes"), led.frame("exits")
    pay, pairs = led.frame("subsidies"), led.frame("pairings")
    rolls = Rolls(led.loaded)
    F = led.file
    if code == "L01":
        return {(code, F("subsidies"), led.set("subsidies", 3, amount="一千"))}
    if code == "L02":
        p = led.frame("projects").iloc[0]
        return {(code, F("projects"), led.append("projects", project_id=p["project_id"],
                                                 name="重复", kind="other", year="2017"))}
    if code == "L03":
        return {(code, F("pairings"), led.append(
            "pairings", household_id="99999999", cadre_name="某某", cadre_id="BF9999",
            unit="区扶贫办", leader="某领导"))}
    i = quiet_member(led)
    number = m.at[i, "person_id"]
    if code in ("I01", "I02", "I03", "I04", "I05", "I06"):
        new = {"I01": number[:17] + str((int(number[17]) + 1) % 10 if number[17] != "X" else 0),
               "I02": with_check_digit(number[:6] + "19800230" + number[14:17]),
               "I03": with_check_digit("999999" + number[6:17]),
               "I04": number[:6] + number[8:17],
               "I05": "2.20503E+17", "I06": number[:17]}[code]
        if code in ("I02", "I03"):
            # keep the birth date column in step with the new ID (only the rule's part breaks)
            line = led.set("members", i, person_id=new,
                           birth_date="" if code == "I02" else m.at[i, "birth_date"]
                           .strftime("%Y-%m-%d"))
        else:
            line = led.set("members", i, person_id=new, birth_date="", sex="")
        return {(code, F("members"), line)}
    if code == "I07":
        return {(code, F("members"), led.set("members", i,
                                              sex="F" if m.at[i, "sex"] == "M" else "M"))}
    if code == "I08":
        return {(code, F("members"), led.set("members", i, birth_date="1901-01-01"))}
    if code == "H01":
        other = hh[hh["household_id"] != m.at[i, "household_id"]].iloc[0]["household_id"]
        return {(code, F("members"), led.append("members", person_id=number,
                                                household_id=other, name="重复",
                                                relation="other"))}
    if code == "H02":
        singles = m.groupby("household_id").size()
        hid = singles[singles == 1].index[0]
        head = m.index[m["household_id"] == hid][0]
        led.set("members", int(head), relation="other")
        return {(code, F("households"), int(hh.index[hh["household_id"] == hid][0]) + 2)}
    if code == "H03":
        spouse = m.index[m["relation"] == "spouse"][0]
        hid = m.at[spouse, "household_id"]
        led.set("members", int(spouse), relation="head")
        return {(code, F("households"), int(hh.index[hh["household_id"] == hid][0]) + 2)}
    if code == "H04":
        return {(code, F("households"), led.set("households", 0, head_id=number))}
    if code == "H05":
        line = led.append("households", household_id="09990001", township="铁厂镇",
                          village="铁厂村", head_name="无人", head_id=number,
                          category="general", cause="other", identified_on="2015-03-01")
        return {("H05", F("households"), line), ("H02", F("households"), line),
                ("H04", F("households"), line)}
    poor = hh[rolls.poor_households(year_end(2017))]
    exited16 = ex[(ex["exit_year"] == 2016) & (ex["verification"] == "pass")]
    if code == "E01":
        hid = poor.iloc[0]["household_id"]
        line = led.append("exits", household_id=hid, exit_year="2013", verification="pass")
        return {("E01", F("exits"), line), ("E05", F("exits"), line)}
    if code == "E02":
        line = led.set("exits", int(exited16.index[0]), per_capita_income="2000")
        # the sample's incomes.csv has the year's figure too: they now disagree (E06)
        return {(code, F("exits"), line), ("E06", F("exits"), line)}
    if code == "E06":
        line = led.set("exits", int(exited16.index[0]),
                       per_capita_income=f"{exited16.iloc[0]['per_capita_income'] + 5:.2f}")
        return {(code, F("exits"), line)}
    if code == "E07":
        returned = set(ch.loc[ch["reason"] == "returned", "household_id"])
        hid = exited16[~exited16["household_id"].isin(returned)].iloc[0]["household_id"]
        i = int(hh.index[hh["household_id"] == hid][0])
        # the national system's labels: one says exited (and did), one says poor (and exited)
        other = exited16[(exited16["household_id"] != hid)
                         & ~exited16["household_id"].isin(returned)].iloc[0]["household_id"]
        led.set("households", int(hh.index[hh["household_id"] == other][0]),
                category="一般脱贫户")
        return {(code, F("households"), led.set("households", i, category="一般贫困户"))}
    if code == "E03":
        return {(code, F("exits"), led.set("exits", int(exited16.index[0]), verification=""))}
    if code == "E04":
        returned = set(ch.loc[ch["reason"] == "returned", "household_id"])
        hid = exited16[~exited16["household_id"].isin(returned)].iloc[0]["household_id"]
        return {(code, F("exits"), led.append("exits", household_id=hid, exit_year="2017",
                                              verification="pass"))}
    dead = ch[ch["reason"] == "death"]
    if code == "E05":
        empty = hh[~rolls.households_on(year_end(2017))
                   & ~hh["household_id"].isin(ex["household_id"])].iloc[0]["household_id"]
        return {(code, F("exits"), led.append("exits", household_id=empty, exit_year="2017",
                                              verification="pass"))}
    if code == "C01":
        moved = ch[ch["reason"] == "moved"].iloc[0]
        return {(code, F("changes"), led.append(
            "changes", date="2017-12-20", household_id=moved["household_id"],
            person_id=moved["person_id"], direction="out", reason="moved"))}
    if code == "C02":
        # a member whose first change is an addition is off the rolls before it (the
        # contract's rule), so "already on" means: added before
        born = ch[ch["reason"] == "birth"].iloc[-1]
        return {(code, F("changes"), led.append(
            "changes", date="2017-12-20", household_id=born["household_id"],
            person_id=born["person_id"], direction="in", reason="other_in"))}
    if code == "C03":
        d = dead.iloc[-1]
        return {(code, F("changes"), led.append(
            "changes", date="2017-12-30", household_id=d["household_id"],
            person_id=d["person_id"], direction="in", reason="other_in"))}
    if code == "S01":
        d = dead[dead["date"].dt.year == 2017].iloc[0]
        return {(code, F("subsidies"), led.append(
            "subsidies", date="2017-12-01", household_id=d["household_id"],
            person_id=d["person_id"], program="health", amount="800", voucher="PZ-S01"))}
    if code == "S02":
        gone = ch[ch["reason"] == "misidentified"].iloc[0]
        return {(code, F("subsidies"), led.append(
            "subsidies", date="2017-12-01", household_id=gone["household_id"],
            program="dibao", amount="500", voucher="PZ-S02"))}
    if code == "S03":
        return {(code, F("subsidies"), led.set("subsidies", 10, voucher=pay.at[3, "voucher"]))}
    if code == "S04":
        p = pay[pay["program"] == "dibao"].iloc[0]
        return {(code, F("subsidies"), led.append(
            "subsidies", date=(p["date"] + pd.Timedelta(days=5)).strftime("%Y-%m-%d"),
            household_id=p["household_id"], program="dibao", amount=f"{p['amount']:.2f}",
            voucher="PZ-S04"))}
    if code == "S05":
        head = m[(m["relation"] == "head") & m["household_id"].isin(poor["household_id"])].iloc[0]
        return {(code, F("subsidies"), led.append(
            "subsidies", date="2017-09-10", household_id=head["household_id"],
            person_id=head["person_id"], program="education", amount="900",
            voucher="PZ-S05"))}
    if code == "S06":
        hid = poor.iloc[0]["household_id"]
        return {(code, F("subsidies"), led.append(
            "subsidies", date="2017-10-10", household_id=hid, program="other",
            amount="-500", voucher="PZ-S06"))}
    if code == "S08":
        p = pay[(pay["program"] == "dibao") & pay["person_id"].isna()].iloc[0]
        return {(code, F("subsidies"), led.append(
            "subsidies", date=(p["date"] + pd.Timedelta(days=3)).strftime("%Y-%m-%d"),
            household_id=p["household_id"], program="dibao", amount="-77.77"))}
    if code == "V02":
        return {(code, F("households"), led.set("households", 0, village="样子沟"))}
    if code == "S07":
        p = pay[(pay["program"] == "dibao") & (pay["date"].dt.year == 2017)].iloc[0]
        return {(code, F("subsidies"), led.set("subsidies", int(p.name), amount="500000"))}
    if code == "P01":
        hid = poor.iloc[0]["household_id"]
        rows = pairs.index[pairs["household_id"] == hid]
        for r in rows:
            led.set("pairings", int(r), household_id=poor.iloc[1]["household_id"])
        return {(code, F("households"), int(poor.index[0]) + 2)}
    if code == "P02":
        for r in range(1, 6):
            led.set("pairings", r, cadre_id=pairs.at[0, "cadre_id"])
        return {(code, F("pairings"), 7)}
    if code == "V01":
        v = led.frame("villages")
        i = int(v.index[v["exit_year"] == 2017][0])
        return {(code, F("villages"), led.set("villages", i, rural_population="100"))}
    if code == "D01":
        return {(code, F("subsidies"), led.set("subsidies", 5, date="2099-01-01"))}
    raise AssertionError(f"no planted fault for {code}")


@pytest.mark.parametrize("code", sorted(c for c in set(RULES) - OPT_IN if not c.startswith("M")))
def test_planted_fault_is_found_and_nothing_else(  # M rules: tests/test_checks_monitoring.py,
        plant, code):  # R rules (readiness, run when selected): tests/test_exits_contract2.py
    expected = plant_case(plant, code)
    assert plant.check() == expected


# ---- near misses stay quiet

def test_area_code_newer_than_a_persons_birth_is_fine():
    # 220503 (二道江区) dates from 1986; people born before carry it all the same
    assert id_problem(with_check_digit("22050319400101001")) is None


def test_excel_zeros_and_old_ids():
    assert id_problem("220503194001010000")[0] in ("I05", None)
    assert id_problem("2.20503E+17")[0] == "I05"
    assert id_problem("220503400101001")[0] == "I04"


def test_two_exits_with_a_return_between_are_fine(plant):
    ex, ch = plant.frame("exits"), plant.frame("changes")
    returned = ch[ch["reason"] == "returned"].iloc[0]["household_id"]
    assert returned in set(ex["household_id"])
    # the second exit must clear the income test too (contract 2: the incomes ledger's
    # figure of the exit year where the exit row gives none)
    inc = plant.frame("incomes")
    row = inc.index[(inc["household_id"] == returned) & (inc["year"] == 2017)]
    for i in row:
        plant.set("incomes", int(i), wage="4000.00", business="0", business_cost="0",
                  property="0", transfer="0", per_capita_net=f"{4000 / inc.at[i, 'size']:.2f}")
    plant.append("exits", household_id=returned, exit_year="2017", verification="pass")
    assert {c for c, _, _ in plant.check()} == set()


def test_a_reversed_double_payment_is_fine(plant):
    pay = plant.frame("subsidies")
    p = pay[pay["program"] == "dibao"].iloc[0]
    for amount in (f"{p['amount']:.2f}", f"-{p['amount']:.2f}"):
        plant.append("subsidies", date=(p["date"] + pd.Timedelta(days=3)).strftime("%Y-%m-%d"),
                     household_id=p["household_id"], program="dibao", amount=amount)
    assert plant.check() == set()


def test_parameters_change_what_fires(plant):
    pairs = plant.frame("pairings")
    for r in range(1, 4):
        plant.set("pairings", r, cadre_id=pairs.at[0, "cadre_id"])
    assert plant.check() == set()  # 4 households: within the default load of 5
    assert {c for c, _, _ in plant.check(cadre_load=3)} == {"P02"}
    assert {c for c, _, _ in plant.check(school_age=(10, 12))} == {"S05"}
    assert {c for c, _, _ in plant.check(incidence=0.0001)} == {"V01"}


def test_year_keeps_findings_of_that_year(plant):
    plant.set("subsidies", 3, amount="一千")  # undated by its broken cell: kept
    ledgers, findings = read_ledgers(plant.folder)
    pay = plant.frame("subsidies")
    p = pay[pay["program"] == "dibao"].iloc[0]
    plant.append("subsidies", date=(p["date"] + pd.Timedelta(days=5)).strftime("%Y-%m-%d"),
                 household_id=p["household_id"], program="dibao", amount=f"{p['amount']:.2f}")
    ledgers, findings = read_ledgers(plant.folder)
    year = int(p["date"].year)
    every = run_checks(ledgers, findings, today=TODAY)
    other = run_checks(ledgers, findings, year=year + 1 if year == 2016 else year - 1,
                       today=TODAY)
    assert {f.code for f in every} == {"L01", "S04"}
    assert {f.code for f in other} == {"L01"}


# ---- reversals (冲正): one reversal undoes one payment

def _payment_set(tmp_path, rows):
    from conftest import household, make_ledgers, member
    return read_ledgers(make_ledgers(
        tmp_path / "pay", [household("01")], [member(1, "01")],
        subsidies=[[d, "01", "", "dibao", a, "municipal", ""] for d, a in rows]))


def _reversal_codes(tmp_path, rows):
    ledgers, findings = _payment_set(tmp_path, rows)
    found = run_checks(ledgers, findings, rules=[RULES["S06"], RULES["S08"]], today=TODAY)
    return [(f.code, f.line, f.msg) for f in found]


def test_a_reversal_of_one_payment_is_fine(tmp_path):
    assert _reversal_codes(tmp_path, [("2017-03-01", "4000"), ("2017-03-01", "-4000")]) == []


def test_two_reversals_of_one_payment(tmp_path):
    got = _reversal_codes(tmp_path, [("2017-03-01", "4000"), ("2017-04-01", "-4000"),
                                     ("2017-05-01", "-4000")])
    assert got == [("S06", 4, "checks.S06.over")]


def test_two_payments_two_reversals_are_fine(tmp_path):
    assert _reversal_codes(tmp_path, [("2017-03-01", "4000"), ("2017-04-01", "4000"),
                                      ("2017-05-01", "-4000"), ("2017-05-02", "-4000")]) == []


def test_a_partial_reversal_is_a_warning(tmp_path):
    got = _reversal_codes(tmp_path, [("2017-03-01", "4000"), ("2017-04-01", "-777.77")])
    assert got == [("S08", 3, "checks.S08.partial")]


def test_a_reversal_with_nothing_paid_before(tmp_path):
    got = _reversal_codes(tmp_path, [("2017-03-01", "-500"), ("2017-04-01", "500")])
    assert got == [("S06", 2, "checks.S06.none")]


def test_a_reversal_matching_no_payment(tmp_path):
    got = _reversal_codes(tmp_path, [("2017-03-01", "300"), ("2017-03-02", "300"),
                                     ("2017-04-01", "-500")])
    assert got == [("S06", 4, "checks.S06.unmatched")]


def test_reversal_matching_is_not_quadratic(tmp_path):
    import time
    n = 20000
    rows = [("2017-03-01", "100")] * n + [("2017-04-01", "-100")] * n
    ledgers, findings = _payment_set(tmp_path, rows)
    start = time.perf_counter()
    assert run_checks(ledgers, findings, rules=[RULES["S06"], RULES["S08"]], today=TODAY) == []
    assert time.perf_counter() - start < 5


# ---- the rolls are looked at as the reports do

def test_without_a_year_the_rolls_are_looked_at_at_the_end_of_the_latest_year(tmp_path):
    from conftest import household, make_ledgers, member, pid
    # an exit of 2017 not yet verified: overdue when looked at in 2026, not at the end of
    # 2017, the latest year of these ledgers (where the reports look too)
    folder = make_ledgers(tmp_path / "asof", [household("01")], [member(1, "01")],
                          exits=[["01", "2017", "pending", "", "5000"]])
    ledgers, findings = read_ledgers(folder)
    assert run_checks(ledgers, findings, rules=[RULES["E03"]], today=TODAY) == []
    late = run_checks(ledgers, findings, rules=[RULES["E03"]], year=2018, today=TODAY)
    assert [f.code for f in late] == ["E03"]
    folder = make_ledgers(tmp_path / "asof2", [household("01", "2016-01-01")],
                          [member(1, "01")],
                          changes=[["2027-01-01", "01", pid(1), "out", "moved"]])
    ledgers, findings = read_ledgers(folder)
    from povcli.checks import default_as_of
    assert default_as_of(ledgers, TODAY) == pd.Timestamp("2027-12-31")
    d01 = run_checks(ledgers, findings, rules=[RULES["D01"]], today=TODAY)
    assert [f.code for f in d01] == ["D01"]  # the future is still measured from today


# ---- words

def test_every_rule_has_its_summary_and_basis_in_chinese():
    from povcli.checks import rules_frame
    en, zh = rules_frame("en"), rules_frame("zh")
    assert list(en["code"]) == list(zh["code"]) and len(en) == len(RULES)
    for column in ("rule", "basis"):
        assert all(_CHINESE.search(t) for t in zh[column]), column
    assert (en["rule"] != zh["rule"]).all()
    assert list(en["rule"]) == [RULES[c].summary for c in en["code"]]
