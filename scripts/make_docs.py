#!/usr/bin/env python3
"""Write the docs that come from the code, and keep the hand-written ones honest.

One generator for everything a test checks:

- README.md and docs/guide.md hold blocks like

      <!-- run: povcli exits --format table -->
      ```
      (output)
      ```

  each re-run on the bundled sample ledgers (as `--data sample_data`) and its stdout
  written into the block (`<!-- run (exit 2): ... -->`: a run that must exit 2, its
  stderr); `<!-- columns -->` blocks get the columns scripts rely on.
- docs/commands.md (each command's help, from the registry and the CLI), docs/ledgers.md
  (the ledger tables, from povcli/schema.py), docs/rules.md (check's rules, from its rule
  registry and the message catalogue, English and Chinese), docs/reports.md (each
  report's columns, from a run of it on the sample) and docs/counting.md (each bullet of
  "How povcli counts" in docs/contract.md, with the function that implements it) are
  written whole.

    python scripts/make_docs.py          # rewrite them
    python scripts/make_docs.py --check  # exit 1 and name the stale files

tests/test_docs.py fails when any of them differs from what this script writes.
"""

from __future__ import annotations

import importlib
import inspect
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
GUIDE = DOCS / "guide.md"
CONTRACT = DOCS / "contract.md"
WITH_RUNS = (README, GUIDE)
REGENERATE = "python scripts/make_docs.py"
HEAD = (f"<!-- Written by scripts/make_docs.py from the code: do not edit by hand; run "
        f"`{REGENERATE}` after changing the code. -->\n\n")

RUN = re.compile(r"(<!-- run(?: \(exit (?P<code>\d)\))?: (?P<cmd>[^>]*?) -->\n```[a-z]*\n)"
                 r"(?P<body>.*?)(```)", re.S)
COLUMNS = re.compile(r"(<!-- columns -->\n)(?P<body>.*?)(<!-- /columns -->)", re.S)


def cell(text) -> str:
    """Text for one cell of a markdown table."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- runs

def run_command(cmd: str, code: int = 0) -> str:
    """stdout of a run on the sample ledgers; stderr of a run that must exit 2."""
    import os

    from typer.testing import CliRunner

    from povcli.cli import app

    args = shlex.split(cmd)
    assert args[0] == "povcli", cmd
    if "--data" not in args:
        args += ["--data", str(ROOT / "sample_data")]
    here = os.getcwd()
    os.chdir(ROOT)  # relative paths in the docs are relative to the repo
    try:
        try:  # click before 8.2 mixes stderr into stdout unless told not to
            runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]
        except TypeError:
            runner = CliRunner()
        result = runner.invoke(app, args[1:], env={"COLUMNS": "100", "NO_COLOR": "1",
                                                   "POVCLI_LANG": "en"})
    finally:
        os.chdir(here)
    if result.exit_code != code:
        raise SystemExit(f"{cmd}: exit {result.exit_code}\n{result.stderr}")
    text = result.stderr if code == 2 else result.stdout
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def columns_table() -> str:
    from povcli import checks, flow, programs, reports, summary
    from povcli.dossier import FIND_COLUMNS

    rows = [
        ("summary", "metric, value: " + ", ".join(summary.SUMMARY_METRICS) + ", then the "
         "other areas' metrics where their ledgers are"),
        ("exits", ", ".join(reports.EXIT_COLUMNS)),
        ("changes", ", ".join(reports.CHANGE_COLUMNS)),
        ("subsidies", ", ".join(reports.SUBSIDY_COLUMNS + ["amount_per_household"])),
        ("projects", ", ".join(programs.PROJECT_COLUMNS) + " (grouped: the group key, then "
         "the funds, households, people, projects, key_projects)"),
        ("pairing", "metric, value"),
        ("villages", ", ".join(programs.VILLAGE_COLUMNS)),
        ("housing", ", ".join(programs.HOUSING_COLUMNS)),
        ("education", ", ".join(programs.EDUCATION_COLUMNS)),
        ("policy", ", ".join(programs.POLICY_COLUMNS)),
        ("flow", ", ".join(flow.FLOW_COLUMNS) + ", section, step, reason (stable keys of the line)"),
        ("check", ", ".join(checks.findings_frame([]).columns)),
        ("find", ", ".join(FIND_COLUMNS)),
    ]
    return table(["command", "columns"], [[f"`povcli {c}`", cols] for c, cols in rows])


def with_runs(text: str) -> str:
    """text with every run block's output and every columns block made anew."""
    text = RUN.sub(lambda m: m.group(1) + run_command(m.group("cmd"), int(m.group("code") or 0))
                   + m.group(5), text)
    return COLUMNS.sub(lambda m: m.group(1) + columns_table() + m.group(3), text)


