"""Render reports: Rich tables, csv, tsv, json, markdown. The one place that decides
formats, number display and masking of resident ID numbers."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import TextIO

from . import i18n
from .findings import ID_COLUMNS, mask_id

FORMATS = ("table", "csv", "tsv", "json", "markdown", "xlsx")
EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".md": "markdown",
              ".markdown": "markdown", ".txt": "table", ".xlsx": "xlsx"}

COUNT, AMOUNT, RATE, YEAR, TEXT = "count", "amount", "rate", "year", "text"
COLUMN_KINDS = {
    "year": YEAR, "households": COUNT, "people": COUNT, "verified_people": COUNT,
    "passed_people": COUNT, "payments": COUNT, "pass_rate": RATE, "amount": AMOUNT,
    "members": COUNT,
    "amount_per_household": AMOUNT, "funds_higher": AMOUNT, "funds_local": AMOUNT,
    "funds_other": AMOUNT, "funds_total": AMOUNT, "projects": COUNT, "key_projects": COUNT,
    "students": COUNT, "rural_population": COUNT, "poor_people": COUNT, "incidence": RATE,
    "exit_year": YEAR, "poverty_line": AMOUNT, "dibao_standard": AMOUNT,
}


NUMBER = "number"  # a plain number with decimals (a median)


def metric_kind(metric: str) -> str:
    """How the value of a metric/value row is shown, from the metric's name."""
    if metric == "year":
        return YEAR
    if any(w in metric for w in ("amount", "funds", "poverty_line", "dibao_standard")):
        return AMOUNT
    if "rate" in metric:
        return RATE
    if "median" in metric:
        return NUMBER
    return COUNT


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        type(value).__name__ in ("NAType", "NaTType"))


def raw_value(value, kind: str):
    """A value for csv/json: plain numbers, no grouping, two decimals for amounts."""
    if _missing(value):
        return None
    if kind in (COUNT, YEAR):
        return int(value)
    if kind == AMOUNT:
        return round(float(value), 2)
    if kind in (RATE, NUMBER):
        return round(float(value), 10)
    return _text(value)


def _text(value) -> str:
    """Text of a cell; a date (a Timestamp at midnight) as 2017-07-13."""
    if hasattr(value, "isoformat") and hasattr(value, "hour"):
        return value.isoformat()[:10] if (value.hour, value.minute, value.second) == (0, 0, 0) \
            else value.isoformat()
    return str(value)


def csv_text(value, kind: str) -> str:
    value = raw_value(value, kind)
    if value is None:
        return ""
    if kind == AMOUNT:
        return f"{value:.2f}"
    return str(value)


def display_text(value, kind: str) -> str:
    """A value for people: thousands separators, amounts in yuan, rates in per cent."""
    if _missing(value):
        return ""
    if isinstance(value, str):
        return value
    if kind == TEXT:
        return _text(value)
    if kind == COUNT:
        return f"{int(value):,}"
    if kind == AMOUNT:
        return f"{float(value):,.2f}"
    if kind == RATE:
        return f"{float(value):.1%}"
    if kind == NUMBER:
        return f"{float(value):,.1f}"
    if kind == YEAR:
        return str(int(value))
    return str(value)


def _kinds(report) -> list[str]:
    own = getattr(report, "kinds", {}) or {}
    return [own.get(c, COLUMN_KINDS.get(c, TEXT)) for c in report.frame.columns]


def _row_kinds(report, row: dict) -> dict[str, str]:
    """Per-cell kinds; a metric/value table takes the kind from the metric."""
    kinds = dict(zip(report.frame.columns, _kinds(report)))
    if "metric" in row and "value" in row:
        kinds["value"] = metric_kind(str(row["metric"]))
    return kinds


def _records(report, show_ids: bool) -> list[dict]:
    frame = report.frame
    rows = frame.to_dict(orient="records")
    if not show_ids:
        for row in rows:
            for col in ID_COLUMNS.intersection(row):
                row[col] = mask_id(row[col])
    return rows


def to_csv(report, delimiter: str = ",", show_ids: bool = False) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(list(report.frame.columns))
    for row in _records(report, show_ids):
        kinds = _row_kinds(report, row)
        writer.writerow([csv_text(v, kinds[c]) for c, v in row.items()])
    return out.getvalue()


def to_json(report, show_ids: bool = False) -> str:
    rows = []
    for row in _records(report, show_ids):
        kinds = _row_kinds(report, row)
        rows.append({c: raw_value(v, kinds[c]) for c, v in row.items()})
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


