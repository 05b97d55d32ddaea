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


def lang_from_env(environ=None) -> str:
    """The language asked for by the environment: POVCLI_LANG (en or zh; anything else
    is a ValueError, a usage error for the CLI), else the locale (LC_ALL, LC_MESSAGES,
    LANG, the first one set): zh when it starts with zh, else en."""
    import os

    env = os.environ if environ is None else environ
    own = env.get("POVCLI_LANG", "").strip()
    if own:
        return parse_lang(own, "POVCLI_LANG")
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "").strip()
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def parse_lang(value: str, where: str = "--lang") -> str:
    """en or zh from what a user typed (zh_CN, zh-CN.UTF-8 and EN are fine too)."""
    text = value.strip().lower().replace("-", "_")
    for lang in LANGS:
        if text == lang or text.startswith(lang + "_") or text.startswith(lang + "."):
            return lang
    raise ValueError(say("cli.bad_lang", "en", where=where, value=value,
                         langs=", ".join(LANGS)))


class _Formatter(string.Formatter):
    """str.format with one addition for English: `{n:plural:error}` gives "1 error",
    "2 errors"."""

    def format_field(self, value, format_spec):
        if format_spec.startswith("plural:"):
            word = format_spec[len("plural:"):]
            return f"{value} {word}{'' if value == 1 else 's'}"
        return super().format_field(value, format_spec)


def say(msg: str, lang: str = "en", **params) -> str:
    """The message `msg` in `lang` with its parameters filled in."""
    en, zh = MESSAGES.get(msg, (msg, msg))
    template = zh if lang == "zh" else en
    return _Formatter().vformat(template, (), _Params(params))


# --------------------------------------------------------------------------- cli
define({
    "cli.problems": ("{count:plural:problem} in the ledgers; no figures were computed.",
                     "台账中有{count}处问题，未计算任何数字。"),
    "cli.more": ("… and {count} more.", "……另有{count}处。"),
    "cli.internal": ("internal error: {error} (run `povcli --debug ...` for the traceback, "
                     "and please report it)",
                     "内部错误：{error}（用 `povcli --debug ...` 查看详情，并请报告此问题）"),
    "cli.error": ("povcli: error: {text}", "povcli：错误：{text}"),
    "cli.note": ("povcli: note: {text}", "povcli：提示：{text}"),
    "cli.bad_lang": ("{where} takes one of: {langs} (not '{value}')",
                     "{where} 只能取：{langs}（不能是“{value}”）"),
})

# --------------------------------------------------------------------------- reader
define({})

# --------------------------------------------------------------------------- checks
define({})

# --------------------------------------------------------------------------- reports
define({})
