"""Chinese --help that fits the terminal.

Click wraps help text by counting characters, but a Chinese character takes two cells
of a terminal: `--help` in Chinese ran past an 80-column screen. `install()` gives
Click's text wrapper cell widths, and lets a line break between two Chinese characters
(never before closing punctuation) as well as at spaces. Standard library only:
`povcli --help` must stay fast.
"""

from __future__ import annotations

import re
import unicodedata

# a wide character with the closing punctuation that must stay on its line, a run of
# white space, or a run of anything else (a word, an option, a number)
_CHUNK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef][，。、；：）》」』”’！？]*|\s+"
                    r"|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+")


def cells(text: str) -> int:
    """Terminal cells `text` takes: two for wide (East Asian) characters."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _wrapper_module():
    try:  # Typer 0.20 and later carry their own Click
        from typer._click import _textwrap  # type: ignore[attr-defined]
    except ImportError:
        from click import _textwrap  # type: ignore[no-redef]
    return _textwrap


def install() -> None:
    """Make Click wrap help text by terminal cells (once)."""
    module = _wrapper_module()
    base = module.TextWrapper
    if getattr(base, "by_cells", False):
        return

    class CellWrapper(base):  # type: ignore[misc, valid-type]
        by_cells = True

        def _split(self, text: str) -> list[str]:
            return _CHUNK.findall(text)

        def _wrap_chunks(self, chunks: list[str]) -> list[str]:
            lines: list[str] = []
            chunks.reverse()
            while chunks:
                indent = self.subsequent_indent if lines else self.initial_indent
                width = self.width - cells(indent)
                if self.drop_whitespace and lines and not chunks[-1].strip():
                    chunks.pop()
                line: list[str] = []
                used = 0
                while chunks and used + cells(chunks[-1]) <= width:
                    used += cells(chunks[-1])
                    line.append(chunks.pop())
                if chunks and not line:  # one chunk wider than the line: it goes alone
                    line.append(chunks.pop())
                if self.drop_whitespace and line and not line[-1].strip():
                    line.pop()
                if line:
                    lines.append(indent + "".join(line))
            return lines

    module.TextWrapper = CellWrapper