# --------------------------------------------------------------------------- commands

def _click_commands():
    import typer.main

    from povcli.cli import app

    group = typer.main.get_command(app)
    return group, group.commands  # type: ignore[attr-defined]


# click's objects are read by the attributes every version has: Typer carries its own
# copy of click in newer versions (where an option's type is resolved late) and uses the
# installed click in older ones; the docs must come out the same under both.
TYPE_NAMES = {int: "integer", str: "text", float: "number", bool: "", Path: "path"}
CLICK_TYPES = {"integer": "integer", "integer range": "integer", "text": "text",
               "float": "number", "float range": "number", "path": "path", "boolean": ""}


def _takes(param) -> str:
    """What an option takes: its choices, or the kind of value; nothing for a flag."""
    import typing
    from enum import Enum

    if param.is_flag:
        return ""
    kind = getattr(param, "type", None)
    if kind is not None:  # the installed click
        choices = getattr(kind, "choices", None)
        if choices:
            return " | ".join(str(getattr(c, "value", c)) for c in choices)
        return CLICK_TYPES.get(kind.name, kind.name)
    annotation = param.type_descriptor.annotation  # Typer's own click: the annotation
    while typing.get_args(annotation) and typing.get_origin(annotation) is not type:
        annotation = [a for a in typing.get_args(annotation) if a is not type(None)][0]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return " | ".join(str(e.value) for e in annotation)
    return TYPE_NAMES.get(annotation, str(annotation))


def _option_rows(command) -> list[list[str]]:
    rows = []
    for param in command.params:
        if param.param_type_name != "option" or param.hidden:
            continue
        names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
        default = ""
        if param.show_default is not False and param.default not in (None, False, ()) \
                and not param.is_flag:
            default = str(getattr(param.default, "value", param.default))
        rows.append([names, _takes(param), default, param.help or ""])
    return rows


def _arguments(command) -> str:
    return " ".join((p.metavar or p.name.upper()) + ("..." if p.nargs == -1 else "")
                    for p in command.params if p.param_type_name == "argument")


def commands_md() -> str:
    from povcli.registry import COMMANDS

    group, commands = _click_commands()
    out = [HEAD, "# Commands\n\n",
           "Each command's help, from its row in `povcli/registry.py` (English and Chinese; "
           "`--help` shows the language of `$POVCLI_LANG` or the locale) and its options "
           "from the command line itself. The guide (docs/guide.md) shows them at work.\n\n",
           "## Before the command\n\n", "`povcli [OPTIONS] COMMAND ...`\n\n",
           table(["option", "takes", "default", "what it does"], _option_rows(group)), "\n"]
    panels: dict[str, list[str]] = {}
    for name in commands:
        spec = COMMANDS.get(name)
        panels.setdefault(spec.panel if spec else "Other", []).append(name)
    for panel, names in panels.items():
        out.append(f"## {panel}\n\n")
        for name in names:
            command = commands[name]
            spec = COMMANDS.get(name)
            args = _arguments(command)
            out.append(f"### `povcli {name}`\n\n")
            usage = "COMMAND" if hasattr(command, "commands") else "[OPTIONS]"
            out.append(f"`povcli {name} {usage}{' ' + args if args else ''}`\n\n")
            if spec:
                out.append(f"{spec.help_en}\n\n{spec.help_zh}\n\n")
                facts = [f"formats: {', '.join(spec.formats)}"]
                reads = ("every ledger" if spec.reads is None else
                         ", ".join(["households", "members", *spec.reads]))
                facts.append(f"reads: {reads}")
                if spec.needs:
                    facts.append(f"cannot run without: {', '.join(spec.needs)}")
                out.append("; ".join(facts) + ".\n\n")
            else:
                out.append((command.help or "").strip() + "\n\n")
            if hasattr(command, "commands"):  # a group: cache info, cache clear
                for sub_name, sub in command.commands.items():
                    out.append(f"- `povcli {name} {sub_name}`: {(sub.help or '').strip()}\n")
                out.append("\n")
                continue
            out.append(table(["option", "takes", "default", "what it does"],
                             _option_rows(command)) + "\n")
    return "".join(out).rstrip("\n") + "\n"


