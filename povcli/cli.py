"""The command line, built from the command registry (registry.py).

Each command is a function of a Job (the options every command shares, resolved once:
data folder, year, area, format, output, language) and its own options. The decorator
`command` adds the shared options that its registry row allows, so `--help` lists only
what works and a new report is one function and one registry row.

Nothing here imports pandas at module level: `povcli --help` stays fast.
"""

from __future__ import annotations

import inspect
import errno
import os
import re
import sys
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer

from . import __version__
from .findings import LedgerError, UsageError
from .messages import define, parse_lang, say
from .registry import COMMANDS, SHARD_OPTIONS, SHARED_OPTIONS, Command, Option, help_lang

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
    "cli.memory_below": ("--memory {budget}: a run cut into shards takes about 1 GB whatever "
                         "their size (the program, and a worker process a core); the ledgers "
                         "are cut as finely as asked, but the run may take more than the budget",
                         "--memory {budget}：分片运行无论分片多小都要约1 GB内存（程序本身，"
                         "以及每核一个工作进程）；台账按要求细分，但运行所用内存可能超过这个预算"),
    "cli.no_dated_rows": ("the ledgers hold no dated row: give --year",
                          "台账中没有带日期的行：请用 --year 指定年度"),
    "cli.interrupted": ("interrupted; nothing was written", "已中断，未写入任何文件"),
    "cli.out_of_memory": ("out of memory", "内存不足"),
    "cli.report_written": ("the report is in {path}", "报告已写入 {path}"),
    "cli.markdown_needs_file": ("a markdown report needs -o FILE.md (its charts go beside "
                                "it)", "markdown 报告需要 -o 文件名.md（图表写在它旁边）"),
    "cli.check_clean": ("povcli check: {rules:plural:rule} run on {ledgers:plural:ledger}: "
                        "no findings",
                        "povcli check：已对{ledgers}个台账运行{rules}条规则，未发现问题"),
    "cli.check_totals": ("povcli check: {errors:plural:error}, {warnings:plural:warning}",
                         "povcli check：{errors}个错误，{warnings}个警告"),
    "cli.count_line": ("{file}: {count} × {message}", "{file}：{count}处 {message}"),
    "cli.counts_head": ("{count} findings; by file and kind:", "共{count}处；按文件和类别："),
})

