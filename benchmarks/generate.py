#!/usr/bin/env python3
"""Generate a ledger set of any size in the contract's format, deterministic by seed.

    python benchmarks/generate.py --households 1000000 --out /tmp/ledgers-1m [--seed 1]

Realistic shares: household sizes of 1-5 (2.5 people on average), identification
mostly in 2014-2015, exits spread over 2016-2020 (a few fail verification or are still
pending), births, deaths, marriages, moves and removals each year, returns to poverty,
about eight payments a household across the programs (reversals included), projects
with beneficiaries, one cadre per household, villages with their population. Resident
IDs have valid check digits, so `povcli check` finds what is wrong in the data, not in
the generator. Everything is vectorised with numpy; a million households take about a
minute. The bundled sample ledgers are not made here: they are hand-checked against
the source document (scripts/make_sample_data.py).

With --broken the set is what `check` meets after an Excel round trip and careless
bookkeeping (issue 12: most rows are findings): most resident IDs fail the check digit
(Excel's 15 significant digits leave `...000` at the end, or a digit was mistyped), the
same broken ID everywhere it appears, and the payments break several rules at once
(paid before the household was identified, to people already removed, education aid for
adults, vouchers used twice, the same payment twice, reversals of nothing).
"""

from __future__ import annotations

import argparse
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

AREAS = np.array(["220503", "220502", "220521", "220523", "220524", "220581", "220582"])
WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
CHECK = np.array(list("10X98765432"))
SURNAMES = np.array(list("王李张刘陈杨赵黄周吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"))
GIVEN = np.array(["国庆", "建国", "德福", "志强", "桂兰", "秀英", "淑珍", "玉兰", "浩然", "子涵", "欣怡",
                  "宇轩", "长发", "凤芝", "振华", "丽华"])
CAUSES = np.array(["illness", "disability", "labor", "skills", "capital", "land", "disaster",
                   "motivation", "schooling", "water", "transport", "other"])
CAUSE_P = np.array([30, 28, 14, 8, 6, 3, 3, 4, 2, 1, 0.5, 0.5]) / 100.0
PROGRAMS = np.array(["dibao", "education", "health", "housing", "photovoltaic", "industry",
                     "employment", "other"])
PROGRAM_P = np.array([0.34, 0.10, 0.16, 0.03, 0.20, 0.10, 0.05, 0.02])
MEAN_AMOUNT = np.array([700, 1000, 1500, 15000, 1000, 300, 500, 200], dtype=float)


def resident_ids(rng, births: np.ndarray, male: np.ndarray, areas=AREAS) -> np.ndarray:
    """Valid 18-character IDs: area, birth date, sequence (odd for men), check digit."""
    n = len(births)
    area = areas[rng.integers(0, len(areas), n)]
    ymd = np.datetime_as_string(births, unit="D")
    ymd = np.char.replace(ymd, "-", "")
    seq = rng.integers(0, 500, n) * 2 + male.astype(int)
    body = np.char.add(np.char.add(area, ymd), np.char.zfill(seq.astype(str), 3))
    digits = np.frombuffer(body.astype("S17").tobytes(), dtype=np.uint8).reshape(n, 17) - 48
    check = CHECK[(digits @ WEIGHTS) % 11]
    return np.char.add(body, check)


def unique_ids(rng, births: np.ndarray, male: np.ndarray, taken=None,
               areas=AREAS) -> np.ndarray:
    """resident_ids, drawn again where two people (or a taken ID) collide."""
    ids = resident_ids(rng, births, male, areas)
    while True:
        _, first = np.unique(ids, return_index=True)
        dup = np.setdiff1d(np.arange(len(ids)), first)
        if taken is not None:
            dup = np.union1d(dup, np.flatnonzero(np.isin(ids, taken)))
        if not len(dup):
            return ids
        ids[dup] = resident_ids(rng, births[dup], male[dup], areas)


def dates(rng, start: str, end: str, n: int) -> np.ndarray:
    lo, hi = np.datetime64(start), np.datetime64(end)
    return lo + rng.integers(0, (hi - lo).astype(int) + 1, n).astype("timedelta64[D]")


def write(path: Path, columns: dict) -> None:
    table = pa.table({k: pa.array(v.astype(str) if isinstance(v, np.ndarray) and v.dtype.kind
                                  in "iufM" else v) for k, v in columns.items()})
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))


