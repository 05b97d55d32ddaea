"""fast_lines finds line ends a window at a time: the same lines whatever the window,
blank lines, CRLF and a last line without its end included."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from povcli.read import records


def _plain(data: bytes) -> list[int]:
    """Line numbers (1-based) of the lines with something on them."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines = lines[:-1]
    return [i + 1 for i, line in enumerate(lines) if line.rstrip(b"\r")]


@settings(max_examples=200, deadline=None)
@given(data=st.lists(st.sampled_from([b"a", b"bc,d", b"", b"\r", b"x\r"]), max_size=30)
       .map(lambda parts: b"\n".join(parts)), window=st.integers(1, 9))
def test_windows_give_the_same_lines(data, window):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(records, "LINE_WINDOW", window)
        got = records.fast_lines(data)
    assert got.tolist() == _plain(data)
    assert got.dtype.kind == "i"


def test_empty():
    assert records.fast_lines(b"").tolist() == []
    assert isinstance(records.fast_lines(b"a\n"), np.ndarray)


@settings(max_examples=200, deadline=None)
@given(data=st.lists(st.sampled_from([b"a", b"bc,d", b"", b"\r", b"x\r", b"\r\r"]), max_size=30)
       .map(lambda parts: b"\n".join(parts)), window=st.integers(1, 9), start=st.integers(0, 4))
def test_file_lines_as_fast_lines(tmp_path_factory, data, window, start):
    path = tmp_path_factory.mktemp("lines") / "f.csv"
    path.write_bytes(data)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(records, "LINE_WINDOW", window)
        got = records.file_lines(path, start)
    assert got.tolist() == records.fast_lines(data[start:]).tolist()