# --------------------------------------------------------------------------- ledgers

# What each column means: the schema says its name, Chinese header, type, whether it is
# required, its values, keys and references; these say what it is for. A column of the
# schema with no entry here (or an entry for a column that is gone) fails the docs test.
MEANINGS = {
    "household_id": "the household (户编号)",
    "person_id": "the person's 18-character resident ID",
    "township": "the township (乡镇)",
    "village": "the administrative village (行政村)",
    "year": "the year",
    ("households", "head_name"): "the head of household's name",
    ("households", "head_id"): "the head's resident ID",
    ("households", "category"): "the household's attribute; the national system's labels "
    "一般脱贫户 ... (…脱贫户) also claim that the household has exited (`check` E07 compares "
    "the claim with the exits)",
    ("households", "cause"): "the main cause of poverty (a 致贫 suffix is accepted)",
    ("households", "identified_on"): "the household entered the rolls",
    ("households", "housing_grade"): "assessed at identification; C and D are dangerous houses",
    ("households", "registered"): "a registered (建档立卡) household; empty means yes. An "
    "unregistered household exists for monitoring alone and counts in no figure of the rolls",
    ("households", "safe_water"): "safe drinking water (readiness, R05)",
    ("households", "renovated_on"): "a dangerous house's renovation was finished (readiness, R04)",
    ("members", "household_id"): "the household whose roll the person is on; (household, "
    "person) is a membership, and a person may belong to several households over time",
    ("members", "name"): "the person's name",
    ("members", "relation"): "relation to the head",
    ("members", "sex"): "sex (checked against the ID's digit 17)",
    ("members", "birth_date"): "date of birth (checked against the ID's digits 7-14)",
    ("members", "schooling"): "school status, as written (readiness, R02)",
    ("members", "health"): "health, as written (monitoring, M10)",
    ("members", "labor"): "ability to work, as written (monitoring, M04)",
    ("members", "insured"): "in the basic medical insurance (readiness, R03)",
    ("changes", "date"): "the day of the change",
    ("changes", "person_id"): "the person added or removed: a member of that household",
    ("changes", "direction"): "onto the rolls or off them",
    ("changes", "reason"): "why; `returned` (返贫) changes poverty, not the rolls",
    ("exits", "exit_year"): "the year of the exit",
    ("exits", "verification"): "the home visit's result; only `pass` is an exit, empty or "
    "`pending` is a pre-exit (预退出)",
    ("exits", "verified_on"): "the home visit",
    ("exits", "approved_on"): "the county approved the exit",
    ("exits", "per_capita_income"): "the exit's per-capita net income, yuan a year",
    ("exits", "food_clothing"): "food and clothing secured (两不愁; readiness, R01)",
    ("subsidies", "date"): "the day of the payment",
    ("subsidies", "person_id"): "the person paid for (a student, a patient), where there is one",
    ("subsidies", "program"): "what the payment is for",
    ("subsidies", "amount"): "yuan, not zero; negative is a reversal (冲正)",
    ("subsidies", "source"): "where the money came from",
    ("subsidies", "voucher"): "the voucher number; unique where present",
    ("projects", "project_id"): "the project",
    ("projects", "name"): "the project's name",
    ("projects", "kind"): "the kind of project",
    ("projects", "key_project"): "a key project (重点项目)",
    ("projects", "year"): "the project's year: its beneficiaries are counted on 31 December of it",
    ("projects", "township"): "where the project is, if in one township",
    ("projects", "village"): "where the project is, if in one village",
    ("projects", "funds_higher"): "yuan from higher levels of government",
    ("projects", "funds_local"): "yuan from the district itself",
    ("projects", "funds_other"): "yuan from elsewhere",
    ("project_beneficiaries", "project_id"): "the project",
    ("project_beneficiaries", "household_id"): "a household that benefits from it",
    ("pairings", "cadre_name"): "the cadre (帮扶责任人)",
    ("pairings", "cadre_id"): "identifies the cadre where names repeat",
    ("pairings", "unit"): "the cadre's work unit",
    ("pairings", "leader"): "the district-level leader responsible (包保领导)",
    ("pairings", "since"): "the pairing began",
    ("villages", "rural_population"): "people with rural household registration: the "
    "denominator of poverty incidence",
    ("villages", "poor_village"): "a poor village (贫困村)",
    ("villages", "exit_year"): "the year the poor village exited (出列)",
    ("villages", "enterprise"): "the enterprise paired with the village",
    ("policy", "year"): "the year from which the row's values apply",
    ("policy", "poverty_line"): "the national poverty line, yuan per person a year "
    "(built in by year where no row gives it)",
    ("policy", "dibao_standard"): "the local rural dibao standard",
    ("policy", "exit_standard"): "the income an exiting household had to exceed, as the "
    "province set it",
    ("policy", "monitoring_line"): "the income line of return-to-poverty monitoring",
    ("incomes", "year"): "the year of the income",
    ("incomes", "size"): "the people the income is shared by",
    ("incomes", "wage"): "wage income, yuan",
    ("incomes", "business"): "business income, yuan",
    ("incomes", "business_cost"): "business costs, yuan (subtracted)",
    ("incomes", "property"): "property income, yuan",
    ("incomes", "transfer"): "transfers, yuan: dibao, pensions, subsidies, dividends of assets",
    ("incomes", "per_capita_net"): "the office's per-capita net income; must equal the "
    "computed one within 1 yuan (else `check` M11; the computed one is used)",
    ("monitoring", "category"): "the kind of monitoring object",
    ("monitoring", "identified_on"): "the household was taken into monitoring",
    ("monitoring", "risks"): "one or more risks, separated by 、 , ; or /",
    ("monitoring", "eliminated_on"): "the risk was eliminated; not before identified_on",
    ("monitoring", "elimination"): "how the risk was eliminated",
    ("monitoring", "per_capita_income"): "per-capita net income when identified, yuan",
    ("assessment", "year"): "the year of the assessment",
    ("assessment", "household_id"): "the household, empty for one not in the ledgers",
    ("assessment", "people"): "the people of the household visited",
    ("assessment", "sample_type"): "what the assessors took the household for",
    ("assessment", "wrong_exit"): "a wrong exit (错退), for exited households",
    ("assessment", "missed"): "missed (漏评), for ordinary households",
    ("assessment", "approves"): "the household approves of the work (认可度)",
}


