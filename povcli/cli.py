"""The command line, built from the command registry (registry.py).

Each command is a function of a Job (the options every command shares, resolved once:
data folder, year, area, format, output, language) and its own options. The decorator
`command` adds the shared options that its registry row allows, so `--help` lists only
what works and a new report is one function and one registry row.

Nothing here imports pandas at module level: `povcli --help` stays fast.
"""

from __future__ import annotations

import inspect
import os
import sys
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer

from . import __version__
from .findings import LedgerError, UsageError
from .messages import define, parse_lang, say
from .registry import COMMANDS, Command, help_lang
from .schema import ENUMS, normalize_value

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

define({
    "cli.sample": ("no ledger folder given (--data, $POVCLI_DATA) and no ledgers here: "
                   "using the bundled sample ledgers in {folder}",
                   "没有指定台账文件夹（--data、$POVCLI_DATA），当前文件夹也没有台账：使用自带的示例台账 {folder}"),
    "cli.bad_year": ("--year {year} is not a year povcli can look at (give a year such as "
                     "2017, between {low} and {high})",
                     "--year {year} 不是可用的年度（请给出 {low} 至 {high} 之间的年度，如 2017）"),
    "cli.year_outside": ("year {year} is outside the years the ledgers' dated rows span "
                         "({first}–{last})",
                         "{year}年不在台账日期所覆盖的年度之内（{first}–{last}年）"),
    "cli.latest_year": ("year {year}: the latest year in the ledgers (give --year for "
                        "another)", "{year}年：台账中最近的年度（其他年度请用 --year）"),
    "cli.no_dated_rows": ("the ledgers hold no dated row: give --year",
                          "台账中没有带日期的行：请用 --year 指定年度"),
    "cli.interrupted": ("interrupted; nothing was written", "已中断，未写入任何文件"),
    "cli.out_of_memory": ("out of memory", "内存不足"),
    "cli.report_written": ("the report is in {path}", "报告已写入 {path}"),
    "cli.markdown_needs_file": ("a markdown report needs -o FILE.md (its charts go beside "
                                "it)", "markdown 报告需要 -o 文件名.md（图表写在它旁边）"),
    "cli.unknown_program": ("unknown program '{value}' (programs: {codes})",
                            "未知的项目类别“{value}”（可用：{codes}）"),
    "cli.school_age": ("--school-age takes a range such as 6-22 (not '{value}')",
                       "--school-age 应为年龄范围，如 6-22（不能是“{value}”）"),
    "cli.check_clean": ("povcli check: {rules:plural:rule} run on {ledgers:plural:ledger}: "
                        "no findings",
                        "povcli check：已对{ledgers}个台账运行{rules}条规则，未发现问题"),
    "cli.check_totals": ("povcli check: {errors:plural:error}, {warnings:plural:warning}",
                         "povcli check：{errors}个错误，{warnings}个提示"),
    "cli.count_line": ("{file}: {count} × {message}", "{file}：{count}处 {message}"),
    "cli.counts_head": ("{count} findings; by file and kind:", "共{count}处；按文件和类别："),
})

app = typer.Typer(
    name="povcli",
    help="Figures from poverty-alleviation ledgers (建档立卡台账): the rolls, exits, "
         "dynamic changes and subsidies, counted as the ledger contract says.",
    add_completion=False,
    no_args_is_help=True,
    # plain help: Rich's help renderer alone costs ~0.1 s of imports on every --help
    rich_markup_mode=None,
    pretty_exceptions_enable=False,  # locals would hold resident ID numbers
    context_settings={"help_option_names": ["-h", "--help"]},
)

MAX_SHOWN = 40  # findings printed on stderr before the count
PER_KIND = 5  # of them, at most this many of one kind when there are many
HELP_LANG = help_lang()


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


# --------------------------------------------------------------------------- the job

@dataclass
class Job:
    """The options every command shares, and what reading the ledgers told about them."""

    spec: Command
    data: Path | None = None
    year: int | None = None
    township: str | None = None
    village: str | None = None
    listing: bool = False
    fmt: str | None = None
    output: str | None = None
    encoding: str | None = None
    lang_option: str | None = None
    show_ids: bool = False
    lang: str = "en"
    folder: Path | None = None
    sample: bool = False
    ledger_files: dict[str, Path] = field(default_factory=dict)

    @property
    def area(self) -> str | None:
        return " ".join(p for p in (self.township, self.village) if p) or None


def _clean(text: str) -> str:
    """A line for stderr: no terminal control sequences, no full resident IDs."""
    from .findings import mask_text
    out = []
    for ch in str(text):
        code = ord(ch)
        if ch == "\x1b":
            out.append("␛")
        elif (code < 32 and ch not in "\n") or 0x7F <= code < 0xA0 or \
                0x202A <= code <= 0x202E or 0x2066 <= code <= 0x2069:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return mask_text("".join(out))


def _err(text: str, show_ids: bool = False) -> None:
    line = _clean(text) if not show_ids else text
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # a closed or full stderr: nothing left to tell


