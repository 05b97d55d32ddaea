"""Household shards: a report computed per shard of households, then merged exactly.

A shard is every row of the household-keyed ledgers (every ledger with a
`household_id` column: households, members, changes, exits, subsidies, pairings...)
that belongs to a set of households, plus the small ledgers that are not
household-keyed (villages, policy, projects...) whole. A household's shard is a
stable hash of its id (pandas' `hash_array`, the same in every process and on every
machine) modulo the number of shards, except that households which share a person
(someone who moved or married from one household into another, under the same
resident ID) are all put in the shard of the one with the smallest hash: a person's
rows are therefore always in one shard, and a distinct count of people or households
is the sum of the shards' counts.

Each shard runs the SAME report code as the whole set (api.build); the registry's
`merge` column says how the shards' tables add up (registry.Merge). The few figures
that count ids which can cross households in different shards (a cadre paired with
households of two shards) are merged as the union of each shard's ids: exact, not
estimated.

`run(name, shards, ...)` maps the shard function over the shards, in this process,
or on a Dask cluster (`scheduler`: an address such as tcp://host:8786, or a
dask.distributed Client): the same function on every worker, the figures identical
byte for byte. A worker lost mid-run is retried by Dask's scheduler; when it cannot be
(the worker died too often), the run fails with a message, never a partial figure.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .findings import UsageError
from .read.arrowkit import distinct, factorize
from .read.loaded import LedgerSet

# --------------------------------------------------------------------------- assignment


def household_keyed(ledgers: LedgerSet) -> list[str]:
    """The ledgers whose rows belong to a household (they have a household_id column)."""
    return [n for n, one in ledgers.loaded.items() if "household_id" in one.frame.columns]


def _hash(values) -> np.ndarray:
    """A stable 64-bit hash of each id: the same in every process and every run."""
    return pd.util.hash_array(np.asarray(values, dtype=object), categorize=False)


def least_labels(label: np.ndarray, h: np.ndarray, p: np.ndarray) -> np.ndarray:
    """label (one per household) after every household h[i] that holds person p[i] has
    taken the smallest label among the households sharing a person with it, however
    long the chain: households linked by people end with one label."""
    while len(h):
        lowest = pd.Series(label[h]).groupby(p).transform("min").to_numpy()
        new = label.copy()
        np.minimum.at(new, h, lowest)
        if np.array_equal(new, label):
            break
        label = new
    return label


def assign(ledgers: LedgerSet, shards: int) -> dict[str, np.ndarray]:
    """The shard (0..shards-1) of every row of every household-keyed ledger. A row
    with no household goes to shard 0."""
    names = household_keyed(ledgers)
    columns = [ledgers.frame(n)["household_id"] for n in names]
    codes, uniques = factorize(pd.concat(columns, ignore_index=True) if columns
                               else pd.Series([], dtype=object))
    label = _hash(uniques.to_pylist())
    # households that share a person: one label, the smallest hash among them
    starts = np.cumsum([0] + [len(c) for c in columns])
    pair_h, pair_p = [], []
    people = [(i, n) for i, n in enumerate(names) if "person_id" in ledgers.frame(n).columns]
    if people:
        p_codes, _ = factorize(pd.concat([ledgers.frame(n)["person_id"] for _, n in people],
                                         ignore_index=True))
        at = 0
        for i, n in people:
            size = starts[i + 1] - starts[i]
            pair_h.append(codes[starts[i]:starts[i + 1]])
            pair_p.append(p_codes[at:at + size])
            at += size
    if pair_h:
        pairs = pd.DataFrame({"h": np.concatenate(pair_h), "p": np.concatenate(pair_p)})
        pairs = pairs[(pairs["h"] >= 0) & (pairs["p"] >= 0)].drop_duplicates()
        pairs = pairs[pairs.duplicated("p", keep=False)]  # people in two households or more
        label = least_labels(label, pairs["h"].to_numpy(), pairs["p"].to_numpy())
    shard_of = (label % np.uint64(shards)).astype(np.int64)
    out = {}
    for i, n in enumerate(names):
        c = codes[starts[i]:starts[i + 1]]
        out[n] = np.where(c >= 0, shard_of[np.maximum(c, 0)] if len(shard_of) else 0, 0)
    return out


def each_shard(ledgers: LedgerSet, shards: int):
    """The ledger set as `shards` ledger sets of disjoint households, one at a time."""
    if shards < 1:
        raise UsageError.of("shards.too_few", shards=shards)
    where = assign(ledgers, shards)
    for k in range(shards):
        loaded = {}
        for name, one in ledgers.loaded.items():
            if name in where:
                one = replace(one, frame=one.frame[where[name] == k])
            loaded[name] = one
        yield replace(ledgers, loaded=loaded)


def split(ledgers: LedgerSet, shards: int) -> list[LedgerSet]:
    """The ledger set as `shards` ledger sets of disjoint households."""
    return list(each_shard(ledgers, shards))


# --------------------------------------------------------------------------- one shard

def _summary_extra(ledgers: LedgerSet, year: int) -> dict:
    """What summary's merge needs beyond its own figures: the photovoltaic payments'
    amount and households (their ratio is a figure), the ids of pairing's distinct
    counts."""
    out: dict[str, Any] = {}
    if ledgers.has("subsidies"):
        pay = ledgers.frame("subsidies")
        pv = pay[(pay["date"].dt.year == year) & (pay["program"] == "photovoltaic")]
        out["_photovoltaic_amount"] = round(float(pv["amount"].sum()), 2) if len(pv) else None
        out["_photovoltaic_households"] = int(pv["household_id"].nunique())
    if ledgers.has("pairings"):
        from .programs import _pairing_rows

        pairs = _pairing_rows(ledgers, year).pairs
        for metric in ("leader", "unit", "cadre"):
            out[f"pairing_{metric}s"] = distinct_ids(pairs[metric])
    return out


def distinct_ids(values: pd.Series) -> pa.Array:
    """A shard's distinct ids, for a distinct count over every shard: as one Arrow array
    of text (at a national set's ten million cadres, Python sets of them took gigabytes
    in the process that merges)."""
    from .read.arrowkit import arrow

    return pc.unique(arrow(values.dropna().astype(str)))


def _count_distinct(arrays: list) -> int:
    """Distinct ids over every shard's distinct_ids (or sets of ids)."""
    texts = [pa.array(sorted(map(str, a)), pa.string()) if isinstance(a, set) else
             a.cast(pa.string()) for a in arrays]
    return pc.count_distinct(pa.chunked_array(texts, pa.string())).as_py() if texts else 0


