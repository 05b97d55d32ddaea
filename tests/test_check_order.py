"""S04 orders payments by (payee and amount group, date, file order) in one sort of a
combined key when it can: the order must be np.lexsort's, whole days or not."""

import numpy as np
from hypothesis import given, settings, strategies as st

from povcli.checks import _by_group_and_date

DAY = 86400


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 9)), max_size=300),
       seconds=st.booleans(), big=st.booleans())
def test_order_is_lexsorts(rows, seconds, big):
    group = np.array([g for g, _ in rows], dtype=np.int64)
    if big:  # a key too large to multiply out
        group = group * np.int64(2**61)
    date = np.array([d for _, d in rows], dtype=np.int64) * DAY + 1_500_000_000 // DAY * DAY
    if seconds and len(date):
        date[0] += 3600  # not a whole day: the plain lexsort
    want = np.lexsort((date, group))
    assert _by_group_and_date(group, date).tolist() == want.tolist()
