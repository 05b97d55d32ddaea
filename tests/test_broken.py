"""Broken ledgers of every kind are refused clearly: file and line, exit 2, nothing on
stdout, never a traceback."""

from __future__ import annotations

import shutil

import pytest

from conftest import SAMPLE, household, make_ledgers, member, pid

HEADER = ("household_id,township,village,head_name,head_id,category,cause,identified_on,"
          "housing_grade\n")
ROW = "H1,二道江乡,样子沟村,张三,220503198001010001,general,illness,2014-06-01,\n"


def ledgers_with(tmp_path, name: str, content: bytes | str):
    folder = make_ledgers(tmp_path / "d", households=[household("H1"), household("H2", head=2)],
                          members=[member(1, "H1"), member(2, "H2")],
                          changes=[["2017-01-01", "H1", pid(1), "out", "death"]],
                          exits=[["H2", "2016", "pass", "", ""]],
                          subsidies=[["2017-01-01", "H2", "", "dibao", "100", "", "V1"]])
    data = content.encode("utf-8") if isinstance(content, str) else content
    (folder / name).write_bytes(data)
    return folder


CASES = {
    "impossible date": ("households.csv", HEADER + ROW.replace("2014-06-01", "2014-02-30"),
                        "households.csv:2: column identified_on: impossible date "
                        "(value '2014-02-30')"),
    "amount not a number": ("subsidies.csv", "date,household_id,program,amount\n"
                            "2017-01-01,H1,dibao,一百元\n",
                            "subsidies.csv:2: column amount: not an amount in yuan"),
    "missing required column": ("members.csv", "person_id,name,relation\n1,a,head\n",
                                "members.csv: required column household_id (户编号) is missing"),
    "duplicate id": ("households.csv", HEADER + ROW + ROW,
                     "households.csv:3: column household_id: duplicate household_id: line 2 "
                     "has it already (value 'H1')"),
    "member of unknown household": (
        "members.csv", "person_id,household_id,name,relation\n1,H1,a,head\n2,H7,b,head\n",
        "members.csv:3: column household_id: not in households.csv (value 'H7')"),
    "too few fields": ("households.csv", HEADER + ROW + "H3,二道江乡\n",
                       "households.csv:3: 2 fields, but the header has 9"),
    "binary garbage": ("households.csv", bytes(range(256)) * 4,
                       "households.csv: not a CSV text file"),
    "empty file": ("households.csv", b"", "households.csv: empty file: no header row"),
    "only a BOM and blank lines": ("households.csv", b"\xef\xbb\xbf\r\n\r\n",
                                   "households.csv: empty file"),
    "unclosed quote": ("households.csv", HEADER + ROW + 'H3,"二道江乡,x,y,1,general\n',
                       "households.csv:3: a quote opened on this line is never closed"),
    "unknown enumeration value": ("exits.csv", "household_id,exit_year,verification\nH2,2016,ok\n",
                                  "exits.csv:2: column verification: unknown verification "
                                  "(use one of: pass 通过, fail 未通过, pending 待查验) "
                                  "(value 'ok')"),
    "undecodable bytes": ("households.csv", HEADER.encode() + b"\xff\xff\xff,\x80\n",
                          "households.csv:2: not UTF-8 nor GB18030 text"),
    "change of a person of another household": (
        "changes.csv", f"date,household_id,person_id,direction,reason\n"
        f"2017-01-01,H2,{pid(1)},out,death\n",
        f"changes.csv:2: column person_id: belongs to household_id H1 in members.csv, not to "
        f"H2 (value '{pid(1)[:6]}********{pid(1)[-4:]}')"),
    "subsidy for an unknown household": (
        "subsidies.csv", "date,household_id,program,amount\n2017-01-01,H9,dibao,5\n",
        "subsidies.csv:2: column household_id: not in households.csv (value 'H9')"),
    "exit of an unknown household": (
        "exits.csv", "household_id,exit_year\nH9,2016\n",
        "exits.csv:2: column household_id: not in households.csv (value 'H9')"),
    "year not a year": ("exits.csv", "household_id,exit_year\nH2,十六年\n",
                        "exits.csv:2: column exit_year: not a year"),
    "two files for one ledger": ("贫困户台账.csv", HEADER + ROW, "which one is meant?"),
}


# which commands read which ledger (a command reads only what its figures need)
READERS = {"changes.csv": ["summary", "exits", "changes"], "exits.csv": ["summary", "exits"],
           "subsidies.csv": ["summary", "subsidies"]}
ALL = ["summary", "exits", "changes", "subsidies"]


@pytest.mark.parametrize("case,command", [(case, command) for case in sorted(CASES)
                                          for command in READERS.get(CASES[case][0], ALL)])
def test_broken_file_is_refused_with_its_place(run, tmp_path, case, command):
    name, content, expected = CASES[case]
    folder = ledgers_with(tmp_path, name, content)
    result = run(command, "-d", folder)
    assert result.exit_code == 2, (case, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert f"{folder}/{expected}" in result.stderr or expected in result.stderr, result.stderr
    assert "no figures were computed" in result.stderr


def test_a_command_does_not_read_ledgers_it_does_not_need(run, tmp_path):
    folder = ledgers_with(tmp_path, "subsidies.csv", "date,household_id,program,amount\n"
                          "2017-01-01,H1,dibao,一百元\n")
    assert run("exits", "-d", folder).exit_code == 0
    assert run("subsidies", "-d", folder).exit_code == 2


def test_missing_folder(run, tmp_path):
    result = run("summary", "-d", tmp_path / "nowhere")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(f"{tmp_path / 'nowhere'}: no such folder")


def test_a_file_given_for_the_folder(run, tmp_path):
    (tmp_path / "households.csv").write_text(HEADER)
    result = run("summary", "-d", tmp_path / "households.csv")
    assert result.exit_code == 2 and "not a folder" in result.stderr


def test_all_problems_at_once_a_screenful_then_a_count(run, tmp_path):
    rows = "".join(ROW.replace("H1", f"H{i}").replace("2014-06-01", "2014-13-01")
                   for i in range(60))
    folder = ledgers_with(tmp_path, "households.csv", HEADER + rows)
    result = run("exits", "-d", folder)
    lines = result.stderr.splitlines()
    assert result.exit_code == 2
    assert sum(":" in ln and "identified_on" in ln for ln in lines) == 40
    # 60 bad dates, and the members now point at no household... all counted
    assert "… and" in lines[-1] and "problems in the ledgers" in lines[-1]
    total = int(lines[-1].split("povcli: ")[1].split()[0])
    assert total >= 60


def test_errors_of_several_files_together_sorted_by_file_and_line(run, tmp_path):
    folder = ledgers_with(tmp_path, "households.csv", HEADER + ROW.replace("general", "rich"))
    (folder / "exits.csv").write_text("household_id,exit_year\nH1,2016\nH1,20x6\n")
    result = run("summary", "-d", folder)
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{folder / 'exits.csv'}:3: column exit_year")
    assert lines[1].startswith(f"{folder / 'households.csv'}:2: column category")


def test_debug_shows_no_traceback_for_bad_data(run, tmp_path):
    folder = ledgers_with(tmp_path, "households.csv", b"")
    result = run("--debug", "summary", "-d", folder)
    assert result.exit_code == 2 and "Traceback" not in result.stderr


def test_the_ledgers_are_never_changed(run, tmp_path):
    folder = tmp_path / "sample"
    shutil.copytree(SAMPLE, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    for command in ["summary", "exits", "changes", "subsidies"]:
        assert run(command, "-d", folder).exit_code == 0
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