def _pairing_extra(ledgers: LedgerSet, year: int) -> dict:
    """pairing's ids that can cross shards (leaders, units, cadres) and each cadre's
    households (a household is in one shard: the loads add up)."""
    from .programs import _pairing_rows

    pairs = _pairing_rows(ledgers, year).pairs
    load = pairs.drop_duplicates(["cadre", "household_id"]).groupby("cadre").size()
    return {"leaders": distinct_ids(pairs["leader"]), "units": distinct_ids(pairs["unit"]),
            "cadres": distinct_ids(pairs["cadre"]), "_load": load}


def _pairing_derived(extras: list[dict]) -> dict:
    """Households per cadre, from every shard's load of each cadre."""
    loads = [e["_load"] for e in extras]
    load = pd.concat(loads).astype("int64").groupby(level=0).sum() if loads else \
        pd.Series([], dtype="int64")
    return {"households_per_cadre_min": int(load.min()) if len(load) else None,
            "households_per_cadre_median": float(load.median()) if len(load) else None,
            "households_per_cadre_max": int(load.max()) if len(load) else None}


EXTRA: dict[str, Callable[[LedgerSet, int], dict]] = {"summary": _summary_extra,
                                                      "pairing": _pairing_extra}
DERIVED: dict[str, Callable[[list[dict]], dict]] = {"pairing": _pairing_derived}


def compute(name: str, ledgers: LedgerSet, year: int | None, options: dict,
            township: str | None = None, village: str | None = None):
    """One shard's report (api.build, the same code as the whole set) and the extra
    values its merge needs: (Report, dict); None when the area asked for has no
    household in this shard."""
    from .api import build
    from .model import restrict
    from .registry import COMMANDS

    if township or village:
        hh = ledgers.frame("households")
        here = np.ones(len(hh), dtype=bool)
        if township:
            here &= (hh["township"] == township).to_numpy(dtype=bool, na_value=False)
        if village:
            here &= (hh["village"] == village).to_numpy(dtype=bool, na_value=False)
        if not here.any():
            return None
    ledgers = restrict(ledgers, township, village,
                       registered_only=not COMMANDS[name].all_households)
    report = build(name, ledgers, year, None, None, False, **options)
    extra = EXTRA[name](ledgers, report.meta["year"]) if name in EXTRA else {}
    return report, extra


def compute_stored(name: str, dataset: str, shard: int, year: int | None, options: dict,
                   township: str | None = None, village: str | None = None,
                   names: list[str] | None = None):
    """compute() of one shard of a shard dataset on disk (cache.read_shard): what runs
    when the shards are files, one shard in memory at a time."""
    from . import cache

    return compute(name, cache.read_shard(dataset, shard, names), year, options, township,
                   village)


# --------------------------------------------------------------------------- budget

# The memory a report takes, per byte of its ledger files (measured: `summary` of a
# million households, 977 MB of CSV, peaks at 3.5 GiB read whole).
MEMORY_PER_FILE_BYTE = 4


# Below this, a budget cannot be met however small the shards: the main process and a
# worker a core each take the interpreter and its libraries (about 120 MB) and their
# batches (measured: summary of 100 k households streamed at --memory 64M or 256M took
# 0.58 GiB in its largest process and 0.92 GiB in all; read whole, 0.48 GiB).
LEAST_MEMORY = 1 << 30


def _bytes(text: str) -> int:
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}.get(text[-1:], 1)
    number = text[:-1] if text[-1:] in "KMGT" else text
    value = float(number) * scale
    if not value > 0:
        raise ValueError
    return int(value)


def memory_budget(option: str | None = None) -> int:
    """The memory a run may take: --memory, else $POVCLI_MEMORY_BUDGET (8G, 512M, bytes),
    else half the machine's memory (8 GiB when it cannot be told)."""
    import os

    text = option or os.environ.get("POVCLI_MEMORY_BUDGET", "").strip()
    if text:
        try:
            return _bytes(text)
        except (ValueError, IndexError):
            raise ValueError(f"a memory budget is a size such as 8G or 512M (not '{text}')"
                             ) from None
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def _ledger_bytes(folder, reads) -> int:
    """The bytes of the ledger files a report of these ledgers reads."""
    from .read.files import find_files

    try:
        files, _ = find_files(folder)
    except OSError:
        return 0
    names = None if reads is None else {"households", "members", *reads}
    size = 0
    for name, source in files.items():
        if names is None or name in names:
            try:
                size += source.path.stat().st_size
            except OSError:
                pass
    return size


