"""Generic Arrow helpers: values as an Arrow array, codes of distinct values, positions
and membership in a pool, all hashed in Arrow (no Python per cell)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def steady_allocator() -> None:
    """Arrow's memory from jemalloc where it has it (Linux, macOS), unless
    $ARROW_DEFAULT_MEMORY_POOL chooses. With its default, mimalloc, system time was
    about a third of a run's CPU: a cold summary of a million households took 12.2-13.0 s
    with jemalloc against 13.8-14.8 s (system time 3.4-4.4 s against 6.4-7.8 s), show
    11.7 against 14.0 s, at the same peak memory or less."""
    import os

    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except (NotImplementedError, pa.ArrowException):
        pass  # an Arrow built without it (Windows): its default stays


def arrow(values) -> pa.ChunkedArray:
    """Values (a Series, Index, array, set or list of strings) as an Arrow array."""
    if isinstance(values, (set, frozenset)):
        values = list(values)
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.array
    try:
        arr = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = pa.array([None if pd.isna(v) else str(v) for v in values], pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if pa.types.is_large_string(arr.type) or pa.types.is_null(arr.type):
        arr = arr.cast(pa.string())
    return arr


def factorize(values) -> tuple[np.ndarray, pa.Array]:
    """(code of each value, -1 where missing; the distinct values), hashed in Arrow."""
    a = arrow(values)
    encoded = pc.dictionary_encode(a)
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return codes.astype(np.int64), encoded.dictionary


def factorize_together(*columns) -> tuple[np.ndarray, pa.Array]:
    """factorize of the columns one after the other, without concatenating them first:
    Arrow hashes the pieces as one chunked array, with one dictionary for all."""
    pieces = [arrow(c) for c in columns]
    encoded = pc.dictionary_encode(pa.chunked_array(pieces, pa.string()))
    if not encoded.num_chunks:  # nothing at all
        return np.zeros(0, dtype=np.int64), pa.array([], pa.string())
    codes = np.concatenate([pc.fill_null(c.indices, -1).to_numpy(zero_copy_only=False)
                            for c in encoded.chunks]).astype(np.int64)
    return codes, encoded.chunk(0).dictionary


def index_in(values, pool) -> np.ndarray:
    """Position of each value in pool (its first occurrence), -1 where absent; in Arrow."""
    a = arrow(values)
    if len(a) == 0:
        return np.zeros(0, dtype=np.int64)
    b = arrow(pool)
    if a.type != b.type:
        b = b.cast(a.type) if len(b) else pa.array([], a.type)
    return pc.fill_null(pc.index_in(a, value_set=b), -1).to_numpy(
        zero_copy_only=False).astype(np.int64)


def is_in(values, pool) -> np.ndarray:
    """Elementwise membership of values in pool, in Arrow (hashing, no Python per cell)."""
    a = arrow(values)
    if len(a) == 0:
        return np.zeros(0, dtype=bool)
    b = arrow(pool)
    if a.type != b.type:
        b = b.cast(a.type) if len(b) else pa.array([], a.type)
    return pc.fill_null(pc.is_in(a, value_set=b), False).to_numpy(zero_copy_only=False)


def distinct(values) -> np.ndarray:
    """np.unique(values), sorted, of numbers or dates: by sorting. numpy 2.3 and later
    hash instead, which took 1.5 s for 2.5 M distinct integers (sorting: 0.04 s). NaN and
    NaT are one value, as np.unique has them."""
    keys = np.sort(np.asarray(values).ravel())
    if keys.dtype.kind not in "iufmMb" or not len(keys):
        return np.unique(keys)
    if keys.dtype.kind in "mM":  # NaT is never equal to itself: compared as integers
        same = keys.view(np.int64)
        new = same[1:] != same[:-1]
    elif keys.dtype.kind == "f":  # (NaNs sort last, each unequal to the others)
        new = (keys[1:] != keys[:-1]) & ~(np.isnan(keys[1:]) & np.isnan(keys[:-1]))
    else:
        new = keys[1:] != keys[:-1]
    return keys[np.concatenate(([True], new))]


# --------------------------------------------------------------------------- ledger sets


# --------------------------------------------------------------------------- repeats

_MIX = np.uint64(0x9E3779B97F4A7C15)
_LOW_BYTES = np.array([(1 << (8 * i)) - 1 for i in range(8)] + [(1 << 64) - 1], dtype=np.uint64)


def fingerprints(values, step: int = 1 << 21) -> np.ndarray:
    """A 64-bit fingerprint of each text, from its bytes read eight at a time (no hash
    table): equal texts have equal fingerprints; unequal ones almost never do. Missing
    values have the fingerprint of the empty text."""
    a = arrow(values)
    out = np.empty(len(a), dtype=np.uint64)
    for at in range(0, len(a), step):
        part = a.slice(at, step)
        buffers = part.buffers()
        offsets = np.frombuffer(buffers[1], dtype=np.int32)[part.offset:
                                                             part.offset + len(part) + 1]
        lo, hi = int(offsets[0]), int(offsets[-1])
        padded = np.zeros(hi - lo + 8, dtype=np.uint8)  # 8 spare bytes: every read is in
        if hi > lo:
            padded[:hi - lo] = np.frombuffer(buffers[2], dtype=np.uint8)[lo:hi]
        # the 8 bytes from any byte on, as one integer (x86 and ARM read them unaligned)
        eight = np.ndarray(shape=(hi - lo + 1,), dtype=np.uint64, buffer=padded, strides=(1,))
        lengths = np.diff(offsets).astype(np.int64)
        starts = offsets[:-1].astype(np.int64) - lo
        h = lengths.astype(np.uint64) * _MIX
        for word in range(int(lengths.max() + 7) // 8 if len(lengths) else 0):
            left = np.clip(lengths - 8 * word, 0, 8)
            mixed = mix(h, eight[np.minimum(starts + 8 * word, hi - lo)] & _LOW_BYTES[left])
            # a text's rounds are its own words only, whatever the longest beside it
            h = np.where(left > 0, mixed, h)
        out[at:at + len(part)] = h
    return out


def mix(h: np.ndarray, part: np.ndarray) -> np.ndarray:
    """One round folding 64-bit `part` into fingerprints `h` (multiply, shift, xor)."""
    h = (h ^ part) * _MIX
    return h ^ (h >> np.uint64(29))


def repeats(prints: np.ndarray) -> np.ndarray:
    """Whether each fingerprint occurs more than once: the candidates of a repeat, found
    by sorting (no hash table). Equal values are among them; unequal ones rarely."""
    ordered = np.sort(prints)
    twice = ordered[1:][ordered[1:] == ordered[:-1]]
    return np.isin(prints, twice) if len(twice) else np.zeros(len(prints), dtype=bool)


def give_back_memory() -> None:
    """Return freed memory to the system: Arrow's pool keeps what it freed for the next
    allocation, and so does the C library's, so a process that has streamed a national
    set would go on holding gigabytes it no longer uses while its workers compute."""
    import gc

    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing more to give back
        pass
