"""`povcli check` one household shard at a time: findings identical to the whole set's.

A shard (shards.py) holds every row of a set of households, the households that share
a person together, and the small ledgers that are not household-keyed whole. Most rules
look within a household or within a person's rows: they run on each shard as they are.
The few that look across households get what they need of the whole set in two phases:

1. each shard gives a small exact aggregate, merged here:
   - S03 (a voucher twice): a bitmap of its vouchers' 64-bit fingerprints
     (read.arrowkit.fingerprints); merged, the buckets two shards or more hold;
   - S07 (outliers): how many payments of each amount in each program and year, so the
     median and the median absolute deviation are exact;
   - P02 (a cadre's load): each cadre's households, by the cadre's fingerprint; merged,
     the fingerprints of cadres over the load;
   - V01 (a village's poverty incidence): poor people per village at the end of each
     exit year;
   - E07: whether any household's category says 脱贫户; M09: when monitoring began.
2. each shard runs every rule, those five with the merged aggregate (Context.whole).
   Left to the merge, which compares texts, exactly:
   - a voucher in a bucket another shard also holds: the shard sends its fingerprint;
     a shard holding a fingerprint that is on two payments of the set is read a third
     time, for those rows (a clean set: no shard);
   - the cadres over the load: each shard's first `cadre_load + 1` pairings of each,
     and its households (a household, hence a pairing, is in one shard);
   - M03's note of a year with no monitoring line, said once at the set's first row.

The findings of ledgers that are not household-keyed (projects, villages, policy),
whole in every shard, and those of no line (a ledger refers to one that is absent) are
kept from shard 0 only; the reading findings (L01) are the whole set's, filed once.
Keys and references (L02, L03) are checked per shard: every key of a household-keyed
ledger holds its household, every reference points into its household or its person's
(shards.assign). When `read_findings` already hold them (findings filed L02 or L03, as
integrity_findings makes them over the whole set), those are used instead, once.

The map runs here, on local cores (spawned processes) or on a Dask cluster, as
shards.run_map does; `shard(k)` must then be picklable (functools.partial of
cache.read_shard, or `Split` below for a set in memory).
"""

from __future__ import annotations

import gc
from datetime import date
from typing import Callable

import numpy as np
import pandas as pd

from .checks import (RULES, OPT_IN, Context, Params, Rule, _batches, _payments, _true,
                     cadre_households, program_codes, year_program_key)
from .findframe import Batch, FindingFrame
from .findings import Finding
from .read.arrowkit import distinct
from .read.loaded import LedgerSet
from .model import year_end

# rules that need the whole set's aggregate (phase 1)
CROSS = ("S03", "S07", "P02", "V01", "E07", "M09")
MIN_BITS, MAX_BITS = 1 << 13, 1 << 31  # the voucher bitmap: 1 KiB .. 256 MiB


class Split:
    """A ledger set in memory as `shards` household shards: `Split(ledgers, n)(k)` is
    shard k, as shards.each_shard gives it (picklable: it travels with its set)."""

    def __init__(self, ledgers: LedgerSet, shards: int):
        self.ledgers, self.shards = ledgers, shards
        self._where: dict | None = None

    def __call__(self, k: int) -> LedgerSet:
        from dataclasses import replace

        from .shards import assign

        if self._where is None:
            self._where = assign(self.ledgers, self.shards)
        loaded = {}
        for name, one in self.ledgers.loaded.items():
            if name in self._where:
                # the whole file's lines, found once for every shard (not from its bytes
                # again by each): a shard's labels are the file's records
                one = replace(one, frame=one.frame[self._where[name] == k], _data=None,
                              _record_lines=one._record_lines, _reread=_Whole(one),
                              _records=max(one._records, 1))
            loaded[name] = one
        return replace(self.ledgers, loaded=loaded)


class _Whole:
    """A shard's ledger's way back to its whole ledger (and its lines): picklable."""

    def __init__(self, one):
        self.one = one

    def __call__(self):
        return self.one