def shards_for(folder, reads, budget: int) -> int:
    """How many household shards keep a report of these ledger files within `budget`
    bytes: 0 (read them whole) when they fit, else enough for a shard to take a
    quarter of it (the merge, the pandas copies of a shard and the next shard's read
    share the rest)."""
    need = _ledger_bytes(folder, reads) * MEMORY_PER_FILE_BYTE
    return 0 if need <= budget else max(2, math.ceil(4 * need / budget))


# Below this many bytes of ledger files, a set over the budget is still read whole and
# then cut (that takes little memory; streaming costs a Parquet part a ledger and shard).
STREAM_MIN_BYTES = 32 << 20


def streams(folder, reads, budget: int) -> bool:
    """Whether a set is streamed into its shards (stream_dataset), never held whole: its
    files are over the memory budget and not small."""
    size = _ledger_bytes(folder, reads)
    return size >= STREAM_MIN_BYTES and size * MEMORY_PER_FILE_BYTE > budget


# --------------------------------------------------------------------------- datasets

def file_keys(folder, names: list[str] | None, encoding: str | None) -> dict[str, str] | None:
    """The cache keys of the files a report reads (as read_ledgers chooses them), from
    their stat alone; None when any cannot be keyed (then the set is read)."""
    from . import cache
    from .read.files import find_files
    from .schema import LEDGERS

    try:
        files, findings = find_files(folder)
    except OSError:
        return None
    if findings or "households" not in files or "members" not in files:
        return None
    wanted = list(LEDGERS) if names is None else ["households", "members", *names]
    keys = {}
    for name in dict.fromkeys(wanted):
        if name in files:
            key = cache.file_key(files[name], encoding)
            if key is None:
                return None
            keys[name] = key
    return keys


def describe(ledgers: LedgerSet, keys: dict[str, str]) -> dict:
    """What a dataset keeps beside the shards: each file's place, encoding and header
    names, the set's latest year and its areas (for the default year and --township
    without reading every shard)."""
    from .model import latest_year

    hh = ledgers.frame("households")
    areas = hh[["township", "village"]].astype(object).drop_duplicates()
    return {
        "folder": str(ledgers.folder),
        "ledgers": {n: {"path": str(one.path), "encoding": one.encoding,
                        "headers": one.headers, "sheet": one.sheet}
                    for n, one in ledgers.loaded.items()},
        "latest_year": latest_year(ledgers),
        "areas": [[None if pd.isna(t) else t, None if pd.isna(v) else v]
                  for t, v in areas.itertuples(index=False)],
        "keys": keys,
    }


def check_area(meta: dict, township: str | None, village: str | None) -> None:
    """The error restrict() gives for an area with no household, from the dataset's
    list of areas."""
    from .read.loaded import LedgerSet, LoadedLedger
    from .model import restrict
    from .schema import LEDGERS

    if not township and not village:
        return
    hh = pd.DataFrame(meta["areas"], columns=["township", "village"], dtype=object)
    hh = hh.assign(household_id=[str(i) for i in range(len(hh))])
    one = LoadedLedger(LEDGERS["households"], meta["folder"], "utf-8", hh)
    restrict(LedgerSet(meta["folder"], {"households": one}, {}), township, village,
             registered_only=False)


# --------------------------------------------------------------------------- merge

def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _add(values: list):
    present = [v for v in values if not _missing(v)]
    if not present:
        return None
    total = present[0]
    for v in present[1:]:
        total = total + v
    return total


def _ratio(num, den):
    if _missing(num) or _missing(den) or not den > 0:
        return None
    return num / den


def _merge_metrics(parts: list[tuple], spec) -> pd.DataFrame:
    ratio_of = {col: (n, d) for col, n, d in spec.ratios}
    values: list[dict] = []
    for report, extra in parts:
        frame = report.frame
        values.append({**dict(zip(frame["metric"], frame["value"])), **extra})
    order = list(parts[0][0].frame["metric"])
    merged: dict[str, Any] = {}
    for key in dict.fromkeys([k for v in values for k in v]):
        column = [v.get(key) for v in values]
        if key in spec.same:
            merged[key] = next((c for c in column if not _missing(c)), column[0])
        elif key in spec.distinct:
            sets = [c for c in column if isinstance(c, (set, pa.Array))]
            merged[key] = _count_distinct(sets) if sets else column[0]
        elif key in spec.derived or any(isinstance(c, dict) for c in column):
            continue  # computed below from every shard's extra values
        elif key not in ratio_of:
            merged[key] = _add(column)
            if key in spec.cents and merged[key] is not None:
                merged[key] = round(float(merged[key]), 2)
    for col, (num, den) in ratio_of.items():
        merged[col] = _ratio(merged.get(num), merged.get(den))
    if spec.derived:
        merged.update(DERIVED[parts[0][0].name]([extra for _, extra in parts]))
    return pd.DataFrame({"metric": order,
                         "value": pd.Series([merged.get(m) for m in order], dtype=object)})


def _merge_table(frames: list[pd.DataFrame], spec) -> pd.DataFrame:
    columns = list(frames[0].columns)
    ratios = [r for r in spec.ratios if r[0] in columns]
    sums = [c for c in spec.sums if c in columns]
    keys = [c for c in columns if c not in sums and c not in {r[0] for r in ratios}]
    whole = pd.concat(frames, ignore_index=True)
    if keys:
        merged = whole.groupby(keys, dropna=False, sort=False)[sums].sum(min_count=1)
        merged = merged.reset_index()
    else:
        merged = whole[sums].sum(min_count=1).to_frame().T
    for col in spec.cents:
        if col in merged.columns:
            merged[col] = merged[col].round(2)
    for col, num, den in ratios:
        merged[col] = merged[num] / merged[den].where(merged[den] > 0)
    if keys:
        merged = merged.sort_values(keys, kind="stable")
    return merged[columns].reset_index(drop=True)


