"""Every counting rule of the contract maps to the functions that implement it.

docs/contract.md is the repository's copy of the ledger contract; under each bullet of
"How povcli counts" a `Code:` line names the functions (`model.Rolls.members_on`: a
module of povcli, then attributes). docs/counting.md is written from those lines by
scripts/make_docs.py (tests/test_docs.py keeps it fresh).
"""

from __future__ import annotations

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import make_docs  # noqa: E402

CONTRACT = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
COUNTING = (ROOT / "docs" / "counting.md").read_text(encoding="utf-8")


def test_every_bullet_names_functions_that_exist():
    assert make_docs.counting_problems(CONTRACT) == []


def test_the_bullets_are_the_contract_s():
    bullets = make_docs.counting_bullets(CONTRACT)
    names = [b.names[0] for b in bullets]
    for rule in ("On the rolls at date D", "Exited", "Poor household at D", "Verified people",
                 "exited_people_total", "Dynamic changes", "Subsidies", "Projects", "Pairing",
                 "Poverty incidence", "Incomes", "Exit income test", "Monitoring",
                 "Assessment rates", "Registered households only"):
        assert rule in names, rule


def test_the_core_rules_are_the_model_s():
    # the roll model is the one place for the rolls, exits and poverty
    refs = {b.names[0]: b.refs for b in make_docs.counting_bullets(CONTRACT)}
    for rule in ("On the rolls at date D", "household is on the rolls", "Exited",
                 "Poor household at D", "Registered households only"):
        assert refs[rule] and all(r.startswith("model.") for r in refs[rule]), rule


def test_every_function_of_the_map_is_in_counting_md():
    for bullet in make_docs.counting_bullets(CONTRACT):
        for ref in bullet.refs:
            assert f"`{ref}`" in COUNTING, ref


def test_a_bullet_without_a_function_is_caught():
    text = CONTRACT.replace("  Code: `reports.changes`.\n", "", 1)
    assert text != CONTRACT
    problems = make_docs.counting_problems(text)
    assert len(problems) == 1 and "Dynamic changes" in problems[0]


def test_a_function_that_is_gone_is_caught():
    text = CONTRACT.replace("`model.Rolls.members_on`", "`model.Rolls.members_at_date`", 1)
    problems = make_docs.counting_problems(text)
    assert len(problems) == 1 and "model.Rolls.members_at_date does not exist" in problems[0]
    text = CONTRACT.replace("`reports.changes`", "`no_such_module.changes`", 1)
    assert "does not exist" in " ".join(make_docs.counting_problems(text))


def test_a_name_that_is_no_function_is_caught():
    text = CONTRACT.replace("`reports.changes`", "`reports.CHANGE_COLUMNS`", 1)
    problems = make_docs.counting_problems(text)
    assert len(problems) == 1 and "is not a function" in problems[0]


def test_a_new_bullet_without_a_name_or_function_is_caught():
    at = CONTRACT.index("- **Dynamic changes**")
    text = CONTRACT[:at] + "- Something counted somehow.\n" + CONTRACT[at:]
    problems = make_docs.counting_problems(text)
    assert any("no **bold** name" in p for p in problems)
    assert any("names no function" in p for p in problems)
