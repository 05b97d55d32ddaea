"""Yearly policy parameters: the national poverty line, overridable by policy.csv.

The built-in lines are the national rural poverty line in current prices (yuan per
person a year), as collected in shared/guides/domain.md §3.1: 2010 2300 (the standard
itself), 2011 2536, 2013 2736 (the 建档立卡 identification standard), 2014 2800,
2015 2855, 2016 2952, 2017 2952, 2018 2995, 2019 3218, 2020 about 4000. 2014-2018
are commonly cited figures that the guide could not confirm; an office that knows
better (or a province with a higher line) writes its own in policy.csv.
"""

from __future__ import annotations

NATIONAL_POVERTY_LINE = {
    2010: 2300.0, 2011: 2536.0, 2013: 2736.0, 2014: 2800.0, 2015: 2855.0, 2016: 2952.0,
    2017: 2952.0, 2018: 2995.0, 2019: 3218.0, 2020: 4000.0,
}


def in_force(column: str, policy_frame=None) -> dict[int, float]:
    """year -> value of a parameter (poverty_line, dibao_standard): built in, with
    policy.csv rows on top."""
    values = dict({"poverty_line": NATIONAL_POVERTY_LINE,
                   "dibao_standard": DIBAO_STANDARD}[column])
    if policy_frame is not None:
        rows = policy_frame.dropna(subset=["year", column])
        values.update({int(y): float(v) for y, v in zip(rows["year"], rows[column])})
    return values


def poverty_lines(policy_frame=None) -> dict[int, float]:
    return in_force("poverty_line", policy_frame)


def line_for(lines: dict[int, float], year: int) -> float | None:
    """The line of that year, else of the latest earlier year that has one."""
    known = [y for y in lines if y <= year]
    return lines[max(known)] if known else None


# The rural minimum living guarantee (农村低保) standard is set locally; as a reference
# povcli carries the national average of the local rural standards, yuan per person a
# year, from the Ministry of Civil Affairs' yearly statistical bulletins (2013 2,434 ...
# 2020 5,962; recalled, not checked against the bulletins here). An office puts its
# own standard in policy.csv: the sample's 3,600 yuan for 2017 is the source document's.
DIBAO_STANDARD = {
    2013: 2434.0, 2014: 2777.0, 2015: 3178.0, 2016: 3744.0, 2017: 4301.0, 2018: 4833.0,
    2019: 5336.0, 2020: 5962.0,
}