def meaning(ledger: str, column: str) -> str | None:
    return MEANINGS.get((ledger, column), MEANINGS.get(column))  # type: ignore[call-overload]


def meaning_problems() -> list[str]:
    """Columns of the schema with no meaning, and meanings of columns that are gone."""
    from povcli.schema import LEDGERS

    problems = [f"{lg.name}.{c.name} has no meaning in scripts/make_docs.py MEANINGS"
                for lg in LEDGERS.values() for c in lg.columns if not meaning(lg.name, c.name)]
    names = {c.name for lg in LEDGERS.values() for c in lg.columns}
    for key in MEANINGS:
        if isinstance(key, tuple):
            ledger = LEDGERS.get(key[0])
            if ledger is None or key[1] not in {c.name for c in ledger.columns}:
                problems.append(f"MEANINGS names {key[0]}.{key[1]}, which is not in the schema")
        elif key not in names:
            problems.append(f"MEANINGS names {key}, which no ledger has")
    return problems


def ledgers_md() -> str:
    from povcli.schema import ENUMS, LEDGERS, header_index, header_key

    out = [HEAD, "# The ledgers\n\n",
           "What povcli reads, from `povcli/schema.py` (the contract as data). A ledger is a "
           "file named in English (`households.csv`, any case) or in Chinese "
           "(`贫困户台账.csv`), CSV or TSV, UTF-8 or GB18030, or an Excel workbook (one per "
           "ledger, or one with a sheet per ledger); the reading rules are in "
           "[contract.md](contract.md). A header is the English name (any case, spaces or "
           "`-` for `_`) or the Chinese one; columns povcli does not know are ignored.\n\n"]
    for ledger in LEDGERS.values():
        need = "required" if ledger.required else "optional"
        out.append(f"## {ledger.filename} · {ledger.zh_filename} ({need})\n\n"
                   f"Each row: {ledger.what}.\n\n")
        index = header_index(ledger)
        rows = []
        for col in ledger.columns:
            zh = [h for h, name in index.items() if name == col.name and h != header_key(col.name)]
            text = meaning(ledger.name, col.name) or ""
            if col.enum:
                e = ENUMS[col.enum]
                text += ": " + ", ".join(f"`{c}` {e.labels[c]}" for c in e.codes)
            if col.default is not None:
                text += f" (default {col.default:g})"
            if col.nonzero:
                text += " (never zero)"
            rows.append([f"`{col.name}`", " / ".join(zh) or col.zh, col.type,
                         "yes" if col.required else "", text])
        out.append(table(["column", "中文", "type", "required", "meaning"], rows))
        if ledger.keys:
            out.append("\nUnique: " + "; ".join(" + ".join(f"`{c}`" for c in k)
                                                for k in ledger.keys) + ".\n")
        for ref in ledger.references:
            out.append(f"\n{' + '.join(f'`{c}`' for c in ref.columns)} must name a row of "
                       f"{ref.target}.csv ({' + '.join(ref.target_columns)}).\n")
        out.append("\n")
    types = {"id": "text, leading zeros kept", "resident_id": "an 18-character resident ID "
             "(check character read in upper case)", "text": "text", "date": "a date: "
             "2017-07-13, 2017/7/13, 2017.7.13, 20170713 or 2017年7月13日",
             "year": "2017 or 2017年", "amount": "yuan: 4000, 4,000.50, ￥4000, -￥300",
             "enum": "the English code (any case) or the Chinese label",
             "enum_set": "one or more codes or labels, separated by 、 , ; or /",
             "bool": "yes/no, 是/否, Y/N, true/false", "count": "a whole number"}
    out.append("## Types\n\n" + table(["type", "written as"], [[f"`{k}`", v]
                                                              for k, v in types.items()]))
    return "".join(out).rstrip("\n") + "\n"