def _note(job: Job, text: str) -> None:
    if hasattr(text, "in_lang"):  # a note that can say itself in the user's language
        text = text.in_lang(job.lang)
    _err(say("cli.note", job.lang, text=text), job.show_ids)


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _resolve_lang(option: str | None) -> str:
    from .messages import lang_from_env
    try:
        return parse_lang(option) if option else lang_from_env()
    except ValueError as exc:
        raise UsageError(str(exc)) from None


YEARS = (1949, 2100)


def _run(job: Job, body: Callable[[], int | None]) -> None:
    """Run a command; every expected failure becomes a message on stderr, in the user's
    language: exit 2 for unusable input or usage, 3 for an internal error (a bug)."""
    code = EXIT_OK
    try:
        job.lang = _resolve_lang(job.lang_option)
        if job.year is not None and not YEARS[0] <= job.year <= YEARS[1]:
            raise UsageError.of("cli.bad_year", year=job.year, low=YEARS[0], high=YEARS[1])
        code = body() or EXIT_OK
    except LedgerError as exc:
        _report_findings(exc.findings, job)
        code = EXIT_USAGE
    except UsageError as exc:
        _err(say("cli.error", job.lang, text=exc.text(job.lang)), job.show_ids)
        code = EXIT_USAGE
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        _err(say("cli.error", job.lang, text=say("cli.interrupted", job.lang)))
        code = 130
    except MemoryError:
        _err(say("cli.error", job.lang, text=say("cli.out_of_memory", job.lang)))
        code = EXIT_USAGE
    except BrokenPipeError:
        raise
    except Exception as exc:  # noqa: BLE001 - never a traceback for users
        if State.debug:
            raise
        _err(say("cli.error", job.lang, text=say("cli.internal", job.lang,
                                                  error=f"{type(exc).__name__}: {exc}")))
        code = EXIT_INTERNAL
    raise typer.Exit(code)


def _kind(f) -> str:
    return f.msg or f.code or f.reason.split(":")[0].split("(")[0].strip()


def _report_findings(findings: list, job: Job) -> None:
    """Every finding that makes the ledgers unusable, on stderr. When there are many,
    lead with a count per file and kind (thousands of knock-on errors of one cause
    should not bury it), then a few of each kind."""
    from collections import Counter

    shown = findings if job.show_ids else [f.masked() for f in findings]
    lang = job.lang
    if len(shown) > MAX_SHOWN:
        kinds = Counter((f.file, _kind(f)) for f in shown)
        first = {}
        for f in shown:
            first.setdefault((f.file, _kind(f)), f)
        _err(say("cli.counts_head", lang, count=len(shown)), job.show_ids)
        for (file, kind), n in kinds.most_common():
            _err("  " + say("cli.count_line", lang, file=file, count=n,
                            message=first[(file, kind)].message(lang)), job.show_ids)
        # a few of every kind first, then the rest in file order, a screenful in all
        seen: Counter = Counter()
        chosen: list[int] = []
        for i, f in enumerate(shown):
            key = (f.file, _kind(f))
            if seen[key] < PER_KIND and len(chosen) < MAX_SHOWN:
                chosen.append(i)
                seen[key] += 1
        rest = iter(i for i in range(len(shown)) if i not in set(chosen))
        while len(chosen) < MAX_SHOWN:
            chosen.append(next(rest))
        picked = [shown[i] for i in sorted(chosen)]
    else:
        picked = shown
    for f in picked:
        _err(f.text(lang), job.show_ids)
    more = len(shown) - len(picked)
    _err((say("cli.more", lang, count=more) + " " if more > 0 else "")
         + "povcli: " + say("cli.problems", lang, count=len(shown)), job.show_ids)


# --------------------------------------------------------------------------- options

DataOpt = Annotated[Optional[Path], typer.Option(
    "--data", "-d", help="Folder of ledgers (or one workbook). Default: $POVCLI_DATA, else the "
    "current folder if it holds ledgers, else the bundled sample ledgers.", show_default=False)]
YearOpt = Annotated[Optional[int], typer.Option(
    "--year", "-y", help="Report year; figures are taken at 31 December. Default: the latest "
    "year of the ledgers.", show_default=False)]
TownshipOpt = Annotated[Optional[str], typer.Option(
    "--township", help="Only households of this township (乡镇).", show_default=False)]
VillageOpt = Annotated[Optional[str], typer.Option(
    "--village", help="Only households of this administrative village (行政村).",
    show_default=False)]
ListOpt = Annotated[bool, typer.Option(
    "--list", help="Instead of the counts, list the rows that make them (people, households "
    "or payments, with the keys of the figure they fall under).")]
OutputOpt = Annotated[Optional[str], typer.Option(
    "--output", "-o", help="Write to this file (written whole or not at all; never a ledger). "
    "`-o -` is stdout. csv files get a UTF-8 BOM for Excel and their formula-like cells "
    "neutralised.", show_default=False)]
EncodingOpt = Annotated[Optional[str], typer.Option(
    "--encoding", help="Encoding of the ledger files (default: detect UTF-8 or GB18030).",
    show_default=False)]