HELP_LANG = help_lang()
app = typer.Typer(
    name="povcli",
    help="建档立卡台账的数字：在册、脱贫退出、动态调整和帮扶资金，按台账约定的口径统计。"
    if HELP_LANG == "zh" else
    "Figures from poverty-alleviation ledgers (建档立卡台账): the rolls, exits, "
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
if HELP_LANG == "zh":  # Chinese takes two cells a character: wrap help by cells
    from .helpwrap import install

    install()


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
    scheduler: str | None = None  # a Dask scheduler's address: the shards run there
    shards: int | None = None  # household shards computed one by one and merged
    memory: str | None = None  # the memory a run may take (--memory, POVCLI_MEMORY_BUDGET)
    memory_said: bool = False  # that it cannot be met, said once
    lang: str = "en"
    folder: Path | None = None
    sample: bool = False
    ledger_files: dict[str, Path] = field(default_factory=dict)
    output_is_folder: bool = False  # -o names a folder of files (match --split-by)

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
    line = say("cli.note", job.lang, text=text)
    width = _stderr_width()
    _err(wrapped(line, width) if width else line, job.show_ids)


def _stderr_width() -> int | None:
    """The terminal's width when stderr is one (notes are wrapped there), else None."""
    try:
        if not sys.stderr.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    import shutil
    return shutil.get_terminal_size().columns


def wrapped(text: str, width: int) -> str:
    """A note wrapped at word boundaries for a terminal `width` cells wide: the terminal
    itself would cut 'for' into 'f' and 'or'. Chinese is two cells a character."""
    import io

    from rich.console import Console
    sink = io.StringIO()
    Console(file=sink, width=max(width, 20), color_system=None, highlight=False,
            emoji=False, markup=False).print(text, overflow="fold")
    return "\n".join(line.rstrip() for line in sink.getvalue().rstrip("\n").split("\n"))


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
        from . import cache
        from .read.arrowkit import steady_allocator

        steady_allocator()
        _judge_output_first(job)
        with cache.deferred():  # the cache written while the report is computed
            code = body() or EXIT_OK
    except LedgerError as exc:
        for note in exc.notes:  # (a sharded run's: a whole read has said them already)
            _note(job, note)
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

def _typer_parameter(option: Option) -> inspect.Parameter:
    """A registry option as a Typer parameter, its help in the language of --help."""
    kind = option.type_name
    if option.choices:
        typ: Any = Enum(f"{option.keyword.title()}Choice", {c: c for c in option.choices},
                        type=str)
    else:
        typ = {"flag": bool, "int": int, "float": float, "path": Path}.get(kind, str)
    text = option.help(HELP_LANG)
    if option.argument:
        annotation: Any = Annotated[typ, typer.Argument(
            help=text, show_default=False, metavar=option.flag)]
        return inspect.Parameter(option.keyword, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                 annotation=annotation)
    flags = (option.flag, option.short) if option.short else (option.flag,)
    numeric = {"min": option.low, "max": option.high} if kind in ("int", "float") else {}
    annotation = Annotated[typ if option.default is not None else Optional[typ],
                           typer.Option(*flags, help=text, show_default=option.default
                                        not in (None, False), **numeric)]
    return inspect.Parameter(option.keyword, inspect.Parameter.KEYWORD_ONLY,
                             default=option.default, annotation=annotation)


def _format_option(spec: Command) -> inspect.Parameter:
    """--format: the formats the command renders, so any other is refused by parsing."""
    return _typer_parameter(Option(
        "--format", SHARED_OPTIONS["fmt"].help_en.format(
            formats=", ".join(spec.formats), default=_default_format(spec.formats, "en")),
        SHARED_OPTIONS["fmt"].help_zh.format(
            formats="、".join(spec.formats), default=_default_format(spec.formats, "zh")),
        choices=spec.formats, short="-f", name="fmt"))


def _default_format(formats: tuple[str, ...], lang: str) -> str:
    """What output.choose picks without --format or -o, in words for --help."""
    zh = lang == "zh"
    if "table" not in formats:  # report: a file, named after the year
        return (f"{formats[0]}，在终端上时写入 report_年度.{formats[0]}" if zh else
                f"{formats[0]}, written to report_YEAR.{formats[0]} on a terminal")
    piped = "csv" if "csv" in formats else ("纯文本" if zh else "plain text")
    return f"终端上为表格，管道中为{piped}" if zh else f"a table on a terminal, {piped} when piped"


def _shared(spec: Command) -> list[inspect.Parameter]:
    """The shared options that the command's registry row allows."""
    wanted = ["data"] + (["year"] if spec.year else []) + (
        ["township", "village"] if spec.area else []) + (["listing"] if spec.listing else [])
    params = [_typer_parameter(SHARED_OPTIONS[k]) for k in wanted]
    params.append(_format_option(spec))
    params += [_typer_parameter(SHARED_OPTIONS[k]) for k in
               ("output", "encoding", "lang_option", "show_ids")]
    if spec.sharded:  # computed per household shard
        params += [_typer_parameter(o) for o in SHARD_OPTIONS.values()]
    return params


SHARED = tuple(SHARED_OPTIONS) + tuple(SHARD_OPTIONS)
_callbacks: dict[str, Callable[..., Any]] = {}  # Typer commands made, by name


def _short_help(text: str) -> str:
    """The first sentence (Click cuts Chinese, which has no spaces, to '...')."""
    from .helpwrap import cells

    first = re.split(r"(?<=\.)\s+|(?<=。)", text, maxsplit=1)[0].rstrip(".。")
    out = ""
    for ch in first:
        if cells(out + ch) > 62:
            if ch.isascii() and ch != " " and " " in out[-15:]:  # not inside a word
                out = out[:out.rindex(" ")]
            return out.rstrip(" ,;") + "…"
        out += ch
    return out


def command(name: str):
    """Make a Typer command of `fn(job, **own_options)` with the shared options its
    registry row allows and its own: those of its registry row, then those `fn` declares
    beyond `job`."""
    spec = COMMANDS[name]

    def register(fn: Callable[..., Any]):
        declared = list(inspect.signature(fn, eval_str=True).parameters.values())[1:]
        declared = [p for p in declared if p.kind is not inspect.Parameter.VAR_KEYWORD]
        own = [_typer_parameter(o) for o in spec.options] + declared
        # arguments first, then options (keyword-only)
        own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]

        def callback(**kwargs):
            shared = {k: kwargs.pop(k) for k in SHARED if k in kwargs}
            job = Job(spec, **{k: v.value if isinstance(v, Enum) else v
                               for k, v in shared.items()})
            mine = {k: v.value if isinstance(v, Enum) else v for k, v in kwargs.items()}
            # match --split-by: -o names a folder for one file per village, judged there
            job.output_is_folder = mine.get("split_by") is not None
            _run(job, lambda: fn(job, **mine))

        params = own + _shared(spec)
        callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        # older Typer reads the annotations, newer the signature: give both
        callback.__annotations__ = {p.name: p.annotation for p in params}
        callback.__name__ = name
        callback.__doc__ = spec.help(HELP_LANG)
        _callbacks[name] = callback
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
    the output itself). Settled once a run: the shard planner asks before the loader."""
    if job.folder is not None:
        return job.folder
    if job.data is not None:
        return job.data
    env = os.environ.get("POVCLI_DATA")
    if env:
        return Path(env)
    from .read.files import find_files

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
    from .read.load import open_ledgers
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
    from .read.files import ledger_by_name
    return ledger_by_name().get(stem)


def _judge_output_first(job: Job) -> None:
    """-o judged before any work, as it is again when writing: a format povcli cannot
    tell, a ledger of the folder, a folder that is not there or a folder given as the
    file are refused at once, not after reading (half an hour on a national set)."""
    if job.output in (None, "-") or not job.spec.formats or job.output_is_folder:
        return
    from . import output
    from .read.files import find_files

    if Path(job.output).is_dir():  # before its name is taken for a format
        raise UsageError.of("output.cannot_write", path=job.output,
                            reason=os.strerror(errno.EISDIR))
    _, path = output.choose(job.fmt, job.output, job.spec.formats, job.spec.name, False)
    if path is None:
        return
    # the folder the run will read, when known without falling back to the sample
    folder = job.folder or job.data or (Path(os.environ["POVCLI_DATA"])
                                        if os.environ.get("POVCLI_DATA") else Path.cwd())
    try:
        files, _ = find_files(folder)
    except OSError:
        files = {}
    output.guard(path, {n: s.path for n, s in files.items()}, folder, _ledger_of_name)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir() or not parent.is_dir():
        raise UsageError.of("output.cannot_write", path=str(path), reason=os.strerror(
            errno.EISDIR if path.is_dir() else errno.ENOENT))


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


# --------------------------------------------------------------------------- reports

def _report(job: Job, **options):
    """Read what the command reads, build its report (api.build: the year, the area)."""
    from . import api

    shards = _shards(job)
    if shards:
        return _sharded(job, shards, options), None
    ledgers = _load(job)
    return api.build(job.spec.name, ledgers, job.year, job.township, job.village,
                     job.listing, **options), ledgers


def _scheduler(job: Job) -> str | None:
    return job.scheduler or os.environ.get("POVCLI_SCHEDULER") or None


def _shards(job: Job) -> int:
    """How many household shards the report is computed in (0: the whole set at once):
    --shards; else 16 on a Dask cluster; else as many as keep the ledgers within the
    memory budget."""
    if job.spec.merge is None or job.listing:
        return 0
    job.folder = resolve_data(job)
    return _shard_count(job, streamed_only=False)


def _shard_count(job: Job, streamed_only: bool) -> int:
    """--shards; else 16 on a Dask cluster; else, when the ledgers of job.folder are over
    the memory budget (and, with streamed_only, streamed: shards.streams), as many as
    keep a shard within it; else 0."""
    if job.shards:
        return job.shards
    if _scheduler(job):
        return 16
    from . import shards

    try:
        budget = shards.memory_budget(job.memory)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    assert job.folder is not None
    if streamed_only and not shards.streams(job.folder, job.spec.reads, budget):
        return 0
    count = shards.shards_for(job.folder, job.spec.reads, budget)
    given = (job.memory or os.environ.get("POVCLI_MEMORY_BUDGET", "")).strip()
    if count and given and budget < shards.LEAST_MEMORY and not job.memory_said:
        job.memory_said = True  # asked for: say (once) that it cannot be met
        _note(job, say("cli.memory_below", job.lang, budget=given))
    return count


def _sharded(job: Job, shards: int, options: dict, name: str | None = None):
    """The report computed per household shard (api.run_sharded), from the cache's
    Parquet shards when the files have not changed since they were written."""
    from . import api, cache
    from .read.files import find_files

    if job.folder is None:
        job.folder = resolve_data(job)
    try:
        files, _ = find_files(job.folder)
        job.ledger_files = {n: s.path for n, s in files.items()}
    except OSError:
        pass
    return api.run_sharded(name or job.spec.name, job.folder, shards, _scheduler(job), job.year,
                           job.township, job.village, job.listing, job.encoding,
                           use_cache=cache.enabled() and not State.no_cache, workers=None,
                           memory=job.memory, **options)


@command("summary")
def summary(job: Job):
    from . import reports, render
    from .model import restrict

    report, ledgers = _report(job)
    if job.listing:
        return _emit(report, job)
    y = int(reports.metric_value(report, "year"))
    if ledgers is None:  # computed per shard: so are the tables beside it
        def sharded_dashboard(lang):
            job.year = y
            shards = _shards(job)
            ch = _sharded(job, shards, {}, "changes") if "changes" in job.ledger_files else None
            sub = _sharded(job, shards, {}, "subsidies") if "subsidies" in job.ledger_files \
                else None
            return render.summary_dashboard(report, ch, sub, lang)
        return _emit(report, job, table=sharded_dashboard)
    ledgers = restrict(ledgers, job.township, job.village)

    def dashboard(lang):
        ch = reports.changes(ledgers, y) if ledgers.has("changes") else None
        sub = reports.subsidies(ledgers, y) if ledgers.has("subsidies") else None
        return render.summary_dashboard(report, ch, sub, lang)
    _emit(report, job, table=dashboard)


def _generic(job: Job, **options):
    """A report of the registry with nothing of its own on the command line: build it
    with its options, render it."""
    report, _ = _report(job, **options)
    if job.spec.title and job.lang == "zh":
        report.title = say(job.spec.title, "zh")
    _emit(report, job)


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
    from .read.load import keep_codes, read_ledgers
    from .readiness import age_range
    from .reports import Report

    if list_rules:
        return _emit(Report("rules", "Rules of povcli check", checks.rules_frame()),
                     job)
    params = checks.Params(school_age=age_range(school_age),
                           duplicate_window=duplicate_window, cadre_load=cadre_load,
                           incidence=incidence)
    rules = checks.select_rules(_split_codes(select), _split_codes(ignore))
    job.folder = resolve_data(job)
    shards = _check_shards(job)
    if shards:
        done = _check_sharded(job, shards, rules, params)
        if done is not None:
            return done
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
    keep_codes(ledgers)
    if job.year is not None:
        _year_note(job, ledgers)
    area = None
    if job.township or job.village:
        # the rules judge the whole set (what is usual, a voucher used twice, an ID in two
        # households) and the area's households' findings are shown, with those of no
        # household: what the county's check finds there, no more
        from .model import restrict
        area = restrict(ledgers, job.township, job.village,
                        registered_only=False).frame("households")["household_id"]
    with _progress() as progress:
        if progress:
            progress("checking")
        findings = checks.run_frame(ledgers, read_findings, rules, params, job.year)
    if area is not None:
        findings = findings.in_households(area)
    return _check_outcome(job, findings, len(rules), len(ledgers.loaded))


def _check_shards(job: Job) -> int:
    """How many household shards check runs in (0: the whole set at once): --shards;
    else 16 on a Dask cluster; else, when the ledgers are over the memory budget (and
    streamed: shards.streams), as many as keep a shard within it."""
    return _shard_count(job, streamed_only=True)


def _check_sharded(job: Job, shards: int, rules: list, params) -> int | None:
    """check per household shard over the shard dataset (api.check_sharded): the whole
    check's findings, the set never held whole. None when a file must be read whole."""
    from . import api, cache
    from .read.files import find_files

    assert job.folder is not None
    try:
        files, _ = find_files(job.folder)
        job.ledger_files = {n: s.path for n, s in files.items()}
    except OSError:
        pass
    with _progress() as progress:
        if progress:
            progress("checking")
        done = api.check_sharded(job.folder, shards, rules, params, job.year,
                                 _scheduler(job), job.township, job.village, job.encoding,
                                 use_cache=cache.enabled() and not State.no_cache,
                                 workers=None)
    if done is None:
        return None
    for note in done.notes:
        _note(job, note)
    span = done.meta.get("event_years")
    if job.year is not None and span and not span[0] <= job.year <= span[1]:
        _note(job, say("cli.year_outside", job.lang, year=job.year, first=span[0],
                       last=span[1]))
    return _check_outcome(job, done.findings, len(rules), len(done.meta["ledgers"]))


def _check_outcome(job: Job, findings, rules: int, ledgers: int) -> int:
    """check's findings written (masked unless asked), counted on stderr; the exit code."""
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
        _err(say("cli.check_clean", job.lang, rules=rules, ledgers=ledgers))
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
            cache.store(keys[name], name, one.frame, ledgers.cache_meta(name))


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

# --------------------------------------------------------------------------- audits (issue 14)

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


def _export(job: Job, folder: Path):
    """One export of the ledgers for diff: read and typed (errors of its cells exit 2);
    broken keys or references of an export are what diff may show, not a refusal."""
    from .read.load import read_ledgers

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


# --------------------------------------------------------------------------- the other reports

for _name, _spec in COMMANDS.items():
    if _spec.build and _name not in _callbacks:
        command(_name)(_generic)
# in the registry's order, which --help lists
for _name, _spec in COMMANDS.items():
    app.command(name=_name, help=_spec.help(HELP_LANG), short_help=_short_help(
        _spec.help(HELP_LANG)), rich_help_panel=_spec.panel)(_callbacks[_name])
