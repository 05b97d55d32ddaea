"""Two of check's rules counted in DuckDB SQL over the same files: a second
implementation to hold povcli's findings against at sizes no test reaches (a national
set is checked per household shard; this reads the CSVs whole, spilling to disk).

    python benchmarks/duck_check.py DIR [--memory=8GB]   # rule,findings rows

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


def counts_sql(folder: Path) -> str:
    pay = f"read_csv('{folder}/subsidies.csv', all_varchar=true, header=true)"
    return f"""
WITH pay AS (SELECT voucher, program, year(CAST(date AS DATE)) AS y,
                    CAST(amount AS DOUBLE) AS a FROM {pay}),
p AS (SELECT program, y, a FROM pay WHERE a > 0 AND program IS NOT NULL AND y IS NOT NULL),
g AS (SELECT program, y, median(a) AS med, count(*) AS n FROM p GROUP BY program, y),
d AS (SELECT p.program, p.y, abs(p.a - g.med) AS dev FROM p JOIN g USING (program, y)),
m AS (SELECT program, y, median(dev) AS mad FROM d GROUP BY program, y),
s AS (SELECT program, y, n, CASE WHEN mad > 0 THEN 1.4826 * mad ELSE 0.1 * med END AS scale
      FROM g JOIN m USING (program, y))
SELECT 'S03' AS rule, (SELECT count(voucher) - count(DISTINCT voucher) FROM pay) AS findings
UNION ALL
SELECT 'S07', count(*) FROM d JOIN s USING (program, y)
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
    rows = con.execute(counts_sql(folder)).fetchall()
    print("rule,findings")
    for rule, n in rows:
        print(f"{rule},{n}")
    print(f"duckdb: {time.perf_counter() - start:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