def _merge_totals(parts: list[tuple], spec, merged_rows: int) -> list[dict]:
    """The rows under a table (never in csv/json): each shard's, added up by their text
    fields, the ratios recomputed. A shard of one row shows no totals: its row is its
    total."""
    measures = set(spec.sums) | {r[0] for r in spec.ratios}
    rows, always = [], False
    for report, _ in parts:
        if report.totals:
            rows += report.totals
            always |= len(report.frame) <= 1
        elif len(report.frame) == 1:
            row = report.frame.iloc[0].to_dict()
            rows.append({"year": "total", **{k: v for k, v in row.items() if k in measures}})
    if not rows or not (always or merged_rows > 1):
        return []
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        key = tuple((k, v) for k, v in row.items() if k not in measures)
        groups.setdefault(key, []).append(row)
    out = []
    for key, group in groups.items():
        total = dict(key)
        for col in [c for c in group[0] if c in spec.sums]:
            total[col] = _add([r.get(col) for r in group])
            if col in spec.cents and total[col] is not None:
                total[col] = round(float(total[col]), 2)
        for col, num, den in spec.ratios:
            if col in group[0]:
                total[col] = _ratio(total.get(num), total.get(den))
        out.append({k: total.get(k) for k in group[0]})
    return out


def merge(parts: list[tuple], spec):
    """The whole set's report from the shards' (Report, extra) pairs."""
    first = parts[0][0]
    if spec.metric:
        frame = _merge_metrics(parts, spec)
        totals: list[dict] = []
    else:
        frame = _merge_table([r.frame for r, _ in parts], spec)
        totals = _merge_totals(parts, spec, len(frame))
    notes, seen = [], set()
    for report, _ in parts:  # each note once, in the order the shards gave them
        for note in report.notes:
            key = repr(note)
            if key not in seen:
                seen.add(key)
                notes.append(note)
    return replace(first, frame=frame, totals=totals, notes=notes, meta=dict(first.meta))


# --------------------------------------------------------------------------- the map

def _scheduler_timeout() -> float:
    """Seconds to wait for the Dask scheduler to answer: $POVCLI_SCHEDULER_TIMEOUT, else 10
    (Dask tries again and again until then, even when the address refuses at once)."""
    import os

    raw = os.environ.get("POVCLI_SCHEDULER_TIMEOUT", "").strip()
    try:
        value = float(raw) if raw else 10.0
    except ValueError:
        return 10.0
    return value if value > 0 else 10.0


