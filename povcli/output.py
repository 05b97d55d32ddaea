"""Where output goes: the format, the file, and writing it safely.

povcli never changes a ledger: an output path that is (or would become) a ledger of
the folder being read is refused. Every file is written to a temporary name beside it
and renamed at the end, so an interrupted run (Ctrl-C, a full disk) leaves the old file
as it was and no half file. No pandas here.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import unicodedata
from pathlib import Path
from typing import Callable, Iterable

from .findings import UsageError
from .messages import define
from .registry import EXTENSIONS

define({
    "output.mismatch": ("-o {name} does not agree with --format {fmt}: name the file "
                        "*{ext} or drop --format",
                        "-o {name} 与 --format {fmt} 不一致：文件名请以 {ext} 结尾，或去掉 --format"),
    "output.unknown_ext": ("cannot tell the format from '{name}': give --format ({formats}) "
                           "or a name ending in {exts}",
                           "无法从“{name}”判断格式：请用 --format（{formats}）或以 {exts} 结尾的文件名"),
    "output.not_offered": ("{command} writes {formats}, not {fmt}",
                           "{command} 只能输出 {formats}，不能输出 {fmt}"),
    "output.is_ledger": ("-o {path} is the {ledger} ledger being read: povcli never "
                         "changes a ledger; write somewhere else",
                         "-o {path} 是正在读取的{ledger:ledger_zh}：povcli 从不改动台账，请写到别处"),
    "output.would_be_ledger": ("-o {path} would be read as the {ledger} ledger next time "
                               "(it is in the ledger folder): write somewhere else",
                               "-o {path} 位于台账文件夹中，下次会被当作{ledger:ledger_zh}读取：请写到别处"),
    "output.needs_file": ("{fmt} is written to a file: give -o FILE{ext}",
                          "{fmt} 需要写入文件：请用 -o 文件名{ext}"),
    "output.cannot_write": ("cannot write {path}: {reason}", "无法写入 {path}：{reason}"),
    "output.disk_full": ("the disk is full", "磁盘已满"),
    "output.stdout_failed": ("cannot write the output: {reason}", "无法输出：{reason}"),
})

FILE_ONLY = {"xlsx", "html"}  # never poured onto a terminal


def ext_of(fmt: str) -> str:
    return {"markdown": ".md", "table": ".txt"}.get(fmt, "." + fmt)


def choose(fmt: str | None, output: str | None, offered: Iterable[str], command: str,
           terminal: bool) -> tuple[str, Path | None]:
    """(format, file or None for stdout) from --format, -o and where stdout goes."""
    offered = tuple(offered)
    path = None if output in (None, "-") else Path(output)
    if path is not None:
        ext = path.suffix.lower()
        by_ext = EXTENSIONS.get(ext)
        if fmt and by_ext and by_ext != fmt and not (fmt == "table" and ext == ".txt"):
            raise UsageError.of("output.mismatch", name=path.name, fmt=fmt, ext=ext_of(fmt))
        if by_ext is None and (ext or not fmt):
            raise UsageError.of("output.unknown_ext", name=path.name, formats=", ".join(offered),
                                exts=", ".join(sorted({ext_of(f) for f in offered})))
        fmt = fmt or by_ext
    if fmt is None:
        fmt = "table" if terminal else ("csv" if "csv" in offered else offered[0])
    if fmt not in offered:
        raise UsageError.of("output.not_offered", command=command, fmt=fmt,
                            formats=", ".join(offered))
    return fmt, path


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def guard(path: Path | None, ledger_files: dict[str, Path], folder: Path | None,
          ledger_of_name: Callable[[str], str | None] | None = None) -> None:
    """Refuse an output path that is a ledger being read (however spelled: relative,
    absolute, other case on a case-insensitive disk, a symlink), or that would be taken
    for a ledger of the folder the next time povcli reads it."""
    if path is None:
        return
    for name, ledger in ledger_files.items():
        if _same(path, ledger) or (not path.exists() and os.path.normcase(
                os.path.abspath(path)) == os.path.normcase(os.path.abspath(ledger))):
            raise UsageError.of("output.is_ledger", path=str(path), ledger=name)
    if folder is not None and folder.is_dir() and ledger_of_name is not None:
        parent = path.parent if str(path.parent) else Path(".")
        if _same(parent, folder):
            stem = unicodedata.normalize("NFC", path.stem).strip().casefold()
            would_be = ledger_of_name(stem)
            if would_be and path.suffix.lower() in (".csv", ".tsv", ".xlsx", ".xlsm", ".xls",
                                                    ".ods"):
                raise UsageError.of("output.would_be_ledger", path=str(path), ledger=would_be)


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        from .messages import say
        return say("output.disk_full")
    return exc.strerror or str(exc)


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Call write(temporary path) and rename the result onto path; on any failure or
    interruption the temporary file is removed and path is left as it was."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".povcli-tmp", dir=folder)
    except OSError as exc:
        raise UsageError.of("output.cannot_write", path=str(path), reason=_reason(exc)) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        with open(tmp_path, "rb+") as handle:
            os.fsync(handle.fileno())
        if path.exists():  # keep the old file's permissions
            with contextlib.suppress(OSError):
                os.chmod(tmp_path, path.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise UsageError.of("output.cannot_write", path=str(path), reason=_reason(exc)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def write_text(path: Path, text: str, bom: bool = False) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    write_atomic(path, lambda tmp: tmp.write_bytes(data))


def to_stdout(text: str) -> None:
    """Write to stdout; a full disk or a closed stream is a message, not a traceback."""
    import sys

    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise UsageError.of("output.stdout_failed", reason=_reason(exc)) from None
