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

from .findings import UsageError
from .read.arrowkit import factorize
from .read.loaded import LedgerSet

# --------------------------------------------------------------------------- assignment


def household_keyed(ledgers: LedgerSet) -> list[str]:
    """The ledgers whose rows belong to a household (they have a household_id column)."""
    return [n for n, one in ledgers.loaded.items() if "household_id" in one.frame.columns]


def _hash(values) -> np.ndarray:
    """A stable 64-bit hash of each id: the same in every process and every run."""
    return pd.util.hash_array(np.asarray(values, dtype=object), categorize=False)


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
        h = pairs["h"].to_numpy()
        p = pairs["p"].to_numpy()
        while len(h):
            lowest = pd.Series(label[h]).groupby(p).transform("min").to_numpy()
            new = label.copy()
            np.minimum.at(new, h, lowest)
            if np.array_equal(new, label):
                break
            label = new
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

        pairs = _pairing_rows(ledgers, year)[2]
        for metric in ("leader", "unit", "cadre"):
            out[f"pairing_{metric}s"] = set(pairs[metric].dropna().tolist())
    return out


def _pairing_extra(ledgers: LedgerSet, year: int) -> dict:
    """pairing's ids that can cross shards (leaders, units, cadres) and each cadre's
    households (a household is in one shard: the loads add up)."""
    from .programs import _pairing_rows

    pairs = _pairing_rows(ledgers, year)[2]
    load = pairs.drop_duplicates(["cadre", "household_id"]).groupby("cadre").size()
    return {"leaders": set(pairs["leader"].dropna().tolist()),
            "units": set(pairs["unit"].dropna().tolist()),
            "cadres": set(pairs["cadre"].dropna().tolist()), "_load": load.to_dict()}


def _pairing_derived(extras: list[dict]) -> dict:
    """Households per cadre, from every shard's load of each cadre."""
    load = pd.Series([n for e in extras for n in e["_load"].values()],
                     index=[c for e in extras for c in e["_load"]], dtype="int64")
    load = load.groupby(level=0).sum()
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


def shards_for(folder, reads, budget: int) -> int:
    """How many household shards keep a report of these ledger files within `budget`
    bytes: 0 (read them whole) when they fit, else enough for a shard to take a
    quarter of it (the merge, the pandas copies of a shard and the next shard's read
    share the rest)."""
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
    need = size * MEMORY_PER_FILE_BYTE
    return 0 if need <= budget else max(2, math.ceil(4 * need / budget))


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
            sets = [c for c in column if isinstance(c, set)]
            merged[key] = len(set().union(*sets)) if sets else column[0]
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

def _client(scheduler):
    """A dask.distributed Client for `scheduler` (an address, or a Client already)."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise UsageError.of("shards.no_dask") from None
    if isinstance(scheduler, Client):
        return scheduler, False
    try:
        return Client(scheduler, timeout="10s", set_as_default=False), True
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