def _client(scheduler):
    """A dask.distributed Client for `scheduler` (an address, or a Client already)."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise UsageError.of("shards.no_dask") from None
    if isinstance(scheduler, Client):
        return scheduler, False
    try:
        return Client(scheduler, timeout=f"{_scheduler_timeout()}s",
                      set_as_default=False), True
    except (OSError, TimeoutError) as exc:
        raise UsageError.of("shards.unreachable", scheduler=str(scheduler), reason=str(exc)) \
            from None


# Below this many bytes of Parquet shards, starting processes costs more than it saves.
PARALLEL_BYTES = 64 << 20


def local_workers(stored: str | None, workers: int | None = None) -> int:
    """Processes for the shards of a dataset on this machine: `workers`, else
    $POVCLI_WORKERS, else one a core once the dataset is large enough to gain from it; 1
    for shards in memory. (More than one process starts fresh interpreters that import
    the main module: a script calling this needs the `if __name__ == "__main__":`
    guard, as the povcli command has.)"""
    import os

    if stored is None:
        return 1
    if workers:
        return workers
    raw = os.environ.get("POVCLI_WORKERS", "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    from .cache import _tree_bytes

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        (os.cpu_count() or 1)
    return cores if _tree_bytes(Path(stored)) >= PARALLEL_BYTES else 1


def _on_cores(fn: Callable, args: list, workers: int) -> list:
    """fn over args in `workers` fresh processes (spawned: a forked copy of a process
    with Arrow's threads running can hang), results in the order of args."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        results = list(pool.map(_call, [(fn, a) for a in args]))
    return [p for p in results if p is not None]


def _call(job):
    from .read.arrowkit import steady_allocator

    steady_allocator()  # (a fresh process: as the command's own)
    fn, args = job
    return fn(*args)


def run_map(name: str, shards: list, year: int | None, options: dict,
            scheduler=None, stored: str | None = None, township: str | None = None,
            village: str | None = None, names: list[str] | None = None,
            workers: int | None = 1) -> list[tuple]:
    """compute() over every shard: here, one after the other, or on a Dask cluster;
    the shards without a household of the area left out. `stored`: the shard dataset's
    folder (shards are then shard numbers, and each is read where it is computed, one
    in memory at a time)."""
    fn: Callable = compute if stored is None else compute_stored
    args = [(name, s, year, options, township, village) if stored is None else
            (name, stored, s, year, options, township, village, names) for s in shards]
    if scheduler is None:
        workers = min(local_workers(stored, workers), len(args))
        if workers > 1:  # shards read from their files: one process a core
            return _on_cores(fn, args, workers)
        return [p for p in (fn(*a) for a in args) if p is not None]
    client, own = _client(scheduler)  # first: it says so when Dask is not installed
    from dask.distributed import KilledWorker

    try:
        # A shard travels inside its task, not scattered beforehand: the scheduler keeps
        # the task and runs it again on another worker when its worker is lost (scattered
        # data would be lost with it). A shard dataset's tasks carry only a shard number.
        futures = [client.submit(fn, *a, pure=False) for a in args]
        try:
            return [p for p in client.gather(futures) if p is not None]
        except KilledWorker as exc:
            raise UsageError.of("shards.lost_workers", reason=str(exc)) from None
        finally:
            client.cancel(futures)
    except OSError as exc:  # the scheduler went away mid-run
        where = getattr(getattr(client, "scheduler", None), "address", scheduler)
        raise UsageError.of("shards.scheduler_gone", scheduler=str(where),
                            reason=str(exc)) from None
    finally:
        if own:
            client.close()


# --------------------------------------------------------------------------- streamed ingest
#
# A ledger set larger than memory is cut into the shard dataset without ever holding a
# whole ledger (read/stream.py): pass 1 reads the household and person columns of the
# ledgers naming people, a batch at a time, for the households that share a person; pass
# 2 reads every household-keyed CSV a batch at a time, typed by the reading rules, and
# appends each batch's rows to their shard's Parquet part. The checks of keys and
# references then run shard by shard (a household's rows are all in its shard); the one
# key that crosses households (a voucher) is checked over 64-bit hashes of its cells.
# Ledgers that are not household-keyed (projects, villages, policy) and files that are
# not plain UTF-8 CSV (workbooks, GB18030, title rows) are read whole, as ever.

LINK_BUCKETS = 8  # the (household, person) pairs sorted in this many parts, by person


def _links(found: list[tuple[np.ndarray, np.ndarray]]):
    """(households, label) of the households that share a person with another: each
    labelled with the smallest hash among those linked to it (assign's rule), from the
    (household hash, person hash) pairs; households sorted."""
    hs, ps = [], []
    for b in range(LINK_BUCKETS):  # a person's pairs are all in one bucket
        h = np.concatenate([f[0][f[1] % np.uint64(LINK_BUCKETS) == b] for f in found]) \
            if found else np.zeros(0, dtype=np.uint64)
        p = np.concatenate([f[1][f[1] % np.uint64(LINK_BUCKETS) == b] for f in found]) \
            if found else np.zeros(0, dtype=np.uint64)
        order = np.lexsort((h, p))
        h, p = h[order], p[order]
        first = np.ones(len(h), dtype=bool)
        first[1:] = (p[1:] != p[:-1]) | (h[1:] != h[:-1])
        h, p = h[first], p[first]
        same = p[1:] == p[:-1]
        multi = np.zeros(len(h), dtype=bool)
        multi[1:] |= same
        multi[:-1] |= same
        hs.append(h[multi])
        ps.append(p[multi])
    h = np.concatenate(hs)
    p = np.concatenate(ps)
    households, at = np.unique(h, return_inverse=True)
    label = least_labels(households.copy(), at, p)
    moved = label != households
    return households[moved], label[moved]


def _shard_of(values, links, shards: int) -> np.ndarray:
    """The shard of each row from its household id (assign's: the hash, or its linked
    households' smallest, modulo shards; a row without a household in shard 0)."""
    from .read.arrowkit import arrow
    from .read.stream import hashes

    h, present = hashes(arrow(values))
    keys, labels = links
    if len(keys):
        i = np.minimum(np.searchsorted(keys, h), len(keys) - 1)
        hit = keys[i] == h
        h[hit] = labels[i[hit]]
    out = (h % np.uint64(shards)).astype(np.int64)
    out[~present] = 0
    return out


class _Schemas:
    """One Arrow schema a ledger for all its parts: its first batch's. (A column the file
    does not have is null in every batch; a column it has is text or typed in every
    batch, whatever its cells.) Beside the frame's columns and its index (the record),
    each row's line in the file (cache.LINE_COLUMN, less the record: one value for long
    runs, next to nothing in Parquet), so that a finding names the user's FILE:LINE
    without the file being read again."""

    def __init__(self):
        self.of: dict[str, pa.Schema] = {}

    def table(self, name: str, frame: pd.DataFrame, lines: np.ndarray) -> pa.Table:
        from .cache import LINE_COLUMN

        schema = self.of.get(name)
        delta = pa.array(np.asarray(lines, dtype=np.int64) - frame.index.to_numpy(np.int64))
        if schema is None:
            table = pa.Table.from_pandas(frame, preserve_index=True)
            table = table.append_column(LINE_COLUMN, delta)
            self.of[name] = table.schema
            return table
        plain = schema.remove(schema.get_field_index(LINE_COLUMN))
        table = pa.Table.from_pandas(frame, schema=plain, preserve_index=True)
        return table.append_column(schema.field(LINE_COLUMN), delta)


def _write_rows(writer, schemas: _Schemas, name: str, frame: pd.DataFrame,
                shard: np.ndarray, lines: np.ndarray) -> None:
    """A frame's rows appended to their shards' parts (in file order within a shard)."""
    order = np.argsort(shard, kind="stable")
    table = schemas.table(name, frame, lines).take(order)
    counts = np.bincount(shard, minlength=1)
    at = 0
    for k, count in enumerate(counts):
        if count:
            writer.append(name, k, table.slice(at, count))
        at += count


class _CrossKey:
    """A key that can cross households (subsidies' voucher): 64-bit hashes of its cells
    collected batch by batch; the rows of a hash seen twice looked at again, shard by
    shard, for the reader's duplicate-key findings. The ledger's one core finds the hashes
    seen twice (close) and sends only those. Until then they are kept in PARTS runs by
    their top bits: one copy of them all and a run's to sort, where a national set's 240 M
    vouchers took two copies of 1.9 GB to concatenate and sort, and a third to send."""

    PARTS = 16

    def __init__(self, name: str, key: tuple[str, ...]):
        self.name, self.key = name, key
        self.parts: list[list[np.ndarray]] = [[] for _ in range(self.PARTS)]
        self.twice = np.zeros(0, dtype=np.uint64)
        self.rows: list[tuple[int, tuple, int]] = []  # (record, value, line), seen twice

    def _hash(self, frame: pd.DataFrame):
        from .read.arrowkit import arrow
        from .read.stream import hashes

        sub = frame[list(self.key)].dropna()
        if len(self.key) == 1:
            values = arrow(sub[self.key[0]].astype(str) if sub[self.key[0]].dtype.kind != "O"
                           else sub[self.key[0]])
        else:
            values = arrow(sub.astype(str).agg("\x1f".join, axis=1))
        return sub, hashes(values)[0]

    def add(self, frame: pd.DataFrame) -> None:
        h = np.sort(self._hash(frame)[1])
        bounds = np.searchsorted(h, np.arange(1, self.PARTS, dtype=np.uint64)
                                 << np.uint64(64 - self.PARTS.bit_length() + 1))  # top bits
        for part, run in zip(self.parts, np.split(h, bounds)):
            if len(run):
                part.append(run.copy())  # (a copy: a view would keep the batch's array)

    def close(self) -> None:
        twice = []
        for g, runs in enumerate(self.parts):
            every = np.concatenate(runs) if runs else np.zeros(0, dtype=np.uint64)
            self.parts[g] = []
            every.sort()
            twice.append(distinct(every[1:][every[1:] == every[:-1]]))
        self.twice = np.concatenate(twice)  # (sorted: the parts are in order of top bits)

    def look(self, one) -> None:
        """The rows of a shard's ledger (`one`: its frame and lines) whose key was seen
        twice in the whole set."""
        if not len(self.twice):
            return
        sub, h = self._hash(one.frame)
        hit = np.isin(h, self.twice)
        if hit.any():
            rows = sub[hit]
            lines = one.lines_of(rows.index.to_numpy()) if hasattr(one, "lines_of") else \
                one.record_lines[rows.index.to_numpy() + 1]
            self.rows += [(int(i), tuple(r), int(line)) for i, r, line in
                          zip(rows.index, rows.itertuples(index=False), lines)]

    def findings(self, one) -> list:
        from .findings import Finding
        from .read.integrity import DUPLICATE_KEY

        out = []
        first: dict[tuple, int] = {}
        for record, value, line in sorted(self.rows, key=lambda r: r[0]):
            if value not in first:
                first[value] = line
                continue
            if line == first[value]:
                continue
            out.append(Finding.of(one.display, "reader.duplicate_key", line, self.key[0],
                                  " / ".join(str(v) for v in value), code=DUPLICATE_KEY,
                                  header=one.headers.get(self.key[0]),
                                  key=" + ".join(self.key), first=first[value]))
        return out


def stream_dataset(folder, names: list[str] | None, encoding: str | None,
                   need: tuple[str, ...], shards: int, keys: dict[str, str], writer,
                   collect: bool = False, notes: list[str] | None = None):
    """Read the ledger set of `folder` into `writer` (a cache.DatasetWriter) as `shards`
    household shards, one batch in memory at a time; its description (as describe) once
    every shard is written and checked. LedgerError with every finding (the user's
    FILE:LINE) when the ledgers cannot be used; read.stream.Unstreamable when a file must
    be read whole after all (then nothing is kept).

    collect (check): (description, findings) instead, the reading findings kept as the
    whole reader gives them (cells typed to null, keys and references, a voucher used
    twice across shards) and the shards written all the same, for the rules. `notes`:
    what the reader says of the files read whole (a title row skipped...)."""
    from dataclasses import replace as copy

    import pyarrow.parquet as pq

    from .findings import LedgerError
    from .messages import Said
    from .model import EVENT_COLUMNS, LATER_EVENT_COLUMNS, latest_year, year_span
    from .read import stream
    from .read.files import find_files
    from .read.integrity import integrity_findings
    from .read.load import _missing, read_ledger
    from .schema import LEDGERS
    from . import cache

    EVENTS = {**EVENT_COLUMNS, **LATER_EVENT_COLUMNS}
    folder = Path(folder)
    files, findings = find_files(folder)
    wanted = list(LEDGERS) if names is None else list(dict.fromkeys(
        ["households", "members", *names]))
    for name in ("households", "members", *need):
        if name not in files:
            findings.append(_missing(folder, LEDGERS[name]))
    plans: dict[str, stream.Plan] = {}
    whole: dict[str, Any] = {}
    for name in wanted:
        if name not in files:
            continue
        ledger = LEDGERS[name]
        p = stream.plan(name, files[name], ledger, encoding) \
            if "household_id" in ledger.frame_columns else None
        if p is not None:
            plans[name] = p
            if p.titles and notes is not None:  # as the whole reader says it
                notes.append(Said.of("reader.title_rows", file=p.display, count=p.titles))
            continue
        one, problems = read_ledger(files[name], ledger, encoding, notes, keep_lines=True)
        findings += problems
        if one is not None:
            whole[name] = one
    keyed = [n for n in wanted if n in plans or (n in whole and "household_id" in
                                                  whole[n].ledger.frame_columns)]

    if shards * (len(plans) + len(whole)) > _open_files() - 64:
        raise stream.Unstreamable("more shards than files this process may hold open")

    size = sum(p.source.path.stat().st_size for p in plans.values())
    workers = min(_cores(), len(plans)) if size >= PARALLEL_BYTES else 1
    by_size = sorted(plans, key=lambda n: -plans[n].source.path.stat().st_size)

    # pass 1: the households that share a person (the ledgers naming people, one a core)
    named = [n for n in by_size if "person_id" in LEDGERS[n].frame_columns]
    found = _map(_key_pairs, [(plans[n],) for n in named], workers)
    for name in keyed:
        if name in whole and "person_id" in LEDGERS[name].frame_columns:
            frame = whole[name].frame
            h, h_ok = stream.hashes(_arrow(frame["household_id"]))
            q, q_ok = stream.hashes(_arrow(frame["person_id"]))
            found.append((h[h_ok & q_ok], q[h_ok & q_ok]))
    links = _links(found)
    del found

    # pass 2: every household-keyed ledger into its shards, a batch at a time (one
    # ledger a core); the ledgers read whole here
    cross = {n: [k for k in LEDGERS[n].keys if "household_id" not in k] for n in keyed}
    tmp = writer.tmp
    if tmp is None:
        raise OSError(f"{writer.base}: the shard dataset cannot be written here")
    done = _map(_ingest, [(n, plans[n], links, shards, str(tmp), cross[n]) for n in by_size],
                workers)
    done += [_ingest_frames(n, iter([(whole[n].frame, [], None, _whole_lines(whole[n]))]),
                            links, shards, writer, cross[n]) for n in keyed if n in whole]
    schemas = _Schemas()
    spans: dict[str, list] = {}
    crossing = {(n, k): _CrossKey(n, k) for n in keyed for k in cross[n]}
    years: list[int] = []
    spans_all: list[int] = []
    areas: dict[tuple, None] = {}
    for got in done:
        name = got["name"]
        findings += got["findings"]
        spans[name] = got["spans"]
        if got["schema"] is not None:
            schemas.of[name] = got["schema"]
        writer.digests.update(got["digests"])
        writer.paths.update(got["paths"])
        for key, twice in got["twice"].items():
            crossing[(name, key)].twice = twice
        years += got["years"]
        spans_all += got["event_years"]
        areas.update(dict.fromkeys(got["areas"]))
    done = got = None
    for name, one in whole.items():  # the rest whole in every shard
        if name not in keyed:
            table = schemas.table(name, one.frame, _whole_lines(one))
            for k in range(shards):
                writer.append(name, k, table)
    for name, schema in schemas.of.items():  # every shard has every ledger, rows or none
        for k in range(shards):
            if writer.part_path(name, k) is None:
                writer.append(name, k, schema.empty_table())
    cross_keys = list(crossing.values())
    writer.seal()

    # the checks of keys and references, shard by shard; the set's year and areas
    own_keys = {n: tuple(k for k in LEDGERS[n].keys if "household_id" in k or n not in keyed)
                for n in wanted}
    for k in range(shards):
        loaded = {}
        for name in list(plans) + list(whole):
            ledger = copy(LEDGERS[name], keys=own_keys[name] if k == 0 or name in keyed
                          else ())
            table, delta = cache.split_lines(pq.read_table(writer.part_path(name, k)))
            frame = cache.part_frame(name, table)
            labels, label_lines = cache.shard_lines(frame, delta)
            if name in plans:
                p = plans[name]
                loaded[name] = stream.StreamedLedger(ledger, p.source.path, p.encoding, frame,
                                                     p.headers, sheet=p.source.sheet,
                                                     labels=labels, label_lines=label_lines)
            else:
                loaded[name] = copy(whole[name], ledger=ledger, frame=frame)
        shard = LedgerSet(folder, loaded, files)
        findings += integrity_findings(shard)
        for c in cross_keys:
            c.look(shard.loaded[c.name])
    for name in whole:  # the year of the ledgers read whole and not household-keyed
        if name not in keyed:
            alone = LedgerSet(folder, {name: whole[name]}, {})
            year = latest_year(alone)
            years += [] if year is None else [year]
            spans_all += list(year_span(alone, EVENTS) or ())
    for c in cross_keys:
        findings += c.findings(plans[c.name] if c.name in plans else whole[c.name])
    findings = list(dict.fromkeys(findings))
    if findings and not collect:
        raise LedgerError(findings)
    about = {}
    for name in list(plans) + list(whole):
        if name in plans:
            p = plans[name]
            about[name] = {"path": str(p.source.path), "encoding": p.encoding,
                           "headers": p.headers, "sheet": p.source.sheet}
        else:
            one = whole[name]
            about[name] = {"path": str(one.path), "encoding": one.encoding,
                           "headers": one.headers, "sheet": one.sheet}
    meta = {"folder": str(folder), "ledgers": about,
            "latest_year": max(years) if years else None,
            "areas": [list(a) for a in areas], "keys": keys,
            # each part holds its rows' lines: check can name FILE:LINE from it
            "lines": True,
            "event_years": [min(spans_all), max(spans_all)] if spans_all else None}
    if collect:
        return meta, findings
    return meta


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        (os.cpu_count() or 1)


def _map(fn: Callable, args: list, workers: int) -> list:
    """fn over args, here or in `workers` processes, results in the order of args."""
    if workers > 1 and len(args) > 1:
        return _on_cores(fn, args, workers)
    return [fn(*a) for a in args]


# (household, person) pairs of one bucket gathered before they are made distinct again
PAIRS_HELD = 1 << 22


def _distinct_pairs(h: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each (household hash, person hash) pair once (by a hash of the pair)."""
    _, first = np.unique(q ^ (h * np.uint64(0x9E3779B97F4A7C15)), return_index=True)
    return h[first], q[first]


def _key_pairs(p) -> tuple[np.ndarray, np.ndarray]:
    """(household hash, person hash) of every pair a streamed ledger names, each once.
    The pairs are kept in LINK_BUCKETS by person (as _links takes them), each made
    distinct again once it has gathered twice what it had: a national set's payments
    named 150 M pairs, batch by batch, and making them distinct all at once took 6 GiB."""
    from .read import stream

    held: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in range(LINK_BUCKETS)]
    rows = [0] * LINK_BUCKETS
    kept = [0] * LINK_BUCKETS

    def collapse(b: int) -> None:
        h, q = _distinct_pairs(np.concatenate([x[0] for x in held[b]]),
                               np.concatenate([x[1] for x in held[b]]))
        held[b], rows[b], kept[b] = [(h, q)], len(h), len(h)

    for h, q in stream.key_pairs(p):
        bucket = (q % np.uint64(LINK_BUCKETS)).astype(np.int64)
        order = np.argsort(bucket, kind="stable")
        ends = np.cumsum(np.bincount(bucket, minlength=LINK_BUCKETS))
        for b in range(LINK_BUCKETS):
            at = order[(ends[b - 1] if b else 0):ends[b]]
            if len(at):
                held[b].append((h[at], q[at]))
                rows[b] += len(at)
                if rows[b] > max(PAIRS_HELD, 2 * kept[b]) and len(held[b]) > 1:
                    collapse(b)
    for b in range(LINK_BUCKETS):
        if len(held[b]) > 1:
            collapse(b)
    pairs = [x for one in held for x in one]
    if not pairs:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint64)
    return np.concatenate([x[0] for x in pairs]), np.concatenate([x[1] for x in pairs])


def _ingest(name: str, p, links, shards: int, tmp: str, cross: list) -> dict:
    """One streamed ledger into its shards' parts of the dataset being written in `tmp`
    (in a process of its own when the set is large)."""
    from . import cache
    from .read import stream

    writer = cache.DatasetWriter.attached(Path(tmp))
    parts = ((b.frame, b.findings, b.span, b.lines) for b in stream.batches(p))
    try:
        return _ingest_frames(name, parts, links, shards, writer, cross, seal=True)
    except BaseException:
        writer.close_parts()
        raise


def _ingest_frames(name: str, parts, links, shards: int, writer, cross: list,
                   seal: bool = False) -> dict:
    """A ledger's frames (frame, findings, span, each row's line) appended to their
    shards' parts; what the set's description and checks need of them."""
    from .model import EVENT_COLUMNS, LATER_EVENT_COLUMNS, latest_year, year_span
    from .read.loaded import LoadedLedger
    from .schema import LEDGERS

    schemas = _Schemas()
    crossing = [_CrossKey(name, k) for k in cross]
    out: dict[str, Any] = {"name": name, "findings": [], "spans": [], "years": [],
                           "areas": [], "event_years": []}
    areas: dict[tuple, None] = {}
    events = {**EVENT_COLUMNS, **LATER_EVENT_COLUMNS}
    for frame, problems, span, lines in parts:
        out["findings"] += problems
        if span is not None:
            out["spans"].append(span)
        for c in crossing:
            c.add(frame)
        _write_rows(writer, schemas, name, frame, _shard_of(frame["household_id"], links,
                                                            shards), lines)
        one = LoadedLedger(LEDGERS[name], Path(name), "utf-8", frame)
        alone = LedgerSet(Path("."), {name: one}, {})
        year = latest_year(alone)
        if year is not None:
            out["years"].append(year)
        got = year_span(alone, events)
        if got is not None:
            years_seen = out["event_years"] + list(got)
            out["event_years"] = [min(years_seen), max(years_seen)]
        if name == "households":
            hh = frame[["township", "village"]].astype(object).drop_duplicates()
            for t, v in hh.itertuples(index=False):
                areas[(None if pd.isna(t) else t, None if pd.isna(v) else v)] = None
    out["areas"] = list(areas)
    out["schema"] = schemas.of.get(name)
    for c in crossing:  # (a ledger is one core's: its keys seen twice are found here)
        c.close()
    out["twice"] = {c.key: c.twice for c in crossing}
    if seal:
        writer.seal()
        out["digests"], out["paths"] = dict(writer.digests), dict(writer.paths)
    else:
        out["digests"], out["paths"] = {}, {}
    return out


def _open_files() -> int:
    """Files this process may hold open (the soft limit raised to the hard one): every
    shard's part of every ledger is open while the files are streamed."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or soft < hard:
            want = 1 << 20 if hard == resource.RLIM_INFINITY else hard
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
                soft = want
            except (ValueError, OSError):
                pass
        return soft
    except (ImportError, ValueError, OSError):
        return 512


def _whole_lines(one) -> np.ndarray:
    """The line of each row of a ledger read whole (its record lines kept)."""
    index = one.frame.index.to_numpy(np.int64)
    return one.record_lines[index + 1] if len(index) else np.zeros(0, dtype=np.int64)


def _arrow(values):
    from .read.arrowkit import arrow

    return arrow(values)
