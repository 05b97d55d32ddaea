"""Garbage in never gives a traceback: exit 2 with a message, or (when a mutation
happens to leave a valid file) exit 0 with figures."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from povcli.registry import COMMANDS as REGISTRY

from conftest import household, make_ledgers, member, pid

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def base_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="povcli-prop-"))
    make_ledgers(folder, households=[household("H1"), household("H2", head=2, grade="C")],
                 members=[member(1, "H1"), member(2, "H2"), member(3, "H2", "child")],
                 changes=[["2017-01-01", "H2", pid(3), "out", "death"]],
                 exits=[["H1", "2016", "pass", "2016-11-01", "3000"]],
                 subsidies=[["2017-03-01", "H2", pid(2), "housing", "￥10,000", "central", "V1"]])
    return folder


def check(run, folder: Path, command: str, must_fail: bool = False) -> None:
    """Run one command on a folder: it ends in 0 (figures), 1 (check found errors) or 2
    (a message); an internal error (exit 3) or a traceback fails the test."""
    try:
        args = {"show": ["H1"], "find": ["H"]}.get(command, [])
        fmt = {"show": "json", "report": "html"}.get(command, "csv")
        result = run(command, *args, "-d", folder, "--format", fmt)
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            repr(result.exception)
        assert "Traceback" not in result.stderr
        assert "internal error" not in result.stderr, result.stderr
        assert result.exit_code != 3
        allowed = (0, 1, 2) if command == "check" else (0, 2)
        if must_fail and command != "check":
            assert result.exit_code == 2
        assert result.exit_code in allowed, (result.exit_code, result.stderr)
        if result.exit_code == 2:
            assert result.stdout == "" and result.stderr.strip()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


LEDGER_FILES = st.sampled_from(["households.csv", "members.csv", "changes.csv", "exits.csv",
                                "subsidies.csv"])
# every command of the registry, not a chosen few
COMMANDS = st.sampled_from(sorted(REGISTRY))


@SETTINGS
@given(name=LEDGER_FILES, command=COMMANDS, data=st.binary(max_size=400))
def test_random_bytes_as_a_ledger(run, name, command, data):
    folder = base_folder()
    (folder / name).write_bytes(data)
    check(run, folder, command, must_fail=name in ("households.csv", "members.csv"))


@SETTINGS
@given(name=LEDGER_FILES, command=COMMANDS, data=st.data(), export=st.booleans())
def test_mutated_ledger(run, name, command, data, export):
    """export: the file as the national system writes it (GB18030, a title row above
    the header), where the bytes of a Chinese character can be cut."""
    folder = base_folder()
    if export:
        text = (folder / name).read_text(encoding="utf-8")
        (folder / name).write_bytes(("贫困户台账（2017年）,,\n" + text).encode("gb18030"))
    raw = bytearray((folder / name).read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, max(0, len(raw) - 1)))
        kind = data.draw(st.sampled_from(["flip", "insert", "delete"]))
        piece = data.draw(st.sampled_from([b",", b'"', b"\n", b"\r", b"\x00", b"\xff", b"-",
                                           "年".encode(), "年".encode("gb18030"), b"\x81",
                                           b"x", b"9", b" "]))
        if kind == "flip" and raw:
            raw[at] = piece[0]
        elif kind == "insert":
            raw[at:at] = piece
        elif raw:
            del raw[at]
    (folder / name).write_bytes(bytes(raw))
    check(run, folder, command)


@SETTINGS
@given(name=LEDGER_FILES, command=COMMANDS,
       rows=st.lists(st.lists(st.text(max_size=12), min_size=0, max_size=10), max_size=6))
def test_random_cells_under_a_real_header(run, name, command, rows):
    folder = base_folder()
    header = (folder / name).read_text(encoding="utf-8").splitlines()[0]
    import csv
    import io
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    (folder / name).write_text(header + "\n" + out.getvalue(), encoding="utf-8")
    check(run, folder, command)


@SETTINGS
@given(command=COMMANDS, dropped=st.sets(st.sampled_from(["changes.csv", "exits.csv",
                                                          "subsidies.csv"])),
       no_death=st.booleans())
def test_optional_ledgers_left_out(run, command, dropped, no_death):
    """The sample is not the world: sets with no optional ledger, or no deaths."""
    folder = base_folder()
    if no_death and "changes.csv" not in dropped:
        text = (folder / "changes.csv").read_text(encoding="utf-8")
        (folder / "changes.csv").write_text(text.replace(",out,death", ",out,moved"),
                                            encoding="utf-8")
    for name in dropped:
        (folder / name).unlink()
    check(run, folder, command)
