"""Render reports: Rich tables, csv, tsv, json, markdown. The one place that decides
formats, number display and masking of resident ID numbers."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path
from typing import TextIO

from . import i18n
from .findings import ID_COLUMNS, mask_id, mask_text

# --------------------------------------------------------------------------- safe text

def _control_map() -> dict[int, str]:
    table = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]}
    table.update({0x1B: "␛", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"})
    # bidi embeddings, overrides and isolates: they reorder what the reader sees
    for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]:
        table[c] = f"\\u{c:04x}"
    return table


_CONTROLS = _control_map()


def visible(text) -> str:
    """Control characters (C0 including newline and tab, DEL, C1) and bidi overrides
    replaced by a visible stand-in: ESC as ␛, others as \\xNN or \\uNNNN."""
    return str(text).translate(_CONTROLS)


def safe(text, markup: bool = True) -> str:
    """Ledger text made harmless for a terminal: controls shown visibly (`visible`),
    and Rich markup escaped (unless markup=False, for text not printed through Rich), so
    `[link=...]`, `[/b]` or `[red]` in a cell show as written."""
    if text is None:
        return ""
    text = visible(text)
    if markup:
        from rich.markup import escape
        text = escape(text)
    return text


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


def _no_negative_zero(value: float, places: int) -> float:
    """-0.0, or a value that rounds to zero, as 0.0: never '-0.00' on screen or in a file."""
    value = round(float(value), places)
    return 0.0 if value == 0 else value


def raw_value(value, kind: str):
    """A value for csv/json: plain numbers, no grouping, two decimals for amounts."""
    if _missing(value):
        return None
    if kind in (COUNT, YEAR):
        return int(value)
    if kind == AMOUNT:
        return _no_negative_zero(value, 2)
    if kind in (RATE, NUMBER):
        return _no_negative_zero(value, 10)
    return _text(value)


def _text(value) -> str:
    """Text of a cell; a date (a Timestamp at midnight) as 2017-07-13."""
    if hasattr(value, "isoformat") and hasattr(value, "hour"):
        return value.isoformat()[:10] if (value.hour, value.minute, value.second) == (0, 0, 0) \
            else value.isoformat()
    return str(value)


# A text cell a spreadsheet would run as a formula (or DDE) when it opens the file.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value, kind: str, for_people: bool = False) -> str:
    value = raw_value(value, kind)
    if value is None:
        return ""
    if kind == AMOUNT:
        return f"{value:.2f}"
    if for_people and isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
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
        return f"{_no_negative_zero(value, 2):,.2f}"
    if kind == RATE:
        return f"{_no_negative_zero(value, 3):.1%}"
    if kind == NUMBER:
        return f"{_no_negative_zero(value, 1):,.1f}"
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


def _mask_keeping_words(value):
    """mask_text, but a catalogue message (with `in_lang`) stays one: it is masked once
    put in words (_display_rows)."""
    return value if hasattr(value, "in_lang") else mask_text(value)


def _cellwise(series, fn):
    """fn on every cell, the results kept as they are (Series.map would turn a str
    subclass such as a catalogue message into a plain str)."""
    import pandas as pd
    return pd.Series([fn(v) for v in series], index=series.index, dtype=object)


def masked_frame(frame, show_ids: bool = False, for_display: bool = False):
    """The frame with resident ID numbers masked unless show_ids: ID columns wholly, and
    any other text column by value (an ID typed into a name or a message). Only columns
    holding text of 15 characters or more are looked at cell by cell."""
    if show_ids:
        return frame
    changed = {}
    for col in frame.columns:
        series = frame[col]
        if series.dtype.kind in "biufcmM":  # numbers, dates: no text to mask
            continue
        if str(series.dtype) == "category":
            series = series.astype(object)
        if col in ID_COLUMNS:
            changed[col] = _cellwise(series, mask_id)
            continue
        try:
            longest = series.str.len().max()
        except (AttributeError, TypeError):  # not a text column after all
            continue
        if longest == longest and longest is not None and longest >= 15:
            changed[col] = _cellwise(series, _mask_keeping_words if for_display else mask_text)
    return frame.assign(**changed) if changed else frame


def _masked(text, show_ids: bool):
    return text if show_ids else mask_text(text)


def _records(report, show_ids: bool, frame=None, for_display: bool = False) -> list[dict]:
    frame = report.frame if frame is None else frame
    return masked_frame(frame, show_ids, for_display).to_dict(orient="records")


def to_csv(report, delimiter: str = ",", show_ids: bool = False,
           for_people: bool = False) -> str:
    """csv (or tsv with delimiter tab). for_people=True is for a file people open in a
    spreadsheet (-o): a text cell beginning with = + - @ tab or CR, which Excel or LibreOffice
    would run as a formula (=HYPERLINK(...), DDE), is written with a leading ' so it stays
    text; numbers, negative amounts included, are untouched. for_people=False (csv on
    stdout, for scripts) writes every cell as it is."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    # a lone CR is no special character to a writer that ends lines with LF, yet it ends
    # a line for every reader: a row holding one is written with every field quoted
    quoted = csv.writer(out, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow([_masked(str(c), show_ids) for c in report.frame.columns])
    for row in _records(report, show_ids):
        kinds = _row_kinds(report, row)
        cells = [csv_text(v, kinds[c], for_people) for c, v in row.items()]
        (quoted if any("\r" in c for c in cells) else writer).writerow(cells)
    return out.getvalue()


def to_json(report, show_ids: bool = False) -> str:
    rows = []
    for row in _records(report, show_ids):
        kinds = _row_kinds(report, row)
        rows.append({_masked(str(c), show_ids): raw_value(v, kinds[c]) for c, v in row.items()})
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"


def _display_rows(report, show_ids: bool, lang: str = "en", frame=None, headers=None
                  ) -> tuple[list[str], list[list[str]], list[list[str]]]:
    """Headers, body and totals as people read them, in the language asked for (IDs in
    any text masked unless show_ids). `frame`: the rows to show, if not all of them."""
    columns = list(report.frame.columns)

    def shown(col, value, kind):
        return _masked(display_text(_for_people(col, value, lang), kind), show_ids)

    body = []
    for row in _records(report, show_ids, frame, for_display=True):
        kinds = _row_kinds(report, row)
        body.append([shown(c, row[c], kinds[c]) for c in columns])
    kinds = dict(zip(columns, _kinds(report)))
    totals = [[shown(c, t.get(c), kinds[c]) for c in columns] for t in report.totals]
    names = [(headers or i18n.column)(c, lang, report.name) for c in columns]
    return [_masked(str(n), show_ids) for n in names], body, totals


def _for_people(col: str, value, lang: str):
    """A cell as people read it in their language: metrics, codes and messages."""
    if hasattr(value, "in_lang"):  # a catalogue message (checks.Said)
        return value.in_lang(lang)
    if col == "metric":
        return i18n.metric(value, lang)
    return i18n.value(col, value, lang)


SAMPLE_MARK = "sample ledgers · 示例数据"


def titled(base: str, meta: dict | None, lang: str = "en") -> str:
    """A title naming the area it covers (meta["area"]) and marking the bundled sample
    ledgers (meta["sample"])."""
    meta = meta or {}
    area = meta.get("area")
    if area:
        base = f"{area}{base}" if lang == "zh" else f"{base} · {area}"
    if meta.get("sample"):
        base = f"{base} · {SAMPLE_MARK}"
    return base


def _title(report, lang: str) -> str:
    meta = getattr(report, "meta", {}) or {}
    params = {k: v for k, v in meta.items() if k not in ("area", "sample")}
    return titled(i18n.title(report.name, report.title, lang, **params), meta, lang)


def _caption(report, lang: str) -> str | None:
    kinds = _kinds(report)
    if "metric" in report.frame.columns:
        kinds += [metric_kind(str(m)) for m in report.frame["metric"]]
    units = {AMOUNT: "amounts in yuan (元)", RATE: "rates in per cent"}
    return "; ".join(i18n.word(units[k], lang) for k in units if k in kinds) or None


_MARKDOWN = str.maketrans({"\\": "\\\\", "|": "\\|", "`": "\\`", "*": "\\*",
                           "[": "\\[", "]": "\\]", "~": "\\~", "<": "&lt;", ">": "&gt;",
                           "&": "&amp;", "\n": " ", "\r": " ", "\t": " "})


# an underscore that could open or close emphasis (not one inside a word: marriage_out)
_EMPHASIS = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


def md(text, line_start: bool = False) -> str:
    """Text for markdown: nothing in it adds a column or a row, formats or links, or passes
    HTML through (| \\ ` * _ [ ] ~ escaped, < > & as entities, line breaks as spaces,
    other control characters shown visibly). line_start: the text begins a paragraph, so
    a leading # + - = > cannot make it a heading, list or quote."""
    if text is None:
        return ""
    text = _EMPHASIS.sub(r"\\_", visible(str(text).translate(_MARKDOWN)))
    if line_start and text[:1] in ("#", "+", "-", "="):
        text = "\\" + text
    return text


def to_markdown(report, show_ids: bool = False, lang: str = "en") -> str:
    from tabulate import tabulate

    columns, body, totals = _display_rows(report, show_ids, lang, headers=i18n.header)
    kinds = _kinds(report)
    align = ["right" if k in (COUNT, AMOUNT, RATE, NUMBER) or c == "value" else "left"
             for c, k in zip(report.frame.columns, kinds)]

    def cells(row):
        return [md(v) for v in row]

    rows = [cells(r) for r in body + totals]
    # tabulate before 0.10 fails on alignments for a table without rows
    table = tabulate(rows, headers=cells(columns), tablefmt="pipe",
                     colalign=align if rows else None, disable_numparse=True) + "\n"
    meta = getattr(report, "meta", {}) or {}
    if meta.get("area") or meta.get("sample"):  # say what the table covers
        table = f"**{md(_masked(_title(report, lang), show_ids))}**\n\n" + table
    return table


# An id, a code, a date or a masked resident ID: one token that must never be broken.
_TOKEN = re.compile(r"[0-9A-Za-z][0-9A-Za-z\-./:*_+%,]*")
_KEY_COLUMNS = ("year", "metric", "value", "household_id", "person_id", "project_id",
                "cadre_id", "file", "line", "code", "date", "township", "village", "program",
                "direction", "reason", "funds_total", "amount")
# Which columns a narrow terminal keeps longest: what rows are grouped by, what a row
# is, then the words of a finding, names and money
_GROUPING = ("year", "metric", "value", "code", "program", "direction", "reason", "category",
             "township", "village", "kind", "grade", "section", "risk", "rate")
_IDENTITY = ("household_id", "project_id", "cadre_name", "funds_total")
_IMPORTANT = ("message", "name", "head_name", "amount", "funds_higher", "funds_local",
              "funds_other", "funds_total", "people", "households")


def _screenful(console) -> int:
    return max(20, console.size.height - 6)


class FitTable:
    """A report as a Rich table that fits the console it is printed on.

    Ids, codes, dates and numbers are never wrapped nor cropped (no_wrap, at the width
    of their widest value); text columns wrap. When the columns cannot all fit, the least
    important (rightmost text columns, then rightmost others; never the first) are left
    out and a caption line names them. On a terminal at most a screenful of rows is shown
    (max_rows; None: the terminal's height less a few lines, at least 20; 0: all rows)
    and a caption says how many more there are. Only the rows shown are formatted."""

    def __init__(self, report, show_ids: bool = False, lang: str = "en",
                 max_rows: int | None = None):
        self.report, self.show_ids, self.lang, self.max_rows = report, show_ids, lang, max_rows

    def limit(self, console) -> int | None:
        if self.max_rows is not None:
            return self.max_rows or None
        return _screenful(console) if console.is_terminal else None

    def __rich_console__(self, console, options):
        from rich.text import Text

        table, notes = self.table(options.max_width, self.limit(console))
        yield table
        for note in notes:  # under the table, at the console's width, never markup
            yield Text(note, style="italic")

    def table(self, width: int = 10_000, limit: int | None = None):
        """The Rich table at `width` with at most `limit` rows, and the notes to print
        under it (columns left out, rows not shown)."""
        from rich.cells import cell_len
        from rich.table import Table
        from rich.text import Text

        report, lang = self.report, self.lang
        frame = report.frame
        more = len(frame) - limit if limit and len(frame) > limit else 0
        if more:
            frame = frame.iloc[:limit]
        headers, body, totals = _display_rows(report, self.show_ids, lang, frame,
                                              headers=i18n.header)
        headers = [safe(h) for h in headers]
        rows = [[safe(v) for v in row] for row in body]
        total_rows = [[safe(v) for v in row] for row in totals]
        names = list(report.frame.columns)
        kinds = _kinds(report)
        columns = []
        # a grouping column (township, program...) is a key where it leads the figures,
        # not where it trails them as a detail
        first_number = next((i for i, (col, kind) in enumerate(zip(names, kinds))
                             if kind in (COUNT, AMOUNT, RATE, NUMBER) or col == "value"),
                            len(names))
        for i, (col, kind) in enumerate(zip(names, kinds)):
            values = [r[i] for r in rows + total_rows]
            numeric = kind in (COUNT, AMOUNT, RATE, NUMBER) or col == "value"
            token = numeric or kind == YEAR or all(  # totals' labels may be words
                _TOKEN.fullmatch(r[i]) and len(r[i]) <= 24 for r in rows if r[i])
            widest = max((cell_len(v) for v in values), default=0)
            word = max((cell_len(w) for w in headers[i].split()), default=1)
            header_len = cell_len(headers[i])
            if token:
                low = natural = max(widest, min(word, 14), 1)
            else:
                natural = max(widest, min(header_len, 14), 1)
                low = min(natural, max(10, min(word, 14)))
            columns.append({"i": i, "name": col, "numeric": numeric, "token": token,
                            "low": low, "natural": max(natural, min(header_len, 24) if token
                                                       else natural),
                            "empty": not any(r[i].strip() for r in rows),
                            "key": i == 0 or (i < first_number and (
                                token or col in _KEY_COLUMNS)) or (
                                col in _KEY_COLUMNS and numeric)})

        def needed(cols):
            return sum(c["low"] for c in cols) + 3 * len(cols) + 1

        shown = list(columns)
        # least important first: columns empty in every row shown, then text, codes and
        # numbers, then the words of findings, names and money, then the keys; the
        # rightmost of each first; never the first column
        lead_end = next((i for i, col in enumerate(names) if i and col not in _GROUPING),
                        len(names))

        def rank(c):
            name = c["name"]
            if c["i"] == 0:
                return 9
            if c["empty"]:
                return 0
            if name in _GROUPING and c["i"] < min(first_number, lead_end):
                return 8  # what a row of counts is counted by, where it leads the row
            if name in _IDENTITY:
                return 7
            if name in _IMPORTANT:
                return 6
            if c["numeric"] or name in ("date", "line"):
                return 5 if c["numeric"] else 4
            if name == "file":
                return 2
            return 3 if c["token"] else 1
        order = sorted(columns[1:], key=lambda c: (rank(c), -c["i"]))
        dropped = []
        for c in order:
            if needed(shown) <= width:
                break
            shown.remove(c)
            dropped.append(c)
        # every column at its least; what is left goes first to text (less wrapping),
        # then to headers of fixed columns (no header broken over lines)
        spare = width - needed(shown)
        for c in shown:
            c["width"] = c["low"]
        text_cols = [c for c in shown if not c["token"]]
        wants = sum(c["natural"] - c["low"] for c in text_cols)
        for c in text_cols:
            c["width"] += (c["natural"] - c["low"] if wants <= spare
                           else spare * (c["natural"] - c["low"]) // wants)
        spare -= min(spare, wants)
        for c in shown:
            if c["token"] and spare > 0:
                grow = min(spare, c["natural"] - c["low"])
                c["width"] += grow
                spare -= grow

        notes = []
        if dropped:
            # Chinese lists with 、 (an enumeration comma), English with ", "
            left_out = ("、" if lang == "zh" else ", ").join(
                headers[c["i"]] for c in sorted(dropped, key=lambda c: c["i"]))
            notes.append(i18n.word("left out for the width of the terminal: {columns} (use "
                                     "--format csv, or a wider terminal)", lang,
                                     columns=left_out))
        if more:
            notes.append(i18n.word("{count} more rows: use --format csv for all", lang,
                                     count=f"{more:,}"))
        table = Table(title=safe(_masked(_title(report, lang), self.show_ids)),
                      caption=_caption(report, lang),
                      title_justify="left", caption_justify="left", title_style="bold cyan",
                      show_edge=True)
        for c in shown:
            # a header wraps at spaces even over a column whose values never do
            header = Text.from_markup(headers[c["i"]], overflow="fold")
            header.no_wrap = False
            table.add_column(header, justify="right" if c["numeric"] else "left",
                             no_wrap=c["token"], overflow="fold", width=c["width"],
                             min_width=c["width"] if c["token"] else None)
        index = [c["i"] for c in shown]
        for row in rows:
            table.add_row(*[row[i] for i in index])
        if total_rows:
            table.add_section()
            for row in total_rows:
                table.add_row(*[row[i] for i in index], style="bold")
        return table, notes


def rich_table(report, show_ids: bool = False, lang: str = "en", max_rows: int | None = None):
    """The report as a table for people (see FitTable: fits the console's width, a
    screenful of rows on a terminal unless max_rows says otherwise)."""
    return FitTable(report, show_ids, lang, max_rows)


def _width(text: str) -> int:
    from rich.cells import cell_len
    return cell_len(text)


XLSX_MAX_ROWS = 1_048_575  # a sheet holds 1,048,576 rows, one of them the header


def _xlsx_text(text: str) -> str:
    """Text openpyxl can store: control characters (which it refuses) shown visibly."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    return ILLEGAL_CHARACTERS_RE.sub(lambda m: visible(m.group()), text)


def _sheet_title(report, lang: str) -> str:
    meta = getattr(report, "meta", {}) or {}
    parts = ["示例数据" if meta.get("sample") else "", report.name, meta.get("area") or ""]
    title = " ".join(p for p in parts if p)
    title = re.sub(r"[\\/?*\[\]:]", "_", visible(title))[:31].strip("'") or "povcli"
    return title


def to_xlsx(report, path: Path, show_ids: bool = False, lang: str = "en") -> None:
    """One sheet: a header row, numbers as numbers, ids as text, no formulas. The sheet's
    name carries the area and the sample marker, the workbook's title the whole title.
    More rows than a sheet holds is refused before any work (write csv instead)."""
    if len(report.frame) > XLSX_MAX_ROWS:
        from .findings import UsageError
        raise UsageError.of("render.xlsx_too_many_rows", rows=f"{len(report.frame):,}",
                            limit=f"{XLSX_MAX_ROWS:,}")
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.properties.title = _xlsx_text(_masked(_title(report, lang), show_ids))
    sheet = book.active
    sheet.title = _masked(_sheet_title(report, lang), show_ids)
    columns = list(report.frame.columns)
    headers = [_xlsx_text(_masked(str(i18n.column(c, lang, report.name)), show_ids))
               for c in columns]
    widths = [_width(h) for h in headers]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    formats = {AMOUNT: "#,##0.00", RATE: "0.0%", COUNT: "#,##0", NUMBER: "#,##0.0", YEAR: "0"}
    for r, row in enumerate(_records(report, show_ids, for_display=True), start=2):
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
                said = row[col] if hasattr(row[col], "in_lang") else value  # its language
                text = _xlsx_text(_masked(str(_for_people(col, said, lang)), show_ids))
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
    # No emoji codes: ":smile:" in a ledger stays as written.
    if terminal:
        return Console(file=file, highlight=False, emoji=False)
    return Console(file=file, width=160, color_system=None, highlight=False,
                   force_terminal=False, soft_wrap=False, emoji=False)


def render(report, fmt: str, show_ids: bool = False, lang: str = "en",
           for_people: bool = False) -> str | None:
    """Text for the text formats (None for table and xlsx). csv, tsv and json keep their
    English keys and codes whatever the language. Resident IDs are masked wherever they
    appear unless show_ids.

    for_people: the text goes to a file people open in a spreadsheet (-o x.csv): csv and
    tsv text cells that a spreadsheet would run as a formula (beginning with = + - @, tab
    or CR) get a leading ' (numbers untouched). False (stdout, for scripts): cells raw."""
    if fmt == "csv":
        return to_csv(report, show_ids=show_ids, for_people=for_people)
    if fmt == "tsv":
        return to_csv(report, delimiter="\t", show_ids=show_ids, for_people=for_people)
    if fmt == "json":
        return to_json(report, show_ids=show_ids)
    if fmt == "markdown":
        return to_markdown(report, show_ids=show_ids, lang=lang)
    return None


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
            table.add_row(w(label), safe(display_text(values.get(metric), metric_kind(metric))))
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
                          safe(i18n.value("reason", row.reason, lang)),
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
            table.add_row(safe(i18n.value("program", row.program, lang)),
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
    return Group(f"[bold cyan]{safe(mask_text(_title(summary, lang)))}[/bold cyan]",
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

    def by_value(value):  # an ID typed anywhere else: a name, a unit, a detail
        if isinstance(value, str):
            return mask_text(value)
        if isinstance(value, dict):
            return {k: by_value(v) for k, v in value.items()}
        if isinstance(value, list):
            return [by_value(v) for v in value]
        return value
    return by_value(d)


def dossier_json(d: dict, show_ids: bool = False) -> str:
    return json.dumps(mask_dossier(d, show_ids), ensure_ascii=False, indent=2) + "\n"


_EXIT_DETAIL = re.compile(r"exit (?P<year>\d+), verification (?P<verification>\w+)"
                          r"(?:, income (?P<income>[\d,.\-]+) a person)?")
_IDENTIFIED_DETAIL = re.compile(r"(?P<category>\w+), cause (?P<cause>\w+)")


def _event_detail(t: dict, lang: str) -> str:
    """A timeline entry's detail in the language asked for (the dossier writes English)."""
    detail = t.get("detail") or ""
    if lang != "zh":
        return detail
    event = t.get("event")
    if event in ("in", "out"):
        return str(i18n.value("reason", detail, lang))
    m = _IDENTIFIED_DETAIL.fullmatch(detail) if event == "identified" else None
    if m:
        return i18n.word("{category}, cause {cause}", lang,
                         category=i18n.value("category", m["category"], lang),
                         cause=i18n.value("cause", m["cause"], lang))
    m = _EXIT_DETAIL.fullmatch(detail) if event == "exit" else None
    if m:
        text = i18n.word("exit {year}, verification {verification}", lang, year=m["year"],
                         verification=i18n.value("verification", m["verification"], lang))
        if m["income"]:
            text += i18n.word(", income {income} a person", lang, income=m["income"])
        return text
    return detail


def _event(event, lang: str) -> str:
    if lang != "zh" or event not in ("identified", "in", "out", "exit"):
        return str(event or "")
    return i18n.word(f"{event} (event)", lang)


def dossier_view(d: dict, show_ids: bool = False, lang: str = "en"):
    """One household on one screen. Every piece of ledger text is made safe (`safe`) and
    resident IDs in it masked (unless show_ids); ids and dates never wrap."""
    from rich.console import Group
    from rich.table import Table

    def w(text, **params):
        return i18n.word(text, lang, **params)

    def s(text):
        text = "" if text is None else str(text)
        return safe(text if show_ids else mask_text(text))

    def v(col, value):
        return s(i18n.value(col, value, lang) or "")

    d = mask_dossier(d, show_ids)
    status = w("on the rolls" if d["on_rolls"] else "not on the rolls") + (
        w(", poor") if d["poor"] else (w(", exited") if d["on_rolls"] else ""))
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold", no_wrap=True)
    head.add_column()
    for label, value in [
            (w("household"), s(d["household_id"])),
            (w("area"), f"{s(d['township'])} {s(d['village'])}"),
            (w("head"), f"{s(d['head_name'])}  {s(d['head_id'])}"),
            (w("category / cause"), f"{v('category', d['category'])} / {v('cause', d['cause'])}"),
            (w("housing grade"), s(d["housing_grade"])),
            (w("identified"), s(d["identified_on"])),
            (w("status at {date}", date=d["as_of"]), status)]:
        head.add_row(label, str(value))
    title = titled(w("Dossier of household {id} (建档立卡户)", id=s(d["household_id"])),
                   {"sample": d.get("sample")}, lang)
    parts = [f"[bold cyan]{title}[/bold cyan]", head]
    fixed = {"person_id", "date", "age", "year", "payments", "amount", "id", "project",
             "since"}

    def table(title, columns, rows, numeric=()):
        t = Table(title=w(title), title_justify="left", title_style="bold")
        for col in columns:
            person = col == "name" and "person_id" in columns and lang == "zh"
            label = w("person's name") if person else (
                i18n.column(col, lang) if col in i18n.COLUMNS else w(col))
            t.add_column(label,
                         justify="right" if col in numeric else "left", overflow="fold",
                         no_wrap=col in fixed)
        for row in rows:
            t.add_row(*row)
        return t

    yes, no = w("yes"), w("no")
    parts.append(table("Members (家庭成员)", ["name", "person_id", "relation", "sex", "age",
                                           "on the rolls"],
                       [[s(m["name"]), s(m["person_id"]), v("relation", m["relation"]),
                         v("sex", m["sex"]), "" if m["age"] is None else str(m["age"]),
                         yes if m["on_rolls"] else no] for m in d["members"]], ("age",)))
    parts.append(table("Timeline", ["date", "event", "person_id", "detail"],
                       [[s(t["date"]), s(_event(t["event"], lang)), s(t["person_id"]),
                         s(_event_detail(t, lang))] for t in d["timeline"]]))
    if d["subsidies"]:
        rows = [[s(p["year"]), v("program", p["program"]), display_text(p["payments"], COUNT),
                 display_text(p["amount"], AMOUNT)] for p in d["subsidies"]]
        rows.append([w("total"), "", display_text(sum(p["payments"] for p in d["subsidies"]),
                                                  COUNT), display_text(d["subsidy_total"], AMOUNT)])
        parts.append(table("Subsidies (帮扶资金), yuan", ["year", "program", "payments",
                                                      "amount"], rows, ("payments", "amount")))
    if d["cadres"]:
        parts.append(table("Cadres (帮扶责任人)", ["cadre", "id", "unit", "leader", "since"],
                           [[s(c["cadre_name"]), s(c["cadre_id"]), s(c["unit"]),
                             s(c["leader"]), s(c["since"])] for c in d["cadres"]]))
    if d["projects"]:
        parts.append(table("Projects (扶贫项目)", ["project", "name", "kind", "year"],
                           [[s(p["project_id"]), s(p["name"]), v("kind", p["kind"]),
                             s(p["year"])] for p in d["projects"]]))
    return Group(*parts)


# --------------------------------------------------------------------------- findings

def findings_rows(findings, show_ids: bool = False, chunk: int = 50_000):
    """The rows of check's table (checks.FINDING_COLUMNS), a chunk of findings at a
    time, as columns of plain values: what to_csv and to_json write of
    checks.findings_frame, made only from the arrays and the English messages. IDs in
    text are masked as masked_frame does, unless show_ids."""
    import numpy as np

    for start in range(0, len(findings), chunk):
        part = findings.take(np.arange(start, min(start + chunk, len(findings))))
        line = part.column("line").tolist()
        cols = {"code": part.column("code").tolist(),
                "severity": part.column("severity").tolist(),
                "file": part.column("file").tolist(),
                "line": [None if v == -1 else v for v in line],
                "household_id": part.column("household").tolist(),
                "person_id": part.column("person").tolist(),
                "message": part.messages("en"),
                "value": part.column("value").tolist()}
        if not show_ids:
            from .findframe import masked_texts
            for name, values in cols.items():
                if name in ID_COLUMNS:
                    if not findings.is_masked:  # (masking a masked ID changes nothing)
                        cols[name] = [mask_id(v) for v in values]
                elif name != "line":
                    cols[name] = masked_texts(np.asarray(values, dtype=object)).tolist()
        yield cols


_FORMULA_FIRST = frozenset(c for c in _FORMULA_START if c)  # one character each


def write_findings_csv(findings, handle: TextIO, delimiter: str = ",",
                       show_ids: bool = False, for_people: bool = False) -> None:
    """check's findings as to_csv writes checks.findings_frame, chunk by chunk."""
    from .checks import FINDING_COLUMNS

    buffer = io.StringIO()  # a chunk is written at once: one write, not one a row
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    quoted = csv.writer(buffer, delimiter=delimiter, lineterminator="\n",
                        quoting=csv.QUOTE_ALL)
    writer.writerow([_masked(c, show_ids) for c in FINDING_COLUMNS])
    for cols in findings_rows(findings, show_ids):
        # the cells as they are: csv writes None as "" and a line number as str does
        cells = [cols[c] for c in FINDING_COLUMNS]
        try:
            carriage = any("\r" in "\x00".join(filter(None, col))
                           for c, col in zip(FINDING_COLUMNS, cells) if c != "line")
        except TypeError:  # a cell that is not text: made text first, as before
            carriage = True
        if for_people or carriage:
            cells = [["" if v is None else str(v) for v in col] for col in cells]
            carriage = any("\r" in "\x00".join(col) for col in cells)
        if for_people:  # a text a spreadsheet would run as a formula stays text
            cells = [col if c == "line" else
                     [("'" + v) if v[:1] in _FORMULA_FIRST else v for v in col]
                     for c, col in zip(FINDING_COLUMNS, cells)]
        rows = list(zip(*cells))
        if carriage:
            for row in rows:
                (quoted if any("\r" in c for c in row) else writer).writerow(row)
        else:
            writer.writerows(rows)
        handle.write(buffer.getvalue())
        buffer.seek(0)
        buffer.truncate()
    handle.write(buffer.getvalue())


def write_findings_json(findings, handle: TextIO, show_ids: bool = False) -> None:
    """check's findings as to_json writes checks.findings_frame, chunk by chunk."""
    from json.encoder import encode_basestring  # what json.dumps(ensure_ascii=False) uses

    from .checks import FINDING_COLUMNS

    keys = [encode_basestring(_masked(c, show_ids)) for c in FINDING_COLUMNS]

    def enc(value) -> str:
        if value is None:
            return "null"
        return str(value) if isinstance(value, int) else encode_basestring(str(value))
    first = True
    for cols in findings_rows(findings, show_ids):
        values = [[enc(v) for v in cols[c]] for c in FINDING_COLUMNS]
        items = []
        for row in zip(*values):
            items.append("  {\n" + ",\n".join(f"    {k}: {v}" for k, v in zip(keys, row))
                         + "\n  }")
        handle.write(("[\n" if first else ",\n") + ",\n".join(items))
        first = False
    handle.write("[]\n" if first else "\n]\n")
