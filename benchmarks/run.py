#!/usr/bin/env python3
"""Whole-program speed of povcli against DuckDB, in one run, on generated ledgers.

    pip install . duckdb && python benchmarks/run.py [--sizes 100000 1000000]
        [--repeat 3] [--broken 100000] [--work /tmp/povcli-bench] [--timeout 900]

For each size: generate the ledgers (once, kept in --work), then time each command as
a whole process — cold (CSV, an empty cache) and warm (the cache a cold run wrote) —
with its peak memory, next to DuckDB counting the core summary in SQL over the same
CSV files and over Parquet copies of them. Every time is the median of --repeat runs,
taken in turn (povcli, DuckDB, povcli, ...) so that a busy machine slows both. The
summary figures of povcli and DuckDB must agree, or the run says so. `--broken N` also
times `check` on a set of N households whose IDs mostly fail the check digit and whose
payments break several rules (most rows are findings). Writes benchmarks/RESULTS.md
with the table and every target of the scale issue, met or not. Not a test: CI does
not run it.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
YEAR = 2020
# the reports the scale issue holds to 1.5 x DuckDB over CSV (summary has its own line)
COLD_REPORTS = ["subsidies", "exits", "changes", "show", "report"]


@dataclass
class Run:
    seconds: float | None  # None: timed out or failed
    mib: int | None        # peak resident memory; None where GNU time is absent
    out: str


def timed(cmd: list[str], env: dict, timeout: float) -> Run:
    """Wall seconds, peak memory (GNU time, where installed) and stdout of one process."""
    gnu_time = shutil.which("time") or "/usr/bin/time"
    report = Path(env["POVCLI_BENCH_TMP"]) / "time.txt"
    if Path(gnu_time).exists():
        cmd = [gnu_time, "-f", "%M", "-o", str(report), *cmd]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return Run(None, None, "")
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):  # check exits 1 when it finds errors
        return Run(None, None, "")
    try:
        rss = int(report.read_text().split()[-1]) // 1024 if Path(gnu_time).exists() else None
    except (OSError, ValueError, IndexError):
        rss = None
    return Run(wall, rss, out.decode("utf-8", errors="replace"))


def median(runs: list[Run]) -> Run:
    """The median time and the largest peak memory of repeated runs (None if any failed)."""
    if any(r.seconds is None for r in runs):
        return Run(None, None, "")
    mibs = [r.mib for r in runs if r.mib is not None]
    return Run(statistics.median(r.seconds or 0.0 for r in runs),
               max(mibs) if mibs else None, runs[0].out)


def metrics(text: str) -> dict[str, str]:
    return {r["metric"]: r["value"] for r in csv.DictReader(io.StringIO(text))}


def generate(n: int, out: Path, broken: bool = False) -> None:
    if (out / "subsidies.csv").exists():
        return
    extra = ["--broken"] if broken else []
    subprocess.run([sys.executable, str(HERE / "generate.py"), "--households", str(n),
                    "--out", str(out), *extra], check=True)


def commands(out_dir: Path) -> list[tuple[str, list[str]]]:
    first_hh = f"{1:010d}"
    return [("summary", ["summary", "--year", str(YEAR), "-f", "csv"]),
            ("exits", ["exits", "-f", "csv"]), ("changes", ["changes", "-f", "csv"]),
            ("subsidies", ["subsidies", "-f", "csv"]),
            ("show", ["show", first_hh, "--format", "json"]),
            ("report", ["report", "--year", str(YEAR), "-o", str(out_dir / "report.html")]),
            ("check", ["check", "-f", "csv"])]


@dataclass
class Row:
    n: int
    name: str
    cold: Run
    warm: Run
    duck_csv: Run
    duck_pq: Run


def bench(sizes: list[int], work: Path, timeout: float, repeat: int,
          broken: int | None) -> tuple[list[Row], list[str]]:
    work.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    notes: list[str] = []
    sys.path.insert(0, str(HERE))
    import duck

    sets = [(n, work / f"ledgers-{n}", False) for n in sizes]
    if broken:
        sets.append((broken, work / f"broken-{broken}", True))
    for n, data, is_broken in sets:
        generate(n, data, is_broken)
        parquet = work / f"parquet-{data.name}"
        if not (parquet / "subsidies.parquet").exists():
            duck.to_parquet(data, parquet)
        cache_dir = work / f"cache-{data.name}"
        env = {**os.environ, "POVCLI_CACHE_DIR": str(cache_dir), "POVCLI_BENCH_TMP": str(work),
               "COLUMNS": "80"}
        env.pop("POVCLI_NO_CACHE", None)
        povcli = [sys.executable, "-m", "povcli"]
        duck_args = [sys.executable, str(HERE / "duck.py"), str(data), str(YEAR)]
        duck_csv: list[Run] = []
        duck_pq: list[Run] = []
        chosen = [c for c in commands(work) if not is_broken or c[0] == "check"]
        cold: dict[str, list[Run]] = {name: [] for name, _ in chosen}
        warm: dict[str, list[Run]] = {name: [] for name, _ in chosen}
        for _ in range(repeat):
            duck_csv.append(timed(duck_args, env, timeout))
            duck_pq.append(timed([*duck_args[:2], str(parquet), str(YEAR), "--parquet"],
                                 env, timeout))
            for name, args in chosen:
                shutil.rmtree(cache_dir, ignore_errors=True)  # cold: nothing cached
                cold[name].append(timed([*povcli, *args, "-d", str(data)], env, timeout))
                warm[name].append(timed([*povcli, *args, "-d", str(data)], env, timeout))
        for name, _ in chosen:
            label = f"{name} (broken set)" if is_broken else name
            rows.append(Row(n, label, median(cold[name]), median(warm[name]),
                            median(duck_csv), median(duck_pq)))
        if not is_broken:
            ours, theirs = metrics(median(cold["summary"]).out), metrics(duck_csv[0].out)
            wrong = [k for k, v in theirs.items() if k not in ours or
                     abs(float(ours[k] or 0) - float(v or 0)) > 0.01]
            notes.append(f"{n:,} households: povcli and DuckDB "
                         + ("agree on every summary figure" if ours and not wrong else
                            f"DISAGREE on {', '.join(wrong) or 'everything'}"))
    return rows, notes


def fmt_s(x: float | None) -> str:
    return "failed" if x is None else f"{x:.2f}"


def fmt_m(x: int | None) -> str:
    return "—" if x is None else f"{x:,}"


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or not b else a / b


def fmt_r(r: float | None) -> str:
    return "—" if r is None else f"{r:.2f}×"


def table(rows: list[Row]) -> str:
    lines = ["| households | command | cold s | cold MiB | warm s | warm MiB | DuckDB CSV s "
             "| DuckDB Parquet s | cold / DuckDB CSV | warm / DuckDB Parquet |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.n:,} | {r.name} | {fmt_s(r.cold.seconds)} | {fmt_m(r.cold.mib)} | "
                     f"{fmt_s(r.warm.seconds)} | {fmt_m(r.warm.mib)} | "
                     f"{fmt_s(r.duck_csv.seconds)} | {fmt_s(r.duck_pq.seconds)} | "
                     f"{fmt_r(ratio(r.cold.seconds, r.duck_csv.seconds))} | "
                     f"{fmt_r(ratio(r.warm.seconds, r.duck_pq.seconds))} |")
    return "\n".join(lines) + "\n"


def help_time(repeat: int) -> tuple[float, bool]:
    """Median seconds of `povcli --help`, and whether it imported pandas."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "povcli", "--help"], check=True,
                       stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    probe = subprocess.run(
        [sys.executable, "-c", "import sys\nfrom povcli.cli import app\ntry:\n"
         "    app(['--help'], prog_name='povcli')\nexcept SystemExit:\n    pass\n"
         "print('pandas' in sys.modules, file=sys.stderr)"],
        capture_output=True, text=True)
    return statistics.median(times), probe.stderr.strip().endswith("False")


