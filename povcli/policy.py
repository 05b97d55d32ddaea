"""Yearly policy parameters: policy.csv's rows, and the national poverty line built in.

The contract's rule (shared/spec/ledgers.md, policy.csv): the value of a parameter in
year Y is the one of the policy row with the latest year <= Y that gives it; where no
row gives it, the built-in national figure for Y (the poverty line only), else none.
No local parameter (exit standard, dibao standard, monitoring line) is ever built in:
a rule that needs one it does not have says so.

The built-in lines are the national rural poverty line in current prices (yuan per
person a year), as collected in shared/guides/domain.md §3.1: 2010 2300 (the standard
itself), 2011 2536, 2013 2736 (the 建档立卡 identification standard), 2014 2800,
2015 2855, 2016 2952, 2017 2952, 2018 2995, 2019 3218, 2020 about 4000. 2014-2018
are commonly cited figures that the guide could not confirm. 2012 has no figure: no
cited source was at hand, and another year's figure is not 2012's. An office that
knows better (or a province with a higher line) writes its own in policy.csv.
"""

from __future__ import annotations

NATIONAL_POVERTY_LINE = {
    2010: 2300.0, 2011: 2536.0, 2013: 2736.0, 2014: 2800.0, 2015: 2855.0, 2016: 2952.0,
    2017: 2952.0, 2018: 2995.0, 2019: 3218.0, 2020: 4000.0,
}

# the parameters of policy.csv; only the poverty line has built-in (national) figures
PARAMETERS = ("poverty_line", "exit_standard", "dibao_standard", "monitoring_line")
BUILT_IN = {"poverty_line": NATIONAL_POVERTY_LINE}
FROM_POLICY, FROM_NATIONAL = "policy.csv", "national"


def in_force(column: str, policy_frame=None) -> dict[int, float]:
    """year -> value of a parameter as policy.csv's rows give it (only those years).
    Look a year up with `value_for` (or `line_for`, which follows the same rule)."""
    if policy_frame is None or column not in getattr(policy_frame, "columns", ()):
        return {}
    rows = policy_frame.dropna(subset=["year", column])
    return {int(y): float(v) for y, v in zip(rows["year"], rows[column])}


def value_for(column: str, year: int, policy_frame=None) -> tuple[float | None, str | None]:
    """(value, where from) of a parameter in `year`: policy.csv's latest row <= year that
    gives it ("policy.csv"), else the built-in national figure of that very year
    ("national"; the poverty line only), else (None, None)."""
    own = in_force(column, policy_frame)
    known = [y for y in own if y <= year]
    if known:
        return own[max(known)], FROM_POLICY
    national = BUILT_IN.get(column, {}).get(int(year))
    return (national, FROM_NATIONAL) if national is not None else (None, None)


def poverty_lines(policy_frame=None) -> dict[int, float]:
    """year -> poverty line of every year the built-in table or policy.csv names, by
    the contract's rule."""
    own = in_force("poverty_line", policy_frame)
    return {y: value_for("poverty_line", y, policy_frame)[0]
            for y in sorted(set(NATIONAL_POVERTY_LINE) | set(own))}


def line_for(lines: dict[int, float], year: int) -> float | None:
    """The value of `year` in a mapping of policy rows (year -> value): the latest year
    <= year that has one. Built-in national figures are never carried to another year:
    use `value_for` for the full rule."""
    known = [y for y in lines if y <= year and lines[y] is not None]
    return lines[max(known)] if known else None
