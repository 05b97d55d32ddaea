"""The reader's key and reference findings carry the check rule they are filed under,
given where each is made (L02 a duplicate key, L03 a broken reference), never told
apart by their words."""

from __future__ import annotations

import pandas as pd

from povcli.checks import RULES, run_checks
from povcli.read.load import read_ledgers

from conftest import household, make_ledgers, member, pid

TODAY = pd.Timestamp("2026-01-01")


def test_a_broken_reference_is_l03_whatever_its_words_say(tmp_path):
    # person 1 is of household 01; the change says household "duplicate9", a word that
    # once sent the finding to L02 ("keep one of the two rows")
    folder = make_ledgers(tmp_path / "refs", [household("01"), household("duplicate9")],
                          [member(1, "01"), member(2, "duplicate9")],
                          changes=[["2017-05-01", "duplicate9", pid(1), "out", "moved"]])
    ledgers, findings = read_ledgers(folder)
    found = run_checks(ledgers, findings, rules=[RULES["L02"], RULES["L03"]], today=TODAY)
    assert [(f.code, f.msg, f.line) for f in found] == [("L03", "reader.belongs", 2)]


def test_a_duplicate_key_is_l02(tmp_path):
    folder = make_ledgers(tmp_path / "dup", [household("01"), household("01")],
                          [member(1, "01")])
    ledgers, findings = read_ledgers(folder)
    found = run_checks(ledgers, findings, rules=[RULES["L02"], RULES["L03"]], today=TODAY)
    assert [(f.code, f.msg, f.line) for f in found] == [("L02", "reader.duplicate_key", 3)]