ShowIdsOpt = Annotated[bool, typer.Option(
    "--show-ids", help="Show resident ID numbers in full (masked by default).")]
LangOpt = Annotated[Optional[str], typer.Option(
    "--lang", help="Language of titles, headers, labels and messages: en or zh (default "
    "$POVCLI_LANG, else zh when the locale (LC_ALL, LC_MESSAGES, LANG) is Chinese, else en). "
    "csv and json keys never change.", show_default=False)]

# commands with a --list form
LISTING = {"summary", "exits", "changes", "subsidies", "projects", "pairing", "villages",
           "housing", "education", "flow"}
# commands without --year
NO_YEAR = {"find"}


def _format_option(spec: Command):
    choices = Enum(f"{spec.name.title()}Format", {f: f for f in spec.formats}, type=str)
    return Annotated[Optional[choices], typer.Option(  # type: ignore[valid-type]
        "--format", "-f", help="Output format: " + ", ".join(spec.formats) + ". Default: "
        + ("table on a terminal, csv when piped, " if "csv" in spec.formats else "")
        + "or from the extension of -o.", show_default=False)]


def _shared(spec: Command) -> list[inspect.Parameter]:
    kw = inspect.Parameter.KEYWORD_ONLY
    p = [inspect.Parameter("data", kw, default=None, annotation=DataOpt)]
    if spec.name not in NO_YEAR:
        p.append(inspect.Parameter("year", kw, default=None, annotation=YearOpt))
    if spec.area:
        p += [inspect.Parameter("township", kw, default=None, annotation=TownshipOpt),
              inspect.Parameter("village", kw, default=None, annotation=VillageOpt)]
    if spec.name in LISTING:
        p.append(inspect.Parameter("listing", kw, default=False, annotation=ListOpt))
    p += [inspect.Parameter("fmt", kw, default=None, annotation=_format_option(spec)),
          inspect.Parameter("output", kw, default=None, annotation=OutputOpt),
          inspect.Parameter("encoding", kw, default=None, annotation=EncodingOpt),
          inspect.Parameter("lang_option", kw, default=None, annotation=LangOpt),
          inspect.Parameter("show_ids", kw, default=False, annotation=ShowIdsOpt)]
    return p


SHARED = ("data", "year", "township", "village", "listing", "fmt", "output", "encoding",
          "lang_option", "show_ids")


def command(name: str):
    """Make a Typer command of `fn(job, **own_options)` with the shared options its
    registry row allows."""
    spec = COMMANDS[name]

    def register(fn: Callable[..., Any]):
        own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
               for p in list(inspect.signature(fn, eval_str=True).parameters.values())[1:]]

        def callback(**kwargs):
            shared = {k: kwargs.pop(k) for k in SHARED if k in kwargs}
            fmt = shared.get("fmt")
            shared["fmt"] = fmt.value if isinstance(fmt, Enum) else fmt
            job = Job(spec, **shared)
            _run(job, lambda: fn(job, **kwargs))

        params = own + _shared(spec)
        callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        # older Typer reads the annotations, newer the signature: give both
        callback.__annotations__ = {p.name: p.annotation for p in params}
        callback.__name__ = name
        callback.__doc__ = spec.help(HELP_LANG)
        app.command(name=name, help=spec.help(HELP_LANG), rich_help_panel=spec.panel)(callback)
        return fn
    return register


# --------------------------------------------------------------------------- reading

def sample_dir() -> Path:
    here = Path(__file__).resolve().parent
    inside = here / "sample_data"  # installed wheel
    return inside if inside.is_dir() else here.parent / "sample_data"  # source checkout


def resolve_data(job: Job) -> Path:
    """--data, else $POVCLI_DATA, else the current folder when it holds the households
    ledger in any form --data accepts, else the bundled sample (said on stderr and in
    the output itself)."""
    if job.data is not None:
        return job.data
    env = os.environ.get("POVCLI_DATA")
    if env:
        return Path(env)
    from .ledgers import find_files

    cwd = Path.cwd()
    try:
        files, _ = find_files(cwd)
    except OSError:
        files = {}
    if "households" in files:
        return cwd
    job.sample = True
    sample = sample_dir()
    _note(job, say("cli.sample", job.lang, folder=sample))
    return sample


def _load(job: Job, reads: tuple[str, ...] | None = None, area: bool = False):
    """Read and validate the ledgers the command reads (cut to the area when asked)."""
    from . import cache
    from .ledgers import open_ledgers
    from .model import restrict

    spec = job.spec
    job.folder = resolve_data(job)
    names = spec.reads if reads is None else reads
    notes: list[str] = []
    use = cache.enabled() and not State.no_cache
    try:
        with _progress() as progress:
            ledgers = open_ledgers(job.folder, None if names is None else list(names),
                                   job.encoding, need=spec.needs, use_cache=use, notes=notes,
                                   progress=progress)
    finally:
        for note in notes:
            _note(job, note)
    job.ledger_files = {n: s.path for n, s in ledgers.files.items()}
    if job.year is not None:
        _year_note(job, ledgers)
    return restrict(ledgers, job.township, job.village) if area else ledgers


