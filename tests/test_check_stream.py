"""check over the streamed shard dataset (issue 12): a set too large to read whole is
checked a household shard at a time, with the whole check's findings (FILE:LINE as in the
user's file), exit code and counts; a dataset streamed from ledgers with findings is never
a report's."""

from __future__ import annotations

import csv
import io
import shutil
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, make_ledgers, household, member
from povcli import cache, shards
from povcli.read import stream

sys.path.insert(0, str(ROOT / "benchmarks"))
import generate  # noqa: E402


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    """Batches of 20 KB (a tiny set read in several, cut anywhere), streamed however
    small it is."""
    monkeypatch.setattr(stream, "BLOCK", 20000)
    monkeypatch.setattr(shards, "STREAM_MIN_BYTES", 0)


@pytest.fixture(scope="module")
def gen(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen") / "ledgers"
    generate.generate(400, out, seed=5, chunk=200)
    return out


def _copy(gen, tmp_path):
    out = tmp_path / "ledgers"
    shutil.copytree(gen, out)
    return out


def _rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def _write(path, rows):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _edit(path, column: str, rows: dict[int, str]):
    """Cells of `column` set at data rows (0-based) of a CSV ledger."""
    table = _rows(path)
    at = table[0].index(column)
    for r, value in rows.items():
        table[r + 1][at] = value
    _write(path, table)


def _whole_and_streamed(run, folder, monkeypatch, *args, shards_="3"):
    """check -f csv on the whole set, then streamed over a budget of one byte in
    `shards_` shards (--memory): both results."""
    whole = run("check", "--data", folder, "-f", "csv", *args, env={"POVCLI_NO_CACHE": "1"})
    return whole, _streamed(run, folder, monkeypatch, *args, shards_=shards_)


def _streamed(run, folder, monkeypatch, *args, shards_="3"):
    """check -f csv streamed in `shards_` shards: the set must never be read whole."""
    from povcli.read import load

    def no_whole_read(*a, **k):
        raise AssertionError("check read the set whole")
    with monkeypatch.context() as m:
        m.setattr(load, "read_ledgers", no_whole_read)
        return run("check", "--data", folder, "-f", "csv", "--memory", "1",
                   "--shards", shards_, *args)


def _same(whole, streamed):
    assert "Traceback" not in streamed.stderr and "internal error" not in streamed.stderr
    assert streamed.exit_code == whole.exit_code, streamed.stderr
    assert streamed.stdout == whole.stdout
    assert streamed.stderr == whole.stderr


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    out = tmp_path_factory.mktemp("broken") / "ledgers"
    generate.generate(300, out, seed=7, chunk=200, broken=True)
    return out


def test_a_clean_set_checked_streamed_is_clean(gen, run, monkeypatch):
    whole, streamed = _whole_and_streamed(run, gen, monkeypatch)
    assert whole.exit_code == 0
    _same(whole, streamed)


def test_the_rules_findings_checked_streamed_are_the_whole_checks(broken, run, monkeypatch):
    """A set whose cells read but whose rows break rules (IDs, payments): every rule's
    findings at the same FILE:LINE, in the same order."""
    whole, streamed = _whole_and_streamed(run, broken, monkeypatch)
    assert whole.exit_code == 1 and whole.stdout.count("\n") > 100
    _same(whole, streamed)
    # only the budget: as many shards as keep one within it
    again = run("check", "--data", broken, "-f", "csv", "--memory", "1")
    assert again.exit_code == whole.exit_code and again.stdout == whole.stdout


def _dirty(gen, tmp_path):
    """Bad cells in several columns and ledgers (one after a quoted line break), a key
    twice within a household, a voucher used twice in households of other shards, a
    payment to a household that is not there."""
    folder = _copy(gen, tmp_path)
    _edit(folder / "households.csv", "identified_on", {3: "soon", 250: "2014-13-45"})
    members = _rows(folder / "members.csv")
    name = members[0].index("name")
    members[10][name] = "two\nlines"  # a quoted line break: the rows after move a line
    members[12][members[0].index("birth_date")] = "yesterday"
    members[300][members[0].index("sex")] = "X"
    members.append(list(members[5]))  # the same person twice in one household
    _write(folder / "members.csv", members)
    pay = _rows(folder / "subsidies.csv")
    v, h, amount = (pay[0].index(c) for c in ("voucher", "household_id", "amount"))
    pay[20][amount] = "a lot"
    pay[21][pay[0].index("date")] = "2019-02-30"
    far = next(r for r in pay[1:] if r[h] != pay[2][h] and r[h][-1] != pay[2][h][-1])
    far[v] = pay[2][v]  # a voucher twice, in two households
    pay[40][h] = "9999999999"  # no such household
    _write(folder / "subsidies.csv", pay)
    _edit(folder / "exits.csv", "per_capita_income", {7: "n/a"})
    exits = _rows(folder / "exits.csv")
    exits.append(list(exits[9]))  # (household, exit year) twice
    _write(folder / "exits.csv", exits)
    return folder


def test_a_set_with_findings_checked_streamed_gives_the_same_lines(gen, tmp_path, run,
                                                                  monkeypatch):
    folder = _dirty(gen, tmp_path)
    whole, streamed = _whole_and_streamed(run, folder, monkeypatch, shards_="7")
    assert whole.exit_code == 1
    found = list(csv.DictReader(io.StringIO(whole.stdout.lstrip("\ufeff"))))
    codes = {r["code"] for r in found}
    assert {"L01", "L02", "L03", "S03"} <= codes, codes
    l01 = [r for r in found if r["code"] == "L01"]
    assert {r["file"].rsplit("/", 1)[-1] for r in l01} >= {"households.csv", "members.csv",
                                                          "subsidies.csv", "exits.csv"}
    # the bad birth date (line 13 but for the quoted line break above it) on line 14
    assert any(r["line"] == "14" and "birth" in r["message"] for r in l01), l01
    assert any(r["line"] == "302" and "sex" in r["message"] for r in l01), l01
    _same(whole, streamed)
    # one shard: every household in it
    _same(whole, _streamed(run, folder, monkeypatch, shards_="1"))


def test_a_ledger_read_whole_keeps_its_lines(gen, tmp_path, run, monkeypatch):
    """A ledger that is not streamed (a title row above its header here) is read whole
    into the shards: its findings and its rows' lines are the whole check's too."""
    folder = _dirty(gen, tmp_path)
    text = (folder / "households.csv").read_text(encoding="utf-8")
    (folder / "households.csv").write_text("建档立卡贫困户台账\n" + text, encoding="utf-8")
    whole, streamed = _whole_and_streamed(run, folder, monkeypatch)
    assert "households.csv,253," in whole.stdout
    _same(whole, streamed)


def test_area_year_and_selection_as_the_whole_check(gen, tmp_path, run, monkeypatch):
    folder = _dirty(gen, tmp_path)
    township = _rows(folder / "households.csv")[1][1]
    for args in (("--township", township, "--year", "2031", "--select", "L,S"),
                 ("--year", "2017", "--show-ids")):
        _same(*_whole_and_streamed(run, folder, monkeypatch, *args))
    unknown = run("check", "--data", folder, "--shards", "3", "--township", "nowhere")
    assert unknown.exit_code == 2 and "nowhere" in unknown.stderr


def test_json_in_chinese_as_the_whole_check(gen, tmp_path, run):
    folder = _dirty(gen, tmp_path)
    whole = run("check", "--data", folder, "-f", "json", "--lang", "zh",
                env={"POVCLI_NO_CACHE": "1"})
    streamed = run("check", "--data", folder, "-f", "json", "--lang", "zh", "--shards", "4")
    assert whole.exit_code == 1 and "个错误" in whole.stderr
    _same(whole, streamed)


@pytest.mark.parametrize("command", ["check", "summary"])
@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_a_required_ledger_unreadable_in_the_encoding_given(tmp_path, run, monkeypatch,
                                                            command, encoding):
    """GB18030 files with title rows, read as --encoding utf-8 (no row can be), or as
    GBK with a character GBK does not have (𠮷) in a name: exit 2 with the whole read's
    findings and its title-row notes, never an internal error (a streamed check took the
    households it could not read for read)."""
    folder = make_ledgers(tmp_path / "gb",
                          households=[household(f"H{i:03d}", head=i) for i in range(1, 40)],
                          members=[member(i, f"H{i:03d}") for i in range(1, 40)])
    from povcli.schema import LEDGERS

    for name in ("households", "members"):  # as the national system exports them
        header, rest = (folder / f"{name}.csv").read_text(encoding="utf-8").split("\n", 1)
        zh = {c.name: c.zh for c in LEDGERS[name].columns}
        header = ",".join(zh[c] for c in header.split(","))
        if name == "members":
            rest = rest.replace("成员7,", "𠮷成员7,")
        (folder / f"{name}.csv").unlink()
        (folder / LEDGERS[name].zh_filename).write_bytes(
            f"台账（2020年）\n{header}\n{rest}".encode("gb18030"))
    whole = run(command, "--data", folder, "-f", "csv", "--encoding", encoding,
                env={"POVCLI_NO_CACHE": "1"})
    assert whole.exit_code == 2 and "title row" in whole.stderr
    from povcli.read import load

    def no_whole_read(*a, **k):
        raise AssertionError("read the set whole")
    with monkeypatch.context() as m:
        m.setattr(load, "read_ledgers", no_whole_read)
        m.setattr(load, "open_ledgers", no_whole_read)
        streamed = run(command, "--data", folder, "-f", "csv", "--encoding", encoding,
                       "--memory", "1", "--shards", "3")
    _same(whole, streamed)


def test_no_optional_ledgers(tmp_path, run, monkeypatch):
    folder = make_ledgers(tmp_path / "min",
                          households=[household(f"H{i:03d}", head=i) for i in range(1, 40)],
                          members=[member(i, f"H{i:03d}") for i in range(1, 40)]
                          + [member(500, "H999")])
    _same(*_whole_and_streamed(run, folder, monkeypatch))


def test_a_report_after_a_dirty_streamed_check_still_refuses_the_set(gen, tmp_path, run,
                                                                     monkeypatch):
    folder = _dirty(gen, tmp_path)
    checked = run("check", "--data", folder, "--memory", "1", "--shards", "3", "-f", "csv")
    assert checked.exit_code == 1
    (kept,) = [p for p in cache.folder().iterdir() if p.name.startswith("shards-")]
    assert cache.dataset_meta(kept) is None  # dirty: no report's
    assert cache.dataset_meta(kept, dirty=True)["dirty"] is True
    for args in (("--memory", "1", "--shards", "3"), ("--shards", "3"), ()):
        report = run("summary", "--data", folder, "-f", "csv", *args)
        assert report.exit_code == 2, (args, report.stdout)
        assert report.stdout == ""
        assert "members.csv:14: column birth_date" in report.stderr


@pytest.mark.parametrize("fault", ["reference", "key"])
def test_keys_and_references_alone_make_the_dataset_dirty(gen, tmp_path, run, monkeypatch,
                                                          fault):
    """Every cell reads, but a payment names no household (or an exit is there twice):
    the dataset check streamed is no report's, which refuses the set as ever."""
    folder = _copy(gen, tmp_path)
    if fault == "reference":
        _edit(folder / "subsidies.csv", "household_id", {40: "9999999999"})
    else:
        exits = _rows(folder / "exits.csv")
        _write(folder / "exits.csv", exits + [list(exits[9])])
    whole, streamed = _whole_and_streamed(run, folder, monkeypatch)
    _same(whole, streamed)
    assert whole.exit_code == 1 and ("L03" if fault == "reference" else "L02") in whole.stdout
    (kept,) = [p for p in cache.folder().iterdir() if p.name.startswith("shards-")]
    assert cache.dataset_meta(kept) is None
    report = run("summary", "--data", folder, "-f", "csv", "--memory", "1", "--shards", "3")
    assert report.exit_code == 2 and report.stdout == ""


def test_a_clean_dataset_is_reused_by_the_next_check(gen, tmp_path, run, monkeypatch):
    folder = _copy(gen, tmp_path)
    report = run("summary", "--data", folder, "-f", "csv", "--memory", "1", "--shards", "3")
    assert report.exit_code == 0
    first = run("check", "--data", folder, "-f", "csv", "--memory", "1", "--shards", "3")

    def no_stream(*a, **k):
        raise AssertionError("streamed again")
    monkeypatch.setattr(shards, "stream_dataset", no_stream)
    warm = run("check", "--data", folder, "-f", "csv", "--memory", "1", "--shards", "3")
    assert warm.exit_code == first.exit_code and warm.stdout == first.stdout
    # the shards on two processes, as a large dataset's are (the seconds this test takes:
    # two interpreters started)
    two = run("check", "--data", folder, "-f", "csv", "--memory", "1", "--shards", "3",
              env={"POVCLI_WORKERS": "2"})
    assert two.exit_code == first.exit_code and two.stdout == first.stdout
    # and a report reads the dataset check wrote
    assert run("summary", "--data", folder, "-f", "csv", "--memory", "1",
               "--shards", "3").stdout == report.stdout


def test_a_dirty_dataset_is_reused_by_the_next_check_of_the_same_files(gen, tmp_path, run,
                                                                       monkeypatch):
    """A set with findings is streamed once: the next check of the same files reads the
    dataset and the reading findings kept beside it (a national set took 20 minutes to
    stream again), and says what the first said, in every format and language; a file
    changed is streamed again; kept findings that are damaged are never trusted."""
    folder = _dirty(gen, tmp_path)
    args = ("--memory", "1", "--shards", "3")
    firsts = {(f, lang): run("check", "--data", folder, "-f", f, "--lang", lang, *args)
              for f, lang in (("csv", "en"), ("json", "zh"), ("table", "zh"))}
    assert firsts[("csv", "en")].exit_code == 1
    (kept,) = [p for p in cache.folder().iterdir() if p.name.startswith("shards-")]
    assert (kept / cache.FINDINGS).is_file()
    with monkeypatch.context() as m:
        def no_stream(*a, **k):
            raise AssertionError("streamed again")
        m.setattr(shards, "stream_dataset", no_stream)
        for (f, lang), first in firsts.items():
            again = run("check", "--data", folder, "-f", f, "--lang", lang, *args)
            _same(first, again)
    # the findings kept, damaged: dropped, and the files streamed again
    (kept / cache.FINDINGS).write_bytes(b"not parquet")
    again = run("check", "--data", folder, "-f", "csv", *args)
    _same(firsts[("csv", "en")], again)
    # a file changed: its cell is no longer a finding
    _edit(folder / "members.csv", "sex", {299: "M"})  # (_dirty made row 300 of the file X)
    fixed = run("check", "--data", folder, "-f", "csv", *args)
    assert fixed.exit_code == 1 and fixed.stdout != firsts[("csv", "en")].stdout
    whole = run("check", "--data", folder, "-f", "csv", env={"POVCLI_NO_CACHE": "1"})
    _same(whole, fixed)


def test_a_dataset_used_again_names_the_files_as_this_run_does(gen, tmp_path, run,
                                                              monkeypatch):
    """A dataset (and the findings and notes kept with it) made by a run that named the
    folder one way, used by a run that names it another (relative, from its parent):
    every FILE and note says the folder as this run does, as its whole read would."""
    folder = _dirty(gen, tmp_path)
    text = (folder / "households.csv").read_text(encoding="utf-8")
    (folder / "households.csv").write_text("建档立卡贫困户台账\n" + text, encoding="utf-8")
    clean = _copy(gen, tmp_path / "c")
    text = (clean / "members.csv").read_text(encoding="utf-8")
    (clean / "members.csv").write_text("家庭成员台账\n" + text, encoding="utf-8")
    args = ("-f", "csv", "--memory", "1", "--shards", "3")
    assert run("check", "--data", str(folder), *args).exit_code == 1
    assert run("summary", "--data", str(clean), *args).exit_code == 0
    monkeypatch.chdir(tmp_path)
    whole_check = run("check", "--data", "ledgers", "-f", "csv", env={"POVCLI_NO_CACHE": "1"})
    whole_summary = run("summary", "--data", "c/ledgers", "-f", "csv",
                        env={"POVCLI_NO_CACHE": "1"})
    with monkeypatch.context() as m:
        def no_stream(*a, **k):
            raise AssertionError("streamed again")
        m.setattr(shards, "stream_dataset", no_stream)
        again_check = run("check", "--data", "ledgers", *args)
        again_summary = run("summary", "--data", "c/ledgers", *args)
    _same(whole_check, again_check)
    _same(whole_summary, again_summary)
    assert "ledgers/households.csv" in again_check.stdout
    assert str(tmp_path) not in again_check.stdout + again_check.stderr
    assert "c/ledgers/members.csv: 1 title row" in again_summary.stderr


def test_lines_of_reads_each_span_once(tmp_path):
    """Lines.lines_of: every record's line as line() gives it, each span's bytes read
    once however many records are asked."""
    from povcli.read.files import Source
    from povcli.schema import LEDGERS

    rows = [member(i, f"H{i % 50:03d}") for i in range(1, 400)]
    rows[30][2] = "a\nname"
    rows[200][2] = 'quoted "x"\n\nthree'
    folder = make_ledgers(tmp_path / "l", households=[], members=rows)
    text = (folder / "members.csv").read_text(encoding="utf-8")
    (folder / "members.csv").write_text(text.replace("\n", "\n\n", 5), encoding="utf-8")
    p = stream.plan("members", Source(folder / "members.csv"), LEDGERS["members"], None)
    got = list(stream.batches(p, 2000))
    assert len(got) > 3
    spans = [b.span for b in got]
    labels = np.concatenate([b.frame.index.to_numpy() for b in got])
    expected = np.concatenate([b.lines for b in got])
    lines = stream.Lines(p, spans)
    reads = []
    real = lines._span_lines

    def counted(b):
        if b not in lines.known:
            reads.append(b)
        return real(b)
    lines._span_lines = counted  # type: ignore[method-assign]
    order = np.random.default_rng(1).permutation(len(labels))
    assert (lines.lines_of(labels[order]) == expected[order]).all()
    assert sorted(reads) == list(range(len(spans)))
    assert [lines.line(int(r)) for r in labels[:40]] == expected[:40].tolist()
    one = stream.StreamedLedger(LEDGERS["members"], p.source.path, "utf-8", pd.DataFrame(),
                                lines=lines)
    assert (one.lines_of(labels) == expected).all()
    kept = stream.StreamedLedger(LEDGERS["members"], p.source.path, "utf-8", pd.DataFrame(),
                                 labels=labels[::3], label_lines=expected[::3])
    assert (kept.lines_of(labels[::3][::-1]) == expected[::3][::-1]).all()
    assert kept.line(int(labels[3])) == expected[3]
    with pytest.raises(KeyError):
        kept.lines_of(labels[1:2])


def test_duckdb_reads_the_streamed_dataset_and_its_lines(broken, run):
    """The dataset check streams is DuckDB's to read as it is (LZ4 parts), each row's
    line beside it (__line + record = the line of the user's file)."""
    duckdb = pytest.importorskip("duckdb")
    assert run("check", "--data", broken, "--memory", "1", "--shards", "3").exit_code == 1
    (path,) = [p for p in cache.folder().iterdir() if p.name.startswith("shards-")]
    got = duckdb.sql(f"SELECT record, record + __line AS line FROM read_parquet("
                     f"'{path}/members/*/*.parquet') ORDER BY record").fetchall()
    lines = stream.fast_lines((broken / "members.csv").read_bytes())
    assert [r[0] for r in got] == list(range(len(lines) - 1))
    assert [r[1] for r in got] == lines[1:].tolist()
