"""Generic Arrow helpers: values as an Arrow array, codes of distinct values, positions
and membership in a pool, all hashed in Arrow (no Python per cell)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


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


# --------------------------------------------------------------------------- ledger sets