def _year_note(job: Job, ledgers) -> None:
    from .model import EVENT_COLUMNS, LATER_EVENT_COLUMNS, year_span

    span = year_span(ledgers, {**EVENT_COLUMNS, **LATER_EVENT_COLUMNS})
    if span and not span[0] <= job.year <= span[1]:
        _note(job, say("cli.year_outside", job.lang, year=job.year, first=span[0],
                       last=span[1]))


def _year(job: Job, ledgers) -> int:
    """--year, else the latest year of the ledgers (said on stderr)."""
    if job.year is not None:
        return job.year
    from .model import latest_year

    year = latest_year(ledgers)
    if year is None:
        raise UsageError.of("cli.no_dated_rows")
    _note(job, say("cli.latest_year", job.lang, year=year))
    return year


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
        self.status.update(_clean(text))

    def __exit__(self, *exc):
        if self.timer:
            self.timer.cancel()
            self.status.stop()
        return False


# --------------------------------------------------------------------------- writing

def _ledger_of_name(stem: str) -> str | None:
    from .ledgers import _ledger_by_name
    return _ledger_by_name().get(stem)


def _destination(job: Job) -> tuple[str, Path | None]:
    from . import output

    terminal = job.output in (None, "-") and _stdout_is_terminal()
    kind, path = output.choose(job.fmt, job.output, job.spec.formats, job.spec.name, terminal)
    output.guard(path, job.ledger_files, job.folder, _ledger_of_name)
    return kind, path


def _emit(report, job: Job, table: Callable | None = None) -> None:
    """Hand a report to the renderer; write it to stdout or -o; notes to stderr."""
    from . import i18n, output, render

    from .messages import MESSAGES, say

    for note in report.notes:
        template, params = note if isinstance(note, tuple) else (note, {})
        _note(job, say(template, job.lang, **params) if template in MESSAGES
              else i18n.word(template, job.lang, **params))
    report.meta.setdefault("area", job.area)
    report.meta["sample"] = job.sample
    kind, path = _destination(job)
    lang, show_ids = job.lang, job.show_ids
    if kind == "xlsx":
        if path is None:
            raise UsageError.of("output.needs_file", fmt="xlsx", ext=".xlsx")
        output.write_atomic(path, lambda tmp: render.to_xlsx(report, tmp, show_ids=show_ids,
                                                             lang=lang))
        return
    if kind != "table":
        text = render.render(report, kind, show_ids=show_ids, lang=lang,
                             for_people=path is not None)
        if path is None:
            output.to_stdout(text)
        else:
            output.write_text(path, text, bom=kind in ("csv", "tsv"))
        return
    renderable = table(lang) if table else render.rich_table(report, show_ids=show_ids,
                                                             lang=lang)
    _print(renderable, path)


def _print(renderable, path: Path | None) -> None:
    """A Rich renderable on the terminal (or plain, when piped), or into a file."""
    import io

    from . import output, render

    if path is None:
        terminal = _stdout_is_terminal()
        buf = io.StringIO()
        render.make_console(buf, terminal).print(renderable)
        output.to_stdout(buf.getvalue())
        return
    buf = io.StringIO()
    render.make_console(buf, False).print(renderable)
    output.write_text(path, buf.getvalue())


def _program(value: str | None) -> str | None:
    if value is None:
        return None
    code = normalize_value("program", value)
    if code is None:
        raise UsageError.of("cli.unknown_program", value=value,
                            codes=", ".join(ENUMS["program"].codes))
    return code


# --------------------------------------------------------------------------- reports

class By(str, Enum):
    township = "township"
    village = "village"


ByOpt = Annotated[Optional[By], typer.Option(
    "--by", help="Add a township or village column after year.", show_default=False)]


def _report(job: Job, **options):
    """Read what the command reads, build its report (api.build: the year, the area)."""
    from . import api

    ledgers = _load(job)
    return api.build(job.spec.name, ledgers, job.year, job.township, job.village,
                     job.listing, **options), ledgers


@command("summary")
def summary(job: Job):
    from . import reports, render
    from .model import restrict

    report, ledgers = _report(job)
    if job.listing:
        return _emit(report, job)
    y = int(reports.metric_value(report, "year"))
    ledgers = restrict(ledgers, job.township, job.village)

    def dashboard(lang):
        ch = reports.changes(ledgers, y) if ledgers.has("changes") else None
        sub = reports.subsidies(ledgers, y) if ledgers.has("subsidies") else None
        return render.summary_dashboard(report, ch, sub, lang)
    _emit(report, job, table=dashboard)


@command("exits")
def exits(job: Job, by: ByOpt = None):
    _emit(_report(job, by=by.value if by else None)[0], job)


@command("changes")
def changes(job: Job, by: ByOpt = None):
    _emit(_report(job, by=by.value if by else None)[0], job)