def excel_round_trip(rng, ids: np.ndarray) -> np.ndarray:
    """Most IDs as they come back from Excel or a careless typist: 45 % end in 000 (15
    significant digits kept), 40 % carry a wrong check digit, the rest are untouched."""
    ids = ids.astype("U18")
    roll = rng.random(len(ids))
    zeros = (roll < 0.45) & (np.char.str_len(ids) == 18)
    typo = (roll >= 0.45) & (roll < 0.85) & (np.char.str_len(ids) == 18)
    out = ids.copy()
    out[zeros] = np.char.add(np.char.ljust(ids[zeros], 15).astype("U15"), "000")
    last = np.array([s[-1:] for s in ids[typo]])
    wrong = np.where(last == "0", "1", np.where(last == "X", "2", "0"))
    out[typo] = np.char.add(ids[typo].astype("U17"), wrong)
    return out


CHUNK = 200_000  # households generated and written at a time: memory stays bounded


@lru_cache(maxsize=None)
def _counties() -> tuple[str, ...]:
    """Real county codes (GB/T 2260, as `check` knows them) other than AREAS."""
    from stdnum import numdb

    db = numdb.get("cn/loc")
    return tuple(c for c in (f"{p:02d}{m:02d}{k:02d}" for p in range(11, 66)
                             for m in range(1, 30) for k in range(1, 50))
                 if c not in AREAS and any("county" in props for _, props in db.info(c)))


def area_codes(chunks: int) -> list[np.ndarray]:
    """Each chunk's seven county codes: the first chunk's are AREAS, every further chunk
    has its own real codes (GB/T 2260, as `check` knows them), so resident IDs never
    collide across chunks without a set of all the IDs drawn so far."""
    out = [AREAS]
    if chunks > 1:
        known = _counties()
        if 7 * (chunks - 1) > len(known):
            raise SystemExit(f"at most {(len(known) // 7 + 1) * CHUNK} households")
        out += [np.array(known[7 * i: 7 * i + 7]) for i in range(chunks - 1)]
    return out


class Writers:
    """One CSV writer a ledger, the header written once, chunks appended."""

    def __init__(self, out: Path):
        self.out, self.open = out, {}

    def __call__(self, name: str, columns: dict) -> None:
        table = pa.table({k: pa.array(v.astype(str) if isinstance(v, np.ndarray)
                                      and v.dtype.kind in "iufM" else v)
                          for k, v in columns.items()})
        if name not in self.open:
            self.open[name] = pacsv.CSVWriter(self.out / name, table.schema,
                                              write_options=pacsv.WriteOptions(
                                                  quoting_style="needed"))
        self.open[name].write_table(table)

    def close(self) -> None:
        for w in self.open.values():
            w.close()


def hids(numbers: np.ndarray) -> np.ndarray:
    """Household IDs of 0-based household numbers."""
    return np.char.zfill((numbers + 1).astype(str), 10)


