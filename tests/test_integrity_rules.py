"""The reader's key and reference findings carry the check rule they are filed under,
given where each is made (L02 a duplicate key, L03 a broken reference), never told
apart by their words. Built from frames: rule tests need no files."""

from __future__ import annotations

import pandas as pd

from povcli.checks import RULES, run_checks
from povcli.read.frames import read_frames

from conftest import household, ledger_frames, member, pid

TODAY = pd.Timestamp("2026-01-01")


def test_a_broken_reference_is_l03_whatever_its_words_say():
    # person 1 is of household 01; the change says household "duplicate9", a word that
    # once sent the finding to L02 ("keep one of the two rows")
    ledgers, findings = read_frames(ledger_frames(
        [household("01"), household("duplicate9")], [member(1, "01"), member(2, "duplicate9")],
        changes=[["2017-05-01", "duplicate9", pid(1), "out", "moved"]]))
    found = run_checks(ledgers, findings, rules=[RULES["L02"], RULES["L03"]], today=TODAY)
    assert [(f.code, f.msg, f.line) for f in found] == [("L03", "reader.belongs", 1)]


def test_a_duplicate_key_is_l02():
    ledgers, findings = read_frames(ledger_frames([household("01"), household("01")],
                                                  [member(1, "01")]))
    found = run_checks(ledgers, findings, rules=[RULES["L02"], RULES["L03"]], today=TODAY)
    assert [(f.code, f.msg, f.line) for f in found] == [("L02", "reader.duplicate_key", 2)]


def test_a_broken_reference_names_the_users_files_and_headers(tmp_path):
    """Ledgers named in Chinese with Chinese headers: a payment's household not there,
    a person paid under another household, are said of the user's file and column (it
    said households.csv and household_id, which the user does not have)."""
    from conftest import make_ledgers
    from povcli.read.integrity import integrity_findings
    from povcli.read.load import read_ledgers
    from povcli.schema import LEDGERS

    folder = make_ledgers(tmp_path / "zh", [household("H1"), household("H2", head=2)],
                          [member(1, "H1"), member(2, "H2")],
                          subsidies=[["2017-03-01", "H9", "", "dibao", "100", "central", "V1"],
                                     ["2017-03-01", "H2", pid(1), "dibao", "100", "central",
                                      "V2"]])
    for name in ("households", "members", "subsidies"):
        header, rest = (folder / f"{name}.csv").read_text(encoding="utf-8").split("\n", 1)
        zh = {c.name: c.zh for c in LEDGERS[name].columns}
        (folder / f"{name}.csv").unlink()
        (folder / LEDGERS[name].zh_filename).write_text(
            ",".join(zh[c] for c in header.split(",")) + "\n" + rest, encoding="utf-8")
    ledgers, findings = read_ledgers(folder)
    assert findings == []
    said = [f.message("en") for f in integrity_findings(ledgers)]
    assert f"not in {LEDGERS['households'].zh_filename}" in said
    assert f"belongs to 户编号 H1 in {LEDGERS['members'].zh_filename}, not to H2" in said