# --------------------------------------------------------------------------- phase 1

def _prints(vouchers: pd.Series) -> np.ndarray:
    """Each voucher's fingerprint, mixed once more: the low bits pick its bucket, and
    those of short texts alike (V1, V2, ...) are not spread enough as they come."""
    from .read.arrowkit import fingerprints, mix

    return mix(np.zeros(1, dtype=np.uint64), fingerprints(vouchers))


def voucher_prints(vouchers: pd.Series, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each voucher's fingerprint, and whether it falls in a bucket set in `bits` (a
    packed bitmap, little-endian bit order, of a power of two bits)."""
    if not len(vouchers):
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=bool)
    prints = _prints(vouchers)
    bucket = prints & np.uint64(len(bits) * 8 - 1)
    return prints, ((bits[(bucket >> np.uint64(3)).astype(np.int64)]
                     >> (bucket & np.uint64(7)).astype(np.uint8)) & 1).astype(bool)


def _voucher_bitmap(pay: pd.DataFrame, shards: int) -> np.ndarray:
    """The buckets of this shard's vouchers' fingerprints, about 32 bits a voucher
    of the whole set (its shard's count times the shards: the merge folds every shard's
    bitmap to the smallest)."""
    vouchers = pay["voucher"]
    vouchers = vouchers[vouchers.notna().to_numpy()]
    size = MIN_BITS
    while size < min(32 * len(vouchers) * shards, MAX_BITS):
        size *= 2
    # set bit by bit in the packed bytes (a byte a bit first took 2 GiB a shard at the cap)
    out = np.zeros(size // 8, dtype=np.uint8)
    if len(vouchers):
        bucket = distinct(_prints(vouchers) & np.uint64(size - 1))
        np.bitwise_or.at(out, (bucket >> np.uint64(3)).astype(np.int64),
                         np.left_shift(1, (bucket & np.uint64(7)).astype(np.uint8)
                                       ).astype(np.uint8))
    return out


def _fold(bits: np.ndarray, size: int) -> np.ndarray:
    """A bitmap of a power of two bytes folded to `size` bytes (bucket modulo the size:
    a fingerprint's low bits pick its bucket, so folding keeps it in its bucket)."""
    return np.bitwise_or.reduce(bits.reshape(-1, size), axis=0) if len(bits) > size else bits


def _amount_counts(ctx: Context) -> dict:
    """How many positive payments of each amount in each program and year (S07), as
    arrays (year, program code, amount, n) with the programs' names: one sort of integer
    keys and amounts, no grouping by text, no text a row."""
    pay = _payments(ctx)
    positive = _true(pay["amount"] > 0)
    code, programs = program_codes(pay["program"])
    code = code[positive]
    known = code >= 0
    year = pay["date"].dt.year.to_numpy()[positive].astype(np.int64)[known]
    amount = pay["amount"].to_numpy(dtype=float)[positive][known]
    return dict(zip(("year", "code", "amount", "n"), _runs(year, code[known], amount)),
                programs=list(programs))


def _runs(year: np.ndarray, code: np.ndarray, amount: np.ndarray,
          n: np.ndarray | None = None) -> tuple:
    """(year, code, amount) sorted and once each, with how many (or the sum of `n`)."""
    order = _by_group_and_amount(year, code, amount)
    year, code, amount = year[order], code[order], amount[order]
    starts = np.flatnonzero(np.r_[True, (year[1:] != year[:-1]) | (code[1:] != code[:-1])
                                  | (amount[1:] != amount[:-1])])[:len(year)]
    counts = np.diff(np.r_[starts, len(year)]).astype(np.int64) if n is None else \
        np.add.reduceat(n[order], starts) if len(starts) else np.zeros(0, dtype=np.int64)
    return year[starts], code[starts], amount[starts], counts


def _by_group_and_amount(year: np.ndarray, code: np.ndarray, amount: np.ndarray
                         ) -> np.ndarray:
    """The order of rows by year, program code and amount: the amounts sorted first, then
    a stable sort of a small key of year and program (a radix sort of 16 bits), where a
    three-key np.lexsort of 8 M payments took 3 s. (Equal rows in any order: they are
    counted together.)"""
    key, small = year_program_key(year, code)
    if small:
        order = np.argsort(amount)
        return order[np.argsort(key[order].astype(np.int16), kind="stable")]
    return np.lexsort((amount, code, year))


class _Amounts:
    """Every shard's _amount_counts, their programs coded alike, collapsed into one
    (the sums of each amount) whenever they hold more than COLLAPSE_ROWS rows."""

    def __init__(self):
        self.programs: dict = {}
        self.parts: list[tuple] = []
        self.rows = 0

    def add(self, part: dict) -> None:
        names = np.asarray([self.programs.setdefault(p, len(self.programs))
                            for p in part["programs"]], dtype=np.int64)
        self.parts.append((part["year"], names[part["code"]] if len(names) else part["code"],
                           part["amount"], part["n"]))
        self.rows += len(part["year"])
        if self.rows > COLLAPSE_ROWS and len(self.parts) > 1:
            self.parts = [_runs(*(np.concatenate(c) for c in zip(*self.parts)))]
            self.rows = len(self.parts[0][0])

    def stats(self) -> pd.DataFrame:
        """Per (year, program): median, MAD (median of |amount - median|) and size, exact."""
        year, code, amount, n = _runs(*(np.concatenate(c) for c in zip(*self.parts))) \
            if self.parts else (np.zeros(0, dtype=np.int64),) * 4
        names = np.asarray(list(self.programs), dtype=object)
        bounds = np.flatnonzero(np.r_[True, (year[1:] != year[:-1]) | (code[1:] != code[:-1]),
                                      True])[:len(year) + 1] if len(year) else np.zeros(1, int)
        keys, rows = [], []
        for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            a, c = amount[lo:hi], n[lo:hi]
            median = _median(a, c)
            dev = np.abs(a - median)
            order = np.argsort(dev, kind="stable")
            keys.append((int(year[lo]), names[code[lo]]))
            rows.append((median, _median(dev[order], c[order]), int(c.sum())))
        index = pd.MultiIndex.from_tuples(keys, names=["year", "program"]) if keys else \
            pd.MultiIndex.from_arrays([np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)],
                                      names=["year", "program"])
        return pd.DataFrame(rows, index=index, columns=["median", "mad", "size"])