# --------------------------------------------------------------------------- rules

def rules_md() -> str:
    from povcli import checks

    en, zh = checks.rules_frame("en"), checks.rules_frame("zh")
    rows = [[f"`{code}`", sev + (" (opt-in)" if code in checks.OPT_IN else ""),
             str(en_rule), str(zh_rule), str(en_basis), str(zh_basis)]
            for code, sev, en_rule, zh_rule, en_basis, zh_basis in zip(
                en["code"], en["severity"], en["rule"], zh["rule"], en["basis"], zh["basis"])]
    return (HEAD + "# The rules of `povcli check`\n\n"
            "Every rule of `povcli check`, from its rule registry (`@rule` in "
            "povcli/checks*.py) and the message catalogue (povcli/messages.py). An error "
            "makes `check` exit 1, a warning alone exits 0. Opt-in rules run only when "
            "selected (`povcli check --select R`). `povcli check --list-rules` prints the "
            "same table, `--lang zh` in Chinese.\n\n"
            + table(["code", "severity", "rule", "规则", "basis", "依据"], rows))


# --------------------------------------------------------------------------- reports

def reports_md() -> str:
    from povcli import api, checks, i18n
    from povcli.dossier import FIND_COLUMNS

    _, commands = _click_commands()
    ledgers = api.open_ledgers(ROOT / "sample_data")

    def names(columns, report) -> str:
        return ", ".join(f"`{c}` {i18n.column(c, 'zh', report)}"
                         if i18n.column(c, "zh", report) != c else f"`{c}`" for c in columns)

    out = [HEAD, "# The report tables\n\n",
           "The columns of each report's `--format csv` and `--format json` (the same keys), "
           "as the reports make them on the bundled sample ledgers, each with its Chinese "
           "header in tables for people (`--lang zh`). Scripts may rely on these columns in "
           "this order; columns may be added after them. `--by township` or `--by village` "
           "adds that column after `year` (with `--by village` the township follows as the "
           "last column). The contract's own list is in "
           "[contract.md](contract.md#the-report-tables-the-columns-scripts-rely-on).\n\n"]
    for name in api.reports():
        year = 2017 if name == "sample" else None  # a sample is drawn for one year
        report = api.build(name, ledgers, year)
        rows = [["columns", names(report.frame.columns, name)]]
        if "metric" in report.frame.columns:
            rows.append(["metrics (on the sample)",
                         ", ".join(f"`{m}` {i18n.metric(m, 'zh')}" if i18n.metric(m, "zh") != m
                                   else f"`{m}`" for m in report.frame["metric"])])
        flags = {o for p in commands[name].params for o in p.opts}
        if "--list" in flags:
            listed = api.build(name, ledgers, year, listing=True)
            rows.append(["with `--list`", names(listed.frame.columns, name)])
        out.append(f"## `povcli {name}`\n\n" + table(["", ""], rows) + "\n")
    out.append("## `povcli check`\n\n" + table(["", ""], [
        ["columns", names(checks.findings_frame([]).columns, "check")],
        ["with `--list-rules`", names(checks.rules_frame().columns, "rules")]]) + "\n")
    out.append("`povcli match` gives check's columns and then `ledger_file`, `ledger_line` "
               "(the ledger's place of the matched row).\n\n")
    out.append("## `povcli find`\n\n" + table(["", ""], [["columns", names(FIND_COLUMNS,
                                                                          "find")]]))
    return "".join(out).rstrip("\n") + "\n"