def generate(n: int, out: Path, seed: int = 1, broken: bool = False,
             chunk: int = CHUNK) -> None:
    """The set in chunks of `chunk` households (people, changes, exits and payments
    stay within their chunk's households); up to `chunk` households the output is the
    one the whole-set generator of before wrote, byte for byte."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    write = Writers(out)

    # ---- villages and townships: about 150 households a village, 12 villages a township
    n_villages = max(1, n // 150)
    township_of = np.arange(n_villages) // 12
    vnames = np.char.add(np.char.add("村", np.arange(n_villages).astype(str)), "")
    tnames = np.char.add("乡", township_of.astype(str))
    counts = np.zeros(n_villages, dtype=np.int64)
    starts = list(range(0, n, chunk)) or [0]
    areas = area_codes(len(starts))
    voucher = [0, 0]
    for i, start in enumerate(starts):
        crng = rng if i == 0 else np.random.default_rng([seed, i])
        size = min(chunk, n - start)
        counts += _chunk(crng, write, start, size, n_villages, vnames, tnames, areas[i],
                         broken, voucher)

    # ---- projects, beneficiaries, pairings, villages
    n_proj = max(1, n // 1000)
    kinds = rng.choice(["photovoltaic", "industry", "infrastructure", "employment", "other"],
                       n_proj, p=[0.15, 0.4, 0.3, 0.1, 0.05])
    write("projects.csv", {
        "project_id": np.char.add("P", np.arange(n_proj).astype(str)),
        "name": np.char.add("项目", np.arange(n_proj).astype(str)), "kind": kinds,
        "key_project": np.where(rng.random(n_proj) < 0.2, "是", "否"),
        "year": rng.integers(2016, 2021, n_proj),
        "funds_higher": rng.integers(100, 3000, n_proj) * 1000,
        "funds_local": rng.integers(50, 2000, n_proj) * 1000,
        "funds_other": rng.integers(0, 200, n_proj) * 1000,
    })
    b_proj = np.repeat(np.arange(n_proj), 150)
    b_hh = rng.integers(0, n, len(b_proj))
    pairs = np.unique(np.stack([b_proj, b_hh]), axis=1)
    write("project_beneficiaries.csv", {
        "project_id": np.char.add("P", pairs[0].astype(str)), "household_id": hids(pairs[1])})
    load = rng.integers(1, 6)  # households a cadre
    for start in starts:
        no = np.arange(start, min(start + chunk, n))
        cadre = no // load
        write("pairings.csv", {
            "household_id": hids(no), "cadre_name": np.char.add("干部", cadre.astype(str)),
            "cadre_id": np.char.add("C", cadre.astype(str)),
            "unit": np.char.add("单位", (cadre // 8).astype(str)),
            "leader": np.char.add("领导", (cadre // 40).astype(str)),
            "since": np.full(len(no), "2016-03-01"),
        })
    write("villages.csv", {
        "township": tnames, "village": vnames, "rural_population": counts * 8 + 100,
        "poor_village": np.where(rng.random(n_villages) < 0.3, "是", "否"),
        "exit_year": np.full(n_villages, ""), "enterprise": np.char.add("企业", vnames),
    })
    write.close()


def _chunk(rng, write: Writers, start: int, n: int, n_villages: int, vnames, tnames,
           areas: np.ndarray, broken: bool, voucher: list) -> np.ndarray:
    """Households start..start+n with their people, changes, exits and payments written;
    returns the households a village. `voucher` counts the V and W vouchers so far."""
    village_no = rng.integers(0, n_villages, n)

    # ---- households
    hid = hids(np.arange(start, start + n))
    size = rng.choice([1, 2, 3, 4, 5], n, p=[0.25, 0.30, 0.22, 0.15, 0.08])
    year = rng.choice([2014, 2015, 2016, 2017, 2018, 2019], n,
                      p=[0.78, 0.15, 0.03, 0.02, 0.01, 0.01])
    identified = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + \
        rng.integers(90, 300, n).astype("timedelta64[D]")
    category = rng.choice(["general", "dibao", "tekun"], n, p=[0.62, 0.30, 0.08])
    cause = rng.choice(CAUSES, n, p=CAUSE_P)
    grade = rng.choice(["A", "B", "C", "D", ""], n, p=[0.2, 0.55, 0.05, 0.03, 0.17])

    # ---- members: the head first
    m_hh = np.repeat(np.arange(n), size)
    pos = np.arange(len(m_hh)) - np.repeat(np.cumsum(size) - size, size)
    relation = np.where(pos == 0, "head", np.where(pos == 1, "spouse", "child"))
    born = np.where(pos < 2, dates(rng, "1935-01-01", "1975-12-31", len(m_hh)),
                    dates(rng, "2000-01-01", "2010-06-30", len(m_hh)))
    male = np.where(pos == 0, rng.random(len(m_hh)) < 0.7,
                    np.where(pos == 1, False, rng.random(len(m_hh)) < 0.5))
    male = np.where((pos == 1), ~np.repeat(male[np.cumsum(size) - size], size), male)
    pid = unique_ids(rng, born, male, areas=areas)
    names = np.char.add(SURNAMES[rng.integers(0, len(SURNAMES), len(m_hh))],
                        GIVEN[rng.integers(0, len(GIVEN), len(m_hh))])

    # ---- changes: removals of people on the rolls, additions of new people
    people = len(m_hh)
    k = people // 100
    # 3 % of people are removed once over the years: never a head (so no household
    # leaves the rolls unrecorded) nor the last member (the one payments name)
    last_member = pos == np.repeat(size - 1, size)
    removable = np.flatnonzero((pos > 0) & ~last_member)
    removals = rng.permutation(removable)[: min(3 * k, len(removable))]
    r_reason = rng.choice(["death", "moved", "marriage_out", "enlisted", "imprisoned",
                           "other_out"], len(removals), p=[0.5, 0.2, 0.15, 0.05, 0.03, 0.07])
    r_date = np.maximum(identified[m_hh[removals]] + np.timedelta64(30, "D"),
                        dates(rng, "2015-01-01", "2020-12-31", len(removals)))
    # births and marriages bring new members, on the rolls from their change's date
    n_new = 2 * k
    new_hh = rng.integers(0, n, n_new)
    new_date = np.maximum(identified[new_hh] + np.timedelta64(30, "D"),
                          dates(rng, "2015-01-01", "2020-12-31", n_new))
    new_reason = rng.choice(["birth", "marriage_in", "other_in"], n_new, p=[0.6, 0.3, 0.1])
    new_born = np.where(new_reason == "birth", new_date - np.timedelta64(10, "D"),
                        dates(rng, "1980-01-01", "1998-12-31", n_new))
    new_male = rng.random(n_new) < 0.5
    new_pid = unique_ids(rng, new_born, new_male, taken=pid, areas=areas)
    new_names = np.char.add(SURNAMES[rng.integers(0, len(SURNAMES), n_new)],
                            GIVEN[rng.integers(0, len(GIVEN), n_new)])

    # ---- exits: most households exit between 2016 and 2020
    exit_year = rng.choice([2016, 2017, 2018, 2019, 2020, 0], n,
                           p=[0.25, 0.25, 0.2, 0.15, 0.1, 0.05])
    exit_year = np.where(exit_year <= year, 0, exit_year)  # never before identification
    exiting = np.flatnonzero(exit_year > 0)
    verification = rng.choice(["pass", "fail", ""], len(exiting), p=[0.97, 0.01, 0.02])
    verification = np.where(exit_year[exiting] >= 2020, verification, np.where(
        verification == "", "pass", verification))  # pending only for the latest year
    verified_on = np.where(verification == "", "", np.datetime_as_string(
        (exit_year[exiting] - 1970).astype("datetime64[Y]").astype("datetime64[D]")
        + rng.integers(300, 360, len(exiting)).astype("timedelta64[D]")))
    income = rng.integers(4100, 9000, len(exiting))  # above every year's line
    # a failed household passes the next year; some exited households return to poverty
    failed = exiting[verification == "fail"]
    retry = failed[exit_year[failed] < 2020]
    returned = exiting[(verification == "pass") & (rng.random(len(exiting)) < 0.004)
                       & (exit_year[exiting] <= 2018)]
    ret_pos = np.cumsum(size)[returned] - size[returned]  # each returned household's head
    ret_date = (exit_year[returned] + 1 - 1970).astype("datetime64[Y]").astype(
        "datetime64[D]") + rng.integers(30, 300, len(returned)).astype("timedelta64[D]")

    if broken:
        # one broken form per person, the same in every ledger that names them
        pid = excel_round_trip(rng, pid)
        new_pid = excel_round_trip(rng, new_pid)

    changes = {
        "date": np.concatenate([r_date, new_date, ret_date]),
        "household_id": np.concatenate([hid[m_hh[removals]], hid[new_hh], hid[returned]]),
        "person_id": np.concatenate([pid[removals], new_pid, pid[ret_pos]]),
        "direction": np.concatenate([np.full(len(removals), "out"), np.full(n_new, "in"),
                                     np.full(len(returned), "in")]),
        "reason": np.concatenate([r_reason, new_reason, np.full(len(returned), "returned")]),
    }
    order = np.argsort(changes["date"], kind="stable")
    write("changes.csv", {k: v[order] for k, v in changes.items()})

    all_pid = np.concatenate([pid, new_pid])
    all_hh = np.concatenate([m_hh, new_hh])
    write("members.csv", {
        "person_id": all_pid, "household_id": hid[all_hh],
        "name": np.concatenate([names, new_names]),
        "relation": np.concatenate([relation, np.where(new_reason == "marriage_in", "spouse",
                                                       np.where(new_reason == "birth",
                                                                "grandchild", "other"))]),
        "sex": np.where(np.concatenate([male, new_male]), "M", "F"),
        "birth_date": np.concatenate([born, new_born]),
    })
    heads = np.cumsum(size) - size
    write("households.csv", {
        "household_id": hid, "township": tnames[village_no], "village": vnames[village_no],
        "head_name": names[heads], "head_id": pid[heads], "category": category,
        "cause": cause, "identified_on": identified, "housing_grade": grade,
    })
    write("exits.csv", {
        "household_id": np.concatenate([hid[exiting], hid[retry]]),
        "exit_year": np.concatenate([exit_year[exiting], exit_year[retry] + 1]),
        "verification": np.concatenate([verification, np.full(len(retry), "pass")]),
        "verified_on": np.concatenate([verified_on, np.full(len(retry), "")]),
        "per_capita_income": np.concatenate([income, np.full(len(retry), 4500)]),
    })

    # ---- subsidies: about eight payments a household; reversals undo a few
    n_pay = 8 * n
    p_hh = rng.integers(0, n, n_pay)
    program = rng.choice(len(PROGRAMS), n_pay, p=PROGRAM_P)
    p_date = np.maximum(identified[p_hh] + np.timedelta64(10, "D"),
                        dates(rng, "2016-01-01", "2020-12-31", n_pay))
    amount = np.round(MEAN_AMOUNT[program] * rng.lognormal(0, 0.25, n_pay), 2)
    # education names a child at school, health the household's last original member
    last = (np.cumsum(size) - 1)[p_hh]
    program = np.where((PROGRAMS[program] == "education") & (size[p_hh] < 3),
                       int(np.flatnonzero(PROGRAMS == "health")[0]), program)
    amount = np.round(MEAN_AMOUNT[program] * rng.lognormal(0, 0.25, n_pay), 2)
    named = (PROGRAMS[program] == "education") | (PROGRAMS[program] == "health")
    person = np.where(named, pid[last], "")
    n_rev = n_pay // 200
    rev = rng.integers(0, n_pay, n_rev)
    pay = {
        "date": np.concatenate([p_date, np.minimum(p_date[rev] + np.timedelta64(15, "D"),
                                                   np.datetime64("2020-12-31"))]),
        "household_id": np.concatenate([hid[p_hh], hid[p_hh[rev]]]),
        "person_id": np.concatenate([person, person[rev]]),
        "program": np.concatenate([PROGRAMS[program], PROGRAMS[program[rev]]]),
        "amount": np.concatenate([amount, -amount[rev]]),
        "source": rng.choice(["central", "provincial", "municipal", "district"],
                             n_pay + n_rev),
        "voucher": np.char.add("V", (voucher[0] + np.arange(n_pay + n_rev)).astype(str)),
    }
    voucher[0] += n_pay + n_rev
    if broken:
        pay = broken_payments(rng, pay, hid, identified, pid, m_hh, removals, r_date,
                              voucher)
    write("subsidies.csv", pay)

    return np.bincount(village_no, minlength=n_villages)


def broken_payments(rng, pay: dict, hid, identified, pid, m_hh, removals, r_date,
                    voucher: list) -> dict:
    """The payments with several rules broken on many rows (see the module's text)."""
    n = len(pay["date"])
    hh_no = np.searchsorted(hid, pay["household_id"])
    roll = rng.random(n)
    # 30 %: dated before the household was identified (S02)
    early = roll < 0.30
    pay["date"] = np.where(early, identified[hh_no] - rng.integers(
        30, 400, n).astype("timedelta64[D]"), pay["date"])
    # 5 %: education aid named to the household's head, an adult (S05)
    adult = (roll >= 0.30) & (roll < 0.35) & (pay["amount"] > 0)
    heads = np.searchsorted(m_hh, np.arange(len(hid)))
    pay["program"] = np.where(adult, "education", pay["program"])
    pay["person_id"] = np.where(adult, pid[heads][hh_no], pay["person_id"])
    # 5 %: named to a person removed before the payment (S01)
    gone = (roll >= 0.35) & (roll < 0.40) & (pay["amount"] > 0)
    pick = rng.integers(0, len(removals), n)
    pay["person_id"] = np.where(gone, pid[removals[pick]], pay["person_id"])
    pay["household_id"] = np.where(gone, hid[m_hh[removals[pick]]], pay["household_id"])
    pay["date"] = np.where(gone, r_date[pick] + np.timedelta64(20, "D"), pay["date"])
    # 5 %: a voucher number used before (S03)
    again = rng.random(n) < 0.05
    pay["voucher"] = np.where(again, pay["voucher"][rng.integers(0, n, n)], pay["voucher"])
    # 10 %: the same payment twice, a few days apart (S04); 2 %: reversals of nothing (S06)
    twice = np.flatnonzero((rng.random(n) < 0.10) & (pay["amount"] > 0))
    stray = rng.integers(0, n, n // 50)
    extra = {k: np.concatenate([v[twice], v[stray]]) for k, v in pay.items()}
    extra["date"] = np.concatenate([pay["date"][twice] + rng.integers(
        1, 20, len(twice)).astype("timedelta64[D]"), pay["date"][stray]])
    extra["amount"] = np.concatenate([pay["amount"][twice],
                                      -np.round(rng.uniform(10, 900, len(stray)), 2)])
    extra["voucher"] = np.char.add("W", (voucher[1] + np.arange(len(twice) + len(stray)))
                                   .astype(str))
    voucher[1] += len(twice) + len(stray)
    out = {k: np.concatenate([v, extra[k]]) for k, v in pay.items()}
    order = np.argsort(out["date"], kind="stable")
    return {k: v[order] for k, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--broken", action="store_true",
                        help="most IDs failing the check digit and payments breaking "
                        "several rules: a set where most rows are findings")
    parser.add_argument("--chunk", type=int, default=CHUNK,
                        help="households generated and written at a time (memory)")
    args = parser.parse_args()
    generate(args.households, args.out, args.seed, args.broken, args.chunk)


if __name__ == "__main__":
    main()
