#!/usr/bin/env python3
"""Write the bundled sample ledgers (sample_data/): a synthetic Erdaojiang-like district.

Deterministic: the same seed writes the same bytes (a test checks the committed files
against a fresh run). Every person, name and ID number is invented. The ledgers are
built so that povcli, counting as the contract says, reproduces the figures of the
2018 district report (shared/seed/README.md, F1-F12); the tests check that through
the CLI, not here. Like an office clerk, this script keeps its own simple tally of who
is on the rolls so that it can choose whom to record as exited.

    python scripts/make_sample_data.py [--out sample_data] [--seed 20180428]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from stdnum.cn import ric

AREA = "220503"  # 吉林省通化市二道江区

# Townships of the district and 19 administrative villages. 样子沟村 (二道江乡) and
# 菇园村 (五道江镇) are placed as the source document places them; 三道沟村 and 二道沟村
# are named there without a township; the other villages are illustrative.
VILLAGES = [
    ("二道江乡", "样子沟村"), ("二道江乡", "三道沟村"), ("二道江乡", "二道沟村"),
    ("二道江乡", "夹皮沟村"), ("二道江乡", "长岗村"),
    ("五道江镇", "菇园村"), ("五道江镇", "五道江村"), ("五道江镇", "四道江村"),
    ("五道江镇", "果园村"), ("五道江镇", "新安村"),
    ("鸭园镇", "鸭园村"), ("鸭园镇", "湾湾川村"), ("鸭园镇", "大阳岔村"),
    ("鸭园镇", "清水村"), ("鸭园镇", "六道江村"),
    ("铁厂镇", "铁厂村"), ("铁厂镇", "东升村"), ("铁厂镇", "河口村"), ("铁厂镇", "新兴村"),
]
TOWNSHIPS = ["二道江乡", "五道江镇", "鸭园镇", "铁厂镇"]
ENTERPRISE_WORDS = ["鑫园", "恒达", "丰源", "宏运", "金谷", "长白", "兴业", "瑞丰", "通达", "福源",
                    "盛世", "华泰", "众诚", "天宝", "龙腾", "佳禾", "永信", "安泰", "德润"]
ENTERPRISE_TRADES = ["农业发展", "食品", "建材", "商贸", "牧业", "林产品", "物流", "药业", "酒业",
                     "钢铁配套", "菌业", "粮油", "水务", "电力工程", "木业", "机械", "饲料",
                     "旅游开发", "新能源"]

SURNAMES = list("王李张刘陈杨赵黄周吴徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于"
                "蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏付方白邹孟熊秦邱江尹薛"
                "闫段雷侯龙史陶贺顾毛郝龚邵万钱严武戴孔汤")
MALE = ["国庆", "建国", "德福", "志强", "长发", "德才", "玉山", "宝山", "振华", "凤山", "永刚",
        "树林", "文革", "连生", "有财", "福林", "春生", "庆祥", "海军", "立新", "占山", "广才"]
FEMALE = ["桂兰", "秀英", "淑珍", "玉兰", "凤芝", "秀兰", "桂芝", "淑兰", "玉珍", "凤霞",
          "丽华", "春梅", "秀云", "桂珍", "素梅", "玉芬", "翠花", "丽娟", "红霞", "淑英"]
YOUNG_M = ["浩然", "宇轩", "子豪", "俊杰", "天宇", "博文", "明轩", "志远", "家乐", "思远",
           "鹏飞", "子健", "佳豪", "一鸣"]
YOUNG_F = ["欣怡", "子涵", "梓萱", "雨桐", "诗涵", "佳怡", "思琪", "可馨", "梦瑶", "雅婷",
           "晓雪", "心怡", "婉婷", "若曦"]

CAUSES = (["illness"] * 30 + ["disability"] * 28 + ["labor"] * 14 + ["skills"] * 8
          + ["capital"] * 6 + ["land"] * 3 + ["disaster"] * 3 + ["motivation"] * 4
          + ["schooling"] * 2 + ["other"] * 2)


@dataclass
class Person:
    person_id: str
    household: "Household"
    name: str
    relation: str
    sex: str
    birth: date
    schooling: str = ""
    health: str = ""
    labor: str = ""
    events: list = field(default_factory=list)  # (date, direction, reason)


@dataclass
class Household:
    household_id: str
    township: str
    village: str
    category: str
    cause: str
    identified_on: date
    housing_grade: str = ""
    members: list = field(default_factory=list)

    @property
    def head(self) -> Person:
        return self.members[0]


class District:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.ids: set[str] = set()
        self.households: list[Household] = []
        self.changes: list[tuple] = []  # (date, household, person, direction, reason)

    # -------------------------------------------------------------- people
    def resident_id(self, birth: date, sex: str) -> str:
        while True:
            seq = self.rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)
            body = f"{AREA}{birth:%Y%m%d}{seq:03d}"
            number = body + ric.calc_check_digit(body + "0")  # it skips the last character
            if number not in self.ids:
                self.ids.add(number)
                return number

    def birth(self, year_from: int, year_to: int) -> date:
        start = date(year_from, 1, 1)
        return start + timedelta(days=self.rng.randrange((date(year_to, 12, 31) - start).days))

    def person(self, hh: Household, relation: str, sex: str, birth: date,
               surname: str | None = None) -> Person:
        if surname is None:
            surname = self.rng.choice(SURNAMES)
        young = birth.year >= 1990
        pool = (YOUNG_M if sex == "M" else YOUNG_F) if young else (MALE if sex == "M" else FEMALE)
        p = Person(self.resident_id(birth, sex), hh, surname + self.rng.choice(pool),
                   relation, sex, birth)
        age = 2017 - birth.year
        if 6 <= age <= 22:
            p.schooling = "小学" if age <= 12 else "初中" if age <= 15 else "高中" if age <= 18 else "大专及以上"
        else:
            p.schooling = "学龄前儿童" if age < 6 else "非在校生"
        p.health = ("患有大病" if hh.cause == "illness" and relation == "head" else
                    "残疾" if hh.cause == "disability" and relation == "head" else
                    self.rng.choice(["健康"] * 4 + ["长期慢性病"]))
        p.labor = ("无劳动力" if age < 16 or age > 65 else
                   "丧失劳动力" if p.health in ("患有大病", "残疾") else "普通劳动力")
        hh.members.append(p)
        return p

    def household(self, seq: int, village_index: int, size: int, identified: date,
                  shape: str | None = None) -> Household:
        township, village = VILLAGES[village_index]
        t = TOWNSHIPS.index(township) + 1
        hid = f"{t:02d}{village_index + 1:02d}{seq:04d}"  # leading zero: ids are text
        category = ("tekun" if size == 1 and self.rng.random() < 0.3 else
                    "dibao" if self.rng.random() < 0.3 else "general")
        hh = Household(hid, township, village, category, self.rng.choice(CAUSES), identified)
        surname = self.rng.choice(SURNAMES)
        head_sex = "M" if self.rng.random() < 0.7 else "F"
        shape = shape or ("alone" if size == 1 else
                          self.rng.choice(["couple"] * 5 + ["grand"] * 3) if size == 2 else
                          "family")
        if shape == "grand":  # a grandparent with a grandchild at school
            self.person(hh, "head", head_sex, self.birth(1945, 1960), surname)
            self.person(hh, "grandchild", self.rng.choice("MF"), self.birth(1999, 2010), surname)
        elif shape == "young":  # a young man with his parent: marries in later
            self.person(hh, "head", "M", self.birth(1986, 1990), surname)
            self.person(hh, "parent", "F", self.birth(1955, 1962))
        elif shape == "young_family":  # a young couple: a baby comes later
            self.person(hh, "head", "M", self.birth(1985, 1991), surname)
            self.person(hh, "spouse", "F", self.birth(1987, 1993))
            for _ in range(size - 2):
                self.person(hh, "child", self.rng.choice("MF"), self.birth(2008, 2012), surname)
        elif shape == "adult_child":  # parents with a grown child who may leave
            self.person(hh, "head", "M", self.birth(1955, 1965), surname)
            self.person(hh, "spouse", "F", self.birth(1957, 1967))
            self.person(hh, "child", "F", self.birth(1988, 1994), surname)
            for _ in range(size - 3):
                self.person(hh, "child", self.rng.choice("MF"), self.birth(1998, 2008), surname)
        else:
            old = size <= 2
            head_birth = self.birth(1935, 1960) if old else self.birth(1962, 1980)
            self.person(hh, "head", head_sex, head_birth, surname)
            if size >= 2:
                self.person(hh, "spouse", "F" if head_sex == "M" else "M",
                            head_birth + timedelta(days=self.rng.randrange(-900, 900)))
            for _ in range(max(0, min(size, 4) - 2)):
                self.person(hh, "child", self.rng.choice("MF"), self.birth(1996, 2010), surname)
            if size >= 5:
                self.person(hh, "parent", "F", self.birth(1935, 1945))
        self.households.append(hh)
        return hh

    def change(self, when: date, person: Person, direction: str, reason: str) -> None:
        person.events.append((when, direction, reason))
        self.changes.append((when, person.household, person, direction, reason))

    # -------------------------------------------------------------- the clerk's tally
    @staticmethod
    def on_rolls(p: Person, when: date) -> bool:
        past = [e for e in p.events if e[0] <= when]
        if past:
            return past[-1][1] == "in"
        if p.events and p.events[0][1] == "in" and p.events[0][2] != "returned":
            return False
        return p.household.identified_on <= when

    def people_at(self, hh: Household, when: date) -> int:
        return sum(self.on_rolls(p, when) for p in hh.members)


def day(rng: random.Random, year: int, month_from: int = 1, month_to: int = 12) -> date:
    month = rng.randint(month_from, month_to)
    return date(year, month, rng.randint(1, 28))


def pick_sum(rng, pool, size_of, target: int) -> list:
    """Households from pool whose sizes add up to target exactly (the clerk's choice)."""
    pool = list(pool)
    rng.shuffle(pool)
    chosen, total = [], 0
    for hh in sorted(pool, key=lambda h: -size_of(h)):
        s = size_of(hh)
        if s and total + s <= target:
            if s > 1 and rng.random() < 0.35:
                continue
            chosen.append(hh)
            total += s
        if total == target:
            break
    if total != target:
        for hh in pool:
            if hh not in chosen and size_of(hh) == 1 and total < target:
                chosen.append(hh)
                total += 1
    assert total == target, (total, target)
    return chosen


def build(seed: int) -> dict:
    d = District(seed)
    rng = d.rng
    end16, end17 = date(2016, 12, 31), date(2017, 12, 31)

    # 232 households registered in 2014-2015 and still on the rolls at the end of 2017.
    sizes = [1] * 112 + [2] * 79 + [3] * 30 + [4] * 9 + [5] * 2
    rng.shuffle(sizes)
    weights = [14, 12, 12, 10, 9, 14, 11, 10, 9, 8, 12, 11, 10, 9, 8, 12, 10, 9, 8]
    special = {0: "young", 1: "young_family", 2: "young_family", 3: "adult_child",
               4: "adult_child", 5: "adult_child"}
    fixed = {0: 2, 1: 3, 2: 3, 3: 3, 4: 3, 5: 3}
    # the special shapes take sizes out of the shuffled list so the total stays 406
    for s in fixed.values():
        sizes.remove(s)
    sizes = list(fixed.values()) + sizes
    seqs: dict[int, int] = {}
    old = []
    for i, size in enumerate(sizes):
        v = rng.choices(range(len(VILLAGES)), weights)[0]
        seqs[v] = seqs.get(v, 0) + 1
        identified = day(rng, 2014, 4, 10) if rng.random() < 0.9 else day(rng, 2015, 3, 9)
        old.append(d.household(seqs[v], v, size, identified, special.get(i)))
    assert sum(len(h.members) for h in old) == 406

    def new_household(size, identified, shape=None):
        v = rng.randrange(len(VILLAGES))
        seqs[v] = seqs.get(v, 0) + 1
        return d.household(seqs[v], v, size, identified, shape)

    r16 = new_household(1, day(rng, 2014, 5, 8), "alone")  # its one member dies in 2016
    r17 = new_household(1, day(rng, 2014, 5, 8), "alone")  # found misidentified in 2017
    young, young_fam1, young_fam2 = old[0], old[1], old[2]
    adult1, adult2, adult3 = old[3], old[4], old[5]

    # ---- 2016 dynamic changes: +2 (birth, marriage), -3 (two deaths, one moved)
    d.change(date(2016, 3, 12), r16.head, "out", "death")
    couples = [h for h in old[6:] if len(h.members) == 2 and h.members[1].relation == "spouse"]
    widowed16 = rng.choice(couples)
    d.change(day(rng, 2016, 6, 10), widowed16.members[1], "out", "death")
    d.change(day(rng, 2016, 4, 6), adult1.members[2], "out", "moved")
    baby16 = d.person(young_fam1, "child", "F", day(rng, 2016, 7, 9))
    d.change(baby16.birth + timedelta(days=20), baby16, "in", "birth")
    bride = d.person(young, "spouse", "F", d.birth(1988, 1992))
    d.change(date(2016, 10, 16), bride, "in", "marriage_in")

    # ---- 2016 exits: 220 people, and one household whose verification failed
    excluded = {young.household_id, young_fam2.household_id, adult2.household_id,
                adult3.household_id, widowed16.household_id}
    candidates = [h for h in old if h.household_id not in excluded]
    e16 = pick_sum(rng, candidates, lambda h: d.people_at(h, end16), 220)
    e16_ids = {h.household_id for h in e16}
    rest = [h for h in old if h.household_id not in e16_ids and h.household_id not in excluded]
    failed = rng.choice([h for h in rest if d.people_at(h, end16) == 2])

    # ---- 2017 dynamic changes: +3 (identified, returned, birth), -5
    new17 = new_household(1, date(2017, 7, 20), "alone")
    d.change(date(2017, 7, 20), new17.head, "in", "identified")
    returned = rng.choice([h for h in e16 if len(h.members) == 1])
    d.change(date(2017, 8, 15), returned.head, "in", "returned")
    baby17 = d.person(young_fam2, "child", "M", day(rng, 2017, 3, 5))
    d.change(baby17.birth + timedelta(days=15), baby17, "in", "birth")
    widowed = rng.sample([h for h in e16 if d.people_at(h, end16) >= 2
                          and h.members[1].relation == "spouse"], 2)
    d.change(day(rng, 2017, 1, 5), widowed[0].members[1], "out", "death")
    d.change(day(rng, 2017, 6, 11), widowed[1].members[1], "out", "death")
    d.change(day(rng, 2017, 4, 6), adult2.members[2], "out", "marriage_out")
    d.change(day(rng, 2017, 8, 10), adult3.members[2], "out", "moved")
    d.change(date(2017, 7, 25), r17.head, "out", "misidentified")

    # ---- 2017 exits: 90 people, all verified at home and passed, the failed one among them
    pool = [h for h in rest if h is not failed]
    e17 = [failed] + pick_sum(rng, pool, lambda h: d.people_at(h, end17),
                              90 - d.people_at(failed, end17))
    exits = []
    for h in sorted(e16, key=lambda h: h.household_id):
        exits.append((h, 2016, "pass", day(rng, 2016, 11, 12), rng.randrange(3300, 6800)))
    exits.append((failed, 2016, "fail", date(2016, 11, 22), 2810))
    for h in sorted(e17, key=lambda h: h.household_id):
        exits.append((h, 2017, "pass", day(rng, 2017, 11, 12), rng.randrange(3400, 7200)))

    on17 = [h for h in d.households if d.people_at(h, end17) > 0]
    assert len(on17) == 233 and sum(d.people_at(h, end17) for h in on17) == 404

    # ---- dangerous houses: 13 grade C and 9 grade D, renovated 2016-2017
    for h in d.households:
        h.housing_grade = rng.choice(["A", "B", "B", "B", ""])
    renovated = rng.sample(sorted(old, key=lambda h: h.household_id), 22)
    for i, h in enumerate(renovated):
        h.housing_grade = "C" if i < 13 else "D"

    # ---- projects
    poor16 = [h for h in d.households if d.people_at(h, end16) > 0
              and h.household_id not in e16_ids and h is not r17]
    pv = pick_sum(rng, poor16, lambda h: d.people_at(h, end16), 127)
    projects, beneficiaries = [], []

    def project(pid, name, kind, key, year, township, village, higher, local, other, who):
        projects.append((pid, name, kind, key, year, township, village, higher, local, other))
        beneficiaries.extend((pid, h.household_id) for h in sorted(who, key=lambda h: h.household_id))

    pv_a = [h for h in pv if h.township in ("二道江乡", "五道江镇")]
    pv_b = [h for h in pv if h not in pv_a]
    project("XM2016-01", "二道江乡光伏扶贫电站", "photovoltaic", "否", 2016, "二道江乡", "长岗村",
            900_000, 300_000, 0, pv_a)
    project("XM2016-02", "鸭园镇光伏扶贫电站", "photovoltaic", "否", 2016, "鸭园镇", "鸭园村",
            900_000, 300_000, 0, pv_b)
    key_projects = [  # the source names four; the rest are typical of the district
        ("二道江乡", "样子沟村", "样子沟村肉牛养殖"), ("五道江镇", "菇园村", "菇园村鑫园林下鸡养殖"),
        ("二道江乡", "三道沟村", "三道沟村高粱种植"), ("二道江乡", "二道沟村", "二道沟村高粱种植"),
        ("五道江镇", "四道江村", "四道江村木耳种植"), ("鸭园镇", "湾湾川村", "湾湾川村梅花鹿养殖"),
        ("铁厂镇", "东升村", "东升村林蛙养殖"), ("铁厂镇", "河口村", "河口村中药材种植"),
    ]
    # Industry projects pay out to households across the district: eight groups.
    everyone = sorted(d.households, key=lambda h: h.household_id)
    dividend_projects = []
    for i, (township, village, name) in enumerate(key_projects):
        year = 2016 if i % 2 == 0 else 2017
        who = [h for h in everyone[i::8] if d.people_at(h, date(year, 12, 31)) > 0]
        pid = f"XM{year}-{i + 3:02d}"
        if year == 2016:
            dividend_projects.append(pid)
        project(pid, name, "industry", "是", year, township, village, 300_000, 200_000, 0, who)
    infra = [("样子沟村通村水泥路", "二道江乡", "样子沟村", 2016),
             ("菇园村安全饮水工程", "五道江镇", "菇园村", 2016),
             ("湾湾川村桥涵维修", "鸭园镇", "湾湾川村", 2017),
             ("铁厂村村部及文化广场", "铁厂镇", "铁厂村", 2017),
             ("果园村田间道路", "五道江镇", "果园村", 2017)]
    for i, (name, township, village, year) in enumerate(infra):
        who = [h for h in d.households if h.village == village
               and d.people_at(h, date(year, 12, 31)) > 0]
        project(f"XM{year}-{i + 11:02d}", name, "infrastructure", "否", year, township, village,
                300_000, 480_000, 24_000, who)
    trained = rng.sample([h for h in on17 if any(2017 - p.birth.year in range(18, 56)
                                                 for p in h.members)], 40)
    project("XM2017-16", "贫困劳动力技能培训", "employment", "否", 2017, "", "",
            300_000, 300_000, 0, trained)

    # ---- subsidies
    pays = []

    def pay(when, h, person, program, amount, source):
        pays.append([when, h, person, program, amount, source])

    school = lambda p, y: 6 <= y - p.birth.year <= 22 and d.on_rolls(p, date(y, 9, 1))  # noqa
    kids = [p for h in d.households for p in h.members
            if p.relation in ("child", "grandchild") and school(p, 2016) and school(p, 2017)]
    kids.sort(key=lambda p: p.person_id)
    # 62 students in all, 70,000 yuan: 30 aided in 2016 (1,000 each), 32 others in 2017
    # (1,250 each), so a count per year and a count over both years agree
    students = rng.sample(kids, 62)
    for p in students[:30]:
        pay(day(rng, 2016, 9, 10), p.household, p, "education", 1000, "provincial")
    for p in students[30:]:
        pay(day(rng, 2017, 9, 10), p.household, p, "education", 1250, "provincial")
    for i, h in enumerate(renovated):
        year = 2016 if i % 2 == 0 else 2017
        if h.housing_grade == "C":
            pay(day(rng, year, 6, 10), h, None, "housing", 10_000, "central")
        else:
            pay(day(rng, year, 5, 7), h, None, "housing", 15_000, "central")
            pay(day(rng, year, 9, 11), h, None, "housing", 10_000, "provincial")
    for h in sorted(pv, key=lambda h: h.household_id):
        for q in (3, 6, 9, 12):
            pay(date(2017, q, 28), h, None, "photovoltaic", 1000, "other")
    twice = sorted(pv, key=lambda h: h.household_id)[5]
    pay(date(2017, 6, 28), twice, None, "photovoltaic", 1000, "other")  # paid twice ...
    pay(date(2017, 7, 10), twice, None, "photovoltaic", -1000, "other")  # ... and reversed
    for year, per_person in ((2016, 260), (2017, 290)):
        for h in d.households:
            if h.category != "dibao":
                continue
            for q in (3, 6, 9, 12):
                when = date(year, q, 25)
                n = d.people_at(h, when)
                if n:
                    pay(when, h, None, "dibao", n * per_person, "municipal")
    for h in d.households:
        if h.cause == "illness" and rng.random() < 0.6:
            for year in (2016, 2017):
                when = day(rng, year)
                if d.on_rolls(h.head, when):
                    pay(when, h, h.head, "health", rng.randrange(5, 60) * 50, "municipal")
    for pid, hid in beneficiaries:
        if pid in dividend_projects:
            h = next(x for x in d.households if x.household_id == hid)
            if d.people_at(h, date(2017, 12, 15)):
                pay(date(2017, 12, 15), h, None, "industry", 300, "district")
    for h in trained[:12]:
        worker = next(p for p in h.members if 18 <= 2017 - p.birth.year <= 55)
        if d.on_rolls(worker, date(2017, 10, 20)):
            pay(date(2017, 10, 20), h, worker, "employment", 500, "district")
    pays.sort(key=lambda r: (r[0], r[1].household_id, r[3]))

    # ---- pairing: 26 leaders, 52 units, 235 cadres, every household on the rolls covered
    units = ["区委办", "区政府办", "区纪委监委", "区委组织部", "区委宣传部", "区委统战部",
             "区委政法委", "区发改局", "区教育局", "区科工局", "区公安分局", "区民政局",
             "区司法局", "区财政局", "区人社局", "区自然资源分局", "区生态环境分局", "区住建局",
             "区交通运输局", "区农业农村局", "区水利局", "区商务局", "区文旅局", "区卫健局",
             "区退役军人事务局", "区应急管理局", "区审计局", "区市场监管局", "区统计局",
             "区医保局", "区林业局", "区信访局", "区城管局", "区行政审批局", "区总工会", "团区委",
             "区妇联", "区残联", "区工商联", "区人大办", "区政协办", "区人民法院",
             "区人民检察院", "区税务局", "区扶贫办", "区供销社", "区机关事务局", "区档案馆",
             "区融媒体中心", "区科协", "区红十字会", "区粮食局"]
    assert len(units) == 52
    leaders = [rng.choice(SURNAMES) + rng.choice(MALE + FEMALE) for _ in range(26)]
    while len(set(leaders)) < 26:
        leaders = [rng.choice(SURNAMES) + rng.choice(MALE + FEMALE) for _ in range(26)]
    cadres = []
    for i in range(235):
        unit = i * 52 // 235
        name = rng.choice(SURNAMES) + rng.choice(MALE + FEMALE + YOUNG_M + YOUNG_F)
        cadres.append((f"BF{i + 1:04d}", name, units[unit], leaders[unit // 2]))
    ordered = sorted(on17, key=lambda h: (TOWNSHIPS.index(h.township), h.village, h.household_id))
    pairings = []
    for i, h in enumerate(ordered):
        since = date(2017, 8, 1) if h is new17 else day(rng, 2016, 1, 6)
        pairings.append((h, cadres[i], since))
    pairings.append((ordered[0], cadres[233], date(2016, 3, 1)))  # a second cadre for two
    pairings.append((ordered[1], cadres[234], date(2016, 3, 1)))  # households
    pairings.append((r17, cadres[3], date(2016, 2, 15)))  # the removed household had one too
    pairings.sort(key=lambda r: r[0].household_id)

    villages = []
    for i, (township, village) in enumerate(VILLAGES):
        poor_village = i in (0, 5, 7, 11, 12, 16)
        exit_year = 2017 if i in (0, 5, 11, 16) else (2016 if i in (7, 12) else "")
        villages.append((township, village, rng.randrange(1500, 3300, 10),
                         "是" if poor_village else "否", exit_year,
                         f"通化{ENTERPRISE_WORDS[i]}{ENTERPRISE_TRADES[i]}有限公司"))

    return dict(d=d, exits=exits, projects=projects, beneficiaries=beneficiaries,
                pays=pays, pairings=pairings, villages=villages)


def write_csv(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8",
              bom: bool = False) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n" if encoding == "gb18030" else "\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def write(out: Path, seed: int) -> None:
    built = build(seed)
    d: District = built["d"]
    out.mkdir(parents=True, exist_ok=True)
    hhs = sorted(d.households, key=lambda h: h.household_id)
    # households: UTF-8 with a BOM, as Excel's "CSV UTF-8" writes it
    write_csv(out / "households.csv",
              ["household_id", "township", "village", "head_name", "head_id", "category",
               "cause", "identified_on", "housing_grade"],
              [[h.household_id, h.township, h.village, h.head.name, h.head.person_id, h.category,
                h.cause, f"{h.identified_on:%Y-%m-%d}", h.housing_grade] for h in hhs], bom=True)
    write_csv(out / "members.csv",
              ["person_id", "household_id", "name", "relation", "sex", "birth_date",
               "schooling", "health", "labor"],
              [[p.person_id, h.household_id, p.name, p.relation, p.sex, f"{p.birth:%Y-%m-%d}",
                p.schooling, p.health, p.labor] for h in hhs for p in h.members])
    write_csv(out / "changes.csv", ["date", "household_id", "person_id", "direction", "reason"],
              [[f"{c[0]:%Y-%m-%d}", c[1].household_id, c[2].person_id, c[3], c[4]]
               for c in sorted(d.changes, key=lambda c: c[0])])
    write_csv(out / "exits.csv",
              ["household_id", "exit_year", "verification", "verified_on", "per_capita_income"],
              [[h.household_id, y, v, f"{on:%Y-%m-%d}", f"{income:.2f}"]
               for h, y, v, on, income in built["exits"]])
    # subsidies as a Chinese Windows office keeps them: Chinese name and headers, GB18030,
    # Chinese labels, dates like 2017/3/28 and amounts like ￥1,000.00
    from povcli.schema import ENUMS  # the labels of the contract, not retyped here
    program = ENUMS["program"].labels
    source = ENUMS["source"].labels
    rows = []
    for i, (when, h, person, prog, amount, src) in enumerate(built["pays"]):
        money = f"￥{amount:,.2f}" if amount >= 0 else f"-￥{-amount:,.2f}"
        rows.append([f"{when.year}/{when.month}/{when.day}", h.household_id,
                     person.person_id if person else "", program[prog], money, source[src],
                     f"PZ{when.year}-{i + 1:05d}"])
    write_csv(out / "帮扶资金发放台账.csv",
              ["发放日期", "户编号", "身份证号", "项目类别", "金额", "资金来源", "凭证号"],
              rows, encoding="gb18030")
    write_csv(out / "projects.csv",
              ["project_id", "name", "kind", "key_project", "year", "township", "village",
               "funds_higher", "funds_local", "funds_other"],
              [list(p) for p in built["projects"]])
    write_csv(out / "project_beneficiaries.csv", ["project_id", "household_id"],
              [list(b) for b in built["beneficiaries"]])
    write_csv(out / "帮扶责任台账.csv",
              ["户编号", "帮扶责任人", "责任人编号", "帮扶单位", "包保领导", "帮扶开始日期"],
              [[h.household_id, c[1], c[0], c[2], c[3], f"{s.year}年{s.month}月{s.day}日"]
               for h, c, s in built["pairings"]], encoding="gb18030")
    write_csv(out / "villages.csv",
              ["township", "village", "rural_population", "poor_village", "exit_year",
               "enterprise"], [list(v) for v in built["villages"]])
    # illustrative parameters: national lines as commonly cited; the 2017 rural dibao
    # standard of 3,600 yuan is the source document's
    # exit standards and monitoring lines (2021-2023) are illustrative, not the province's
    write_csv(out / "policy.csv", ["year", "poverty_line", "dibao_standard", "exit_standard",
                                   "monitoring_line"],
              [[2014, 2800, 3000, "", ""], [2015, 2855, 3144, "", ""],
               [2016, 2952, 3300, 3200, ""], [2017, 2952, 3600, 3300, ""],
               [2021, "", "", "", 6000], [2022, "", "", "", 6500], [2023, "", "", "", 7000]])
    incomes, monitoring = after(built, seed)
    write_csv(out / "incomes.csv", ["household_id", "year", "size", "wage", "business",
                                    "business_cost", "property", "transfer", "per_capita_net"],
              incomes)
    write_csv(out / "monitoring.csv", ["household_id", "category", "identified_on", "risks",
                                       "eliminated_on", "elimination", "per_capita_income"],
              monitoring)


def _components(rng: random.Random, h: Household, year: int, size: int, per_capita: float):
    """One incomes row whose parts add up to per_capita × size (to the fen)."""
    total = round(per_capita * size, 2)
    transfer_share = rng.uniform(0.45, 0.65) if h.category != "general" else rng.uniform(
        0.15, 0.4)
    transfer = round(total * transfer_share, 2)
    prop = round(total * rng.uniform(0, 0.03), 2)
    cost = round(total * rng.uniform(0.02, 0.08), 2)
    business = round(total * rng.uniform(0.1, 0.25) + cost, 2)
    wage = round(total - transfer - prop - business + cost, 2)
    return [h.household_id, year, size, f"{wage:.2f}", f"{business:.2f}", f"{cost:.2f}",
            f"{prop:.2f}", f"{transfer:.2f}", f"{per_capita:.2f}"]


def after(built: dict, seed: int) -> tuple[list, list]:
    """Incomes of 2015-2017 (every household on the rolls at the year's end) and of
    2021-2023 (the monitored households and a few others), and a small monitoring
    ledger of 2021-2023. A random source of their own: the ledgers above stay the same."""
    d: District = built["d"]
    rng = random.Random(seed + 13)
    exit_income = {(h.household_id, y): income for h, y, v, on, income in built["exits"]}
    passed = {h.household_id: y for h, y, v, on, income in built["exits"] if v == "pass"}
    returned = {c[1].household_id for c in d.changes if c[4] == "returned"}
    hhs = sorted(d.households, key=lambda h: h.household_id)
    rows = []
    level = {}
    for h in hhs:
        exit_year = passed.get(h.household_id)
        base = rng.uniform(1800, 2900)
        for year in (2015, 2016, 2017):
            size = d.people_at(h, date(year, 12, 31))
            if h.identified_on > date(year, 12, 31) or size == 0:
                continue
            given = exit_income.get((h.household_id, year))
            if given is not None:
                pc = float(given)
            elif exit_year is not None and year > exit_year and h.household_id not in returned:
                pc = round(level[h.household_id] * rng.uniform(1.04, 1.15))
            elif exit_year is not None and year < exit_year:
                pc = round(exit_income[(h.household_id, exit_year)] * rng.uniform(0.55, 0.8))
            else:
                pc = round(base * (1 + 0.05 * (year - 2015)))
            level[h.household_id] = pc
            rows.append(_components(rng, h, year, size, pc))
    end = date(2017, 12, 31)
    exited = [h for h in hhs if h.household_id in passed and h.household_id not in returned
              and d.people_at(h, end) > 0]
    able = [h for h in exited if any(p.labor == "普通劳动力" for p in h.members)]
    sick = [h for h in exited if any(p.health != "健康" for p in h.members)]
    chosen = rng.sample(sick, 5) + rng.sample([h for h in able if h not in sick], 5)
    monitoring = []
    later = []
    for i, h in enumerate(chosen):
        start = day(rng, 2021 if i < 7 else 2022 if i == 7 else 2023, 2, 10)
        risks = ("illness" if h in sick else rng.choice(["employment", "industry",
                                                         "disaster"]))
        if i % 3 == 0 and h in sick:
            risks += ",labor"
        category = "sudden" if i in (3, 8) else "unstable"
        if i < 7:  # eliminated after a year or so
            stop = date(start.year + (1 if i < 5 else 2), rng.randint(start.month, 12),
                        rng.randint(1, 28))
            how = "natural" if h not in sick and i % 2 else "assisted"
            monitoring.append([h.household_id, category, f"{start:%Y-%m-%d}", risks,
                               f"{stop:%Y-%m-%d}", how, f"{rng.randrange(4200, 5900):.2f}"])
            incomes = {2021: rng.uniform(4800, 5900), 2022: rng.uniform(6700, 7600),
                       2023: rng.uniform(7200, 8400)}
        else:  # still monitored
            monitoring.append([h.household_id, category, f"{start:%Y-%m-%d}", risks, "", "",
                               f"{rng.randrange(4200, 5900):.2f}"])
            incomes = {2021: rng.uniform(4500, 5800), 2022: rng.uniform(5200, 6400),
                       2023: rng.uniform(6000, 6900)}
        later.append((h, incomes))
    others = rng.sample([h for h in exited if h not in chosen], 6)
    for j, h in enumerate(others):  # two fall below the 2023 line, one falls by half
        first = rng.uniform(7600, 9800)
        third = (rng.uniform(6100, 6900) if j < 2 else first * 0.5 if j == 2
                 else first * rng.uniform(1.02, 1.1))
        later.append((h, {2021: first * 0.95, 2022: first, 2023: third}))
    for h, incomes in later:
        for year, pc in incomes.items():
            rows.append(_components(rng, h, year, d.people_at(h, end), round(pc)))
    rows.sort(key=lambda r: (r[0], r[1]))
    monitoring.sort(key=lambda r: (r[2], r[0]))
    return rows, monitoring


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent
                        / "sample_data")
    parser.add_argument("--seed", type=int, default=20180428)
    args = parser.parse_args()
    write(args.out, args.seed)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
