"""The cold read's fast paths (issue 12) change nothing a user sees: a file with no quote
is split by Arrow without looking for quoted line breaks, a large ledger's columns are
typed on two threads, and a file's bytes are let go once it is typed. Each test
compares the fast path with the plain one, or checks the lines findings give."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from povcli.read import columns, load
from povcli.schema import LEDGERS

from conftest import HEADERS, household, member, pid, write_csv


def _members(folder: Path, rows: list[list], quoted_name: bool = False) -> Path:
    if quoted_name:  # a name holding a line break: the file now has quotes
        rows = [*rows[:1], [rows[1][0], rows[1][1], "两行\n的名字", *rows[1][3:]], *rows[2:]]
    return write_csv(folder / "members.csv", HEADERS["members"], rows)


def _rows(n: int) -> list[list]:
    rows = [member(i, f"H{i // 3:04d}", "head" if i % 3 == 0 else "child") for i in range(n)]
    rows[4][5] = "1980-13-01"  # a bad date
    rows[7][4] = "X"  # a bad sex
    rows[9][0] = ""  # a required id missing
    return rows


def _read(path: Path):
    return load.read_ledger(path, LEDGERS["members"])


@pytest.mark.parametrize("quoted_name", [False, True])
def test_findings_name_the_same_lines_with_and_without_quotes(tmp_path, quoted_name):
    path = _members(tmp_path, _rows(12), quoted_name)
    one, findings = _read(path)
    assert one is not None
    shift = 1 if quoted_name else 0  # the name of record 1 takes two lines
    lines = sorted(f.line for f in findings)
    assert lines == [6 + shift, 9 + shift, 11 + shift]
    assert one.line(11) == 13 + shift  # and a record after the line break


def test_no_quote_no_multiline_finding_and_a_quoted_id_still_found(tmp_path):
    rows = _rows(12)
    rows[2][1] = "H\n0002"  # an id with a line break: only possible in quotes
    _, findings = _read(_members(tmp_path, rows))
    assert [f.msg for f in findings if f.column == "household_id"] == ["reader.multiline"]
    assert [f.line for f in findings if f.msg == "reader.multiline"] == [4]


def test_two_threads_type_like_one(tmp_path, monkeypatch):
    path = _members(tmp_path, _rows(60), quoted_name=True)
    monkeypatch.setattr(columns, "THREADED_ROWS", 10**9)
    one_serial, serial = _read(path)
    monkeypatch.setattr(columns, "THREADED_ROWS", 0)
    one_threaded, threaded = _read(path)
    assert one_serial is not None and one_threaded is not None
    pd.testing.assert_frame_equal(one_serial.frame, one_threaded.frame)
    assert [f.text("en") for f in serial] == [f.text("en") for f in threaded]


def test_bytes_let_go_after_typing_and_lines_found_again(tmp_path):
    folder = tmp_path / "set"
    folder.mkdir()
    # a title row above the header and a quoted line break: lines are not records
    path = folder / "members.csv"
    _members(folder, _rows(12)[:3] + [member(20, "H0001")], quoted_name=True)
    path.write_bytes("2018年 成员台账\n".encode() + path.read_bytes())
    one, findings = _read(path)
    assert one is not None and one._data is None
    assert one.line(3) == 7  # title 1, header 2, records at 3, 4-5 (two lines), 6, 7


def test_a_ledger_with_findings_keeps_its_lines_not_its_bytes(tmp_path):
    one, findings = _read(_members(tmp_path, _rows(12)))
    assert findings and one is not None
    assert one._data is None and one._record_lines is not None
    assert len(one._record_lines) == len(one.frame) + 1


def test_a_broken_reference_after_the_bytes_went_names_its_line(tmp_path, run):
    folder = tmp_path / "set"
    folder.mkdir()
    write_csv(folder / "households.csv", HEADERS["households"], [household("H0001")])
    write_csv(folder / "members.csv", HEADERS["members"],
              [member(1, "H0001"), [pid(2), "H0001", "名\n字", "child", "F", "2001-01-01"],
               [pid(3), "H9999", "成员3", "child", "F", "2001-01-01"]])
    result = run("summary", "--data", folder)
    assert result.exit_code == 2
    assert f"{folder / 'members.csv'}:5: column household_id" in result.stderr


def _tricky_rows(n: int) -> list[list]:
    """Members whose names hold line breaks, quotes and commas, some names looking
    like a whole record of their own."""
    rows = _rows(n)
    for i in range(0, n, 3):
        rows[i][2] = f'名\n{pid(900 + i)},H0001,"x",child\n字'
    for i in range(1, n, 5):
        rows[i][2] = 'a "quoted", name\r\nover two lines'
    return rows


@pytest.mark.parametrize("piece", [1, 37, 64, 200, 10**9])
def test_pieces_split_only_between_records(tmp_path, monkeypatch, piece):
    """However small the pieces, a quoted line break never ends one: the frame and the
    findings (with their lines) are those of the file read whole."""
    from povcli.read import delimited

    path = _members(tmp_path, _tricky_rows(40))
    monkeypatch.setattr(delimited, "PIECE", 10**9)
    whole, whole_findings = _read(path)
    monkeypatch.setattr(delimited, "PIECE", piece)
    split, split_findings = _read(path)
    assert whole is not None and split is not None
    pd.testing.assert_frame_equal(whole.frame, split.frame)
    assert [f.text("en") for f in whole_findings] == [f.text("en") for f in split_findings]
    assert len(split.frame) == 40


def test_lines_ending_in_cr_alone_are_read(tmp_path):
    """Excel for Mac (2011) saves CSV with \\r alone at the end of each line."""
    path = _members(tmp_path, _rows(12))
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r"))
    one, findings = _read(path)
    assert one is not None and len(one.frame) == 12
    assert sorted(f.line for f in findings) == [6, 9, 11]


def test_largest_file_read_first_but_findings_and_ledgers_in_the_contract_order(tmp_path):
    folder = tmp_path / "set"
    folder.mkdir()
    write_csv(folder / "households.csv", HEADERS["households"],
              [household("H0001", identified="2014-13-01")])  # small, a bad date
    rows = _rows(300)  # members: the largest file, with bad cells of its own
    write_csv(folder / "members.csv", HEADERS["members"], rows)
    said: list = []
    got = load.read_ledgers(folder, progress=said.append)
    assert "members.csv" in said[0]
    assert list(got.ledgers.loaded) == ["households", "members"]
    files = [f.file for f in got.findings]
    assert files[0].endswith("households.csv") and files[-1].endswith("members.csv")
