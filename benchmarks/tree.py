#!/usr/bin/env python3
"""Run a command and measure it as a whole process tree: wall time, CPU time of the
tree, the largest resident set of any one process and of all of them together
(sampled), for runs that start worker processes (povcli's shards on a machine's cores),
where GNU time's %M says only the largest process.

    python benchmarks/tree.py [--every 1] -- povcli summary -d /data/ledgers-30m --memory 8G

Prints one line of JSON on stderr when the command ends (its own output is left as it
is); exits with the command's exit code. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time


def _children(pid: int) -> list[int]:
    """pid and every process below it."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def _rss(pid: int) -> int:
    """Resident bytes of one process (0 when it has gone)."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=float, default=1.0, help="seconds between samples")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")
    started = time.perf_counter()
    proc = subprocess.Popen(command)
    peak = {"one": 0, "all": 0, "processes": 0}
    done = threading.Event()

    def sample():
        while not done.is_set():
            tree = _children(proc.pid)
            sizes = [_rss(p) for p in tree]
            peak["one"] = max(peak["one"], max(sizes, default=0))
            peak["all"] = max(peak["all"], sum(sizes))
            peak["processes"] = max(peak["processes"], len(tree))
            done.wait(args.every)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    code = proc.wait()
    done.set()
    watcher.join()
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # every waited-for descendant
    print(json.dumps({
        "command": " ".join(command), "exit": code, "seconds": round(wall, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        # ru_maxrss: KiB on Linux, of the largest waited-for process
        "largest_process_gib": round(max(peak["one"], usage.ru_maxrss * 1024) / 2**30, 2),
        "all_processes_gib_sampled": round(peak["all"] / 2**30, 2),
        "processes": peak["processes"]}), file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
