"""Streamed ingest (issue 12): a ledger set over the memory budget is cut into the shard
dataset a batch of records at a time, never held whole; the figures, the findings and
their FILE:LINE are those of the whole read."""

from __future__ import annotations

import os
import shutil
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import ROOT, SAMPLE, household, make_ledgers, member, pid
from povcli import api, cache, render, shards
from povcli.findings import LedgerError
from povcli.read import stream
from povcli.schema import LEDGERS

sys.path.insert(0, str(ROOT / "benchmarks"))
import generate  # noqa: E402

TINY = 1  # bytes of memory: every set is over it


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    """Batches of 20 KB: a tiny set is read in several batches, cut anywhere; and
    streamed however small it is."""
    monkeypatch.setattr(stream, "BLOCK", 20000)
    monkeypatch.setattr(shards, "STREAM_MIN_BYTES", 0)


def test_a_small_set_over_the_budget_is_still_read_whole(monkeypatch):
    monkeypatch.setattr(shards, "STREAM_MIN_BYTES", 1 << 20)
    assert not shards.streams(SAMPLE, None, 1)
    assert shards.streams(SAMPLE, None, 1) is False and shards.shards_for(SAMPLE, None, 1)
    monkeypatch.setattr(shards, "STREAM_MIN_BYTES", 0)
    assert shards.streams(SAMPLE, None, 1) and not shards.streams(SAMPLE, None, 1 << 40)