def _display_rows(report, show_ids: bool, lang: str = "en"
                  ) -> tuple[list[str], list[list[str]], list[list[str]]]:
    """Headers, body and totals as people read them, in the language asked for."""
    columns = list(report.frame.columns)

    def shown(col, value, kind):
        return display_text(_for_people(col, value, lang), kind)

    body = []
    for row in _records(report, show_ids):
        kinds = _row_kinds(report, row)
        body.append([shown(c, row[c], kinds[c]) for c in columns])
    kinds = dict(zip(columns, _kinds(report)))
    totals = [[shown(c, t.get(c), kinds[c]) for c in columns] for t in report.totals]
    return [i18n.column(c, lang, report.name) for c in columns], body, totals


def _for_people(col: str, value, lang: str):
    """A cell as people read it in their language: metrics, codes and messages."""
    if hasattr(value, "in_lang"):  # a catalogue message (checks.Said)
        return value.in_lang(lang)
    if col == "metric":
        return i18n.metric(value, lang)
    if col == "message" or col == "line" and isinstance(value, str):
        return i18n.message(value, lang)
    return i18n.value(col, value, lang)


def _title(report, lang: str) -> str:
    return i18n.title(report.name, report.title, lang, **getattr(report, "meta", {}))


def _caption(report, lang: str) -> str | None:
    kinds = _kinds(report)
    if "metric" in report.frame.columns:
        kinds += [metric_kind(str(m)) for m in report.frame["metric"]]
    units = {AMOUNT: "amounts in yuan (元)", RATE: "rates in per cent"}
    return "; ".join(i18n.word(units[k], lang) for k in units if k in kinds) or None


def to_markdown(report, show_ids: bool = False, lang: str = "en") -> str:
    from tabulate import tabulate

    columns, body, totals = _display_rows(report, show_ids, lang)
    kinds = _kinds(report)
    align = ["right" if k in (COUNT, AMOUNT, RATE, NUMBER) or c == "value" else "left"
             for c, k in zip(report.frame.columns, kinds)]
    return tabulate(body + totals, headers=columns, tablefmt="pipe", colalign=align,
                    disable_numparse=True) + "\n"


def rich_table(report, show_ids: bool = False, lang: str = "en"):
    from rich.table import Table

    columns, body, totals = _display_rows(report, show_ids, lang)
    kinds = _kinds(report)
    table = Table(title=_title(report, lang), caption=_caption(report, lang),
                  title_justify="left", caption_justify="left", title_style="bold cyan",
                  show_edge=True)
    for col, name, kind in zip(report.frame.columns, columns, kinds):
        numeric = kind in (COUNT, AMOUNT, RATE, NUMBER) or col == "value"
        table.add_column(name, justify="right" if numeric else "left",
                         overflow="fold", no_wrap=numeric)
    for row in body:
        table.add_row(*row)
    if totals:
        table.add_section()
        for row in totals:
            table.add_row(*row, style="bold")
    return table


def _width(text: str) -> int:
    from rich.cells import cell_len
    return cell_len(text)