def _median(values: np.ndarray, counts: np.ndarray) -> float:
    """The median of values (sorted) each repeated counts times, as pandas takes it: the
    middle one, or the two middle ones added and halved."""
    n = int(counts.sum())
    ends = np.cumsum(counts)
    hi = values[np.searchsorted(ends, n // 2, side="right")]
    if n % 2:
        return float(hi)
    return float((values[np.searchsorted(ends, n // 2 - 1, side="right")] + hi) / 2)


def _cadre_counts(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """(fingerprint, households) of each cadre here (P02), by fingerprint: eight bytes a
    cadre, where their texts took a national set's merge past 8 GiB. The merge keeps
    the fingerprints of cadres over the load; a shared fingerprint (two cadres' texts
    alike by chance) only makes a few more rows compared as text, never a finding."""
    prints = np.sort(_prints(cadre_households(ctx.frame("pairings"))["cadre"]))
    return _print_sums(prints, np.ones(len(prints), dtype=np.int64))


def _print_sums(prints: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fingerprints (sorted) once each, with their n summed."""
    if not len(prints):
        return prints, n
    starts = np.flatnonzero(np.r_[True, prints[1:] != prints[:-1]])
    return prints[starts], np.add.reduceat(n, starts)


class _Cadres:
    """Every shard's _cadre_counts, summed into one whenever they hold more than
    COLLAPSE_ROWS cadres."""

    def __init__(self):
        self.parts: list[tuple[np.ndarray, np.ndarray]] = []
        self.rows = 0

    def _one(self) -> tuple[np.ndarray, np.ndarray]:
        prints = np.concatenate([p for p, _ in self.parts])
        order = np.argsort(prints, kind="stable")
        return _print_sums(prints[order], np.concatenate([n for _, n in self.parts])[order])

    def add(self, part: tuple[np.ndarray, np.ndarray]) -> None:
        self.parts.append(part)
        self.rows += len(part[0])
        if self.rows > COLLAPSE_ROWS and len(self.parts) > 1:
            self.parts = [self._one()]
            self.rows = len(self.parts[0][0])

    def over(self, limit: int) -> np.ndarray:
        """The fingerprints of the cadres with more households than `limit`, sorted."""
        prints, n = self._one()
        return prints[n > limit]


def aggregate(ledgers: LedgerSet, codes: list[str], params: Params, as_of: pd.Timestamp,
              today: pd.Timestamp, shards: int) -> dict:
    """Phase 1 of one shard: what the rules `codes` that look across households need."""
    from .checks import village_poor

    ctx = Context(ledgers, params, as_of, today)
    out: dict = {}
    if "S03" in codes and ledgers.has("subsidies"):
        out["vouchers"] = _voucher_bitmap(ledgers.frame("subsidies"), shards)
    if "S07" in codes and ledgers.has("subsidies"):
        out["amounts"] = _amount_counts(ctx)
    if "P02" in codes and ledgers.has("pairings"):
        out["cadres"] = _cadre_counts(ctx)
    if "V01" in codes and ledgers.has("villages"):
        years = ledgers.frame("villages")["exit_year"].dropna().unique()
        out["village_poor"] = {int(y): village_poor(ctx, year_end(y)) for y in years}
    if "E07" in codes and "category_claims_exit" in ledgers.frame("households").columns:
        out["claims_exit"] = bool(ledgers.frame("households")["category_claims_exit"]
                                  .fillna(False).astype(bool).any())
    if "M09" in codes and ledgers.has("monitoring"):
        out["monitoring_began"] = ledgers.frame("monitoring")["identified_on"].min()
    return out


# shards' rows of S07's amounts or P02's cadres held before they are collapsed into one
# (a national set's shards gave 3 GB of them)
COLLAPSE_ROWS = 4_000_000


class _Buckets:
    """The voucher buckets one shard holds (once) and two shards or more hold (twice),
    folded in a shard's bitmap at a time as it comes: never every shard's bitmap at once
    (a national set's 59 shards had 256 MiB each). A bitmap smaller than those before
    folds them down, and buckets that meet there count as held twice, though one shard
    may have held both: a few more vouchers compared as text in the merge, never a
    finding more or less."""

    def __init__(self):
        self.once: np.ndarray | None = None
        self.twice: np.ndarray | None = None

    def add(self, bits: np.ndarray) -> None:
        if self.once is None:
            self.once, self.twice = bits.copy(), np.zeros_like(bits)
            return
        assert self.twice is not None
        if len(bits) < len(self.once):  # a smaller bitmap: fold what is held down to it
            self.once, self.twice = _fold_pair(self.once, self.twice, len(bits))
        bits = _fold(bits, len(self.once))
        self.twice |= self.once & bits
        self.once |= bits


def _fold_pair(once: np.ndarray, twice: np.ndarray, size: int):
    """(once, twice) folded to `size` bytes: a bucket is held twice when it was, or when
    two of the buckets folded into it were held."""
    rows_once, rows_twice = once.reshape(-1, size), twice.reshape(-1, size)
    new_once = np.zeros(size, dtype=np.uint8)
    new_twice = np.bitwise_or.reduce(rows_twice, axis=0)
    for row in rows_once:
        new_twice |= new_once & row
        new_once |= row
    return new_once, new_twice


def merge_aggregates(parts, params: Params) -> dict:
    """The whole set's aggregates from every shard's (Context.whole); `parts` may be an
    iterator: each shard's voucher bitmap is folded in and let go as it comes."""
    buckets, amounts, cadres = _Buckets(), _Amounts(), _Cadres()
    kept: list[dict] = []
    for p in parts:
        bits = p.pop("vouchers", None)
        if bits is not None:
            buckets.add(bits)
        if "amounts" in p:
            amounts.add(p.pop("amounts"))
        if "cadres" in p:
            cadres.add(p.pop("cadres"))
        kept.append(p)
    parts = kept
    whole: dict = {"claims_exit": any(p.get("claims_exit", False) for p in parts)}
    if buckets.twice is not None:
        whole["voucher_bits"] = buckets.twice
    if amounts.parts:
        whole["amount_stats"] = amounts.stats()
    if cadres.parts:
        whole["cadre_over"] = cadres.over(params.cadre_load)
    if any("village_poor" in p for p in parts):
        years = {y for p in parts for y in p.get("village_poor", {})}
        whole["village_poor"] = {
            y: pd.concat([p["village_poor"][y] for p in parts if y in p.get("village_poor", {})])
            .groupby(level=[0, 1], dropna=False).sum() for y in years}
    began = [p["monitoring_began"] for p in parts if pd.notna(p.get("monitoring_began"))]
    whole["monitoring_began"] = min(began) if began else pd.NaT
    return whole


# --------------------------------------------------------------------------- phase 2

def _take(batch: Batch, at: np.ndarray) -> Batch:
    """The findings `at` (positions) of a batch."""
    if batch.findings is not None:
        return Batch.of([batch.findings[i] for i in at.tolist()])
    out = Batch.__new__(Batch)
    out.__dict__.update(batch.__dict__)
    for name in ("code", "severity", "file", "line", "column", "header", "value",
                 "household", "person", "year", "msg"):
        setattr(out, name, getattr(batch, name)[at])
    out.params = {k: v[at] for k, v in batch.params.items()}
    return out


def _whole_only(ledgers: LedgerSet) -> set[str]:
    """The files of the ledgers every shard holds whole (no household_id column)."""
    return {one.display for one in ledgers.loaded.values()
            if "household_id" not in one.frame.columns}


def shard_findings(ledgers: LedgerSet, k: int, codes: list[str], params: Params,
                   as_of: pd.Timestamp, today: pd.Timestamp, whole: dict,
                   integrity: list[Finding] | None) -> tuple[list[Batch], dict]:
    """Phase 2 of shard k: its findings (of the rules `codes`, L01 aside), and what its
    rules left for the merge (Context.pending)."""
    ctx = Context(ledgers, params, as_of, today, [], whole)
    if integrity is not None:  # the whole set's keys and references, given
        ctx._integrity = integrity if k == 0 else []
    batches: list[Batch] = []
    for code in codes:
        if code != "L01":
            batches += _batches(RULES[code].run(ctx))
    if k:  # what every shard finds alike: shard 0's
        shared = _whole_only(ledgers)
        kept = []
        for b in batches:
            keep = (b.line != -1) & ~np.isin(b.file.astype(str), list(shared))
            if keep.all():
                kept.append(b)
            elif keep.any():
                kept.append(_take(b, np.flatnonzero(keep)))
        batches = kept
    return [b for b in batches if len(b)], ctx.pending


def _phase1(shard: Callable, k: int, codes: list[str], params: Params, as_of, today,
            shards: int) -> dict:
    out = aggregate(shard(k), codes, params, as_of, today, shards)
    gc.collect()  # the shard's roll model and its set refer to each other: let them go now
    return out


def _phase2(shard: Callable, k: int, codes: list[str], params: Params, as_of, today,
            whole: dict, integrity: list[Finding] | None):
    out = shard_findings(shard(k), k, codes, params, as_of, today, whole, integrity)
    gc.collect()  # (as above: else every shard's frames stay until Python's next sweep)
    return out


def _phase3(shard: Callable, k: int, params: Params, as_of, today, whole: dict) -> tuple:
    """Shard k's rows of the vouchers whose fingerprint the merge found on two payments
    or more (whole["voucher_prints"]): S03's pending rows, to compare as text."""
    out = shard_findings(shard(k), k, ["S03"], params, as_of, today, whole, None)[1]
    gc.collect()
    return out.get(("S03", "rows"))


def _prints_twice(held: list[np.ndarray | None]) -> np.ndarray:
    """The fingerprints on two payments or more among those the shards held back (each
    shard's sorted): sorted, once each. A clean set has none but a chance collision."""
    parts = [p for p in held if p is not None and len(p)]
    if not parts:
        return np.zeros(0, dtype=np.uint64)
    ordered = np.sort(np.concatenate(parts))
    return distinct(ordered[1:][ordered[1:] == ordered[:-1]])


def _vouchers_across(pending: list[tuple]) -> list[Batch]:
    """S03 of the rows whose voucher's bucket two shards hold: every row after the
    first (by record) of its voucher, the first's line said."""
    if not pending:
        return []
    records = np.concatenate([p[0] for p in pending]).astype(np.int64)
    texts = np.concatenate([p[1] for p in pending])
    lines = np.concatenate([p[2].line for p in pending])
    group = pd.factorize(texts)[0]
    order = np.lexsort((records, group))
    starts = np.r_[True, group[order][1:] != group[order][:-1]]
    first = np.empty(group.max() + 1, dtype=np.int64)
    first[group[order][starts]] = order[starts]  # each voucher's first row
    out = []
    at = 0
    for records_k, _, batch in pending:
        mine = np.arange(at, at + len(records_k))
        again = mine[first[group[mine]] != mine]
        if len(again):
            b = _take(batch, again - at)
            b.params["first_line"] = lines[first[group[again]]].astype(np.int64).astype(object)
            out.append(b)
        at += len(records_k)
    return out


def _cadres_across(pending: list[tuple], limit: int) -> list[Batch]:
    """P02 of the cadres over the load: per cadre (by text) its households in every
    shard, and of its first limit + 1 pairings in each shard, the one past the limit
    in the whole set (by record)."""
    if not pending:
        return []
    records = np.concatenate([p[0] for p in pending]).astype(np.int64)
    group = pd.factorize(np.concatenate([p[1] for p in pending]))[0]
    total = np.bincount(group, weights=np.concatenate([p[2] for p in pending])
                        ).astype(np.int64)
    order = np.lexsort((records, group))
    starts = np.r_[True, group[order][1:] != group[order][:-1]]
    nth = np.empty(len(order), dtype=np.int64)
    run = np.arange(len(order)) - np.maximum.accumulate(np.where(starts, np.arange(len(order)),
                                                                 0))
    nth[order] = run
    past = (nth == limit) & (total[group] > limit)
    out = []
    at = 0
    for records_k, _, _, batch in pending:
        mine = np.flatnonzero(past[at:at + len(records_k)])
        if len(mine):
            b = _take(batch, mine)
            b.params["count"] = total[group[at + mine]].astype(object)
            out.append(b)
        at += len(records_k)
    return out


class _Map:
    """fn over args, here, on local cores or on a Dask cluster, as shards.run_map does
    (its words when a worker or the scheduler is lost); one pool of processes, or one
    client, for both phases."""

    def __init__(self, scheduler, workers: int | None, jobs: int):
        self.scheduler, self.workers = scheduler, min(workers or 1, jobs)
        self.pool = self.client = None
        self.own = False

    def __enter__(self) -> "_Map":
        from . import shards as sh

        if self.scheduler is not None:
            self.client, self.own = sh._client(self.scheduler)
        elif self.workers > 1:  # spawned: a forked copy of Arrow's threads can hang
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown()
        if self.own:
            self.client.close()

    def each(self, fn: Callable, args: list[tuple]):
        """fn over args, the results one at a time in the order of args (a result is
        let go once the next is asked for; on Dask, the list)."""
        from .shards import _call

        if self.pool is not None:
            return self.pool.map(_call, [(fn, a) for a in args])
        if self.client is None:
            return (fn(*a) for a in args)
        return iter(self(fn, args))

    def __call__(self, fn: Callable, args: list[tuple]) -> list:
        from .shards import _call

        if self.pool is not None:
            return list(self.pool.map(_call, [(fn, a) for a in args]))
        if self.client is None:
            return [fn(*a) for a in args]
        from dask.distributed import KilledWorker

        from .findings import UsageError

        client = self.client
        try:
            # a shard's task carries the shard function and its number: a task of a lost
            # worker runs again on another
            futures = [client.submit(fn, *a, pure=False) for a in args]
            try:
                return client.gather(futures)
            except KilledWorker as exc:
                raise UsageError.of("shards.lost_workers", reason=str(exc)) from None
            finally:
                client.cancel(futures)
        except OSError as exc:  # the scheduler went away mid-run
            where = getattr(getattr(client, "scheduler", None), "address", self.scheduler)
            raise UsageError.of("shards.scheduler_gone", scheduler=str(where),
                                reason=str(exc)) from None


def run_sharded(shard: Callable[[int], LedgerSet], shards: int,
                read_findings: list[Finding], rules: list[Rule] | None, params: Params,
                year: int | None, today: pd.Timestamp | None, latest_year: int | None,
                scheduler=None, workers: int | None = 1,
                keys_checked: bool = False) -> FindingFrame:
    """checks.run_frame of the whole set, finding for finding and in its order, computed
    one household shard at a time: `shard(k)` is shard k of 0..shards-1, `read_findings`
    the whole set's reading findings, `latest_year` the whole set's (the rolls' date
    when no year is given). keys_checked: `read_findings` hold every finding of keys
    and references (L02, L03), even when there is none, so no shard checks them again
    (the streamed ingest checked them)."""
    today = pd.Timestamp(today or date.today())
    as_of = year_end(year) if year else year_end(latest_year) if latest_year else today
    chosen = rules if rules is not None else [r for r in RULES.values()
                                              if r.code not in OPT_IN]
    codes = [r.code for r in chosen]
    given = [f for f in read_findings if f.code in ("L02", "L03")]
    cells = [f for f in read_findings if f.code not in ("L02", "L03")]
    cross = [c for c in codes if c in CROSS]
    whole: dict = {}
    with _Map(scheduler, workers, shards) as run:
        if cross:
            whole = merge_aggregates(run.each(_phase1, [
                (shard, k, cross, params, as_of, today, shards) for k in range(shards)]),
                params)
        parts = run(_phase2, [(shard, k, codes, params, as_of, today, whole,
                               given if given or keys_checked else None)
                              for k in range(shards)])
        # S03 of the vouchers whose bucket two shards hold: only the shards holding a
        # fingerprint on two payments are read again, for those rows (a clean set: none)
        held = [p.pop(("S03", "prints"), None) for _, p in parts]
        twice = _prints_twice(held)
        again = [k for k, mine in enumerate(held)
                 if mine is not None and len(twice) and np.isin(mine, twice).any()]
        del held
        asked = {"voucher_bits": whole.get("voucher_bits"), "voucher_prints": twice}
        rows = [r for r in run(_phase3, [(shard, k, params, as_of, today, asked)
                                         for k in again]) if r is not None]
    batches: list[Batch] = []
    if "L01" in codes:  # the whole set's reading findings, once
        from dataclasses import replace

        from .checks import ERROR
        batches.append(Batch.of([replace(f, severity=ERROR, code="L01") for f in cells]))
    for found, _ in parts:
        batches += found
    batches += _vouchers_across(rows)
    batches += _cadres_across([p.pop(("P02", "rows")) for _, p in parts
                               if ("P02", "rows") in p], params.cadre_load)
    notes: dict = {}
    for _, p in parts:  # M03's note of a year without a line: at its first row
        for key, (record, said) in ((k, v) for k, v in p.items() if k[0] == "M03"):
            if key[1] not in notes or record < notes[key[1]][0]:
                notes[key[1]] = (record, said)
    if notes:
        batches.append(Batch.of([said for _, said in notes.values()]))
    return FindingFrame(batches).in_year(year).sorted()