@pytest.fixture(scope="module")
def gen(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen") / "ledgers"
    generate.generate(600, out, seed=3, chunk=250)
    return out


def _no_whole_read(monkeypatch):
    """The whole-set read fails the test: the run must stream."""
    from povcli.read import load

    def whole(*a, **k):
        raise AssertionError("the set was read whole")
    monkeypatch.setattr(load, "open_ledgers", whole)


def _streamed(name, data, shards_=5, **options):
    return api.run_sharded(name, data, shards_, memory=TINY, **options)


@pytest.mark.parametrize("name", ["summary", "subsidies"])
def test_a_streamed_run_gives_the_whole_runs_figures(name, gen, monkeypatch):
    whole = render.to_csv(api.run(name, gen))
    whole_2017 = render.to_csv(api.run(name, gen, 2017))
    _no_whole_read(monkeypatch)
    assert render.to_csv(_streamed(name, gen, 3)) == whole
    assert render.to_csv(_streamed(name, gen, 2, year=2017)) == whole_2017
    # the dataset was kept: the next run reads it, one shard at a time
    assert render.to_csv(api.run_sharded(name, gen, 3)) == whole


def test_the_streamed_dataset_is_the_in_memory_split(gen):
    """Row for row: the same households in each shard (households sharing a person
    together), the same typed frames, the file order kept."""
    api.run_sharded("summary", gen, 4, memory=TINY)
    (path,) = [p for p in cache.folder().iterdir() if p.name.startswith("shards-")]
    ledgers = api.open_ledgers(gen, "summary")
    for k, part in enumerate(shards.split(ledgers, 4)):
        stored = cache.read_shard(path, k)
        assert set(stored.loaded) == set(part.loaded)
        for name, one in part.loaded.items():
            pd.testing.assert_frame_equal(stored.frame(name), one.frame, check_like=False)


def test_households_sharing_a_person_are_streamed_into_one_shard(tmp_path, monkeypatch):
    hh = [household(f"H{i:03d}", head=i) for i in range(40)]
    mm = [member(i, f"H{i:03d}") for i in range(40)]
    # person 7 moved from H007 to H021 and on to H033; a payment names 5 in H012
    mm += [member(7, "H021", "other"), member(7, "H033", "other"), member(5, "H012", "other")]
    data = make_ledgers(tmp_path / "d", hh, mm,
                        changes=[["2016-01-05", "H021", pid(7), "in", "other_in"]],
                        subsidies=[["2016-03-01", "H012", pid(5), "health", "100", "central",
                                    "V1"]])
    whole = render.to_csv(api.run("summary", data))
    _no_whole_read(monkeypatch)
    for s in (2, 7):
        assert render.to_csv(_streamed("summary", data, s)) == whole
    path = next(p for p in cache.folder().iterdir() if p.name.endswith("-7"))
    where = {}
    for k in range(7):
        for h in cache.read_shard(path, k).frame("members")["household_id"]:
            where[h] = k
    assert where["H007"] == where["H021"] == where["H033"]
    assert where["H005"] == where["H012"]


def _findings(call):
    with pytest.raises(LedgerError) as err:
        call()
    return [(f.file, f.line, f.column, f.value, f.msg) for f in err.value.findings]


def test_findings_name_the_users_file_and_line_quoted_line_breaks_and_all(tmp_path,
                                                                         monkeypatch):
    hh = [household(f"H{i:03d}", head=i) for i in range(60)]
    hh[3][3] = "王\n小\n二"  # a name over three lines, early in the file
    hh[50][7] = "someday"  # a bad date, batches later
    hh.append(household("H010", head=99))  # a household id twice
    mm = [member(i, f"H{i:03d}") for i in range(60)]
    mm[2][2] = "李\n四"
    mm[40][5] = "1980-02-31"
    mm.append(member(200, "H999"))  # a household that is not in households
    pay = [["2016-03-01", f"H{i:03d}", "", "dibao", "100", "central", f"V{i}"]
           for i in range(60)]
    pay[5][6] = "V44"  # a voucher used twice, by two households
    pay[30][4] = "lots"
    data = make_ledgers(tmp_path / "d", hh, mm, subsidies=pay)
    with open(data / "members.csv", "a", encoding="utf-8") as f:
        f.write("\n,,,,,\n\n")  # blank rows at the end
    whole = _findings(lambda: api.open_ledgers(data, "summary"))
    assert len(whole) >= 6
    _no_whole_read(monkeypatch)
    assert sorted(_findings(lambda: _streamed("summary", data))) == sorted(whole)
    assert not [p for p in cache.folder().iterdir() if p.name.startswith("shards-")]


def _no_whole_ledger(monkeypatch, *names):
    """Reading any of these ledgers whole fails the test: they must be streamed."""
    from povcli.read import load

    real = load.read_ledger

    def whole(path, ledger, *a, **k):
        assert ledger.name not in names, f"{ledger.name} was read whole"
        return real(path, ledger, *a, **k)
    monkeypatch.setattr(load, "read_ledger", whole)


def _national_export(src, bad: bool = False):
    """The set's members and subsidies as the national system exports them: GB18030,
    Chinese headers, a title row (and, bad, a cell of each wrong, in batches apart)."""
    members = (src / "members.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    pay = (src / "subsidies.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    if bad:
        members[40] = members[40].replace("1980-01-01", "1980-02-31")
        pay[55] = pay[55].replace(",100,", ",lots,")
    (src / "members.csv").unlink()
    (src / "subsidies.csv").unlink()
    (src / LEDGERS["members"].zh_filename).write_bytes(("2017年贫困人口名册\n\n" + "".join(members).replace(
        "person_id,household_id,name", "身份证号,户编号,姓名")).encode("gb18030"))
    (src / LEDGERS["subsidies"].zh_filename).write_bytes(("补贴发放明细表,,,\n" + "".join(pay).replace(
        "date,household_id", "发放日期,户编号")).encode("gb18030"))


def _export_set(path, bad: bool = False, size: int = 300):
    people = [member(i, f"H{i:03d}") for i in range(size)]
    people[5][2] = "王\n小二"  # a name over two lines, quoted
    src = make_ledgers(path, [household(f"H{i:03d}", head=i) for i in range(size)],
                       people,
                       exits=[[f"H{i:03d}", "2017", "pass", "2017-11-01", "5000"]
                              for i in range(0, size, 3)],
                       subsidies=[["2016-03-01", f"H{i:03d}", "", "dibao", "100", "central",
                                   f"V{i}"] for i in range(size)])
    _national_export(src, bad)
    return src


def _titles(notes) -> list[str]:
    return [str(n) for n in notes if "title" in str(n)]


@pytest.mark.parametrize("encoding", [None, "gb18030", "GBK"])
def test_gb18030_title_rows_and_chinese_headers_are_streamed(tmp_path, monkeypatch, encoding):
    """The national system's export (GB18030, a title row, Chinese headers) is streamed
    in batches like a plain UTF-8 file, not read whole: at national size it would not
    fit. The figures, and the notes of the title rows, are the whole read's, also when
    the dataset is used again."""
    monkeypatch.setattr(stream, "BLOCK", 2000)  # a batch cut in every few KB
    src = _export_set(tmp_path / "d")
    notes: list = []
    api.open_ledgers(src, "summary", encoding=encoding, notes=notes)
    assert len(_titles(notes)) == 2
    whole = render.to_csv(api.run("summary", src, encoding=encoding))
    _no_whole_ledger(monkeypatch, "members", "subsidies")
    for _ in range(2):  # streamed, then from the dataset it left
        report = _streamed("summary", src, encoding=encoding)
        assert render.to_csv(report) == whole
        assert _titles(report.notes) == _titles(notes)
        zh = [n.in_lang("zh") for n in report.notes if "title" in str(n)]
        assert zh == [n.in_lang("zh") for n in notes if "title" in str(n)] and "标题" in zh[0]


def test_findings_in_a_gb18030_export_name_the_users_lines(tmp_path, monkeypatch):
    monkeypatch.setattr(stream, "BLOCK", 2000)  # the bad cells batches apart
    src = _export_set(tmp_path / "d", bad=True)
    whole = _findings(lambda: api.open_ledgers(src, "summary"))
    assert {f[0].rsplit("/", 1)[-1] for f in whole} == {LEDGERS[n].zh_filename
                                                         for n in ("members", "subsidies")}
    _no_whole_ledger(monkeypatch, "members", "subsidies")
    assert sorted(_findings(lambda: _streamed("summary", src))) == sorted(whole)


def _outcome(call):
    """A run's figures (csv), or the findings that refused the set."""
    try:
        return "figures", render.to_csv(call())
    except LedgerError as err:
        return "refused", sorted((f.file, f.line, f.column, f.value, f.msg)
                                 for f in err.findings)


@settings(max_examples=int(os.environ.get("POVCLI_GB_EXAMPLES", "15")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_mutated_gb18030_export_streams_as_it_reads_whole(tmp_path_factory, monkeypatch,
                                                             data):
    """Bytes flipped, put in or taken out of the national system's export (GB18030, title
    rows, quoted line breaks, Chinese text), anywhere: the streamed run gives what the
    whole read gives, figures or findings at the same FILE:LINE, never an error of its
    own (a batch it cannot read sends the file to the whole read)."""
    monkeypatch.setattr(stream, "BLOCK", 700)
    src = _export_set(tmp_path_factory.mktemp("gbm") / "d", size=70)
    name = data.draw(st.sampled_from([LEDGERS["members"].zh_filename,
                                      LEDGERS["subsidies"].zh_filename]))
    raw = bytearray((src / name).read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw) - 1))
        piece = data.draw(st.sampled_from([b",", b'"', b"\n", b"\r", b"\xff", b"\x81",
                                           "年".encode("gb18030"), "王\n二".encode("gb18030"),
                                           b"x", b"9", b" "]))
        kind = data.draw(st.sampled_from(["flip", "insert", "delete"]))
        if kind == "flip":
            raw[at] = piece[0]
        elif kind == "insert":
            raw[at:at] = piece
        else:
            del raw[at]
    (src / name).write_bytes(bytes(raw))
    encoding = data.draw(st.sampled_from([None, "gb18030"]))  # found, or --encoding
    whole = _outcome(lambda: api.run("summary", src, encoding=encoding))
    streamed = _outcome(lambda: _streamed("summary", src, encoding=encoding))
    assert streamed == whole


@pytest.mark.parametrize("header, bytes_in, encoding, want", [
    ("身份证号,户编号", "gb18030", None, "gb18030"),
    ("身份证号,户编号", "gbk", "cp936", "gbk"),
    ("身份证号,户编号", "utf-8", None, "utf-8"),
    ("person_id,household_id", "utf-8", "utf8", "utf-8"),
])
def test_a_plan_decodes_as_the_whole_reader_would(tmp_path, header, bytes_in, encoding, want):
    from povcli.read.files import Source

    data = make_ledgers(tmp_path / "d", [household("H1")], [member(1, "H1")])
    path = data / "members.csv"
    text = path.read_text(encoding="utf-8").replace("person_id,household_id", header)
    path.write_bytes(text.encode(bytes_in))
    p = stream.plan("members", Source(path), LEDGERS["members"], encoding)
    assert p is not None and p.encoding == want and p.titles == 0
    assert p.header.decode("utf-8").startswith(header)
    for other in ("big5", "utf-16", "no-such-code"):  # read whole: the reader says why
        assert stream.plan("members", Source(path), LEDGERS["members"], other) is None


def test_a_streamed_run_on_the_cli_equals_the_whole_run(run, gen, tmp_path):
    budget = str(sum(f.stat().st_size for f in gen.iterdir()) * 3)  # about 5 shards
    whole = run("summary", "--data", str(gen), "--format", "csv")
    small = run("summary", "--data", str(gen), "--format", "csv", "--memory", budget)
    assert whole.exit_code == small.exit_code == 0, small.stderr
    assert small.stdout == whole.stdout
    # what the whole run says, after the note that a budget this small cannot be met
    note, rest = small.stderr.split("\n", 1)
    assert f"--memory {budget}: a run cut into shards takes about 1 GB" in note
    assert rest == whole.stderr
    assert [p for p in cache.folder().iterdir() if p.name.startswith("shards-")]
    # without the cache: streamed into a temporary folder, removed after the run
    off = run("exits", "--data", str(gen), "--format", "csv", "--memory", budget,
              env={"POVCLI_NO_CACHE": "1"})
    assert off.exit_code == 0 and off.stdout == run("exits", "--data", str(gen),
                                                    "--format", "csv").stdout
    bad = tmp_path / "bad"
    shutil.copytree(gen, bad)
    with open(bad / "exits.csv", "a", encoding="utf-8") as f:
        f.write("0000000001,soon,pass,,5000\n")
    got = run("summary", "--data", str(bad), "--memory", budget)
    assert got.exit_code == 2
    # the user's file and line, never a shard's (the budget's note aside)
    findings = got.stderr.split("\n", 1)[1]
    assert f"{bad / 'exits.csv'}:" in findings and "shard" not in findings


def test_a_broken_row_falls_back_to_the_whole_read(tmp_path):
    data = make_ledgers(tmp_path / "d", [household(f"H{i:03d}", head=i) for i in range(50)],
                        [member(i, f"H{i:03d}") for i in range(50)])
    with open(data / "members.csv", "a", encoding="utf-8") as f:
        f.write(f'{pid(77)},H001,"unclosed,other,M,1980-01-01\n')
    whole = _findings(lambda: api.open_ledgers(data, "summary"))
    assert sorted(_findings(lambda: _streamed("summary", data))) == sorted(whole)


def test_cuts_fall_between_records_only():
    assert stream._cut(b'a,b\nc,"d\ne"\nf') == len(b'a,b\nc,"d\ne"\n')
    assert stream._cut(b'a,"b\nc') == 0
    assert stream._cut(b"a,b\nc") == 4


def test_generate_writes_a_set_in_chunks_deterministically(tmp_path):
    a, b, one = tmp_path / "a", tmp_path / "b", tmp_path / "one"
    generate.generate(500, a, seed=5, chunk=200)
    generate.generate(500, b, seed=5, chunk=200)
    generate.generate(500, one, seed=5, chunk=1000)
    for f in sorted(a.iterdir()):
        assert f.read_bytes() == (b / f.name).read_bytes()
    members = pd.read_csv(a / "members.csv", dtype=str)
    assert members["person_id"].is_unique  # chunks draw from their own area codes
    hh = pd.read_csv(a / "households.csv", dtype=str)
    assert list(hh["household_id"]) == [f"{i:010d}" for i in range(1, 501)]
    assert set(members["household_id"]) <= set(hh["household_id"])
    pay = pd.read_csv(a / "subsidies.csv", dtype=str)
    assert pay["voucher"].is_unique
    whole_pay = pd.read_csv(one / "subsidies.csv", dtype=str)
    assert abs(len(pay) - len(whole_pay)) < len(whole_pay) * 0.03
    assert api.run("summary", a).frame is not None  # a clean set


def test_a_cache_that_cannot_be_written_is_no_reason_to_fail(run, gen, tmp_path,
                                                             monkeypatch):
    budget = str(sum(f.stat().st_size for f in gen.iterdir()) * 3)
    whole = run("summary", "--data", str(gen), "--format", "csv").stdout
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    got = run("summary", "--data", str(gen), "--format", "csv", "--memory", budget,
              env={"POVCLI_CACHE_DIR": str(blocked)})
    assert got.exit_code == 0 and got.stdout == whole
    # a disk that fills up mid-run: words, exit 2, nothing half-written left
    def full(self, *a):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(cache.DatasetWriter, "append", full)
    got = run("summary", "--data", str(gen), "--format", "csv", "--memory", budget)
    assert got.exit_code == 2 and "No space left on device" in got.stderr
    assert "Traceback" not in got.stderr and "internal error" not in got.stderr
    assert not [p for p in cache.folder().iterdir() if p.name.startswith("shards-")]


def test_a_cross_key_finds_the_values_seen_twice_in_any_batch():
    """The voucher's hashes kept in runs by their top bits (shards._CrossKey): the values
    seen twice are those of one sort of them all, across batches and within one."""
    from povcli.shards import _CrossKey

    rng = np.random.default_rng(7)
    values = [f"V{i}" for i in rng.integers(0, 3000, 5000)] + ["", "V1"]
    key = _CrossKey("subsidies", ("voucher",))
    for at in range(0, len(values), 700):
        key.add(pd.DataFrame({"voucher": pd.array(values[at:at + 700], dtype="string")}))
    key.close()
    from povcli.read.stream import hashes
    from povcli.read.arrowkit import arrow

    every = np.sort(hashes(arrow(pd.array(values, dtype="string")))[0])
    assert np.array_equal(key.twice, np.unique(every[1:][every[1:] == every[:-1]]))
    assert len(key.twice) and (np.diff(key.twice.astype(np.float64)) >= 0).all()
    assert {int(h >> np.uint64(60)) for h in every} == set(range(16))  # every run used


def test_the_pairs_a_ledger_names_are_made_distinct_as_they_come(tmp_path, monkeypatch):
    """shards._key_pairs keeps the (household, person) pairs in buckets by person, each
    made distinct again as it grows: the same pairs as all of them made distinct at once,
    with batches of a few records and a bucket collapsed after every batch."""
    generate.generate(300, tmp_path, seed=5)
    from povcli.read.files import find_files
    from povcli.schema import LEDGERS

    files, _ = find_files(tmp_path)
    p = stream.plan("subsidies", files["subsidies"], LEDGERS["subsidies"], None)
    assert p is not None
    every = list(stream.key_pairs(p, 2000))
    assert len(every) > 10  # (many batches, a person paid in several)
    h, q = np.concatenate([e[0] for e in every]), np.concatenate([e[1] for e in every])
    want = set(zip(h.tolist(), q.tolist()))
    assert len(want) < len(h)  # (pairs named again in later batches)
    monkeypatch.setattr(stream, "BLOCK", 2000)
    for held in (1, 50, 1 << 22):
        monkeypatch.setattr(shards, "PAIRS_HELD", held)
        h2, q2 = shards._key_pairs(p)
        got = list(zip(h2.tolist(), q2.tolist()))
        assert len(got) == len(set(got)) and set(got) == want, held
