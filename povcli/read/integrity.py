"""Unique keys and references between ledgers, as the contract declares them; a
reference that lost its leading zeros (Excel ate them) says so."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..findings import Finding
from ..schema import LEDGERS
from .arrowkit import arrow, fingerprints, index_in, is_in, mix, repeats
from .loaded import LedgerSet, LoadedLedger

# The check rules these findings are filed under (check's L02 and L03), given where each
# finding is made: a rule never tells them apart by their words.
DUPLICATE_KEY = "L02"
BROKEN_REFERENCE = "L03"


# Above this many rows, the checks run two at a time: Arrow's hashing lets go of the GIL
THREADED_ROWS = 500_000


def integrity_findings(ledgers: LedgerSet) -> list[Finding]:
    """Unique keys and references between ledgers, as the contract declares them."""
    tasks: list = []
    for name, one in ledgers.loaded.items():
        ledger = one.ledger
        tasks += [partial(_key_findings, one, key) for key in ledger.keys]
        for ref in ledger.references:
            target = ledgers.get(ref.target)
            if target is None and ref.target in ledgers.files:
                continue  # the target could not be read; its own findings say why
            if target is None:
                tasks.append(partial(_absent, one, ref.target))
                continue
            tasks.append(partial(_reference_findings, one, ref, ledgers.loaded[ref.target]))
    rows = sum(len(one.frame) for one in ledgers.loaded.values())
    if rows >= THREADED_ROWS and len(tasks) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(2) as pool:
            # the largest first, so that the two threads end at about the same time
            futures = {id(t): pool.submit(t) for t in sorted(tasks, key=_size, reverse=True)}
            found = [futures[id(t)].result() for t in tasks]
    else:
        found = [t() for t in tasks]
    return [f for some in found for f in some]


def _size(task) -> int:
    return len(task.args[0].frame)


def _absent(one: LoadedLedger, target: str) -> list[Finding]:
    return [Finding.of(one.display, "reader.refers_absent", code=BROKEN_REFERENCE,
                       target=target, filename=LEDGERS[target].filename)]


def _key_findings(one: LoadedLedger, key: tuple[str, ...]) -> list[Finding]:
    """Every record repeating the key of an earlier one, with the line of the first."""
    sub = one.frame[list(key)].dropna()
    dup = _repeated(sub)
    if not dup.any():
        return []
    findings = []
    rows = sub[dup]
    first = rows.groupby(list(key), sort=False, observed=True).head(1)
    first_line = {tuple(r): one.line(i) for i, r in zip(first.index, first.itertuples(index=False))}
    for i, r in zip(rows.index, rows.itertuples(index=False)):
        line = one.line(i)
        if first_line[tuple(r)] == line:
            continue
        findings.append(Finding.of(
            one.display, "reader.duplicate_key", line, key[0],
            " / ".join(str(v) for v in r), code=DUPLICATE_KEY,
            header=one.headers.get(key[0]),
            key=" + ".join(key), first=first_line[tuple(r)]))
    return findings


def _repeated(sub: pd.DataFrame) -> np.ndarray:
    """Whether each row's key (its columns; none missing) repeats. The fingerprints of
    the columns (text by arrowkit.fingerprints, years and dates by pandas' codes) fold
    into one per row; sorted, equal neighbours name the few candidates, which pandas
    compares exactly: a collision costs time, never a wrong finding."""
    prints = np.zeros(len(sub), dtype=np.uint64)
    for column in sub.columns:
        values = sub[column]
        part = None
        if pd.api.types.is_string_dtype(values.dtype) and not isinstance(
                values.dtype, pd.CategoricalDtype):
            try:
                part = fingerprints(values)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                pass  # not all text after all: pandas' codes below
        if part is None:
            part = pd.factorize(values)[0].astype(np.uint64)
        prints = mix(prints, part)
    maybe = repeats(prints)
    out = np.zeros(len(sub), dtype=bool)
    if maybe.any():
        out[maybe] = sub[maybe].duplicated(keep=False).to_numpy()
    return out


def _reference_findings(one: LoadedLedger, ref, target_one: LoadedLedger) -> list[Finding]:
    """Rows of `one` whose reference is not among `target_one`'s rows, named as the
    user's files name them (the target's file, and its column's header)."""
    target = target_one.frame
    cols = list(ref.columns)
    sub = one.frame[cols].dropna()
    if sub.empty:
        return []
    wanted = target[list(ref.target_columns)].dropna()
    if len(cols) == 1:
        found = is_in(sub[cols[0]], wanted.iloc[:, 0])
    else:  # a pair: each column's codes, shared by both sides, make one integer key
        found = _pairs_in(sub, cols, wanted, list(ref.target_columns))
    bad = sub[~found]
    filename = f"{target_one.path.name}[{target_one.sheet}]" if target_one.sheet \
        else target_one.path.name
    if bad.empty:
        return []
    header = one.headers.get(cols[0])
    if len(cols) == 1:
        padded = _lost_zeros(bad[cols[0]], wanted.iloc[:, 0])
        return [Finding.of(one.display, "reader.not_in_zeros", one.line(i), cols[0], value,
                           code=BROKEN_REFERENCE, header=header, filename=filename, short=value,
                           padded=p)
                if p is not None else
                Finding.of(one.display, "reader.not_in", one.line(i), cols[0], value,
                           code=BROKEN_REFERENCE, header=header, filename=filename)
                for i, value, p in zip(bad.index, bad[cols[0]], padded)]
    # (person_id, household_id): say which of the two is wrong
    first, second = cols
    key = target_one.headers.get(ref.target_columns[1], second)
    known = wanted[is_in(wanted.iloc[:, 0], bad[first])].drop_duplicates(ref.target_columns[0])
    owner = dict(zip(known.iloc[:, 0], known.iloc[:, 1]))
    out = []
    for i, a, b in zip(bad.index, bad[first], bad[second]):
        if a in owner:
            out.append(Finding.of(one.display, "reader.belongs", one.line(i), first, a,
                                  code=BROKEN_REFERENCE, header=header, key=key, owner=owner[a],
                                  filename=filename, other=b))
        else:
            out.append(Finding.of(one.display, "reader.not_in", one.line(i), first, a,
                                  code=BROKEN_REFERENCE, header=header, filename=filename))
    return out


def _pairs_in(sub: pd.DataFrame, cols: list[str], wanted: pd.DataFrame,
              target_cols: list[str]) -> np.ndarray:
    """Whether each row's pair of values (cols) is a pair of wanted (target_cols).

    Most people belong to one household: the first row of wanted with the row's first
    value (a person) is looked up by hashing that column alone, and its second value
    (the household) compared as text. Only rows whose first value is known but whose
    pair is not that first one (someone in two households) compare pairs in full."""
    first, second = cols
    if not len(wanted):
        return np.zeros(len(sub), dtype=bool)
    pos = index_in(sub[first], wanted[target_cols[0]])
    found = pos >= 0
    mine = arrow(sub[second])
    theirs = arrow(wanted[target_cols[1]]).take(pa.array(np.maximum(pos, 0)))
    same = found & pc.fill_null(pc.equal(mine, theirs), False).to_numpy(zero_copy_only=False)
    unsure = np.flatnonzero(found & ~same)
    if len(unsure):
        rows = sub.iloc[unsure]
        pool = wanted[is_in(wanted[target_cols[0]], rows[first])]

        def joined(frame, names):
            return pc.binary_join_element_wise(*[arrow(frame[c]) for c in names], "\x1f")
        same[unsure] = is_in(joined(rows, cols), joined(pool, target_cols))
    return same


def _lost_zeros(values, pool) -> list:
    """For each value, the id of pool it is once the leading zeros Excel ate are put back
    (left-padded to the length of pool's ids), else None. In Arrow: no loop per value."""
    a = arrow(values)
    b = arrow(pool)
    if not len(a) or not len(b):
        return [None] * len(a)
    digits = pc.fill_null(pc.match_substring_regex(a, r"^[0-9]+$"), False)
    if not pc.any(digits).as_py():
        return [None] * len(a)
    own = pc.utf8_length(a)
    counts = pc.value_counts(pc.utf8_length(b))
    by_count = sorted(zip(counts.field("counts").to_pylist(),
                          counts.field("values").to_pylist()), reverse=True)[:8]
    out = pa.nulls(len(a), pa.string())
    for _, width in by_count:
        if width is None:
            continue
        padded = pc.utf8_lpad(a, width, "0")
        hit = pc.and_(pc.and_(digits, pc.less(own, width)),
                      pc.fill_null(pc.is_in(padded, value_set=b), False))
        hit = pc.and_(hit, pc.is_null(out))
        out = pc.if_else(hit, padded, out)
    return out.to_pylist()