# --------------------------------------------------------------------------- counting

@dataclass
class Bullet:
    names: list[str]  # its bold words
    refs: list[str]  # the functions named on its `Code:` line
    line: int


CODE_LINE = re.compile(r"^\s+Code: (.*)$")


def counting_bullets(text: str) -> list[Bullet]:
    """The bullets of "How povcli counts" in the contract's copy, with their code refs."""
    start = text.index("\n## How povcli counts")
    end = text.index("\n## ", start + 1)
    first_line = text[:start].count("\n") + 2
    bullets: list[Bullet] = []
    for i, line in enumerate(text[start:end].splitlines()):
        if line.startswith("- "):
            bullets.append(Bullet([], [], first_line + i - 1))
        if not bullets:
            continue
        code = CODE_LINE.match(line)
        if code:
            bullets[-1].refs += re.findall(r"`([\w.]+)`", code.group(1))
        else:
            bullets[-1].names += re.findall(r"\*\*(.+?)\*\*", line)
    return bullets


def resolve(ref: str):
    """The object `ref` (`model.Rolls.members_on`: a module of povcli, then attributes)."""
    parts = ref.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module("povcli." + ".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(f"no module of povcli in {ref}")


def counting_problems(text: str) -> list[str]:
    """What is wrong with the map: a bullet with no name or no function, a function
    that does not exist or is not a function."""
    problems = []
    bullets = counting_bullets(text)
    if not bullets:
        problems.append("no bullets under 'How povcli counts'")
    for b in bullets:
        where = f"docs/contract.md:{b.line}"
        if not b.names:
            problems.append(f"{where}: a bullet with no **bold** name")
        if not b.refs:
            problems.append(f"{where}: {b.names[:1]} names no function (a `Code:` line)")
        for ref in b.refs:
            try:
                obj = resolve(ref)
            except (ImportError, AttributeError):
                problems.append(f"{where}: {ref} does not exist")
                continue
            if not callable(obj):
                problems.append(f"{where}: {ref} is not a function")
    return problems


def first_sentence(obj) -> str:
    doc = inspect.getdoc(obj)
    if not doc:
        return "(no docstring)"
    para = " ".join(doc.split("\n\n")[0].split())
    m = re.match(r"(.+?\.)(\s|$)", para)
    return m.group(1) if m else para


def counting_md() -> str:
    text = CONTRACT.read_text(encoding="utf-8")
    rows = []
    for b in counting_bullets(text):
        for i, ref in enumerate(b.refs):
            try:
                obj = resolve(ref)
                where = inspect.getsourcefile(obj)
                path = Path(where).resolve().relative_to(ROOT).as_posix() if where else ""
                said = first_sentence(obj)
            except (ImportError, AttributeError, TypeError, ValueError):
                path, said = "", "(missing)"
            rows.append([" · ".join(b.names) if i == 0 else "", f"`{ref}`", path, said])
    return (HEAD + "# How povcli counts, in the code\n\n"
            "Each bullet of \"How povcli counts\" in [contract.md](contract.md#how-povcli-counts) "
            "and the functions that implement it (the bullet's `Code:` line), with the first "
            "sentence of each function's docstring. A test fails when a bullet names no "
            "function or a function it names is gone.\n\n"
            + table(["rule (the contract's words)", "function", "file", "what it says"], rows))


# --------------------------------------------------------------------------- all

GENERATED = {"commands.md": commands_md, "ledgers.md": ledgers_md, "rules.md": rules_md,
             "reports.md": reports_md, "counting.md": counting_md}


def expected() -> dict[Path, str]:
    """Every file this script writes, with what it would write."""
    out = {path: with_runs(path.read_text(encoding="utf-8")) for path in WITH_RUNS}
    out.update({DOCS / name: make() for name, make in GENERATED.items()})
    return out


def stale() -> list[Path]:
    return [path for path, text in expected().items()
            if not path.exists() or path.read_text(encoding="utf-8") != text]


def main() -> int:
    sys.path.insert(0, str(ROOT))
    if "--check" in sys.argv:
        paths = stale()
        for path in paths:
            print(f"{path.relative_to(ROOT)} is stale: run {REGENERATE}", file=sys.stderr)
        return 1 if paths else 0
    for path, text in expected().items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
