"""What each command is: its help in both languages, the ledgers it reads and needs, and
the formats it renders. The CLI is built from this table, so `--help` offers only the
formats a command really writes, and an unknown one is refused by option parsing.

No pandas here: `povcli --help` imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass

TABLES = ("table", "csv", "tsv", "json", "markdown", "xlsx")

# the extension of -o that names each format
EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".json": "json", ".md": "markdown",
              ".markdown": "markdown", ".xlsx": "xlsx", ".txt": "table", ".html": "html",
              ".htm": "html"}


@dataclass(frozen=True)
class Merge:
    """How the results of one report computed per household shard add up to the
    whole set's (shards.py). A shard holds every household-keyed row of its households
    (households that share a person are always in one shard, so a distinct count of
    people or households adds up) and the small ledgers that are not household-keyed
    whole (villages, policy, projects).

    Table reports: rows with equal values in the columns that are not `sums` or
    `ratios` are one row; `sums` add; each ratio (column, numerator, denominator) is
    recomputed from the merged numerator and denominator (empty where it is not
    positive). Metric/value reports (`metric=True`): each metric adds, except those in
    `same` (equal in every shard: from the whole small ledgers, or the year), the ratios,
    and those in `distinct` (ids that can cross shards, such as a cadre paired with
    households of two shards), merged exactly as the union of each shard's ids. Sums of
    money (`cents`) are rounded to the fen once added, as the report itself rounds them:
    the last bits of a float sum depend on the order of adding."""

    sums: tuple[str, ...] = ()
    cents: tuple[str, ...] = ()
    derived: tuple[str, ...] = ()  # metrics computed from the merged shards (shards.py)
    whole_when: tuple[str, ...] = ()  # options whose variant runs on the whole set
    ratios: tuple[tuple[str, str, str], ...] = ()
    same: tuple[str, ...] = ()
    distinct: tuple[str, ...] = ()
    metric: bool = False


@dataclass(frozen=True)
class Command:
    name: str
    panel: str
    help_en: str
    help_zh: str
    formats: tuple[str, ...] = TABLES
    reads: tuple[str, ...] | None = ()  # ledgers read beside households and members; None: all
    needs: tuple[str, ...] = ()  # ledgers without which it cannot run
    area: bool = True  # takes --township / --village
    merge: Merge | None = None  # how per-shard results merge; None: run on the whole set

    def help(self, lang: str) -> str:
        return self.help_zh if lang == "zh" else self.help_en


COMMANDS: dict[str, Command] = {c.name: c for c in [
    Command("summary", "Reports",
            "The figures of one year: rolls at year end, poor and exited, exits of the year "
            "and in total, dynamic changes, subsidies, and projects, pairing, villages, "
            "education, housing and policy where their ledgers are. Without --year: the "
            "latest year.",
            "某一年度的全部数字：年末在册、未脱贫与已脱贫、当年与累计脱贫、动态调整、帮扶资金，"
            "以及有台账时的项目、帮扶、行政村、教育、危改和政策参数。不给 --year 时取最近年度。",
            reads=None, merge=Merge(
                metric=True, cents=("_photovoltaic_amount",),
                ratios=(("pass_rate_year", "passed_people_year", "verified_people_year"),
                        ("photovoltaic_amount_per_household_year", "_photovoltaic_amount",
                         "_photovoltaic_households")),
                same=("year", "projects_total", "key_projects_total",
                      "project_funds_higher_total", "project_funds_local_total",
                      "project_funds_other_total", "project_funds_total", "villages",
                      "villages_with_enterprise", "poverty_line", "dibao_standard",
                      "monitoring_line"),
                distinct=("pairing_leaders", "pairing_units", "pairing_cadres"))),
    Command("exits", "Reports",
            "Households and people exited per year (脱贫退出), verified at home, passed, "
            "pass rate.",
            "每年脱贫退出的户数和人数、入户查验人数、通过人数和通过率。",
            reads=("changes", "exits"), needs=("exits",), merge=Merge(
                sums=("households", "people", "verified_people", "passed_people",
                      "pending_people"),
                ratios=(("pass_rate", "passed_people", "verified_people"),))),
    Command("changes", "Reports",
            "People added to and removed from the rolls (动态调整), by direction and reason.",
            "动态调整：按方向和原因统计的增加和减少人数。",
            reads=("changes",), needs=("changes",), merge=Merge(sums=("people",))),
    Command("subsidies", "Reports",
            "Subsidy payments (帮扶资金) per year and program: payments, households, people, "
            "amount, and amount per household (the yearly photovoltaic income of a household, "
            "for one).",
            "帮扶资金：按年度和项目统计的笔数、户数、人数、金额和户均金额（如光伏户均年收益）。",
            reads=("subsidies",), needs=("subsidies",), merge=Merge(
                sums=("payments", "households", "people", "amount"),
                cents=("amount",),
                ratios=(("amount_per_household", "amount", "households"),))),
    Command("projects", "Programs",
            "Projects (扶贫项目): funds from higher levels, local and other; beneficiary "
            "households and people (on the rolls at the end of the project's year).",
            "扶贫项目：上级、本级和其他资金；受益户数和人数（项目当年年末在册）。",
            reads=("changes", "projects", "project_beneficiaries"), needs=("projects",)),
    Command("pairing", "Programs",
            "Pairing (包保帮扶): households covered, leaders, units, cadres, households per "
            "cadre.",
            "包保帮扶：覆盖户数、包保领导、帮扶单位、结对帮扶责任人和每人帮扶户数。",
            reads=("changes", "exits", "pairings"), needs=("pairings",), merge=Merge(
                metric=True, same=("year",), distinct=("leaders", "units", "cadres"),
                derived=("households_per_cadre_min", "households_per_cadre_median",
                         "households_per_cadre_max"),
                whole_when=("uncovered",))),
    Command("villages", "Programs",
            "Villages (行政村) at year end: rural population, people on the rolls, poor people, "
            "poverty incidence, exit year and threshold, paired enterprise.",
            "行政村年末情况：农村户籍人口、在册人口、贫困人口、贫困发生率、出列年度与标准、结对企业。",
            reads=("changes", "exits", "villages")),
    Command("housing", "Programs",
            "Dangerous-house renovations (危房改造) by year and grade: households, amount.",
            "危房改造：按年度和危房等级统计的户数和金额。",
            reads=("subsidies",), needs=("subsidies",)),
    Command("education", "Programs",
            "Education aid (教育扶贫) by year: students, payments, amount.",
            "教育扶贫：按年度统计的学生数、笔数和金额。",
            reads=("subsidies",), needs=("subsidies",)),
    Command("policy", "Programs",
            "Parameters in force by year: the national poverty line and the rural dibao "
            "standard, built in or from policy.csv (which one applies is shown).",
            "各年度执行的政策参数：国家扶贫标准和农村低保标准（内置或来自 policy.csv，注明来源）。",
            reads=("policy",), area=False),
    Command("flow", "Reports",
            "The year's movement of the rolls, which must balance: start + additions - "
            "removals = end, for people on the rolls and for poor people (exits subtracted).",
            "建档立卡人口的年度变动，必须平衡：期初 + 增加 − 减少 = 期末（在册人口和未脱贫人口）。",
            reads=("changes", "exits")),
    Command("report", "Reports",
            "The annual report: the year's figures in sentences, the tables behind them and "
            "charts, as one HTML file (charts inline) or markdown (charts as SVG files beside "
            "it).",
            "年度报告：用文字叙述当年数字，附数据表和图表；输出为一个 HTML 文件（图表内嵌）或 "
            "markdown（图表为旁边的 SVG 文件）。",
            formats=("html", "markdown"), reads=None),
    Command("check", "Checks",
            "Audit the ledgers before reporting: identity, households, exits, changes, "
            "payments, pairing, villages. Exit 0 clean, 1 errors found, 2 unreadable.",
            "报告前核查台账：身份证号、户、脱贫、动态调整、资金发放、帮扶、行政村。"
            "退出码 0 无误，1 发现错误，2 无法读取。",
            reads=None, area=False),
    Command("show", "Dossiers",
            "One household's dossier: members, timeline, subsidies, cadres, projects.",
            "一户的档案：成员、时间线、帮扶资金、帮扶责任人、项目。",
            formats=("table", "json"), reads=None, area=False),
    Command("find", "Dossiers",
            "Households by head or member name, id fragment or village; open one with show.",
            "按户主或成员姓名、编号片段或村查找户；用 show 打开其档案。",
            reads=(), area=False),
    Command("income", "Reports",
            "Household incomes (家庭收入) per year: per-capita net income, mean and median, "
            "the share of each component, households living mostly on transfers; with --line, "
            "FGT P0/P1/P2, Watts and the Gini, over people; --bunching, --trend.",
            "家庭收入：各年度户人均纯收入的均值和中位数、各项收入占比、转移性收入过半的户；"
            "加 --line 时按人计算 FGT P0/P1/P2、Watts 指数和基尼系数；另有 --bunching、--trend。",
            reads=("changes", "exits", "incomes", "policy"), needs=("incomes",)),
    Command("monitor", "Reports",
            "Return-to-poverty monitoring (防返贫监测): objects identified, eliminated and still "
            "monitored at year end, by category, households and people; --by risk, --list, "
            "--candidates (households to screen).",
            "防返贫监测：按监测对象类别统计当年新纳入、风险消除和年末仍在监测的户数和人数；"
            "--by risk、--list、--candidates（排查名单）。",
            reads=("changes", "exits", "incomes", "monitoring", "policy", "subsidies"),
            needs=("monitoring",)),
    # ---- audits (issue 14): assess, match, compare, diff, sample
    Command("assess", "Audits",
            "The assessors' rates (三率一度) per year: wrong-exit rate, missed rate and "
            "approval from assessment.csv; system incidence and return rate from the "
            "ledgers; each with numerator, denominator, threshold and pass/fail.",
            "评估核查的“三率一度”（按年度）：来自评估核查台账的错退率、漏评率和群众认可度；"
            "来自台账的综合贫困发生率和返贫率；每项给出分子、分母、标准和是否达标。",
            reads=("changes", "exits", "villages", "assessment", "subsidies", "policy",
                   "incomes")),
    Command("match", "Audits",
            "Compare the ledgers by resident ID with another department's list (deaths, "
            "public payroll, vehicles, companies, property, dibao roster, disability): "
            "findings in check's layout, with the list's and the ledger's places. Exit 0 "
            "clean, 1 errors found, 2 unreadable.",
            "按身份证号将台账与其他部门的名单比对（死亡、财政供养、车辆、企业、房产、低保、"
            "残疾）：结果与 check 相同格式，注明名单和台账中的位置。退出码 0 无误，1 发现错误，"
            "2 无法读取。",
            reads=("changes", "exits", "subsidies"), area=False),
    Command("compare", "Audits",
            "Published figures (FIGURES.csv: metric, year, area, value, source) beside the "
            "ledgers' own, with the difference.",
            "把公布的数字（FIGURES.csv：指标、年度、地区、数值、来源）与台账自己的数字并列，"
            "并给出差额。",
            reads=None, area=False),
    Command("diff", "Audits",
            "Rows added, removed or altered between two exports of the same ledgers, keyed "
            "by the ledgers' keys: a summary per ledger, or --list.",
            "同一套台账两次导出之间新增、删除或改动的行（按台账的主键），按台账汇总，或用 "
            "--list 逐行列出。",
            reads=None, area=False),
    Command("sample", "Audits",
            "A reproducible visiting sample for an assessment (--year, --seed): every exit "
            "of the year, N villages with all their households, a share of the other exited "
            "households and of the ordinary households of poor villages.",
            "可重现的评估入户抽样（--year、--seed）：当年全部退出户、抽中的N个村的全部户、"
            "其他已脱贫户的一定比例和贫困村一般农户的一定比例。",
            reads=("changes", "exits", "villages"), area=False),
    Command("readiness", "Checks",
            "Exit readiness (一达标两不愁三保障): would each exit of a year survive the "
            "assessors' visit? Income above the exit standard, food and clothing, schooling, "
            "medical insurance, safe housing, safe water; unknown where not recorded. Counts by "
            "village and test; --listing per household; --planned adds the pre-exits.",
            "脱贫退出质量预检（一达标两不愁三保障）：每户退出能否经得起评估核查？收入超过脱贫标准、"
            "两不愁、义务教育、基本医疗、住房安全、饮水安全；未记录的为“未知”。按村和检验项统计；"
            "--listing 列出每户；--planned 包括待查验的预退出户。",
            reads=("changes", "exits", "subsidies", "policy", "incomes"), needs=("exits",)),
]}


def help_lang() -> str:
    """The language of --help: the same choice as the commands' output, from the
    environment only (no option is parsed yet when help is built)."""
    from .messages import lang_from_env

    try:
        return lang_from_env()
    except ValueError:
        return "en"
