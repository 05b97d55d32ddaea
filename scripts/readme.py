#!/usr/bin/env python3
"""Keep README.md honest: its example outputs and its ledger table come from the code.

README.md holds blocks like

    <!-- run: povcli exits --format table -->
    ```
    (output)
    ```

This script re-runs each command on the bundled sample ledgers (as `--data
sample_data`) and writes its stdout into the block; `<!-- schema -->` blocks get
the ledger table from povcli/schema.py. tests/test_docs.py fails when the README
differs from what this script would write.

    python scripts/readme.py          # rewrite README.md
    python scripts/readme.py --check  # exit 1 if it is stale
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

RUN = re.compile(r"(<!-- run(?: \(exit (?P<code>\d)\))?: (?P<cmd>[^>]*?) -->\n```[a-z]*\n)"
                 r"(?P<body>.*?)(```)", re.S)
SCHEMA = re.compile(r"(<!-- schema -->\n)(?P<body>.*?)(<!-- /schema -->)", re.S)
COLUMNS = re.compile(r"(<!-- columns -->\n)(?P<body>.*?)(<!-- /columns -->)", re.S)


def columns_table() -> str:
    from povcli import checks, flow, programs, reports, summary

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
        ("find", ", ".join(__import__("povcli.dossier", fromlist=["x"]).FIND_COLUMNS)),
    ]
    lines = ["| command | columns |", "|---|---|"]
    lines += [f"| `povcli {c}` | {cols} |" for c, cols in rows]
    return "\n".join(lines) + "\n"


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
    os.chdir(ROOT)  # relative paths in the README are relative to the repo
    try:
        try:  # click before 8.2 mixes stderr into stdout unless told not to
            runner = CliRunner(mix_stderr=False)
        except TypeError:
            runner = CliRunner()
        result = runner.invoke(app, args[1:], env={"COLUMNS": "100", "NO_COLOR": "1"})
    finally:
        os.chdir(here)
    if result.exit_code != code:
        raise SystemExit(f"{cmd}: exit {result.exit_code}\n{result.stderr}")
    text = result.stderr if code == 2 else result.stdout
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def schema_table() -> str:
    from povcli.schema import ENUMS, LEDGERS

    lines = []
    for ledger in LEDGERS.values():
        need = "required" if ledger.required else "optional"
        lines.append(f"**{ledger.filename}** · {ledger.zh_filename} ({need}): one row per "
                     f"{ledger.what}.\n")
        lines.append("| column | 中文 | type | required | values |")
        lines.append("|---|---|---|---|---|")
        for col in ledger.columns:
            values = ""
            if col.enum:
                e = ENUMS[col.enum]
                values = ", ".join(f"`{c}` {e.labels[c]}" for c in e.codes)
            lines.append(f"| {col.name} | {col.zh} | {col.type} | "
                         f"{'yes' if col.required else ''} | {values} |")
        if ledger.keys:
            lines.append("")
            lines.append("Unique: " + "; ".join(" + ".join(k) for k in ledger.keys) + ".")
        lines.append("")
    return "\n".join(lines)


def updated(text: str) -> str:
    text = RUN.sub(lambda m: m.group(1) + run_command(m.group("cmd"), int(m.group("code") or 0))
                   + m.group(5), text)
    text = COLUMNS.sub(lambda m: m.group(1) + columns_table() + m.group(3), text)
    return SCHEMA.sub(lambda m: m.group(1) + schema_table() + m.group(3), text)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    text = README.read_text(encoding="utf-8")
    new = updated(text)
    if "--check" in sys.argv:
        if new != text:
            print("README.md is stale: run python scripts/readme.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
