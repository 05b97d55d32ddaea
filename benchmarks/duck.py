"""The core summary counted in DuckDB SQL over the same files: the yardstick of the
benchmark, and a second implementation of the contract's counting rules whose figures
povcli's must equal.

    python benchmarks/duck.py DIR YEAR [--parquet] [--memory=8GB]   # metric,value rows
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

LEDGERS = ["households", "members", "changes", "exits", "subsidies"]


def sources(folder: Path, parquet: bool) -> dict[str, str]:
    if parquet:
        return {n: f"read_parquet('{folder}/{n}.parquet')" for n in LEDGERS}
    return {n: f"read_csv('{folder}/{n}.csv', all_varchar=true, header=true)" for n in LEDGERS}


def to_parquet(folder: Path, out: Path) -> None:
    import duckdb
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    for n in LEDGERS:
        con.execute(f"COPY (SELECT * FROM read_csv('{folder}/{n}.csv', all_varchar=true)) "
                    f"TO '{out}/{n}.parquet' (FORMAT parquet)")


def summary_sql(src: dict[str, str], year: int) -> str:
    d = f"DATE '{year}-12-31'"
    return f"""
WITH hh AS (SELECT household_id, CAST(identified_on AS DATE) AS identified FROM {src['households']}),
m AS (SELECT person_id, household_id FROM {src['members']}),
ch AS (SELECT person_id, household_id, CAST(date AS DATE) AS date, direction, reason,
              row_number() OVER () AS ord FROM {src['changes']}),
ex AS (SELECT household_id, CAST(exit_year AS INTEGER) AS y,
              coalesce(verification, '') AS v FROM {src['exits']}),
years AS (SELECT DISTINCT y FROM ex WHERE y <= {year} UNION SELECT {year}),
firsts AS (SELECT person_id, household_id, arg_min(direction, (date, ord)) AS d,
                  arg_min(reason, (date, ord)) AS r FROM ch GROUP BY person_id, household_id),
lasts AS (SELECT y, person_id, household_id, arg_max(direction, (date, ord)) AS dir
          FROM ch JOIN years ON ch.date <= make_date(y, 12, 31)
          GROUP BY y, person_id, household_id),
state AS (
  SELECT years.y, m.person_id, m.household_id, hh.identified,
         CASE WHEN l.dir IS NOT NULL THEN l.dir = 'in'
              ELSE hh.identified <= make_date(years.y, 12, 31)
                   AND NOT coalesce(f.d = 'in' AND f.r <> 'returned', false) END AS on_rolls
  FROM m JOIN hh USING (household_id) CROSS JOIN years
  LEFT JOIN lasts l ON l.person_id = m.person_id AND l.household_id = m.household_id
                      AND l.y = years.y
  LEFT JOIN firsts f ON f.person_id = m.person_id AND f.household_id = m.household_id),
hh_on AS (SELECT y, household_id FROM state WHERE on_rolls
          AND identified <= make_date(y, 12, 31) GROUP BY y, household_id),
people_on AS (SELECT s.y, s.household_id, count(*) AS n FROM state s
              JOIN hh_on USING (y, household_id) WHERE s.on_rolls GROUP BY s.y, s.household_id),
exit_people AS (SELECT ex.y, ex.household_id, ex.v,
                       (SELECT count(*) FROM state s WHERE s.y = ex.y
                        AND s.household_id = ex.household_id AND s.on_rolls) AS n FROM ex),
latest_exit AS (SELECT household_id, max(y) AS ly FROM ex WHERE v = 'pass' AND y <= {year}
                GROUP BY household_id),
back AS (SELECT DISTINCT ch.household_id FROM ch JOIN latest_exit USING (household_id)
         WHERE ch.reason = 'returned' AND year(ch.date) > ly AND ch.date <= {d}),
poor AS (SELECT household_id FROM hh_on WHERE y = {year}
         AND (household_id NOT IN (SELECT household_id FROM latest_exit)
              OR household_id IN (SELECT household_id FROM back)))
SELECT 'households', (SELECT count(*) FROM hh_on WHERE y = {year})
UNION ALL SELECT 'people', (SELECT coalesce(sum(n), 0) FROM people_on WHERE y = {year})
UNION ALL SELECT 'poor_households', (SELECT count(*) FROM poor)
UNION ALL SELECT 'poor_people', (SELECT coalesce(sum(n), 0) FROM people_on
                                 WHERE y = {year} AND household_id IN (SELECT * FROM poor))
UNION ALL SELECT 'exited_people_year', (SELECT coalesce(sum(n), 0) FROM exit_people
                                        WHERE y = {year} AND v = 'pass')
UNION ALL SELECT 'exited_people_total', (SELECT coalesce(sum(n), 0) FROM exit_people
                                         WHERE y <= {year} AND v = 'pass')
UNION ALL SELECT 'added_people_year', (SELECT count(*) FROM ch WHERE year(date) = {year}
                                       AND direction = 'in')
UNION ALL SELECT 'removed_people_year', (SELECT count(*) FROM ch WHERE year(date) = {year}
                                         AND direction = 'out')
UNION ALL SELECT 'subsidy_amount_year', (SELECT round(sum(CAST(amount AS DOUBLE)), 2)
                                         FROM {src['subsidies']}
                                         WHERE year(CAST(date AS DATE)) = {year})
"""


def summary(folder: Path, year: int, parquet: bool = False,
            memory: str | None = None) -> dict[str, float]:
    """The figures; `memory` (such as 8GB) caps DuckDB's memory, the rest spilled to
    disk (for a national set next to povcli's 8 GiB budget)."""
    import duckdb
    con = duckdb.connect(config={"memory_limit": memory} if memory else {})
    rows = con.execute(summary_sql(sources(folder, parquet), year)).fetchall()
    return {k: v for k, v in rows}


if __name__ == "__main__":
    folder, year = Path(sys.argv[1]), int(sys.argv[2])
    started = time.perf_counter()
    cap = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--memory=")), None)
    result = summary(folder, year, "--parquet" in sys.argv, cap)
    print("metric,value")
    for k, v in result.items():
        print(f"{k},{v}")
    print(f"seconds,{time.perf_counter() - started:.2f}", file=sys.stderr)
