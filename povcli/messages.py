"""The catalogue of messages: every sentence povcli says, as an id with named parameters
and one template per language.

A Finding, a note or an error keeps its message id and parameters; the words are
chosen only when it is shown (`say`), so a reworded English template never leaves
the Chinese one behind, and tests can check that every id has both languages with
the same parameters. No pandas here: `povcli --help` imports this module.

Sections below are by layer (reader, checks, reports, cli); ids are dotted by layer.
"""

from __future__ import annotations

import string

LANGS = ("en", "zh")

# id -> (English, Chinese). Parameters are str.format fields; `{column}` is the column
# as the clerk's file names it, filled in by the Finding.
MESSAGES: dict[str, tuple[str, str]] = {}


def define(entries: dict[str, tuple[str, str]]) -> None:
    for key, pair in entries.items():
        if key in MESSAGES and MESSAGES[key] != pair:
            raise ValueError(f"message {key} defined twice")
        MESSAGES[key] = pair


def fields(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0]
            for _, name, _, _ in string.Formatter().parse(template) if name}


class _Params(dict):
    """Missing parameters show as {name} rather than failing: a message is never worth
    an internal error."""

    def __missing__(self, key):
        return "{" + key + "}"


def say(msg: str, lang: str = "en", **params) -> str:
    """The message `msg` in `lang` with its parameters filled in."""
    en, zh = MESSAGES.get(msg, (msg, msg))
    template = zh if lang == "zh" else en
    return string.Formatter().vformat(template, (), _Params(params))


# --------------------------------------------------------------------------- cli
define({
    "cli.problems": ("{count} problem(s) in the ledgers; no figures were computed.",
                     "台账中有{count}处问题，未计算任何数字。"),
    "cli.more": ("… and {count} more.", "……另有{count}处。"),
    "cli.internal": ("internal error: {error} (run `povcli --debug ...` for the traceback, "
                     "and please report it)",
                     "内部错误：{error}（用 `povcli --debug ...` 查看详情，并请报告此问题）"),
    "cli.error": ("povcli: error: {text}", "povcli：错误：{text}"),
    "cli.note": ("povcli: note: {text}", "povcli：提示：{text}"),
})

# --------------------------------------------------------------------------- reader
define({})

# --------------------------------------------------------------------------- checks
define({})

# --------------------------------------------------------------------------- reports
define({})

define({  # render
    "render.xlsx_too_many_rows": (
        "{rows} rows do not fit in an xlsx sheet (at most {limit}): write csv instead "
        "(--format csv or -o FILE.csv)",
        "共{rows}行，超出xlsx工作表的上限（最多{limit}行）：请改为输出csv（--format csv 或 -o 文件.csv）"),
})
