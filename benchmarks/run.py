#!/usr/bin/env python3
"""Whole-program speed of povcli against DuckDB, in one run, on generated ledgers.

    pip install duckdb && python benchmarks/run.py [--sizes 10000 100000 1000000]
                                                  [--work /tmp/povcli-bench] [--timeout 900]

For each size: generate the ledgers (once, kept in --work), then time each command as
a whole process — cold (CSV, an empty cache) and warm (the cache the cold run wrote) —
with its peak memory, next to DuckDB counting the core summary in SQL over the same
CSV files and over Parquet copies of them. The summary figures of povcli and DuckDB
must agree, or the run says so. Writes benchmarks/RESULTS.md. Not a test: CI does not
run it.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
YEAR = 2020


def timed(cmd: list[str], env: dict, timeout: float) -> tuple[float | None, int | None, str]:
    """Wall seconds, peak memory in MiB and stdout of one process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return None, None, ""
    return time.perf_counter() - started, None, out.decode("utf-8", errors="replace")


def timed_rss(cmd: list[str], env: dict, timeout: float) -> tuple[float | None, int | None, str]:
    """timed, with the peak memory GNU time reports (None where it is not installed)."""
    gnu_time = shutil.which("time") or "/usr/bin/time"
    if not Path(gnu_time).exists():
        return timed(cmd, env, timeout)
    report = Path(env["POVCLI_BENCH_TMP"]) / "time.txt"
    wall, _, out = timed([gnu_time, "-f", "%M", "-o", str(report), *cmd], env, timeout)
    try:
        rss = int(report.read_text().split()[-1]) // 1024
    except (OSError, ValueError, IndexError):
        rss = None
    return wall, rss, out


def metrics(text: str) -> dict[str, str]:
    return {r["metric"]: r["value"] for r in csv.DictReader(io.StringIO(text))}


def bench(sizes: list[int], work: Path, timeout: float) -> str:
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    notes = []
    for n in sizes:
        data = work / f"ledgers-{n}"
        if not (data / "subsidies.csv").exists():
            subprocess.run([sys.executable, str(HERE / "generate.py"), "--households", str(n),
                            "--out", str(data)], check=True)
        parquet = work / f"parquet-{n}"
        if not (parquet / "subsidies.parquet").exists():
            sys.path.insert(0, str(HERE))
            import duck
            duck.to_parquet(data, parquet)
        cache_dir = work / f"cache-{n}"
        shutil.rmtree(cache_dir, ignore_errors=True)
        env = {**os.environ, "POVCLI_CACHE_DIR": str(cache_dir), "POVCLI_BENCH_TMP": str(work)}
        env.pop("POVCLI_NO_CACHE", None)
        povcli = [sys.executable, "-m", "povcli"]
        first_hh = f"{1:010d}"
        commands = [("summary", ["summary", "--year", str(YEAR)]), ("exits", ["exits"]),
                    ("changes", ["changes"]), ("subsidies", ["subsidies"]),
                    ("show", ["show", first_hh, "--format", "json"]), ("check", ["check"])]
        duck_csv = timed_rss([sys.executable, str(HERE / "duck.py"), str(data), str(YEAR)],
                             env, timeout)
        duck_pq = timed_rss([sys.executable, str(HERE / "duck.py"), str(parquet), str(YEAR),
                             "--parquet"], env, timeout)
        for name, args in commands:
            fmt = [] if "--format" in args else ["--format", "csv"]
            shutil.rmtree(cache_dir, ignore_errors=True)  # cold: nothing cached
            cold = timed_rss([*povcli, *args, "-d", str(data), *fmt], env, timeout)
            warm = timed_rss([*povcli, *args, "-d", str(data), *fmt], env, timeout)
            rows.append((n, name, cold, warm, duck_csv, duck_pq))
            if name == "summary" and cold[0] is not None:
                ours, theirs = metrics(cold[2]), metrics(duck_csv[2])
                wrong = [k for k, v in theirs.items() if k in ours and
                         abs(float(ours[k] or 0) - float(v or 0)) > 0.01]
                notes.append(f"{n:,} households: povcli and DuckDB "
                             + ("agree on every summary figure" if not wrong else
                                f"DISAGREE on {', '.join(wrong)}"))
    return table(rows, notes)


def fmt_s(x):
    return "timeout" if x is None else f"{x:.2f}"


def fmt_m(x):
    return "—" if x is None else f"{x:,}"


def ratio(a, b):
    return "—" if a is None or b is None or not b else f"{a / b:.1f}×"


def table(rows, notes) -> str:
    lines = ["| households | command | cold s | cold MiB | warm s | warm MiB | DuckDB CSV s "
             "| DuckDB Parquet s | cold / DuckDB CSV | warm / DuckDB Parquet |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n, name, cold, warm, dcsv, dpq in rows:
        lines.append(f"| {n:,} | {name} | {fmt_s(cold[0])} | {fmt_m(cold[1])} | "
                     f"{fmt_s(warm[0])} | {fmt_m(warm[1])} | {fmt_s(dcsv[0])} | "
                     f"{fmt_s(dpq[0])} | {ratio(cold[0], dcsv[0])} | "
                     f"{ratio(warm[0], dpq[0])} |")
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/povcli-bench"))
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    result = bench(args.sizes, args.work, args.timeout)
    stamp = time.strftime("%Y-%m-%d")
    (HERE / "RESULTS.md").write_text(
        f"# Benchmark results ({stamp}, {os.cpu_count()} cores)\n\n"
        "Whole-process wall time in seconds and peak memory (MiB); the DuckDB columns "
        "are its SQL for the core summary over the same files, timed the same way.\n\n"
        + result, encoding="utf-8")
    print(result)


if __name__ == "__main__":
    main()
