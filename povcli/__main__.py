"""Entry point of the `povcli` console script and `python -m povcli`."""

import os
import signal
import sys


def main() -> None:
    # A closed pipe (`povcli exits | head -1`) ends the program quietly, as in csvkit.
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and not stream.isatty():
            stream.reconfigure(encoding="utf-8")
    from .cli import app

    code = 0
    try:
        app(prog_name="povcli")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    code = _flushed(code)
    # Leave without tearing the interpreter down: Arrow's and jemalloc's background
    # threads, torn down at exit, now and then abort the process ("terminate called
    # without an active exception", SIGABRT) after the output is written. Everything is
    # flushed above, so nothing is lost by leaving at once.
    os._exit(code)


def _flushed(code: int) -> int:
    """Flush stdout and stderr; a full disk or a broken stdout is an error, exit 2."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        return code
    except OSError as exc:
        try:
            sys.stderr.write(f"povcli: error: cannot write the output: {exc.strerror or exc}\n")
        except OSError:
            pass
        code = code or 2
    try:
        sys.stderr.flush()
    except OSError:
        pass
    return code


if __name__ == "__main__":
    main()
