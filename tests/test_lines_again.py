"""A ledger whose bytes were let go (or that came from the cache) finds the line of a
record by counting the lines of its file again, without parsing it, when every record is
one line; with a quoted line break, a title row, blank lines or GB18030 the lines are
still the user's."""

from pathlib import Path

import pytest

from povcli.read import delimited
from povcli.read.files import Source
from povcli.read.load import read_ledger, read_ledgers
from povcli.schema import LEDGERS

HEADER = "household_id,person_id,program,amount,date,voucher\n"
ROWS = ['H1,,dibao,100,2017-03-01,V1\n', '"H2",,"dibao",200,2017-04-01,V2\n',
        'H3,,dibao,300,2017-05-01,V3\n']


def _write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "subsidies.csv"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("text, want", [
    (HEADER + "".join(ROWS), [2, 3, 4]),
    ("title row,,,,,\n\n" + HEADER + "".join(ROWS), [4, 5, 6]),  # title row, blank line
])
def test_lines_once_the_bytes_are_gone(tmp_path, text, want, monkeypatch):
    one, findings = read_ledger(_write(tmp_path, text), LEDGERS["subsidies"])
    _lines_without_the_bytes(one, findings, want, monkeypatch, parse=False)


def test_a_name_over_two_lines_parses_again(tmp_path, monkeypatch):
    path = tmp_path / "members.csv"
    path.write_text("person_id,household_id,name,relation,sex,birth_date\n"
                    "220503193711171393,H1,秦立新,head,M,1937-11-17\n"
                    '220503193711171393,H2,"秦\n立新",head,M,1937-11-17\n'
                    "220503193711171393,H3,秦立新,head,M,1937-11-17\n", encoding="utf-8")
    one, findings = read_ledger(path, LEDGERS["members"])
    _lines_without_the_bytes(one, findings, [2, 3, 5], monkeypatch, parse=True)


def _lines_without_the_bytes(one, findings, want, monkeypatch, parse: bool):
    assert one is not None and one._data is None  # clean: its bytes were let go
    parsed = []
    real = delimited.read_csv
    monkeypatch.setattr(delimited, "read_csv",
                        lambda *a, **k: parsed.append(1) or real(*a, **k))
    assert [one.line(i) for i in range(3)] == want
    # parsed again only when a record spans two lines
    assert bool(parsed) == parse


def test_gb18030(tmp_path):
    text = HEADER + "H1,,低保,100,2017-03-01,V1\n" + "H2,,低保,200,2017-04-01,V2\n"
    path = _write(tmp_path, text, "gb18030")
    again = delimited.csv_again(Source(path), LEDGERS["subsidies"], "gb18030", 2)
    assert again is not None and again.record_lines.tolist() == [1, 2, 3]


@pytest.mark.parametrize("parse", [False, True])
def test_a_title_row_that_is_not_gb18030_above_a_gb18030_ledger(tmp_path, monkeypatch,
                                                               parse):
    """The first read decodes from the header on, so a title row of bytes GB18030 does
    not know (a character cut, 固 with its first byte lost) is skipped; the lines found
    again, counted or parsed (a name over two lines), are the user's. (Found by the
    streamed-GB18030 property test: the line of a later finding was an IndexError.)"""
    name = '"秦\n立新"' if parse else "秦立新"
    raw = ("固定资产,,,\n" "身份证号,户编号,姓名,与户主关系,性别,出生日期\n"
           f"220503193711171393,H1,{name},head,M,1937-11-17\n"
           "220503193711171393,H2,秦立新,head,M,1937-11-17\n").encode("gb18030")
    path = tmp_path / "members.csv"
    path.write_bytes(b"," + raw[1:])  # the title's first byte replaced: not GB18030
    one, findings = read_ledger(path, LEDGERS["members"])
    assert one is not None and one.encoding == "gb18030" and not findings
    assert one._data is None  # clean: its bytes were let go
    assert [one.line(i) for i in range(2)] == ([3, 5] if parse else [3, 4])


def test_wrong_count_parses_again(tmp_path):
    path = _write(tmp_path, HEADER + "".join(ROWS))
    assert delimited._lines_again(Source(path), LEDGERS["subsidies"], "utf-8", 5) is None
    again = delimited.csv_again(Source(path), LEDGERS["subsidies"], "utf-8", 5)
    assert again is not None and again.record_lines.tolist() == [1, 2, 3, 4]


def test_from_the_cache(tmp_path, monkeypatch):
    """A ledger from the cache: its line found by counting its file's lines."""
    monkeypatch.setenv("POVCLI_CACHE_DIR", str(tmp_path / "cache"))
    folder = Path(__file__).parent.parent / "sample_data"
    from povcli import cache
    monkeypatch.setattr(cache, "THRESHOLD", 0.0)
    first, _ = read_ledgers(folder, None, None, use_cache=True)
    from povcli.read.load import open_ledgers
    open_ledgers(folder, None, None, use_cache=True)  # stores the clean set
    again, _ = read_ledgers(folder, None, None, use_cache=True)
    assert not again.fresh
    for name, one in again.loaded.items():
        if one.frame.empty or one.sheet:
            continue
        want = first.loaded[name].record_lines
        assert one.record_lines.tolist() == list(want), name
