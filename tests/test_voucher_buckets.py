"""The voucher bitmaps of a sharded check: built packed, and folded in one shard at a
time (never all held). The plain way: every bitmap folded to the smallest, then a bucket
is held twice when two shards hold it. Folded as they come, the buckets held twice are
those, exactly when no smaller bitmap comes later (at a national set every shard's is
the same size); else a few more (a bucket held twice only costs its vouchers a compare
as text in the merge, never a finding)."""

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from povcli import checks_sharded as cs


def _plain(bitmaps):
    size = min(len(b) for b in bitmaps)
    once = np.zeros(size, dtype=np.uint8)
    twice = np.zeros(size, dtype=np.uint8)
    for b in bitmaps:
        b = cs._fold(b, size)
        twice |= once & b
        once |= b
    return twice


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([1, 2, 4, 8]), st.integers(0, 2**32 - 1)),
                min_size=1, max_size=6))
def test_folded_as_they_come_as_all_at_once(specs):
    rng = [np.random.default_rng(seed) for _, seed in specs]
    bitmaps = [r.integers(0, 256, size, dtype=np.uint8) & r.integers(0, 256, size,
                                                                        dtype=np.uint8)
               for (size, _), r in zip(specs, rng)]
    buckets = cs._Buckets()
    for b in bitmaps:
        buckets.add(b)
    plain = _plain(bitmaps)
    assert (plain & ~buckets.twice).tolist() == [0] * len(plain)  # never fewer
    if len(bitmaps[0]) == min(len(b) for b in bitmaps):
        assert buckets.twice.tolist() == plain.tolist()


def test_bitmap_built_packed_as_packbits():
    vouchers = pd.Series([f"V{i}" for i in range(5000)] + [None, "V7"], dtype=object)
    bits = cs._voucher_bitmap(pd.DataFrame({"voucher": vouchers}), 3)
    size = len(bits) * 8
    plain = np.zeros(size, dtype=bool)
    plain[(cs._prints(vouchers.dropna()) & np.uint64(size - 1)).astype(np.int64)] = True
    assert bits.tolist() == np.packbits(plain, bitorder="little").tolist()
