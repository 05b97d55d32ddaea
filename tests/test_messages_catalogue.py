"""Every usage error a user can meet says itself in both languages: it is made from a
catalogue id (UsageError.of), never from an English sentence (issue 10: one catalogue
of words, no English-only messages)."""

import re
from pathlib import Path

import pytest

from povcli.findings import UsageError
from povcli.messages import MESSAGES, say

SOURCE = Path(__file__).resolve().parents[1] / "povcli"


def test_no_usage_error_is_built_from_an_english_sentence():
    offenders = []
    for path in SOURCE.rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"UsageError\(\s*f?[\"']", line):
                offenders.append(f"{path.relative_to(SOURCE)}:{n}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize("msg", sorted(m for m in MESSAGES if m.split(".")[0] in
                                       ("reports", "shards", "reader")))
def test_each_message_says_itself_in_both_languages(msg):
    params = set(re.findall(r"{(\w+)", MESSAGES[msg][0]))
    values = {p: 1 for p in params}
    assert say(msg, "en", **values) and say(msg, "zh", **values)


def test_an_unknown_township_is_refused_in_chinese(run):
    result = run("summary", "--township", "无此乡", "--lang", "zh")
    assert result.exit_code == 2 and "乡镇“无此乡”没有任何户" in result.stderr
    assert UsageError.of("reports.no_township", township="x", names="y").text("zh")
