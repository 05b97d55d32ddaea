"""Contract 2's reading rules and the reader's defences against hostile files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import povcli.read
from povcli.read import integrity, limits
from povcli.read.cells import parse_amount
from povcli.read.integrity import integrity_findings
from povcli.read.load import read_ledger, read_ledgers
from povcli.messages import MESSAGES, fields
from povcli.schema import LEDGERS

from conftest import HOUSEHOLD_HEADER, household, make_ledgers, member

HH = LEDGERS["households"]
GOOD_HEADER = ",".join(HOUSEHOLD_HEADER)
GOOD_ROW = "0101,二道江乡,样子沟村,张三,220503195001010011,general,illness,2014-06-01,C"
SUBSIDY_HEADER = "date,household_id,person_id,program,amount,source,voucher"


def read(tmp_path: Path, text, ledger=HH, name="households.csv", notes=None):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    if notes is None:
        return read_ledger(path, ledger)
    return read_ledger(path, ledger, None, notes)


def texts(findings) -> list[str]:
    return [str(f) for f in findings]


# ---- title rows above the header

def test_title_rows_above_the_header_are_skipped_with_a_note(tmp_path):
    notes: list[str] = []
    text = ("二道江区2017年贫困户台账,,,,,,,,\n单位：户、人\n,,,,,,,,\n"
            f"{GOOD_HEADER}\n{GOOD_ROW}\n{GOOD_ROW.replace('0101', '0102').replace('2014-06-01', '2014-02-30')}\n")
    loaded, findings = read(tmp_path, text, notes=notes)
    path = tmp_path / "households.csv"
    # line numbers stay the file's own: title lines count
    assert texts(findings) == [f"{path}:6: column identified_on: impossible date "
                               "(value '2014-02-30')"]
    assert loaded.frame["household_id"].tolist() == ["0101", "0102"]
    assert notes == [f"{path}: 2 title rows above the header skipped"]


def test_title_rows_in_gb18030_and_in_a_sheet(tmp_path):
    text = f"二道江区2017年贫困户台账\n{GOOD_HEADER}\n{GOOD_ROW}\n".encode("gb18030")
    notes: list[str] = []
    loaded, findings = read(tmp_path, text, notes=notes)
    assert findings == [] and loaded.frame.loc[0, "township"] == "二道江乡"
    assert len(notes) == 1
    import openpyxl
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "households"
    sheet.append(["二道江区2017年贫困户台账"])
    sheet.append([])
    sheet.append(["单位：户"])
    sheet.append(HOUSEHOLD_HEADER)
    sheet.append(GOOD_ROW.split(","))
    sheet.append(["合计", None, None, None, None, None, None, None, None])
    book.save(tmp_path / "households.xlsx")
    notes = []
    loaded, findings = read_ledger(tmp_path / "households.xlsx", HH, None, notes)
    assert loaded.frame["household_id"].tolist() == ["0101"]
    assert texts(findings) == [f"{tmp_path / 'households.xlsx'}[households]:6: a totals row: "
                               "delete it; povcli adds up itself"]
    assert notes == [f"{tmp_path / 'households.xlsx'}[households]: 2 title rows above the "
                     "header skipped"]


def test_no_header_in_the_first_eleven_rows_names_the_missing_columns_masked(tmp_path):
    # a ledger without its header row: the "header row has" text must not print an ID
    loaded, findings = read(tmp_path, f"{GOOD_ROW}\n{GOOD_ROW}\n")
    assert loaded is None
    assert "required column household_id" in texts(findings)[0]
    assert all("220503195001010011" not in t for t in texts(findings))
    assert "220503********0011" in texts(findings)[0]
    # eleven title rows: the header is too far down
    _, findings = read(tmp_path, "title\n" * 11 + f"{GOOD_HEADER}\n{GOOD_ROW}\n")
    assert "is missing" in texts(findings)[0]
    loaded, findings = read(tmp_path, "title\n" * 10 + f"{GOOD_HEADER}\n{GOOD_ROW}\n")
    assert findings == [] and len(loaded.frame) == 1


# ---- blank rows, totals rows

def test_all_empty_rows_are_blank_lines(tmp_path):
    text = f"{GOOD_HEADER}\n,,,,,,,,\n{GOOD_ROW}\r\n , ,,,,,,,\n\"\",,,,,,,,\n"
    loaded, findings = read(tmp_path, text)
    assert findings == []
    assert loaded.frame["household_id"].tolist() == ["0101"]
    assert loaded.line(int(loaded.frame.index[0])) == 3


def test_all_empty_rows_are_blank_on_the_slow_path_too(tmp_path):
    # a malformed row sends the file through csv, line by line
    text = f"{GOOD_HEADER}\n,,,,,,,,\n{GOOD_ROW}\n,,\n0102,x\n"
    loaded, findings = read(tmp_path, text)
    assert texts(findings) == [f"{tmp_path / 'households.csv'}:5: 2 fields, but the header "
                               "has 9"]
    assert loaded.frame["household_id"].tolist() == ["0101"]


@pytest.mark.parametrize("first", ["合计", "总计", " 小计 ", "合 计："])
def test_a_totals_row_is_an_error_never_counted(tmp_path, first):
    subsidies = LEDGERS["subsidies"]
    text = (f"序号,{SUBSIDY_HEADER}\n1,2017-01-01,H1,,education,100,,\n"
            f"{first},,,,,100,,\n")
    loaded, findings = read(tmp_path, text, subsidies, "subsidies.csv")
    assert texts(findings) == [f"{tmp_path / 'subsidies.csv'}:3: a totals row: delete it; "
                               "povcli adds up itself"]
    assert loaded.frame["amount"].tolist() == [100.0]
    assert findings[0].text("zh").endswith("这是合计行：请删除，povcli会自己合计")


# ---- tab-separated

def test_tab_separated_csv_and_tsv(tmp_path):
    text = "\t".join(HOUSEHOLD_HEADER) + "\n" + GOOD_ROW.replace(",", "\t") + "\n"
    loaded, findings = read(tmp_path, text)
    assert findings == [] and loaded.frame.loc[0, "village"] == "样子沟村"
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "households.tsv").write_text(text, encoding="utf-8")
    (folder / "members.tsv").write_text(
        "person_id\thousehold_id\tname\trelation\n220503195001010011\t0101\t张三\thead\n",
        encoding="utf-8")
    ledgers, findings = read_ledgers(folder)
    assert findings == [] and integrity_findings(ledgers) == []
    assert ledgers.frame("members")["name"].tolist() == ["张三"]


def test_a_tsv_file_is_tab_separated_even_with_commas_in_its_header(tmp_path):
    header = "\t".join(HOUSEHOLD_HEADER) + "\t备注,说明"
    text = header + "\n" + GOOD_ROW.replace(",", "\t") + "\t无\n"
    loaded, findings = read(tmp_path, text, name="households.tsv")
    assert findings == [] and loaded.frame.loc[0, "village"] == "样子沟村"


def test_a_tab_separated_file_with_a_bad_row_says_where(tmp_path):
    text = ("\t".join(HOUSEHOLD_HEADER) + "\n" + GOOD_ROW.replace(",", "\t") + "\n0102\tx\n")
    _, findings = read(tmp_path, text)
    assert texts(findings) == [f"{tmp_path / 'households.csv'}:3: 2 fields, but the header "
                               "has 9"]


# ---- amounts

@pytest.mark.parametrize("text", ["1.005", "-0.001", "4,000.505", "￥1.999"])
def test_more_than_two_decimals_is_refused(text):
    with pytest.raises(ValueError, match="more than two decimals"):
        parse_amount(text)


def test_amounts_are_the_nearest_double_to_the_exact_fen():
    assert parse_amount("1234567.89") == 123456789 / 100
    assert parse_amount("0.29") == 29 / 100
    zero = parse_amount("-0")
    assert zero == 0.0 and np.copysign(1, zero) == 1
    assert np.copysign(1, parse_amount("-￥0.00")) == 1
    with pytest.raises(ValueError, match="out of range"):
        parse_amount("￥" + "9" * 309)
    with pytest.raises(ValueError, match="out of range"):
        parse_amount("1000000000000.01")
    assert parse_amount("1000000000000") == 1e12


def test_amount_cells_in_a_file(tmp_path):
    rows = ["1.005", "1.005", "1.005", "9" * 309, "-0", "0", "0.00", "-12.5", "￥0"]
    text = SUBSIDY_HEADER + "\n" + "".join(
        f"2017-01-01,H1,,education,{a},,\n" for a in rows)
    loaded, findings = read(tmp_path, text, LEDGERS["subsidies"], "subsidies.csv")
    got = sorted((f.line, f.message()) for f in findings)
    zero = "zero: a payment has an amount; a reversal is negative"
    assert got == [(line, "more than two decimals: amounts are yuan and fen")
                   for line in (2, 3, 4)] + [
        (5, "out of range (an amount is at most 1,000,000,000,000 yuan)"),
        (6, zero), (7, zero), (8, zero), (10, zero)]
    amounts = loaded.frame["amount"]
    assert amounts[amounts.notna()].tolist() == [-12.5]
    assert not np.isinf(amounts).any()
    # project funds may be zero (default 0 too), never negative zero
    projects = LEDGERS["projects"]
    loaded, findings = read(tmp_path, "project_id,name,kind,year,funds_higher,funds_local\n"
                            "P1,a,other,2017,0,-0\n", projects, "projects.csv")
    assert findings == []
    assert np.copysign(1, loaded.frame.loc[0, "funds_local"]) == 1


def test_sums_are_exact_to_the_fen_at_eight_million_rows():
    rng = np.random.default_rng(20170713)
    n = 8_000_000
    fen = rng.integers(-5_000_000, 50_000_000, size=n, dtype=np.int64)  # up to 500,000 yuan
    yuan = pd.Series(fen / 100)
    exact = int(fen.sum())
    assert round(round(yuan.sum(), 2) * 100) == exact
    groups = pd.Series(rng.integers(0, 8, size=n))
    by_group = yuan.groupby(groups).sum().round(2)
    exact_by_group = pd.Series(fen).groupby(groups).sum()
    assert [round(v * 100) for v in by_group] == exact_by_group.tolist()


# ---- not a file

def test_a_ledger_that_is_a_directory_is_refused_by_name(tmp_path):
    folder = make_ledgers(tmp_path / "set", households=[household("H1")],
                          members=[member(1, "H1")])
    (folder / "exits.csv").mkdir()
    _, findings = read_ledgers(folder)
    assert texts(findings) == [f"{folder / 'exits.csv'}: is a directory, not a file"]
    (folder / "households.csv").unlink()
    (folder / "households.csv").mkdir()
    _, findings = read_ledgers(folder, ["members"])
    assert texts(findings) == [f"{folder / 'households.csv'}: is a directory, not a file"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_never_opened(tmp_path):
    folder = make_ledgers(tmp_path / "set", households=[household("H1")],
                          members=[member(1, "H1")])
    os.mkfifo(folder / "exits.csv")
    os.mkfifo(folder / "book.xlsx")

    def hung(*_):
        raise AssertionError("the reader opened a FIFO and blocked")
    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(10)
    try:
        _, findings = read_ledgers(folder)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert texts(findings) == [f"{folder / 'exits.csv'}: is a FIFO, not a file"]
    assert findings[0].text("zh").endswith("是一个FIFO（特殊文件），不是普通文件")


# ---- hostile workbooks

_CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
       'package/2006/content-types"><Default Extension="rels" ContentType="application/'
       'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
       'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="'
       'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
       'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
         'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
         'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
         'Target="xl/workbook.xml"/></Relationships>')
_BOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats'
         '.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
         'officeDocument/2006/relationships"><sheets><sheet name="households" sheetId="1" '
         'r:id="rId1"/></sheets></workbook>')
_BOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
              'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
              'http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
              'Target="worksheets/sheet1.xml"/></Relationships>')


def _xlsx(path: Path, cells: list[tuple[str, str]], extra: dict | None = None) -> Path:
    """A minimal workbook written by hand: one sheet 'households' with these cells."""
    rows: dict[int, list] = {}
    for ref, text in cells:
        row = int("".join(ch for ch in ref if ch.isdigit()))
        rows.setdefault(row, []).append(
            f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>')
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
             'openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             + "".join(f'<row r="{r}">{"".join(c)}</row>' for r, c in sorted(rows.items()))
             + "</sheetData></worksheet>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _BOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _BOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def _read_in_a_child(path: Path, prelude: str = "") -> subprocess.CompletedProcess:
    """Read in a child process with its memory bounded: an abort there fails the test
    instead of killing the test run."""
    code = (f"{prelude}\nfrom pathlib import Path\nfrom povcli.read.load import read_ledger\n"
            "from povcli.schema import LEDGERS\n"
            f"loaded, findings = read_ledger(Path({str(path)!r}), LEDGERS['households'])\n"
            "print('\\n'.join(str(f) for f in findings))\n")

    def limit():
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, preexec_fn=limit)


def test_a_workbook_with_a_cell_at_the_last_column_and_row_is_refused(tmp_path):
    path = _xlsx(tmp_path / "households.xlsx",
                 [(f"{chr(65 + i)}1", h) for i, h in enumerate(HOUSEHOLD_HEADER)]
                 + [("XFD1048576", "x")])
    assert path.stat().st_size < 20_000
    done = _read_in_a_child(path)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.startswith(f"{path}[households]: refused: sheet households reaches row "
                                  "1,048,576 and column 16,384")


def test_a_far_cell_within_the_columns_is_refused_by_cell_count(tmp_path):
    path = _xlsx(tmp_path / "households.xlsx", [("A1", "household_id"), ("ALL900000", "x")])
    done = _read_in_a_child(path)
    assert done.returncode == 0, done.stderr[-500:]
    assert "refused: sheet households reaches row 900,000 and column 1,000" in done.stdout


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path, monkeypatch):
    path = _xlsx(tmp_path / "households.xlsx", [("A1", "household_id")],
                 {"xl/sharedStrings.xml": "<sst>" + " " * 3_000_000 + "</sst>"})
    assert path.stat().st_size < 100_000
    monkeypatch.setattr(limits, "MAX_UNPACKED", 1_000_000)
    _, findings = read_ledger(path, HH)
    assert texts(findings)[0].startswith(f"{path}: refused: the workbook unpacks to ")
    assert "more than the 1,000,000 bytes povcli reads" in texts(findings)[0]
    # in a folder, a bomb not named after a ledger is never opened either
    folder = make_ledgers(tmp_path / "set", households=[household("H1")],
                          members=[member(1, "H1")])
    path.rename(folder / "book.xlsx")
    _, findings = read_ledgers(folder)
    assert findings == []


def test_a_sound_workbook_passes_the_limits(tmp_path):
    path = _xlsx(tmp_path / "households.xlsx",
                 [(f"{chr(65 + i)}1", h) for i, h in enumerate(HOUSEHOLD_HEADER)]
                 + [(f"{chr(65 + i)}2", v) for i, v in enumerate(GOOD_ROW.split(","))])
    loaded, findings = read_ledger(path, HH)
    assert findings == [] and loaded.frame["household_id"].tolist() == ["0101"]


# ---- long cells

def test_a_fifty_megabyte_cell_is_a_finding(tmp_path):
    long = "x" * 50_000_000
    text = f"{GOOD_HEADER}\n{GOOD_ROW}\n{GOOD_ROW.replace('张三', long)}\n"
    loaded, findings = read(tmp_path, text)
    assert texts(findings) == [f"{tmp_path / 'households.csv'}:3: column head_name: a cell of "
                               "50,000,000 characters is longer than povcli reads (limit "
                               "1,000,000)"]
    assert "户主姓名" not in findings[0].text("zh") and "head_name列" in findings[0].text("zh")


def test_a_long_cell_in_a_malformed_row_is_read(tmp_path):
    long = "y" * 200_000
    text = f"{GOOD_HEADER}\n{GOOD_ROW.replace('张三', long)}\n0102,x\n"
    loaded, findings = read(tmp_path, text)
    assert texts(findings) == [f"{tmp_path / 'households.csv'}:3: 2 fields, but the header "
                               "has 9"]
    assert loaded.frame.loc[0, "head_name"] == long


def test_a_long_cell_in_an_unclosed_quote_is_a_finding_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_CELL", 1000)
    text = f'{GOOD_HEADER}\n{GOOD_ROW}\n0102,"{"z" * 5000}\n'
    _, findings = read(tmp_path, text)
    assert texts(findings) == [f"{tmp_path / 'households.csv'}:3: a quote opened on this line "
                               "is never closed"]


# ---- encodings and two names

def test_undecodable_text_names_its_line(tmp_path):
    text = f"{GOOD_HEADER}\n{GOOD_ROW}\n{GOOD_ROW}\n".encode("utf-8") + b"0103,\xff\xff\n"
    _, findings = read(tmp_path, text)
    assert texts(findings)[0].startswith(f"{tmp_path / 'households.csv'}:4: not UTF-8 nor "
                                         "GB18030 text (byte 6 of this line")
    _, findings = read_ledger(tmp_path / "households.csv", HH, "utf-8")
    assert texts(findings)[0].startswith(f"{tmp_path / 'households.csv'}:4: not utf-8 text")


def test_both_names_of_a_required_ledger_is_not_also_not_found(tmp_path):
    folder = make_ledgers(tmp_path, households=[household("H1")], members=[member(1, "H1")])
    (folder / "贫困户台账.csv").write_bytes((folder / "households.csv").read_bytes())
    _, findings = read_ledgers(folder)
    assert len(findings) == 1 and "which one is meant?" in texts(findings)[0]


# ---- messages

def test_reader_findings_are_catalogue_messages_with_the_users_header(tmp_path):
    header = GOOD_HEADER.replace("head_name", "户主姓名").replace("identified_on", "识别日期")
    row = GOOD_ROW.replace("张三", "").replace("2014-06-01", "2014-02-30")
    _, findings = read(tmp_path, f"{header}\n{row}\n")
    assert all(f.msg and f.msg.startswith("reader.") for f in findings)
    zh = sorted(f.text("zh") for f in findings)
    path = tmp_path / "households.csv"
    assert zh == [f"{path}:2: 户主姓名列：必填，但为空",
                  f"{path}:2: 识别日期列：日期不存在（值 '2014-02-30'）"]
    # the English text is as before
    assert sorted(texts(findings)) == [f"{path}:2: column 户主姓名: required, but empty",
                                       f"{path}:2: column 识别日期: impossible date "
                                       "(value '2014-02-30')"]


def test_every_reader_message_has_chinese_with_the_same_parameters():
    reader = {k: v for k, v in MESSAGES.items() if k.startswith("reader.")}
    assert len(reader) > 40
    for key, (en, zh) in reader.items():
        assert fields(en) == fields(zh), key
        assert en != zh and any("\u4e00" <= ch <= "\u9fff" for ch in zh), key


def test_no_plain_english_finding_is_left_in_the_reader():
    for module in Path(povcli.read.__file__).parent.glob("*.py"):
        source = module.read_text(encoding="utf-8")
        assert "Finding(" not in source.replace("Finding.of(", ""), module.name


# ---- leading zeros

def test_a_reference_that_lost_its_leading_zeros_says_so(tmp_path):
    folder = make_ledgers(tmp_path, households=[household("01010001"), household("0102")],
                          members=[member(1, "1010001"), member(2, "102"), member(3, "9999")])
    ledgers, findings = read_ledgers(folder)
    assert findings == []
    got = sorted(texts(integrity_findings(ledgers)))
    assert [g.replace(str(folder) + "/", "") for g in got] == [
        "members.csv:2: column household_id: not in households.csv — lost leading zeros? "
        "1010001 ≈ 01010001 (value '1010001')",
        "members.csv:3: column household_id: not in households.csv — lost leading zeros? "
        "102 ≈ 0102 (value '102')",
        "members.csv:4: column household_id: not in households.csv (value '9999')"]
    msgs = sorted(f.msg for f in integrity_findings(ledgers))
    assert msgs == ["reader.not_in", "reader.not_in_zeros", "reader.not_in_zeros"]


def test_lost_zeros_is_vectorised(tmp_path):
    n = 300_000
    pool = pd.Series([f"{i:08d}" for i in range(n)])
    values = pd.Series([str(i) for i in range(n)])
    import time
    started = time.perf_counter()
    out = integrity._lost_zeros(values, pool)
    assert time.perf_counter() - started < 3
    assert out[:3] == ["00000000", "00000001", "00000002"] and out[-1] == f"{n - 1:08d}"


# ---- through the command line: refused, never an internal error

def test_cli_refuses_a_directory_ledger_and_notes_title_rows(run, tmp_path):
    folder = make_ledgers(tmp_path / "set", households=[household("H1")],
                          members=[member(1, "H1")])
    text = (folder / "households.csv").read_text(encoding="utf-8")
    (folder / "households.csv").write_text("二道江区贫困户台账\n" + text, encoding="utf-8")
    result = run("summary", "-d", folder, "--year", "2017")
    assert result.exit_code == 0, result.stderr
    assert "1 title row above the header skipped" in result.stderr
    (folder / "exits.csv").mkdir()
    result = run("exits", "-d", folder)
    assert result.exit_code == 2
    assert "exits.csv: is a directory, not a file" in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