ProgramOpt = Annotated[Optional[str], typer.Option(
    "--program", "-p", help="Only this program: " + ", ".join(ENUMS["program"].codes)
    + " (or its Chinese label).", show_default=False)]


@command("subsidies")
def subsidies(job: Job, program: ProgramOpt = None, by: ByOpt = None):
    code = _program(program)
    _emit(_report(job, by=by.value if by else None, program=code)[0], job)


class ProjectBy(str, Enum):
    kind = "kind"
    year = "year"
    village = "village"


@command("projects")
def projects(job: Job,
             by: Annotated[Optional[ProjectBy], typer.Option(
                 "--by", help="Group the projects by kind, year or village.",
                 show_default=False)] = None,
             key: Annotated[bool, typer.Option("--key", help="Only key projects (重点项目).")]
             = False):
    _emit(_report(job, by=by.value if by else None, key=key)[0], job)


@command("pairing")
def pairing(job: Job,
            uncovered: Annotated[bool, typer.Option(
                "--uncovered", help="List the households on the rolls with no cadre.")]
            = False):
    _emit(_report(job, uncovered=uncovered)[0], job)


IncidenceOpt = Annotated[float, typer.Option(
    "--incidence", help="Exit threshold of poverty incidence (0.02 = 2 %; 0.03 in the west); "
    "a village at or below it meets it.", min=0.0, max=1.0)]


@command("villages")
def villages(job: Job, incidence: IncidenceOpt = 0.02):
    _emit(_report(job, incidence=incidence)[0], job)


def _plain_report(job: Job):
    """A report with no options of its own: build it, render it."""
    _emit(_report(job)[0], job)


for _name in ("housing", "education", "policy", "flow"):
    command(_name)(_plain_report)


@command("report")
def report(job: Job):
    from . import document, output
    from .annual import annual_figures

    ledgers = _load(job, area=True)
    year = _year(job, ledgers)
    terminal = job.output is None and _stdout_is_terminal()
    if terminal and job.fmt in (None, "html"):
        # ~70 KB of HTML and SVG is no use on a screen: write the file and say where
        job.output = f"report_{year}.html"
    kind, path = _destination(job)
    fig = annual_figures(ledgers, year)
    fig["area"], fig["sample"] = job.area, job.sample
    if kind == "markdown":
        if path is None:
            raise UsageError.of("cli.markdown_needs_file")
        files = path.with_name(path.stem + "_files")
        text = document.markdown(fig, job.lang, files)
        output.write_text(path, text)
    else:
        text = document.html_document(fig, job.lang)
        if path is None:
            output.to_stdout(text)
        else:
            output.write_text(path, text)
    if path is not None:
        _note(job, say("cli.report_written", job.lang, path=path))


# --------------------------------------------------------------------------- checks

def _split_codes(values: list[str] | None) -> list[str]:
    return [c.strip() for v in values or [] for c in v.split(",") if c.strip()]


def _age_range(text: str) -> tuple[int, int]:
    try:
        low, high = (int(x) for x in text.replace("–", "-").split("-"))
    except ValueError:
        raise UsageError.of("cli.school_age", value=text) from None
    if not 0 <= low <= high:
        raise UsageError.of("cli.school_age", value=text)
    return low, high


@command("check")
def check(
    job: Job,
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
        "--incidence", help="A poor village exits at or below this poverty incidence (0.02 = "
        "2 %; 0.03 in the west).", min=0.0, max=1.0)] = 0.02,
):
    from . import cache, checks
    from .ledgers import read_ledgers
    from .reports import Report

    if list_rules:
        return _emit(Report("rules", "Rules of povcli check", checks.rules_frame()),
                     job)
    params = checks.Params(school_age=_age_range(school_age),
                           duplicate_window=duplicate_window, cadre_load=cadre_load,
                           incidence=incidence)
    rules = checks.select_rules(_split_codes(select), _split_codes(ignore))
    job.folder = resolve_data(job)
    notes: list[str] = []
    use = cache.enabled() and not State.no_cache
    try:
        # the reports' loader (cache, progress), keeping what it finds: finding is the job
        with _progress() as progress:
            ledgers, read_findings = read_ledgers(job.folder, None, job.encoding,
                                                  use_cache=use, notes=notes,
                                                  progress=progress)
    finally:
        for note in notes:
            _note(job, note)
    job.ledger_files = {n: s.path for n, s in ledgers.files.items()}
    fatal = [f for f in read_findings if f.line is None]
    if fatal:
        raise LedgerError(fatal)
    if not all(ledgers.has(n) for n in ("households", "members")):
        # a required ledger that could not be read at all: its findings say why
        raise LedgerError(read_findings)
    _cache_clean_reads(ledgers, read_findings)
    if job.year is not None:
        _year_note(job, ledgers)
    with _progress() as progress:
        if progress:
            progress("checking")
        findings = checks.run_frame(ledgers, read_findings, rules, params, job.year)
    if not job.show_ids:
        findings = findings.masked()
    if len(findings) or job.output not in (None, "-"):
        _emit_findings(findings, job)
    errors = findings.errors()
    if len(findings):
        if len(findings) > MAX_SHOWN:
            _err(say("cli.counts_head", job.lang, count=len(findings)), job.show_ids)
            for (code, file), n in findings.counts():
                _err(f"  {code} " + say("cli.count_line", job.lang, file=file, count=n,
                                        message=say(f"checks.{code}.rule", job.lang)),
                     job.show_ids)
        _err(say("cli.check_totals", job.lang, errors=errors,
                 warnings=len(findings) - errors))
    else:
        _err(say("cli.check_clean", job.lang, rules=len(rules), ledgers=len(ledgers.loaded)))
    return EXIT_FINDINGS if errors else EXIT_OK


