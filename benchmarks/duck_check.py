"""Two of check's rules counted in DuckDB SQL over the same files: a second
implementation to hold povcli's findings against at sizes no test reaches (a national
set is checked per household shard; this reads the CSVs whole, spilling to disk).

    python benchmarks/duck_check.py DIR [--memory=8GB] [--hashed]   # rule,findings rows

- S03, a voucher on two payments: every payment after the first of its voucher;
- S07, an amount far out of line: per program and year of the positive payments, the
  median and the median absolute deviation (MAD); a payment is far when its group has
  five payments or more and |amount - median| / (1.4826 MAD, or 0.1 median when the MAD
  is 0) is over 8 (checks.Params.outlier). DuckDB's median interpolates where pandas
  averages the middle two: equal but in the last bit, which could move a payment that
  sits exactly on the line.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

OUTLIER = 8.0


def _payments(folder: Path) -> str:
    return (f"SELECT voucher, program, year(CAST(date AS DATE)) AS y, CAST(amount AS DOUBLE) "
            f"AS a FROM read_csv('{folder}/subsidies.csv', all_varchar=true, header=true)")


def vouchers_sql(folder: Path, hashed: bool = False) -> str:
    """S03's findings: the payments after the first of their voucher. hashed: the
    vouchers' 64-bit hashes counted instead of their texts (a national set's 240 M texts
    spilled past 30 GB of disk; two vouchers sharing a hash by chance would count one
    finding fewer)."""
    v = "hash(voucher)" if hashed else "voucher"
    return (f"SELECT 'S03' AS rule, count(voucher) - count(DISTINCT {v}) AS findings "
            f"FROM ({_payments(folder)})")


def outliers_sql(folder: Path) -> str:
    """S07's findings: the positive payments far from their program and year's median."""
    return f"""
WITH p AS (SELECT program, y, a FROM ({_payments(folder)})
           WHERE a > 0 AND program IS NOT NULL AND y IS NOT NULL),
g AS (SELECT program, y, median(a) AS med, count(*) AS n FROM p GROUP BY program, y),
d AS (SELECT p.program, p.y, abs(p.a - g.med) AS dev FROM p JOIN g USING (program, y)),
m AS (SELECT program, y, median(dev) AS mad FROM d GROUP BY program, y),
s AS (SELECT program, y, n, CASE WHEN mad > 0 THEN 1.4826 * mad ELSE 0.1 * med END AS scale
      FROM g JOIN m USING (program, y))
SELECT 'S07' AS rule, count(*) AS findings FROM d JOIN s USING (program, y)
WHERE s.n >= 5 AND s.scale > 0 AND d.dev / s.scale > {OUTLIER}
"""


def main(argv: list[str]) -> None:
    import duckdb

    folder = Path(argv[0])
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    for a in argv[1:]:
        if a.startswith("--memory="):
            con.execute(f"SET memory_limit = '{a.split('=', 1)[1]}'")
    start = time.perf_counter()
    hashed = "--hashed" in argv  # (one query a rule: they do not share the memory)
    rows = [con.execute(q).fetchall()[0] for q in (vouchers_sql(folder, hashed),
                                                    outliers_sql(folder))]
    print("rule,findings")
    for rule, n in rows:
        print(f"{rule},{n}")
    print(f"duckdb: {time.perf_counter() - start:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
