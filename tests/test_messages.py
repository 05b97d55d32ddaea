"""The catalogue of messages: every id in both languages, with the same parameters."""

from __future__ import annotations

import re

import povcli.cli  # noqa: F401 - registers the cli's and output's messages
import povcli.read.load  # noqa: F401 - the reader's
from povcli.messages import MESSAGES, fields, say
from povcli.schema import ENUMS

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_message_has_chinese_with_the_same_parameters():
    for key, (en, zh) in MESSAGES.items():
        assert en.strip() and zh.strip(), key
        assert fields(en) == fields(zh), key
        # Chinese words, or a field that gives a Chinese label ({reason:label:reason})
        assert CJK.search(zh) or ":label:" in zh or ":ledger_zh" in zh, \
            f"{key}: no Chinese in {zh!r}"


def test_every_enumeration_has_its_own_unknown_value_message():
    for name in ENUMS:
        assert f"reader.unknown.{name}" in MESSAGES, name


def test_plural_and_missing_parameters():
    assert say("cli.problems", "en", count=1).startswith("1 problem in")
    assert say("cli.problems", "en", count=3).startswith("3 problems in")
    assert say("cli.problems", "zh", count=3).startswith("台账中有3处问题")
    assert "{count}" in say("cli.problems", "en")  # never an error for a missing value


def test_titles_follow_the_variant_shown():
    """A list of people is not headed as a summary; --uncovered keeps 'with no cadre'."""
    from povcli import api, render

    from conftest import SAMPLE
    ledgers = api.open_ledgers(SAMPLE)
    people = api.build("summary", ledgers, listing=True)
    assert render._title(people, "zh") == "2017年12月31日在册人员"
    uncovered = api.build("pairing", ledgers, uncovered=True)
    assert "没有帮扶责任人" in render._title(uncovered, "zh")
    assert render._title(api.build("summary", ledgers), "zh").startswith("2017年度汇总")
