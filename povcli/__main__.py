"""Entry point of the `povcli` console script and `python -m povcli`."""

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

    app(prog_name="povcli")


if __name__ == "__main__":
    main()
