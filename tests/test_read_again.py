"""Line numbers of a ledger whose bytes are gone: let go once its set was found clean, or
never held because its frame came from the cache. The file is read again for them."""

from __future__ import annotations

import pandas as pd
import pytest

import povcli.cache as cache
from povcli.findings import LedgerError
from povcli.read.load import open_ledgers

from conftest import household, make_ledgers, member


@pytest.fixture
def cached(monkeypatch):
    monkeypatch.setattr(cache, "THRESHOLD", 0.0)  # small sets are cached too


def _drop_h2(folder):
    lines = (folder / "households.csv").read_text(encoding="utf-8").splitlines()
    (folder / "households.csv").write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")


def test_a_workbook_from_the_cache_gives_the_lines_of_a_broken_reference(tmp_path, cached):
    folder = make_ledgers(tmp_path, households=[household("H1"), household("H2")],
                          members=[member(1, "H1"), member(2, "H2")])
    members = pd.read_csv(folder / "members.csv", dtype=str)
    (folder / "members.csv").unlink()
    members.to_excel(folder / "members.xlsx", index=False)
    open_ledgers(folder, use_cache=True)
    assert open_ledgers(folder, use_cache=True).fresh == []  # both from the cache now
    _drop_h2(folder)  # members.xlsx, unchanged and cached, now refers to a household gone
    with pytest.raises(LedgerError) as err:
        open_ledgers(folder, use_cache=True)
    [finding] = err.value.findings
    assert (finding.msg, finding.line, finding.value) == ("reader.not_in", 3, "H2")
    assert finding.file.startswith(str(folder / "members.xlsx"))


def test_a_csv_from_the_cache_counts_its_title_rows(tmp_path, cached):
    folder = make_ledgers(tmp_path, households=[household("H1"), household("H2")],
                          members=[member(1, "H1"), member(2, "H2")])
    text = (folder / "members.csv").read_text(encoding="utf-8")
    (folder / "members.csv").write_text("某村成员台账\n\n" + text, encoding="utf-8")  # title
    open_ledgers(folder, use_cache=True)
    assert open_ledgers(folder, use_cache=True).fresh == []
    _drop_h2(folder)
    with pytest.raises(LedgerError) as err:
        open_ledgers(folder, use_cache=True)
    [finding] = err.value.findings
    assert (finding.file, finding.line) == (str(folder / "members.csv"), 5)
