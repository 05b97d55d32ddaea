"""The command line: thin Typer commands that parse options, call a report, render it.

Nothing here imports pandas at module level: `povcli --help` stays fast.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer

from . import __version__
from .schema import ENUMS, LEDGERS, normalize_value

app = typer.Typer(
    name="povcli",
    help="Figures from poverty-alleviation ledgers (建档立卡台账): the rolls, exits, "
         "dynamic changes and subsidies, counted as the ledger contract says.",
    add_completion=False,
    no_args_is_help=True,
    # plain help: Rich's help renderer alone costs ~0.1 s of imports on every --help
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,  # locals would hold resident ID numbers
    context_settings={"help_option_names": ["-h", "--help"]},
)

MAX_SHOWN = 40  # findings printed before the count


class Format(str, Enum):
    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    markdown = "markdown"
    xlsx = "xlsx"
    html = "html"  # `report` only


class By(str, Enum):
    township = "township"
    village = "village"


DataOpt = Annotated[Optional[Path], typer.Option(
    "--data", "-d", help="Folder of ledgers. Default: $POVCLI_DATA, else the current folder "
    "if it holds households.csv, else the bundled sample ledgers.", show_default=False)]
YearOpt = Annotated[Optional[int], typer.Option(
    "--year", "-y", help="Report year; figures are taken at 31 December.", show_default=False)]
TownshipOpt = Annotated[Optional[str], typer.Option(
    "--township", help="Only households of this township (乡镇).", show_default=False)]
VillageOpt = Annotated[Optional[str], typer.Option(
    "--village", help="Only households of this administrative village (行政村).",
    show_default=False)]
ByOpt = Annotated[Optional[By], typer.Option(
    "--by", help="Add a township or village column after year.", show_default=False)]
FormatOpt = Annotated[Optional[Format], typer.Option(
    "--format", "-f", help="Output format. Default: table on a terminal, csv when piped, "
    "or from the extension of -o.", show_default=False)]
OutputOpt = Annotated[Optional[Path], typer.Option(
    "--output", "-o", help="Write to this file instead of stdout.", show_default=False)]
EncodingOpt = Annotated[Optional[str], typer.Option(
    "--encoding", help="Encoding of the ledger files (default: detect UTF-8 or GB18030).",
    show_default=False)]
ShowIdsOpt = Annotated[bool, typer.Option(
    "--show-ids", help="Show resident ID numbers in full (masked by default).")]
LangOpt = Annotated[Optional[str], typer.Option(
    "--lang", help="Language of titles, headers and labels in table, markdown and xlsx "
    "output: en or zh (default $POVCLI_LANG, else en). csv and json keys never change.",
    show_default=False)]
ListOpt = Annotated[bool, typer.Option(
    "--list", help="Instead of the counts, list the rows that make them (people, households "
    "or payments, with the keys of the figure they fall under).")]


class State:
    debug = False
    no_cache = False


def _version(value: bool):
    if value:
        typer.echo(f"povcli {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show a Python traceback on an internal error.")] = False,
    version: Annotated[Optional[bool], typer.Option(
        "--version", callback=_version, is_eager=True, help="Show the version and exit.")] = None,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Read every ledger afresh: neither use nor write the cache of "
        "parsed ledgers (also POVCLI_NO_CACHE).")] = False,
):
    """Figures from poverty-alleviation ledgers (建档立卡台账)."""
    State.debug = debug or bool(os.environ.get("POVCLI_DEBUG"))
    State.no_cache = no_cache


# --------------------------------------------------------------------------- plumbing

def _err(message: str) -> None:
    typer.echo(message, err=True)


def sample_dir() -> Path:
    here = Path(__file__).resolve().parent
    inside = here / "sample_data"  # installed wheel
    return inside if inside.is_dir() else here.parent / "sample_data"  # source checkout


def resolve_data(data: Path | None) -> Path:
    if data is not None:
        return data
    env = os.environ.get("POVCLI_DATA")
    if env:
        return Path(env)
    cwd = Path.cwd()
    names = {LEDGERS["households"].filename.casefold(), LEDGERS["households"].zh_filename}
    try:
        if any(p.name.casefold() in names for p in cwd.iterdir()):
            return cwd
    except OSError:
        pass
    sample = sample_dir()
    _err(f"povcli: no ledger folder given (--data, $POVCLI_DATA) and no households.csv here: "
         f"using the bundled sample ledgers in {sample}")
    return sample


def _fail(message: str) -> None:
    _err(f"povcli: error: {message}")
    raise typer.Exit(2)


def _guard(work: Callable):
    """Run work(); turn every expected failure into a message on stderr and exit 2."""
    from .findings import LedgerError, UsageError

    try:
        return work()
    except LedgerError as exc:
        findings = exc.findings
        for finding in findings[:MAX_SHOWN]:
            _err(str(finding.masked()))  # resident IDs are personal data, here too
        more = len(findings) - MAX_SHOWN
        _err((f"… and {more} more. " if more > 0 else "")
             + f"povcli: {len(findings)} problem{'s' * (len(findings) != 1)} in the ledgers; "
             "no figures were computed.")
        raise typer.Exit(2)
    except UsageError as exc:
        _fail(str(exc))
    except typer.Exit:
        raise
    except MemoryError:
        _fail("out of memory")
    except Exception as exc:  # noqa: BLE001 - never a traceback for users
        if State.debug:
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (run `povcli --debug ...` for "
              "the traceback, and please report it)")


def _load(data: Path | None, encoding: str | None, names: list[str], need=(),
          township: str | None = None, village: str | None = None):
    from .ledgers import open_ledgers
    from .model import restrict

    from . import cache

    folder = resolve_data(data)
    notes: list[str] = []
    use = cache.enabled() and not State.no_cache
    with _progress() as progress:
        ledgers = open_ledgers(folder, names, encoding, need=need, use_cache=use, notes=notes,
                               progress=progress)
    for note in notes:
        _err(f"povcli: note: {note}")
    return restrict(ledgers, township, village)


class _progress:
    """Progress on stderr: only on a terminal, and only once work has taken a second."""

    def __enter__(self):
        self.status = None
        self.text = ""
        self.timer = None
        if not sys.stderr.isatty():
            return None
        import threading

        from rich.console import Console
        self.status = Console(stderr=True).status("")
        self.timer = threading.Timer(1.0, self._show)
        self.timer.daemon = True
        self.timer.start()
        return self.update

    def _show(self):
        self.status.update(self.text)
        self.status.start()

    def update(self, text: str) -> None:
        self.text = text
        self.status.update(text)

    def __exit__(self, *exc):
        if self.timer:
            self.timer.cancel()
            self.status.stop()
        return False


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _lang(lang: str | None) -> str:
    from . import i18n
    from .findings import UsageError

    lang = (lang or i18n.default_lang()).strip().lower()
    if lang not in i18n.LANGS:
        raise UsageError(f"--lang takes one of: {', '.join(i18n.LANGS)} (not '{lang}')")
    return lang


def _emit(report, fmt: Format | None, output: Path | None, show_ids: bool = False,
          table: Callable | None = None, lang: str | None = None) -> None:
    """Hand a report to the renderer; write it to stdout or -o; notes to stderr."""
    from . import i18n, render
    from .findings import UsageError

    lang = _lang(lang)
    for note in report.notes:
        template, params = note if isinstance(note, tuple) else (note, {})
        _err(f"povcli: note: {i18n.word(template, lang, **params)}")
    terminal = output is None and _stdout_is_terminal()
    kind = render.format_for(fmt.value if fmt else None, output, terminal)
    if kind == "xlsx":
        if output is None:
            raise UsageError("xlsx is written to a file: give -o FILE.xlsx")
        try:
            render.to_xlsx(report, output, show_ids=show_ids, lang=lang)
        except OSError as exc:
            raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
        return
    if kind != "table":
        text = render.render(report, kind, show_ids=show_ids, lang=lang, for_people=output is not None)
        if output is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            _write(output, text)
        return
    renderable = table(lang) if table else render.rich_table(report, show_ids=show_ids,
                                                             lang=lang)
    if output is None:
        render.make_console(sys.stdout, terminal).print(renderable)
        return
    import io
    buf = io.StringIO()
    render.make_console(buf, False).print(renderable)
    _write(output, buf.getvalue())


def _write(output: Path, text: str) -> None:
    from .findings import UsageError

    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None


def _program(value: str | None) -> str | None:
    if value is None:
        return None
    code = normalize_value("program", value)
    if code is None:
        from .findings import UsageError
        raise UsageError(f"unknown program '{value}' (programs: "
                         + ", ".join(ENUMS["program"].codes) + ")")
    return code


# --------------------------------------------------------------------------- commands

@app.command(rich_help_panel="Reports")
def summary(
    data: DataOpt = None, year: YearOpt = None, township: TownshipOpt = None,
    village: VillageOpt = None, listing: ListOpt = False, fmt: FormatOpt = None,
    output: OutputOpt = None, encoding: EncodingOpt = None, lang: LangOpt = None, show_ids: ShowIdsOpt = False,
):
    """The figures of one year: rolls at year end, poor and exited, exits of the year and
    in total, dynamic changes, subsidies, and projects, pairing, villages, education,
    housing and policy where their ledgers are. Without --year: the latest year."""
    def work():
        from . import render, reports
        from .summary import summary as build

        ledgers = _load(data, encoding, None, (), township, village)
        report = build(ledgers, year, listing)
        if listing:
            return _emit(report, fmt, output, show_ids, lang=lang)
        y = int(reports.metric_value(report, "year"))

        def dashboard(lang):
            ch = reports.changes(ledgers, y) if ledgers.has("changes") else None
            sub = reports.subsidies(ledgers, y) if ledgers.has("subsidies") else None
            return render.summary_dashboard(report, ch, sub, lang)
        _emit(report, fmt, output, table=dashboard, lang=lang)
    _guard(work)


@app.command(rich_help_panel="Reports")
def exits(
    data: DataOpt = None, year: YearOpt = None, township: TownshipOpt = None,
    village: VillageOpt = None, by: ByOpt = None, listing: ListOpt = False,
    fmt: FormatOpt = None, output: OutputOpt = None, encoding: EncodingOpt = None, lang: LangOpt = None,
    show_ids: ShowIdsOpt = False,
):
    """Households and people exited per year (脱贫退出), verified at home, passed, pass rate."""
    def work():
        from . import reports

        ledgers = _load(data, encoding, ["changes", "exits"], ("exits",), township, village)
        _emit(reports.exits(ledgers, year, by.value if by else None, listing=listing), fmt,
              output, show_ids, lang=lang)
    _guard(work)


@app.command(rich_help_panel="Reports")
def changes(
    data: DataOpt = None, year: YearOpt = None, township: TownshipOpt = None,
    village: VillageOpt = None, by: ByOpt = None, listing: ListOpt = False,
    fmt: FormatOpt = None, output: OutputOpt = None, encoding: EncodingOpt = None, lang: LangOpt = None,
    show_ids: ShowIdsOpt = False,
):
    """People added to and removed from the rolls (动态调整), by direction and reason."""
    def work():
        from . import reports

        ledgers = _load(data, encoding, ["changes"], ("changes",), township, village)
        _emit(reports.changes(ledgers, year, by.value if by else None, listing), fmt, output,
              show_ids, lang=lang)
    _guard(work)


@app.command(rich_help_panel="Reports")
def subsidies(
    data: DataOpt = None, year: YearOpt = None,
    program: Annotated[Optional[str], typer.Option(
        "--program", "-p", help="Only this program: " + ", ".join(ENUMS["program"].codes)
        + " (or its Chinese label).", show_default=False)] = None,
    township: TownshipOpt = None, village: VillageOpt = None, by: ByOpt = None,
    listing: ListOpt = False, fmt: FormatOpt = None, output: OutputOpt = None,
    encoding: EncodingOpt = None, lang: LangOpt = None, show_ids: ShowIdsOpt = False,
):
    """Subsidy payments (帮扶资金) per year and program: payments, households, people, amount,
    and amount per household (the yearly photovoltaic income of a household, for one)."""
    def work():
        from . import reports

        code = _program(program)
        ledgers = _load(data, encoding, ["subsidies"], ("subsidies",), township, village)
        _emit(reports.subsidies(ledgers, year, by.value if by else None, code, listing), fmt,
              output, show_ids, lang=lang)
    _guard(work)


class ProjectBy(str, Enum):
    kind = "kind"
    year = "year"
    village = "village"


@app.command(rich_help_panel="Programs")
def projects(
    data: DataOpt = None, year: YearOpt = None, township: TownshipOpt = None,
    village: VillageOpt = None,
    by: Annotated[Optional[ProjectBy], typer.Option(
        "--by", help="Group the projects by kind, year or village.", show_default=False)]
    = None,
    key: Annotated[bool, typer.Option("--key", help="Only key projects (重点项目).")] = False,
    listing: ListOpt = False, fmt: FormatOpt = None, output: OutputOpt = None,
    encoding: EncodingOpt = None, lang: LangOpt = None, show_ids: ShowIdsOpt = False,
):
    """Projects (扶贫项目): funds from higher levels, local and other; beneficiary households
    and people (on the rolls at the end of the project's year)."""
    def work():
        from . import programs

        ledgers = _load(data, encoding, ["changes", "projects", "project_beneficiaries"],
                        ("projects",))
        _emit(programs.projects(ledgers, year, by.value if by else None, township, village,
                                key, listing), fmt, output, show_ids, lang=lang)
    _guard(work)


@app.command(rich_help_panel="Programs")
def pairing(
    data: DataOpt = None, year: YearOpt = None, township: TownshipOpt = None,
    village: VillageOpt = None,
    uncovered: Annotated[bool, typer.Option(
        "--uncovered", help="List the households on the rolls with no cadre.")] = False,
    listing: ListOpt = False, fmt: FormatOpt = None, output: OutputOpt = None,
    encoding: EncodingOpt = None, lang: LangOpt = None,
):
    """Pairing (包保帮扶): households covered, leaders, units, cadres, households per cadre."""
    def work():
        from . import programs

        ledgers = _load(data, encoding, ["changes", "exits", "pairings"], ("pairings",),
                        township, village)
        _emit(programs.pairing(ledgers, year, uncovered, listing), fmt, output, lang=lang)
    _guard(work)


@app.command(rich_help_panel="Programs")
def villages(
    data: DataOpt = None, year: YearOpt = None, township: TownshipOpt = None,
    village: VillageOpt = None,
    incidence: Annotated[float, typer.Option(
        "--incidence", help="Exit threshold of poverty incidence (0.02 = 2 %; 0.03 in the "
        "west).", min=0.0, max=1.0)] = 0.02,
    listing: ListOpt = False, fmt: FormatOpt = None, output: OutputOpt = None,
    encoding: EncodingOpt = None, lang: LangOpt = None, show_ids: ShowIdsOpt = False,
):
    """Villages (行政村) at year end: rural population, people on the rolls, poor people,
    poverty incidence, exit year and threshold, paired enterprise."""
    def work():
        from . import programs

        ledgers = _load(data, encoding, ["changes", "exits", "villages"], (), township, village)
        _emit(programs.villages(ledgers, year, incidence, listing), fmt, output, show_ids, lang=lang)
    _guard(work)


@app.command(rich_help_panel="Programs")
def housing(
    data: DataOpt = None, year: YearOpt = None, township: TownshipOpt = None,
    village: VillageOpt = None, listing: ListOpt = False, fmt: FormatOpt = None,
    output: OutputOpt = None, encoding: EncodingOpt = None, lang: LangOpt = None,
):
    """Dangerous-house renovations (危房改造) by year and grade: households, amount."""
    def work():
        from . import programs

        ledgers = _load(data, encoding, ["subsidies"], ("subsidies",), township, village)
        _emit(programs.housing(ledgers, year, listing), fmt, output, lang=lang)
    _guard(work)


@app.command(rich_help_panel="Programs")
def education(
    data: DataOpt = None, year: YearOpt = None, township: TownshipOpt = None,
    village: VillageOpt = None, listing: ListOpt = False, fmt: FormatOpt = None,
    output: OutputOpt = None, encoding: EncodingOpt = None, lang: LangOpt = None, show_ids: ShowIdsOpt = False,
):
    """Education aid (教育扶贫) by year: students, payments, amount."""
    def work():
        from . import programs

        ledgers = _load(data, encoding, ["subsidies"], ("subsidies",), township, village)
        _emit(programs.education(ledgers, year, listing), fmt, output, show_ids, lang=lang)
    _guard(work)


@app.command(rich_help_panel="Programs")
def policy(
    data: DataOpt = None, year: YearOpt = None, fmt: FormatOpt = None,
    output: OutputOpt = None, encoding: EncodingOpt = None, lang: LangOpt = None,
):
    """Parameters in force by year: the national poverty line and the rural dibao
    standard, built in or from policy.csv (which one applies is shown)."""
    def work():
        from . import programs

        ledgers = _load(data, encoding, ["policy"])
        _emit(programs.policy(ledgers, year), fmt, output, lang=lang)
    _guard(work)


@app.command(rich_help_panel="Reports")
def flow(
    data: DataOpt = None, year: YearOpt = None, township: TownshipOpt = None,
    village: VillageOpt = None, listing: ListOpt = False, fmt: FormatOpt = None,
    output: OutputOpt = None, encoding: EncodingOpt = None, lang: LangOpt = None, show_ids: ShowIdsOpt = False,
):
    """The year's movement of the rolls, which must balance: start + additions - removals
    = end, for people on the rolls and for poor people (exits subtracted)."""
    def work():
        from .flow import flow as build
        from .model import latest_year

        ledgers = _load(data, encoding, ["changes", "exits"], (), township, village)
        y = year or latest_year(ledgers)
        report = build(ledgers, y, listing)
        if not year:
            report.notes.append(("year {year}: the latest year in the ledgers", {"year": y}))
        _emit(report, fmt, output, show_ids, lang=lang)
    _guard(work)


@app.command(rich_help_panel="Reports")
def report(
    data: DataOpt = None, year: YearOpt = None, township: TownshipOpt = None,
    village: VillageOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
    encoding: EncodingOpt = None, lang: LangOpt = None,
):
    """The annual report: the year's figures in sentences, the tables behind them and
    charts, as one HTML file (charts inline) or markdown (charts as SVG files beside it)."""
    def work():
        from . import document
        from .annual import annual_figures
        from .findings import UsageError
        from .model import latest_year

        language = _lang(lang)
        ledgers = _load(data, encoding, None, (), township, village)
        y = year or latest_year(ledgers)
        kind = (fmt.value if fmt else None) or (
            {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}
            .get(output.suffix.lower()) if output else None) or "html"
        if kind not in ("html", "markdown"):
            raise UsageError("report is written as html or markdown (--format html|markdown)")
        fig = annual_figures(ledgers, y)
        if kind == "markdown":
            if output is None:
                raise UsageError("a markdown report needs -o FILE.md (its charts go beside it)")
            files = output.with_name(output.stem + "_files")
            _write(output, document.markdown(fig, language, files))
        else:
            text = document.html_document(fig, language)
            if output is None:
                sys.stdout.write(text)
            else:
                _write(output, text)
        if not year:
            _err(f"povcli: note: year {y}: the latest year in the ledgers")
    _guard(work)


# --------------------------------------------------------------------------- checks

def _split_codes(values: list[str] | None) -> list[str]:
    return [c.strip() for v in values or [] for c in v.split(",") if c.strip()]


def _age_range(text: str) -> tuple[int, int]:
    from .findings import UsageError

    try:
        low, high = (int(x) for x in text.replace("–", "-").split("-"))
    except ValueError:
        raise UsageError(f"--school-age takes a range such as 6-22 (not '{text}')") from None
    if not 0 <= low <= high:
        raise UsageError(f"--school-age: {text} is not a range of ages")
    return low, high


@app.command(rich_help_panel="Checks")
def check(
    data: DataOpt = None, year: YearOpt = None,
    select: Annotated[Optional[list[str]], typer.Option(
        "--select", "-s", help="Run only rules with these codes or prefixes (I01, I, S0...); "
        "repeat it or separate with commas.", show_default=False)] = None,
    ignore: Annotated[Optional[list[str]], typer.Option(
        "--ignore", "-i", help="Skip rules with these codes or prefixes.",
        show_default=False)] = None,
    list_rules: Annotated[bool, typer.Option(
        "--list-rules", help="List the rules: code, severity, what, where it comes from.")]
    = False,
    school_age: Annotated[str, typer.Option(
        "--school-age", help="Ages (at payment) for which education aid is plausible.")]
    = "6-22",
    duplicate_window: Annotated[int, typer.Option(
        "--duplicate-window", help="Days within which equal payments to one payee look "
        "duplicated.", min=0)] = 30,
    cadre_load: Annotated[int, typer.Option(
        "--cadre-load", help="Households one cadre may be paired with.", min=1)] = 5,
    incidence: Annotated[float, typer.Option(
        "--incidence", help="A poor village exits below this poverty incidence (0.02 = 2 %; "
        "0.03 in the west).", min=0.0, max=1.0)] = 0.02,
    fmt: FormatOpt = None, output: OutputOpt = None, encoding: EncodingOpt = None, lang: LangOpt = None,
    show_ids: ShowIdsOpt = False,
):
    """Audit the ledgers before reporting: identity, households, exits, changes, payments,
    pairing, villages. Exit 0 clean, 1 errors found, 2 unreadable."""
    def work():
        from . import checks
        from .findings import LedgerError
        from .ledgers import read_ledgers
        from .reports import Report

        if list_rules:
            frame = checks.rules_frame()
            _emit(Report("rules", "Rules of povcli check", frame), fmt, output, lang=lang)
            return 0
        params = checks.Params(school_age=_age_range(school_age),
                               duplicate_window=duplicate_window, cadre_load=cadre_load,
                               incidence=incidence)
        rules = checks.select_rules(_split_codes(select), _split_codes(ignore))
        folder = resolve_data(data)
        ledgers, read_findings = read_ledgers(folder, None, encoding)
        fatal = [f for f in read_findings if f.line is None]
        if fatal:
            raise LedgerError(fatal)
        findings = checks.run_checks(ledgers, read_findings, rules, params, year)
        if not show_ids:
            findings = [f.masked() for f in findings]
        if findings or output is not None:
            report = Report("check", f"Findings of povcli check in {folder}",
                            checks.findings_frame(findings), kinds={"line": "year"})
            _emit(report, fmt, output, show_ids=show_ids, lang=lang)
        errors = sum(f.severity == "error" for f in findings)
        if findings:
            _err(f"povcli check: {errors} error{'s' * (errors != 1)}, "
                 f"{len(findings) - errors} warning{'s' * (len(findings) - errors != 1)}")
        return 1 if errors else 0
    raise typer.Exit(_guard(work))


@app.command(rich_help_panel="Dossiers")
def show(
    household_id: Annotated[str, typer.Argument(help="The household's id (户编号).")],
    data: DataOpt = None, year: YearOpt = None, fmt: FormatOpt = None,
    output: OutputOpt = None, encoding: EncodingOpt = None, lang: LangOpt = None, show_ids: ShowIdsOpt = False,
):
    """One household's dossier: members, timeline, subsidies, cadres, projects."""
    def work():
        from . import dossier, render
        from .findings import UsageError

        ledgers = _load(data, encoding, None)
        d = dossier.dossier(ledgers, household_id.strip(), year)
        terminal = output is None and _stdout_is_terminal()
        kind = render.format_for(fmt.value if fmt else None, output, terminal)
        if kind == "json":
            text = render.dossier_json(d, show_ids)
        elif kind == "table":
            import io
            buf = io.StringIO() if output else None
            console = render.make_console(buf or sys.stdout, terminal)
            console.print(render.dossier_view(d, show_ids, _lang(lang)))
            if output is None:
                return
            text = buf.getvalue()
        else:
            raise UsageError("show prints a table or json (--format table|json)")
        if output is None:
            sys.stdout.write(text)
        else:
            _write(output, text)
    _guard(work)


@app.command(rich_help_panel="Dossiers")
def find(
    text: Annotated[str, typer.Argument(help="A name, part of an id, or a village.")],
    data: DataOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
    encoding: EncodingOpt = None, lang: LangOpt = None,
):
    """Households by head or member name, id fragment or village; open one with show."""
    def work():
        from . import dossier

        ledgers = _load(data, encoding, [])
        _emit(dossier.find(ledgers, text), fmt, output, lang=lang)
    _guard(work)
