"""The contract's reading rules, one by one, on tiny files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from povcli.read.cells import parse_amount, parse_date, parse_year
from povcli.read.decode import decode
from povcli.read.files import find_files
from povcli.read.integrity import integrity_findings
from povcli.read.load import read_ledger, read_ledgers
from povcli.schema import LEDGERS

from conftest import HOUSEHOLD_HEADER, household, make_ledgers, member, write_csv

HH = LEDGERS["households"]


def read(tmp_path: Path, text: str | bytes, ledger=HH, name="households.csv", encoding=None):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return read_ledger(path, ledger, encoding)


def messages(findings) -> list[str]:
    return [str(f) for f in findings]


GOOD_HEADER = ",".join(HOUSEHOLD_HEADER)
GOOD_ROW = "0101,二道江乡,样子沟村,张三,220503195001010011,general,illness,2014-06-01,C"


# ---- headers

@pytest.mark.parametrize("header", [
    GOOD_HEADER,
    GOOD_HEADER.upper(),
    GOOD_HEADER.replace("household_id", " Household ID ").replace("head_name", "HEAD-NAME"),
    "户编号,乡镇,行政村,户主姓名,户主身份证号,贫困户属性,主要致贫原因,识别日期,住房安全等级",
])
def test_headers_by_english_or_chinese_name_any_case(tmp_path, header):
    loaded, findings = read(tmp_path, f"{header}\n{GOOD_ROW}\n")
    assert findings == []
    assert loaded.frame["household_id"].tolist() == ["0101"]
    assert loaded.frame["head_name"].tolist() == ["张三"]


def test_column_order_is_free_and_unknown_columns_are_ignored(tmp_path):
    cols = HOUSEHOLD_HEADER[::-1] + ["备注"]
    row = GOOD_ROW.split(",")[::-1] + ["whatever, really"]
    loaded, findings = read(tmp_path, ",".join(cols) + "\n" + ",".join(
        f'"{c}"' for c in row) + "\n")
    assert findings == []
    assert loaded.frame.loc[0, "village"] == "样子沟村"
    assert "备注" not in loaded.frame.columns


def test_two_headers_for_one_column_is_an_error(tmp_path):
    _, findings = read(tmp_path, GOOD_HEADER + ",户编号\n" + GOOD_ROW + ",0102\n")
    assert "both name column household_id" in messages(findings)[0]


def test_missing_required_column_names_it(tmp_path):
    header = GOOD_HEADER.replace(",cause", "")
    row = GOOD_ROW.replace(",illness", "")
    loaded, findings = read(tmp_path, f"{header}\n{row}\n")
    assert loaded is None
    assert messages(findings) == [
        f"{tmp_path / 'households.csv'}: required column cause (主要致贫原因) is missing; "
        f"the header row has: {header.replace(',', ', ')}"]


def test_missing_optional_column_is_fine(tmp_path):
    header = GOOD_HEADER.replace(",housing_grade", "")
    loaded, findings = read(tmp_path, f"{header}\n{GOOD_ROW.rsplit(',', 1)[0]}\n")
    assert findings == [] and loaded.frame["housing_grade"].isna().all()


# ---- files

def test_file_names_english_any_case_or_chinese(tmp_path):
    (tmp_path / "HOUSEHOLDS.CSV").write_text("x")
    (tmp_path / "家庭成员台账.csv").write_text("x")
    files, findings = find_files(tmp_path)
    assert findings == []
    assert files["households"].path.name == "HOUSEHOLDS.CSV"
    assert files["members"].path.name == "家庭成员台账.csv"


def test_both_names_of_one_ledger_is_an_error(tmp_path):
    (tmp_path / "households.csv").write_text("x")
    (tmp_path / "贫困户台账.csv").write_text("x")
    _, findings = find_files(tmp_path)
    assert "which one is meant?" in messages(findings)[0]


def test_missing_folder(tmp_path):
    _, findings = read_ledgers(tmp_path / "nowhere")
    assert messages(findings) == [f"{tmp_path / 'nowhere'}: no such folder"]


# ---- encodings

@pytest.mark.parametrize("encoding,bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"),
                                          ("gb18030", b"")])
def test_encodings_are_detected(tmp_path, encoding, bom):
    text = f"{GOOD_HEADER}\n{GOOD_ROW}\n"
    loaded, findings = read(tmp_path, bom + text.encode(encoding))
    assert findings == []
    assert loaded.encoding == encoding
    assert loaded.frame.loc[0, "township"] == "二道江乡"


def test_utf8_is_tried_before_gb18030(tmp_path):
    # UTF-8 Chinese is also valid GB18030 (as other characters): UTF-8 must win
    assert "二道江乡".encode("utf-8").decode("gb18030")  # the trap is real
    loaded, findings = read(tmp_path, f"{GOOD_HEADER}\n{GOOD_ROW}\n".encode("utf-8"))
    assert findings == [] and loaded.encoding == "utf-8"
    assert loaded.frame.loc[0, "township"] == "二道江乡"
    text, used = decode("乡镇".encode("utf-8"), None)  # the helper scripts use
    assert (text, used) == ("乡镇", "utf-8")


def test_encoding_can_be_forced(tmp_path):
    raw = f"{GOOD_HEADER}\n{GOOD_ROW}\n".encode("gb18030")
    loaded, findings = read(tmp_path, raw, encoding="gbk")
    assert findings == [] and loaded.frame.loc[0, "village"] == "样子沟村"
    _, findings = read(tmp_path, raw, encoding="utf-8")
    assert "not utf-8 text" in messages(findings)[0]


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_an_encoding_given_for_a_file_of_the_other_says_to_give_none(tmp_path, bom):
    """A UTF-8 file (CSV UTF-8, with its BOM or not) read as --encoding gb18030, or a
    GB18030 file read as --encoding utf-8: the advice is to leave out --encoding (not to
    save the file as CSV UTF-8, which it may already be)."""
    # (a name of three characters: UTF-8 text of an even count of bytes a character
    # often decodes as GB18030 too, into other characters)
    text = f"{GOOD_HEADER}\n{GOOD_ROW.replace('张三', '张三丰')}\n"
    _, findings = read(tmp_path, bom + text.encode("utf-8"), encoding="gb18030")
    assert messages(findings)[0].startswith(f"{tmp_path / 'households.csv'}:2: not gb18030 "
                                            "text (byte ")
    assert "but UTF-8 text: leave out --encoding" in messages(findings)[0]
    assert "save it as CSV UTF-8" not in messages(findings)[0]
    _, findings = read(tmp_path, text.encode("gb18030"), encoding="utf-8")
    assert "not utf-8 text" in messages(findings)[0]
    assert "but GB18030 text: leave out --encoding" in messages(findings)[0]
    # bytes that are neither keep the old advice
    _, findings = read(tmp_path, bom + text.encode("utf-8") + b"0102,\x80\xff\n",
                       encoding="gb18030")
    assert "save it as CSV UTF-8" in messages(findings)[0]
    _, findings = read(tmp_path, text.encode("gb18030") + b"0102,\xff\xff\n",
                       encoding="utf-8")
    assert "save it as CSV UTF-8" in messages(findings)[0]


def test_undecodable_bytes_are_refused(tmp_path):
    _, findings = read(tmp_path, b"household_id\n\xff\xfe\xfd\x80\n")
    # the line, not a byte offset of the file (wording changed: "not ... nor", by the brief)
    assert messages(findings)[0].startswith(
        f"{tmp_path / 'households.csv'}:2: not UTF-8 nor GB18030 text")


# ---- rows and cells

def test_cells_are_trimmed_and_empty_means_missing(tmp_path):
    row = " 0101 , 二道江乡 ,样子沟村,张三,220503195001010011, general ,illness,2014-06-01,  "
    loaded, findings = read(tmp_path, f"{GOOD_HEADER}\n{row}\n")
    assert findings == []
    assert loaded.frame.loc[0, "household_id"] == "0101"
    assert loaded.frame.loc[0, "category"] == "general"
    assert pd.isna(loaded.frame.loc[0, "housing_grade"])


def test_crlf_and_lf_both_work(tmp_path):
    loaded, findings = read(tmp_path, f"{GOOD_HEADER}\r\n{GOOD_ROW}\r\n")
    assert findings == [] and loaded.frame.loc[0, "housing_grade"] == "C"


def test_ids_are_text_with_leading_zeros(tmp_path):
    loaded, _ = read(tmp_path, f"{GOOD_HEADER}\n{GOOD_ROW.replace('0101', '000123')}\n")
    assert loaded.frame.loc[0, "household_id"] == "000123"


def test_required_cell_empty(tmp_path):
    _, findings = read(tmp_path, f"{GOOD_HEADER}\n{GOOD_ROW.replace('张三', '')}\n")
    assert messages(findings) == [
        f"{tmp_path / 'households.csv'}:2: column head_name: required, but empty"]


def test_rows_with_too_few_or_too_many_fields_are_errors_with_their_line(tmp_path):
    text = f"{GOOD_HEADER}\n{GOOD_ROW}\n\n0102,x\n{GOOD_ROW.replace('0101', '0103')},extra\n"
    loaded, findings = read(tmp_path, text)
    path = tmp_path / "households.csv"
    assert messages(findings) == [
        f"{path}:4: 2 fields, but the header has 9",
        f"{path}:5: 10 fields, but the header has 9 (a comma inside a value that is not quoted?)",
    ]
    assert loaded.frame["household_id"].tolist() == ["0101"]


def test_unclosed_quote_is_reported_on_its_line(tmp_path):
    text = f'{GOOD_HEADER}\n{GOOD_ROW}\n0102,"二道江乡,样子沟村,李四\n{GOOD_ROW}\n'
    _, findings = read(tmp_path, text)
    assert messages(findings) == [
        f"{tmp_path / 'households.csv'}:3: a quote opened on this line is never closed"]


def test_line_numbers_count_blank_lines_and_quoted_newlines(tmp_path):
    row_with_newline = GOOD_ROW.replace("张三", '"张\n三"')
    bad = GOOD_ROW.replace("0101", "0102").replace("2014-06-01", "2014-13-01")
    text = f"{GOOD_HEADER}\n\n{row_with_newline}\n\n{bad}\n"
    _, findings = read(tmp_path, text)
    # header 1, blank 2, the row of lines 3-4, blank 5, the bad row 6
    assert [(f.line, f.column) for f in findings] == [(6, "identified_on")]


# ---- dates, years, amounts

@pytest.mark.parametrize("text", ["2017-07-13", "2017/7/13", "2017.7.13", "20170713",
                                  "2017年7月13日", "2017年07月13日", "2017/07/13",
                                  "2017-07-13 00:00:00"])
def test_date_spellings(text):
    assert parse_date(text) == np.datetime64("2017-07-13")


@pytest.mark.parametrize("text,reason", [("2017-02-30", "impossible date"),
                                         ("2017-13-01", "impossible date"),
                                         ("13/07/2017", "not a date"), ("2017-07/13", "not a date"),
                                         ("yesterday", "not a date")])
def test_bad_dates(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_date(text)


@pytest.mark.parametrize("text,value", [("2017", 2017), ("2017年", 2017)])
def test_year_spellings(text, value):
    assert parse_year(text) == value


@pytest.mark.parametrize("text,value", [
    ("4000", 4000.0), ("4000.5", 4000.5), ("4,000.50", 4000.5), ("￥4000", 4000.0),
    ("¥4000", 4000.0), ("-￥300", -300.0), ("￥-300", -300.0), ("-300", -300.0),
    ("1,234,567.89", 1234567.89)])
def test_amount_spellings(text, value):
    assert parse_amount(text) == value


@pytest.mark.parametrize("text", ["4000元整", "four", "4,00", "-￥-300", "1e3", ""])
def test_bad_amounts(text):
    with pytest.raises(ValueError):
        parse_amount(text)


def test_impossible_date_in_a_file_names_file_line_column_value(tmp_path):
    _, findings = read(tmp_path, f"{GOOD_HEADER}\n{GOOD_ROW.replace('2014-06-01', '2017-02-30')}\n")
    assert messages(findings) == [f"{tmp_path / 'households.csv'}:2: column identified_on: "
                                  "impossible date (value '2017-02-30')"]


# ---- enumerations

@pytest.mark.parametrize("written,code", [
    ("general", "general"), ("GENERAL", "general"), ("一般贫困户", "general"),
    ("低保户", "dibao"), ("五保户", "tekun"), ("特困供养贫困户", "tekun")])
def test_category_spellings(tmp_path, written, code):
    loaded, findings = read(tmp_path, f"{GOOD_HEADER}\n{GOOD_ROW.replace('general', written)}\n")
    assert findings == [] and loaded.frame.loc[0, "category"] == code


@pytest.mark.parametrize("written,code", [("因病", "illness"), ("因病致贫", "illness"),
                                          ("缺劳力致贫", "labor"), ("Disability", "disability")])
def test_cause_spellings(tmp_path, written, code):
    loaded, findings = read(tmp_path, f"{GOOD_HEADER}\n{GOOD_ROW.replace('illness', written)}\n")
    assert findings == [] and loaded.frame.loc[0, "cause"] == code


def test_unknown_enumeration_value(tmp_path):
    _, findings = read(tmp_path, f"{GOOD_HEADER}\n{GOOD_ROW.replace('general', '富裕户')}\n")
    assert messages(findings)[0].startswith(
        f"{tmp_path / 'households.csv'}:2: column category: unknown category (use one of: "
        "general 一般贫困户")
    assert messages(findings)[0].endswith("(value '富裕户')")


def test_sex_and_yes_no_variants(tmp_path):
    members = LEDGERS["members"]
    loaded, findings = read(tmp_path, "身份证号,户编号,姓名,与户主关系,性别\n"
                            "1,H,a,户主,男性\n2,H,b,配偶,女性\n3,H,c,之子,m\n", members,
                            name="members.csv")
    assert findings == []
    assert loaded.frame["sex"].tolist() == ["M", "F", "M"]
    assert loaded.frame["relation"].tolist() == ["head", "spouse", "child"]
    projects = LEDGERS["projects"]
    head = "project_id,name,kind,key_project,year,funds_higher\n"
    loaded, findings = read(tmp_path, head + "P1,a,industry,是,2017年,\"1,000\"\n"
                            "P2,b,光伏,N,2017,\nP3,c,other,true,2017,\nP4,d,other,,2017,\n",
                            projects, name="projects.csv")
    assert findings == []
    assert loaded.frame["key_project"].tolist() == [True, False, True, pd.NA]
    assert loaded.frame["kind"].tolist() == ["industry", "photovoltaic", "other", "other"]
    assert loaded.frame["funds_higher"].tolist() == [1000.0, 0.0, 0.0, 0.0]  # default 0


# ---- keys and references

def test_duplicate_key_and_bad_references(tmp_path):
    folder = make_ledgers(
        tmp_path,
        households=[household("H1"), household("H1", head=2)],
        # a person may be a member of two households (contract 2), not twice of one
        members=[member(1, "H1"), member(2, "H9"), member(2, "H1"), member(2, "H1")],
        changes=[["2017-01-01", "H1", "22050319800101" + "0009", "out", "death"],
                 ["2017-01-01", "H9", "22050319800101" + "0001", "out", "death"]],
        exits=[["H1", "2016", "pass", "", ""], ["H1", "2016年", "", "", ""]],
    )
    ledgers, findings = read_ledgers(folder)
    assert findings == []
    got = sorted(str(f).replace(str(folder) + "/", "") for f in integrity_findings(ledgers))
    assert got == sorted([
        "households.csv:3: column household_id: duplicate household_id: line 2 has it "
        "already (value 'H1')",
        "members.csv:3: column household_id: not in households.csv (value 'H9')",
        "members.csv:5: column person_id: duplicate person_id + household_id: line 4 has "
        "it already (value '220503198001010002 / H1')",
        "changes.csv:2: column person_id: not in members.csv (value '220503198001010009')",
        "changes.csv:3: column person_id: belongs to household_id H1 in members.csv, "
        "not to H9 (value '220503198001010001')",
        "exits.csv:3: column household_id: duplicate household_id + exit_year: line 2 has "
        "it already (value 'H1 / 2016')",
    ])


def test_optional_reference_is_checked_only_where_given(tmp_path):
    folder = make_ledgers(
        tmp_path, households=[household("H1")], members=[member(1, "H1")],
        subsidies=[["2017-01-01", "H1", "", "education", "100", "", "V1"],
                   ["2017-01-01", "H1", "220503198001019999", "education", "100", "", ""],
                   ["2017-01-01", "H1", "", "education", "100", "", ""]])
    ledgers, findings = read_ledgers(folder)
    assert findings == []
    assert [str(f).replace(str(folder) + "/", "") for f in integrity_findings(ledgers)] == [
        "subsidies.csv:3: column person_id: not in members.csv (value '220503198001019999')"]


def test_gb18030_chinese_file_with_chinese_labels(tmp_path):
    folder = make_ledgers(tmp_path, households=[household("H1")], members=[member(1, "H1")])
    (folder / "帮扶资金发放台账.csv").write_bytes(
        "发放日期,户编号,项目类别,金额,资金来源\r\n2017年3月5日,H1,光伏收益,\"￥1,000.00\",中央\r\n"
        "2017/3/6,H1,教育扶贫,-￥300,区县级\r\n".encode("gb18030"))
    ledgers, findings = read_ledgers(folder)
    assert findings == []
    frame = ledgers.frame("subsidies")
    assert frame["program"].tolist() == ["photovoltaic", "education"]
    assert frame["amount"].tolist() == [1000.0, -300.0]
    assert frame["source"].tolist() == ["central", "district"]
    assert frame["date"].tolist() == [pd.Timestamp("2017-03-05"), pd.Timestamp("2017-03-06")]


def test_reading_never_writes_to_the_ledger_folder(tmp_path):
    folder = make_ledgers(tmp_path, households=[household("H1")], members=[member(1, "H1")])
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir()}
    read_ledgers(folder)
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir()} == before


def test_write_csv_helper_roundtrip(tmp_path):
    path = write_csv(tmp_path / "x.csv", ["a"], [["1"]])
    assert path.read_text() == "a\n1\n"


def test_resident_id_check_character_in_any_case(tmp_path):
    folder = make_ledgers(tmp_path, households=[household("H1")],
                          members=[["22050319800101001x", "H1", "a", "head", "M", ""]],
                          changes=[["2017-01-01", "H1", "22050319800101001X", "out", "death"]])
    ledgers, findings = read_ledgers(folder)
    assert findings == [] and integrity_findings(ledgers) == []
    assert ledgers.frame("members")["person_id"].tolist() == ["22050319800101001X"]


# ---- Excel

def _workbook(path, sheets: dict[str, list[list]]):
    import openpyxl
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_excel_cells_turned_into_numbers_are_read_back(tmp_path):
    import datetime
    _workbook(tmp_path / "households.xlsx", {"户": [
        HOUSEHOLD_HEADER,
        [101, "二道江乡", "样子沟村", "张三", "220503195001010011", "一般贫困户", "因病",
         datetime.datetime(2014, 6, 1), "C"],
        ["0102", "二道江乡", "样子沟村", "李四", 220503195001010011, "general", "illness",
         41791, None],  # an ID that lost digits; a date serial (2014-06-01)
        [103, "二道江乡", "样子沟村", "王五", "22050319500101003x", "general", "illness",
         20140601, "D"]]})
    loaded, findings = read_ledger(tmp_path / "households.xlsx", HH)
    assert loaded.display == f"{tmp_path / 'households.xlsx'}[户]"
    assert loaded.frame["household_id"].tolist() == ["101", "0102", "103"]
    assert loaded.frame["identified_on"].tolist() == [pd.Timestamp("2014-06-01")] * 3
    assert loaded.frame.loc[2, "head_id"] == "22050319500101003X"
    assert [str(f) for f in findings] == [
        f"{tmp_path / 'households.xlsx'}[户]:3: column head_id: Excel stored this resident ID "
        "as a number and lost its last digits: format the column as text and enter it again"]


def test_one_workbook_with_sheets_named_after_the_ledgers(tmp_path):
    book = _workbook(tmp_path / "台账2017.xlsx", {
        "贫困户台账": [HOUSEHOLD_HEADER, household("H1")],
        "Members": [["person_id", "household_id", "name", "relation"],
                    ["220503198001010001", "H1", "a", "head"], ["x", "H2", "b", "head"]],
        "说明": [["这一页不是台账"]]})
    ledgers, findings = read_ledgers(tmp_path)
    assert findings == []
    assert set(ledgers.loaded) == {"households", "members"}
    assert [str(f) for f in integrity_findings(ledgers)] == [
        f"{book}[Members]:3: column household_id: not in 台账2017.xlsx[贫困户台账] "
        "(value 'H2')"]  # the user's sheet, not the contract's file name
    # a workbook given as --data works the same
    ledgers, findings = read_ledgers(book)
    assert findings == [] and set(ledgers.loaded) == {"households", "members"}


def test_a_ledger_both_as_csv_and_as_a_sheet_is_an_error(tmp_path):
    make_ledgers(tmp_path, households=[household("H1")], members=[member(1, "H1")])
    _workbook(tmp_path / "book.xlsx", {"households": [HOUSEHOLD_HEADER, household("H1")]})
    _, findings = read_ledgers(tmp_path)
    assert "which one is meant?" in str(findings[0])


def test_a_broken_workbook_is_refused(tmp_path):
    make_ledgers(tmp_path, households=[household("H1")], members=[member(1, "H1")])
    (tmp_path / "exits.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    _, findings = read_ledgers(tmp_path)
    assert str(findings[0]).startswith(f"{tmp_path / 'exits.xlsx'}: not a workbook")