def to_xlsx(report, path: Path, show_ids: bool = False, lang: str = "en") -> None:
    """One sheet: a header row, numbers as numbers, ids as text, no formulas."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = report.name[:31]
    columns = list(report.frame.columns)
    headers = [i18n.column(c, lang, report.name) for c in columns]
    widths = [_width(h) for h in headers]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    formats = {AMOUNT: "#,##0.00", RATE: "0.0%", COUNT: "#,##0", NUMBER: "#,##0.0", YEAR: "0"}
    for r, row in enumerate(_records(report, show_ids), start=2):
        kinds = _row_kinds(report, row)
        for c, col in enumerate(columns, start=1):
            kind = kinds[col]
            value = raw_value(row[col], kind)
            cell = sheet.cell(row=r, column=c)
            if value is None:
                continue
            if kind in formats and not isinstance(value, str):
                cell.value = value
                cell.number_format = formats[kind]
                text = display_text(value, kind)
            else:
                text = str(_for_people(col, value, lang))
                cell.value = text
                # text, never a formula: ids with leading zeros and cells that begin
                # with = + - @ stay as written
                cell.data_type = "s"
                if text[:1] in ("=", "+", "-", "@"):
                    cell.quotePrefix = True
            widths[c - 1] = max(widths[c - 1], _width(text))
    for c, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = min(60, width + 2)
    sheet.freeze_panes = "A2"
    book.save(path)


def make_console(file: TextIO, terminal: bool):
    from rich.console import Console

    # Off a terminal: no colour codes, and a width wide enough not to fold columns.
    if terminal:
        return Console(file=file, highlight=False)
    return Console(file=file, width=160, color_system=None, highlight=False,
                   force_terminal=False, soft_wrap=False)


def render(report, fmt: str, show_ids: bool = False, lang: str = "en",
           for_people: bool = False) -> str | None:
    """Text for the text formats (None for table and xlsx). csv, tsv and json keep their
    English keys and codes whatever the language."""
    if fmt == "csv":
        return to_csv(report, show_ids=show_ids)
    if fmt == "tsv":
        return to_csv(report, delimiter="\t", show_ids=show_ids)
    if fmt == "json":
        return to_json(report, show_ids=show_ids)
    if fmt == "markdown":
        return to_markdown(report, show_ids=show_ids, lang=lang)
    return None


def format_for(fmt: str | None, output: Path | None, stdout_is_terminal: bool) -> str:
    """--format wins; else the extension of -o; else table on a terminal, csv in a pipe."""
    if fmt:
        return fmt
    if output is not None:
        ext = output.suffix.lower()
        if ext not in EXTENSIONS:
            from .findings import UsageError
            raise UsageError(f"cannot tell the format from '{output.name}': give --format "
                             f"({', '.join(FORMATS)}) or a name ending in "
                             + ", ".join(EXTENSIONS))
        return EXTENSIONS[ext]
    return "table" if stdout_is_terminal else "csv"


def summary_dashboard(summary, changes=None, subsidies=None, lang: str = "en"):
    """The terminal view of `summary`: the rolls, exits, changes and subsidies of a year,
    and the other areas where their ledgers are."""
    from rich.columns import Columns
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table

    values = dict(zip(summary.frame["metric"], summary.frame["value"]))
    year = values["year"]
    date = f"{year}-12-31"

    def w(text):
        return i18n.word(text, lang, year=year, date=date)

    def grid(rows):
        table = Table.grid(padding=(0, 2))
        table.add_column()
        table.add_column(justify="right")
        for label, metric in rows:
            table.add_row(w(label), display_text(values.get(metric), metric_kind(metric)))
        return table

    rolls = grid([("households", "households"), ("people", "people"),
                  ("poor households", "poor_households"), ("poor people", "poor_people")])
    exits = grid([("people exited in {year}", "exited_people_year"),
                  ("households exited in {year}", "exited_households_year"),
                  ("people exited up to {year}", "exited_people_total"),
                  ("people verified at home", "verified_people_year"),
                  ("people passed", "passed_people_year"), ("pass rate", "pass_rate_year")])
    panels = [Panel(rolls, title=w("On the rolls at {date} (建档立卡)"), title_align="left"),
              Panel(exits, title=w("Exits {year} (脱贫退出)"), title_align="left")]
    if changes is not None:
        table = Table.grid(padding=(0, 2))
        table.add_column()
        table.add_column()
        table.add_column(justify="right")
        for row in changes.frame.itertuples(index=False):
            table.add_row(w("+ added" if row.direction == "in" else "− removed"),
                          i18n.value("reason", row.reason, lang),
                          display_text(row.people, COUNT))
        table.add_row(w("added in all"), "", display_text(values["added_people_year"], COUNT),
                      style="bold")
        table.add_row(w("removed in all"), "",
                      display_text(values["removed_people_year"], COUNT), style="bold")
        panels.append(Panel(table, title=w("Dynamic changes {year} (动态调整), people"),
                            title_align="left"))
    if subsidies is not None:
        table = Table(box=None, padding=(0, 1), show_edge=False)
        for col in ("program", "payments", "households", "amount"):
            table.add_column(w(col), justify="left" if col == "program" else "right")
        for row in subsidies.frame.itertuples(index=False):
            table.add_row(i18n.value("program", row.program, lang),
                          display_text(row.payments, COUNT),
                          display_text(row.households, COUNT), display_text(row.amount, AMOUNT))
        table.add_row(w("all programs"), display_text(values.get("subsidy_payments_year"), COUNT),
                      "", display_text(values.get("subsidy_amount_year"), AMOUNT), style="bold")
        panels.append(Panel(table, title=w("Subsidies {year} (帮扶资金), yuan"),
                            title_align="left"))
    more = [
        ("Projects up to {year} (扶贫项目), yuan", [
            ("projects", "projects_total"), ("key projects", "key_projects_total"),
            ("funds from higher levels", "project_funds_higher_total"),
            ("funds of the district", "project_funds_local_total"),
            ("other funds", "project_funds_other_total"), ("funds in all", "project_funds_total"),
            ("people in photovoltaic households", "photovoltaic_people")]),
        ("Programs {year}", [
            ("students aided", "education_students_year"),
            ("education aid", "education_amount_year"),
            ("dangerous houses renovated", "housing_households_year"),
            ("photovoltaic income a household", "photovoltaic_amount_per_household_year")]),
        ("Pairing at {date} (包保帮扶)", [
            ("households covered", "pairing_households_covered"),
            ("leaders", "pairing_leaders"), ("units", "pairing_units"),
            ("cadres", "pairing_cadres")]),
        ("Villages and policy", [
            ("villages", "villages"), ("paired with an enterprise", "villages_with_enterprise"),
            ("poverty line {year}", "poverty_line"), ("rural dibao {year}", "dibao_standard")]),
    ]
    for title, rows in more:
        rows = [(label, metric) for label, metric in rows if values.get(metric) is not None]
        if rows:
            panels.append(Panel(grid(rows), title=w(title), title_align="left"))
    return Group(f"[bold cyan]{_title(summary, lang)}[/bold cyan]",
                 Columns(panels, equal=False, expand=False))


def mask_dossier(d: dict, show_ids: bool = False) -> dict:
    """A copy of a dossier with resident ID numbers masked (unless show_ids)."""
    import copy

    d = copy.deepcopy(d)
    if show_ids:
        return d
    d["head_id"] = mask_id(d["head_id"])
    for row in d["members"] + d["timeline"]:
        row["person_id"] = mask_id(row["person_id"])
    return d


def dossier_json(d: dict, show_ids: bool = False) -> str:
    return json.dumps(mask_dossier(d, show_ids), ensure_ascii=False, indent=2) + "\n"


def dossier_view(d: dict, show_ids: bool = False, lang: str = "en"):
    """One household on one screen."""
    from rich.console import Group
    from rich.table import Table

    def w(text, **params):
        return i18n.word(text, lang, **params)

    def v(col, value):
        return str(i18n.value(col, value, lang) or "")

    d = mask_dossier(d, show_ids)
    status = w("on the rolls" if d["on_rolls"] else "not on the rolls") + (
        w(", poor") if d["poor"] else (w(", exited") if d["on_rolls"] else ""))
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    for label, value in [
            (w("household"), d["household_id"]), (w("area"), f"{d['township']} {d['village']}"),
            (w("head"), f"{d['head_name']}  {d['head_id']}"),
            (w("category / cause"), f"{v('category', d['category'])} / {v('cause', d['cause'])}"),
            (w("housing grade"), d["housing_grade"] or ""),
            (w("identified"), d["identified_on"] or ""),
            (w("status at {date}", date=d["as_of"]), status)]:
        head.add_row(label, str(value))
    title = w("Dossier of household {id} (建档立卡户)", id=d["household_id"])
    parts = [f"[bold cyan]{title}[/bold cyan]", head]

    def table(title, columns, rows, numeric=()):
        t = Table(title=w(title), title_justify="left", title_style="bold")
        for col in columns:
            t.add_column(i18n.column(col, lang) if col in i18n.COLUMNS else w(col),
                         justify="right" if col in numeric else "left", overflow="fold")
        for row in rows:
            t.add_row(*row)
        return t

    yes, no = w("yes"), w("no")
    parts.append(table("Members (家庭成员)", ["name", "person_id", "relation", "sex", "age",
                                           "on the rolls"],
                       [[m["name"], m["person_id"], v("relation", m["relation"]),
                         v("sex", m["sex"]), "" if m["age"] is None else str(m["age"]),
                         yes if m["on_rolls"] else no] for m in d["members"]], ("age",)))
    parts.append(table("Timeline", ["date", "event", "person_id", "detail"],
                       [[t["date"] or "", v("direction", t["event"]), t["person_id"] or "",
                         t["detail"]] for t in d["timeline"]]))
    if d["subsidies"]:
        rows = [[str(p["year"]), v("program", p["program"]), display_text(p["payments"], COUNT),
                 display_text(p["amount"], AMOUNT)] for p in d["subsidies"]]
        rows.append([w("total"), "", display_text(sum(p["payments"] for p in d["subsidies"]),
                                                  COUNT), display_text(d["subsidy_total"], AMOUNT)])
        parts.append(table("Subsidies (帮扶资金), yuan", ["year", "program", "payments",
                                                      "amount"], rows, ("payments", "amount")))
    if d["cadres"]:
        parts.append(table("Cadres (帮扶责任人)", ["cadre", "id", "unit", "leader", "since"],
                           [[c["cadre_name"], c["cadre_id"] or "", c["unit"], c["leader"],
                             c["since"] or ""] for c in d["cadres"]]))
    if d["projects"]:
        parts.append(table("Projects (扶贫项目)", ["project", "name", "kind", "year"],
                           [[p["project_id"], p["name"], v("kind", p["kind"]),
                             str(p["year"] or "")] for p in d["projects"]]))
    return Group(*parts)