def targets(rows: list[Row], repeat: int) -> str:
    """Every target of the scale issue at the largest size run, met or not."""
    plain = [r for r in rows if "broken" not in r.name]
    if not plain:
        return ""
    big = max(r.n for r in plain)
    at = {r.name: r for r in plain if r.n == big}
    out = ["| target | measured | met? |", "|---|---|---|"]

    def line(target: str, value: float | None, limit: float, measured: str) -> None:
        met = "no (failed)" if value is None else "yes" if value <= limit else "no"
        out.append(f"| {target} | {measured} | {met} |")

    s = at.get("summary")
    if s:
        r = ratio(s.cold.seconds, s.duck_csv.seconds)
        line("`summary` cold ≤ 1.5× DuckDB over CSV", r, 1.5,
             f"{fmt_s(s.cold.seconds)} s vs {fmt_s(s.duck_csv.seconds)} s: {fmt_r(r)}")
        r = ratio(s.warm.seconds, s.duck_pq.seconds)
        line("`summary` warm ≤ 1.0× DuckDB over Parquet", r, 1.0,
             f"{fmt_s(s.warm.seconds)} s vs {fmt_s(s.duck_pq.seconds)} s: {fmt_r(r)}")
    for name in COLD_REPORTS:
        if name in at:
            x = at[name]
            r = ratio(x.cold.seconds, x.duck_csv.seconds)
            line(f"`{name}` cold ≤ 1.5× DuckDB over CSV", r, 1.5,
                 f"{fmt_s(x.cold.seconds)} s: {fmt_r(r)}")
    for x in [r for r in rows if r.name.startswith("check") and r.n == big or
              "broken" in r.name]:
        r = ratio(x.cold.seconds, x.duck_csv.seconds)
        line(f"`{x.name}` cold ≤ 3× DuckDB over CSV ({x.n:,} households)", r, 3.0,
             f"{fmt_s(x.cold.seconds)} s vs {fmt_s(x.duck_csv.seconds)} s: {fmt_r(r)}")
    peaks = [m for r in rows for m in (r.cold.mib, r.warm.mib) if m is not None]
    if peaks:
        worst = max(rows, key=lambda r: max(r.cold.mib or 0, r.warm.mib or 0))
        line("peak memory ≤ 3 GiB, every command", max(peaks) / 1024, 3.0,
             f"largest {max(peaks):,} MiB ({worst.name}, {worst.n:,} households)")
    sizes = sorted({r.n for r in plain})
    if len(sizes) >= 2:
        small = {r.name: r for r in plain if r.n == sizes[-2]}
        growths = []
        for name, x in at.items():
            if name in small:
                g = ratio(x.cold.seconds, small[name].cold.seconds)
                growths.append((name, g))
        worst_g = max((g for _, g in growths if g is not None), default=None)
        factor = sizes[-1] / sizes[-2]
        line(f"growth {sizes[-2]:,} → {sizes[-1]:,} ≤ {factor * 1.1:.0f}× (cold), every command",
             worst_g, factor * 1.1, "; ".join(f"{n} {fmt_r(g)}" for n, g in growths))
    seconds, no_pandas = help_time(repeat)
    out.append(f"| `povcli --help` ≤ 0.2 s, no pandas | {seconds:.2f} s; pandas "
               f"{'not imported' if no_pandas else 'IMPORTED'} | "
               f"{'yes' if seconds <= 0.2 and no_pandas else 'no'} |")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--broken", type=int, default=None,
                        help="also time check on a broken set of this many households")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/povcli-bench"))
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    rows, notes = bench(args.sizes, args.work, args.timeout, args.repeat, args.broken)
    stamp = time.strftime("%Y-%m-%d")
    text = (f"# Benchmark results ({stamp}, {os.cpu_count()} cores)\n\n"
            f"Whole-process wall time in seconds (median of {args.repeat}) and peak memory "
            "(MiB, the largest of the runs); the DuckDB columns are its SQL for the core "
            "summary over the same files, timed in turn with povcli's runs.\n\n"
            + table(rows) + "\n" + "\n".join(f"- {n}" for n in notes) + "\n\n"
            "## Targets of the scale issue (largest size run)\n\n" + targets(rows, args.repeat))
    tmp = args.results.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(args.results)
    print(text)


if __name__ == "__main__":
    main()