def _cache_clean_reads(ledgers, read_findings: list) -> None:
    """Keep in the cache every ledger check read afresh without a finding, as the
    reports' loader does for a clean set: the next run (check or a report) reads it
    from there. A ledger with findings is read again next time, so they are found
    again; the set is not marked clean (keys and references are the rules' to judge)."""
    from . import cache

    keys = ledgers.cache_keys
    if not keys or ledgers.read_seconds < cache.THRESHOLD:
        return
    dirty = {f.file for f in read_findings}
    for name in ledgers.fresh:
        one = ledgers.loaded[name]
        if name in keys and one.display not in dirty:
            cache.store(keys[name], name, one.frame, {"encoding": one.encoding,
                                                      "headers": one.headers})


def _emit_findings(findings, job: Job) -> None:
    """check's findings: csv, tsv and json written a chunk at a time from the columns;
    the other formats through the report's renderer (every message put into words in
    the table's language at once, when the table asks for the first)."""
    from . import checks, output, render
    from .reports import Report

    kind, path = _destination(job)
    if kind in ("csv", "tsv", "json"):
        def write(handle):
            if kind == "json":
                render.write_findings_json(findings, handle, job.show_ids)
            else:
                render.write_findings_csv(findings, handle, "\t" if kind == "tsv" else ",",
                                          job.show_ids, for_people=path is not None)
        if path is None:
            _to_stdout(write)
        else:
            def to_file(tmp):
                with open(tmp, "w", encoding="utf-8", newline="") as handle:
                    if kind != "json":
                        handle.write("\ufeff")
                    write(handle)
            output.write_atomic(path, to_file)
        return
    frame = checks.findings_frame(findings)
    _emit(Report("check", f"Findings of povcli check in {job.folder}", frame,
                 kinds={"line": "year"}), job)


def _to_stdout(write: Callable) -> None:
    """write(stdout); a full disk or a closed stream is a message, not a traceback."""
    from .output import _reason

    try:
        write(sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise UsageError.of("output.stdout_failed", reason=_reason(exc)) from None


# --------------------------------------------------------------------------- dossiers

@command("show")
def show(job: Job,
         household_id: Annotated[str, typer.Argument(help="The household's id (户编号).")]):
    from . import dossier, output, render

    ledgers = _load(job)
    d = dossier.dossier(ledgers, household_id.strip(), job.year)
    kind, path = _destination(job)
    if kind == "json":
        text = render.dossier_json(d, job.show_ids)
        if path is None:
            output.to_stdout(text)
        else:
            output.write_text(path, text)
        return
    _print(render.dossier_view(d, job.show_ids, job.lang), path)


@command("find")
def find(job: Job,
         text: Annotated[str, typer.Argument(help="A name, part of an id, or a village.")]):
    from . import dossier

    ledgers = _load(job)
    _emit(dossier.find(ledgers, text), job)


# --------------------------------------------------------------------------- cache

cache_app = typer.Typer(help="The cache of parsed ledgers: where it is, how big, empty it.",
                        no_args_is_help=True, rich_markup_mode=None)


@cache_app.command("info")
def cache_info():
    """Where the cache is, how many entries it holds and their size."""
    from . import cache  # pandas and pyarrow: only when asked

    about = cache.info()
    typer.echo(f"folder: {about['folder']}")
    typer.echo(f"entries: {about['entries']}")
    typer.echo(f"size: {about['bytes']} bytes (limit {about['max_bytes']})")


@cache_app.command("clear")
def cache_clear():
    """Remove every cached ledger; the next run reads the ledger files again."""
    from . import cache

    removed = cache.clear()
    typer.echo(f"removed {removed} entr{'y' if removed == 1 else 'ies'} from {cache.folder()}")


app.add_typer(cache_app, name="cache", help="The cache of parsed ledgers (resident IDs "
              "included, kept private to you): `cache info`, `cache clear`.")


# --------------------------------------------------------------------------- income, monitor

LISTING.update({"income", "monitor"})


class IncomeBy(str, Enum):
    township = "township"
    village = "village"


class MonitorBy(str, Enum):
    risk = "risk"
    township = "township"
    village = "village"


def _own_words(report, job: Job, title_id: str):
    """Notes of the catalogue (id, params) said in the user's language; the title too."""
    from .messages import MESSAGES

    report.notes = [say(n[0], job.lang, **n[1]) if isinstance(n, tuple) and n[0] in MESSAGES
                    else n for n in report.notes]
    if job.lang == "zh":
        report.title = say(title_id, "zh")
    return report


@command("income")
def income(
    job: Job,
    by: Annotated[Optional[IncomeBy], typer.Option(
        "--by", help="Add a township or village column after year.", show_default=False)]
    = None,
    line: Annotated[Optional[str], typer.Option(
        "--line", help="exit (policy.csv exit_standard), monitoring (monitoring_line), poverty "
        "(the national line) or an amount: adds FGT P0, P1, P2 and Watts at that line.",
        show_default=False)] = None,
    bunching: Annotated[bool, typer.Option(
        "--bunching", help="Households just below against just above the line (exit unless "
        "--line): an excess above is a sign to look at, not a verdict.")] = False,
    margin: Annotated[float, typer.Option(
        "--margin", help="With --bunching: the band each side of the line, as a fraction of "
        "it.", min=0.0, max=1.0)] = 0.1,
    trend: Annotated[bool, typer.Option(
        "--trend", help="Per household: per-capita income against the year before.")] = False,
):
    report, _ = _report(job, by=by.value if by else None, line=line, bunching=bunching,
                        margin=margin, trend=trend)
    _emit(_own_words(report, job, "income.title"), job)


@command("monitor")
def monitor(
    job: Job,
    by: Annotated[Optional[MonitorBy], typer.Option(
        "--by", help="Count per risk (a household once per risk), township or village.",
        show_default=False)] = None,
    candidates: Annotated[bool, typer.Option(
        "--candidates", help="The screening list (排查): registered exited households that "
        "meet a monitoring condition but are not monitored.")] = False,
    margin: Annotated[float, typer.Option(
        "--margin", help="With --candidates: an income fall from the year before larger than "
        "this fraction is a condition.", min=0.0, max=1.0)] = 0.3,
):
    report, _ = _report(job, by=by.value if by else None, candidates=candidates,
                        margin=margin)
    _emit(_own_words(report, job, "monitor.title"), job)
# --------------------------------------------------------------------------- audits (issue 14)

LISTING.update({"assess", "compare", "diff"})


class AssessBy(str, Enum):
    township = "township"


def _rate_option(flag: str, text: str):
    return Annotated[float, typer.Option(flag, help=text, min=0.0, max=1.0)]


class MissedBase(str, Enum):
    visited = "visited"
    village = "village"


@command("assess")
def assess(job: Job,
           by: Annotated[Optional[AssessBy], typer.Option(
               "--by", help="A row per township.", show_default=False)] = None,
           wrong_exit: _rate_option("--wrong-exit", "Wrong-exit rate (错退率) that passes: at "
                                    "most this.") = 0.02,
           missed: _rate_option("--missed", "Missed rate (漏评率) that passes: at most "
                                "this.") = 0.02,
           approval: _rate_option("--approval", "Approval (认可度) that passes: at least "
                                  "this.") = 0.90,
           incidence: _rate_option("--incidence", "System poverty incidence that passes: at "
                                   "most this (0.03 for the western provinces).") = 0.02,
           missed_base: Annotated[MissedBase, typer.Option(
               "--missed-base", help="The missed rate's denominator: the people of the "
               "visited ordinary households (visited, the contract's), or the unregistered "
               "rural population of the sampled villages (village).")]
           = "visited"):  # type: ignore[assignment]
    from .assess import Thresholds

    base = missed_base.value if isinstance(missed_base, Enum) else missed_base
    _emit(_report(job, by=by.value if by else None, thresholds=Thresholds(
        wrong_exit, missed, approval, incidence, base))[0], job)


ListKind = Enum("ListKind", {k: k for k in ("death", "payroll", "vehicle", "company",
                                            "property", "dibao", "disability")}, type=str)


class SplitBy(str, Enum):
    village = "village"


@command("match")
def match(job: Job,
          kind: Annotated[ListKind, typer.Argument(  # type: ignore[valid-type]
              help="The kind of list: death, payroll, vehicle, company, property, dibao, "
              "disability.", show_default=False)],
          lists: Annotated[list[Path], typer.Argument(
              help="The lists (CSV or xlsx, keyed by resident ID).", show_default=False)],
          exempt: Annotated[Optional[Path], typer.Option(
              "--exempt", help="Known false leads (rule, person_id or household_id, reason, "
              "until): their findings are dropped; expired ones are reported.",
              show_default=False)] = None,
          split_by: Annotated[Optional[SplitBy], typer.Option(
              "--split-by", help="With -o DIR: one xlsx of findings per village, for "
              "correction.", show_default=False)] = None):
    from . import match as matching
    from . import output, render
    from .reports import Report

    code = matching.kind_or_error(kind.value if isinstance(kind, Enum) else kind)
    read = [matching.read_list(p, code, job.encoding) for p in lists]
    for _, notes in read:
        for note in notes:
            _note(job, note)
    exempted = matching.read_list(exempt, "exempt", job.encoding)[0] if exempt else None
    if split_by is not None and job.output in (None, "-"):
        raise UsageError.of("match.split_needs_dir")
    out_dir = None
    if split_by is not None:
        out_dir, job.output = Path(job.output), None
    ledgers = _load(job)
    job.ledger_files.update({f"list {i}": Path(p) for i, p in enumerate(
        [*lists, *([exempt] if exempt else [])])})
    findings = matching.match(ledgers, code, [one for one, _ in read], job.year,
                              job.show_ids, exempted)
    villages = matching.village_of(findings, ledgers)
    if not job.show_ids:
        findings = [f.masked() for f in findings]

    def report(subset):
        return Report("match", f"Findings of povcli match {code}",
                      matching.findings_frame(subset, words),
                      kinds={"line": "year", "ledger_line": "year"})

    if out_dir is not None:
        words = job.lang
        out_dir.mkdir(parents=True, exist_ok=True)
        groups: dict = {}
        for f, v in zip(findings, villages):
            groups.setdefault(v or "-", []).append(f)
        for v, subset in groups.items():
            name = "".join(c if c.isalnum() or c in "-_" else "_" for c in v) or "_"
            path = out_dir / f"{name}.xlsx"
            rep = report(subset)
            rep.meta["area"] = v
            output.write_atomic(path, lambda tmp, rep=rep: render.to_xlsx(
                rep, tmp, show_ids=job.show_ids, lang=job.lang))
        _note(job, say("match.split_written", job.lang, count=len(groups), folder=out_dir))
    elif findings or job.output not in (None, "-"):
        kind_, _ = _destination(job)
        words = job.lang if kind_ in ("table", "markdown", "xlsx") else "en"
        _emit(report(findings), job)
    errors = sum(f.severity == "error" for f in findings)
    _err(say("match.totals", job.lang, errors=errors, warnings=len(findings) - errors))
    return EXIT_FINDINGS if errors else EXIT_OK


@command("compare")
def compare(job: Job,
            figures: Annotated[Path, typer.Argument(
                help="Published figures: metric, year, area, value, source (CSV or xlsx).",
                show_default=False)]):
    _emit(_report(job, figures=figures, encoding=job.encoding)[0], job)


def _export(job: Job, folder: Path):
    """One export of the ledgers for diff: read and typed (errors of its cells exit 2);
    broken keys or references of an export are what diff may show, not a refusal."""
    from .ledgers import read_ledgers

    notes: list[str] = []
    try:
        ledgers, findings = read_ledgers(folder, None, job.encoding, notes=notes)
    finally:
        for note in notes:
            _note(job, note)
    if findings:
        raise LedgerError(findings)
    job.ledger_files.update({f"{folder}:{n}": s.path for n, s in ledgers.files.items()})
    return ledgers


@command("diff")
def diff(job: Job,
         old: Annotated[Path, typer.Argument(help="The older export (a folder of ledgers).",
                                             show_default=False)],
         new: Annotated[Path, typer.Argument(help="The newer export.", show_default=False)]):
    from . import api

    before, after = _export(job, old), _export(job, new)
    job.folder = new
    _emit(api.build("diff", after, None, None, None, job.listing, old=before,
                    show_ids=job.show_ids), job)


@command("sample")
def sample(job: Job,
           seed: Annotated[int, typer.Option("--seed", help="Seed of the draw: the same "
                                             "ledgers and seed give the same sample.")] = 0,
           villages: Annotated[int, typer.Option(
               "--villages", help="Villages drawn with all their households.", min=0)] = 2,
           exited_share: Annotated[float, typer.Option(
               "--exited-share", help="Share of the other exited households drawn.",
               min=0.0, max=1.0)] = 0.1,
           ordinary_share: Annotated[float, typer.Option(
               "--ordinary-share", help="Share of the ordinary households of poor villages "
               "drawn.", min=0.0, max=1.0)] = 0.1,
           ordinary_cap: Annotated[int, typer.Option(
               "--ordinary-cap", help="At most this many ordinary households.", min=0)] = 20):
    _emit(_report(job, seed=seed, villages=villages, exited_share=exited_share,
                  ordinary_share=ordinary_share, ordinary_cap=ordinary_cap)[0], job)


# --------------------------------------------------------------------------- readiness

LISTING.add("readiness")

ReadinessPlannedOpt = Annotated[bool, typer.Option(
    "--planned", help="Test the pre-exits (pending verification) too: before the visit.")]
ReadinessAgeOpt = Annotated[str, typer.Option(
    "--school-age", help="Ages of compulsory schooling (at 31 December of the exit year).")]
ReadinessMarginOpt = Annotated[float, typer.Option(
    "--margin", help="Warn when income is within this share above the standard (0.05 = 5 %).",
    min=0.0, max=1.0)]


@command("readiness")
def readiness(job: Job, planned: ReadinessPlannedOpt = False, by: ByOpt = None,
              school_age: ReadinessAgeOpt = "6-15", margin: ReadinessMarginOpt = 0.05):
    _emit(_report(job, planned=planned, by=by.value if by else None,
                  school_age=_age_range(school_age), margin=margin)[0], job)
