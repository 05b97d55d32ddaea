"""What each command is: its help in both languages, the ledgers it reads and needs, the
formats it renders, its own options and, for a report, the function that builds it. The
CLI and the library (api.py) are built from this table: `--help` offers only the formats
a command really writes and an unknown one is refused by option parsing; a new report is
its function, its row here and its words in the catalogue.

No pandas here: `povcli --help` imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .schema import ENUMS

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
class Option:
    """One option (or argument) of a command, passed to its report function by `name`.

    Its type is that of `default` (a bool is a flag) unless `kind` says (text, int,
    float, path) for an option without a default; `choices` make it a closed set."""
    flag: str  # "--by"; for an argument, its name in the usage line
    help_en: str
    help_zh: str
    default: Any = None
    choices: tuple[str, ...] = ()
    kind: str = ""
    name: str = ""  # the report function's keyword; default: the flag's words
    short: str = ""  # "-p"
    low: float | None = None
    high: float | None = None
    argument: bool = False  # a positional argument, required

    @property
    def keyword(self) -> str:
        return self.name or self.flag.lstrip("-").replace("-", "_")

    @property
    def type_name(self) -> str:
        if self.kind:
            return self.kind
        if isinstance(self.default, bool):
            return "flag"
        if isinstance(self.default, int):
            return "int"
        if isinstance(self.default, float):
            return "float"
        return "text"

    def help(self, lang: str) -> str:
        return self.help_zh if lang == "zh" else self.help_en


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
    # a report: "module:function" of povcli building it from (ledgers, year, listing=...,
    # **options); None: the command line does the work itself (check, show, report...)
    build: str | None = None
    options: tuple[Option, ...] = ()
    listing: bool = False  # has a --list form
    year: bool = True  # takes --year
    one_year: bool = False  # without --year: the latest year (else a row per year)
    own_area: bool = False  # cuts to --township/--village itself (its own area columns)
    # sees unregistered households (monitoring's 边缘易致贫户, an assessment's ordinary
    # households, a diff of two exports) and counts the registered ones itself
    all_households: bool = False
    title: str | None = None  # catalogue id of its title in other languages
    merge: Merge | None = None  # how per-shard results merge; None: run on the whole set
    # computed per household shard by a merge of its own (check: checks_sharded), not
    # by `merge`: takes the shard options all the same
    own_shards: bool = False

    @property
    def sharded(self) -> bool:
        """Whether it takes --shards, --memory and --scheduler."""
        return self.merge is not None or self.own_shards

    def help(self, lang: str) -> str:
        return self.help_zh if lang == "zh" else self.help_en


# the options every command shares (as its row allows: --year, the area, --list), by
# the Job field they fill
SHARED_OPTIONS: dict[str, Option] = {o.keyword: o for o in [
    Option("--data", "Folder of ledgers (or one workbook). Default: $POVCLI_DATA, else the "
           "current folder if it holds ledgers, else the bundled sample ledgers.",
           "台账文件夹（或一个工作簿）。默认：$POVCLI_DATA，否则当前文件夹（如有台账），否则自带的"
           "示例台账。", kind="path", short="-d"),
    Option("--year", "Report year; figures are taken at 31 December. Default: the latest "
           "year of the ledgers.", "报告年度；数字取12月31日。默认：台账中最近的年度。",
           kind="int", short="-y"),
    Option("--township", "Only households of this township (乡镇).", "只看这个乡镇的户。"),
    Option("--village", "Only households of this administrative village (行政村).",
           "只看这个行政村的户。"),
    Option("--list", "Instead of the counts, list the rows that make them (people, "
           "households or payments, with the keys of the figure they fall under).",
           "不给统计数，而是列出构成这些数字的行（人、户或资金发放记录，带所属数字的分组）。",
           default=False, name="listing"),
    # its text is completed per command: the formats it renders and what it picks
    Option("--format", "Output format: {formats}. Default: from the extension of -o, else "
           "{default}.", "输出格式：{formats}。默认：按 -o 的扩展名，否则{default}。",
           short="-f", name="fmt"),
    Option("--output", "Write to this file (written whole or not at all; never a ledger). "
           "`-o -` is stdout. csv files get a UTF-8 BOM for Excel and their formula-like "
           "cells neutralised.", "写入这个文件（要么完整写入，要么不写；不会写入台账）。`-o -` "
           "为标准输出。csv 文件带 UTF-8 BOM 以便 Excel 打开，像公式的单元格会被中和。",
           short="-o"),
    Option("--encoding", "Encoding of the ledger files (default: detect UTF-8 or GB18030).",
           "台账文件的编码（默认：自动识别 UTF-8 或 GB18030）。"),
    Option("--lang", "Language of titles, headers, labels and messages: en or zh (default "
           "$POVCLI_LANG, else zh when the locale (LC_ALL, LC_MESSAGES, LANG) is Chinese, "
           "else en). csv and json keys never change.",
           "标题、表头、标签和提示的语言：en 或 zh（默认 $POVCLI_LANG，否则按系统语言环境 "
           "LC_ALL、LC_MESSAGES、LANG，中文环境为 zh，其他为 en）。csv 和 json 的键名不变。",
           name="lang_option"),
    Option("--show-ids", "Show resident ID numbers in full (masked by default).",
           "完整显示身份证号（默认遮盖）。", default=False),
]}

# the options of the reports that merge per household shard (a Merge in their row), by
# the Job field they fill
SHARD_OPTIONS: dict[str, Option] = {o.keyword: o for o in [
    Option("--scheduler", "Compute the household shards on this Dask cluster "
           "(tcp://host:8786; also $POVCLI_SCHEDULER; needs pip install \"povcli[dask]\"). "
           "The same figures.",
           "在这个 Dask 集群上按户分片计算（tcp://主机:8786；也可用 $POVCLI_SCHEDULER；需要 "
           "pip install \"povcli[dask]\"）。数字相同。"),
    Option("--shards", "Compute the report per household shard and merge (default with "
           "--scheduler: 16). The same figures.",
           "按户分片计算报表再合并（用 --scheduler 时默认 16 片）。数字相同。", kind="int",
           low=1),
    Option("--memory", "Memory the run may take, e.g. 8G (default $POVCLI_MEMORY_BUDGET, "
           "else half the machine's): ledgers larger than it are computed per household "
           "shard, kept in the cache as Parquet shards for the next run. The same figures.",
           "本次运行可用的内存，如 8G（默认 $POVCLI_MEMORY_BUDGET，否则为本机内存的一半）："
           "超过它的台账按户分片计算，分片以 Parquet 存入缓存供下次使用。数字相同。"),
]}

# options several reports share
BY_AREA = Option("--by", "Add a township or village column after year.",
                 "在年度后加一列乡镇或行政村。", choices=("township", "village"))


def _rate(flag: str, default: float, en: str, zh: str, name: str = "") -> Option:
    return Option(flag, en, zh, default=default, low=0.0, high=1.0, name=name)


COMMANDS: dict[str, Command] = {c.name: c for c in [
    Command("summary", "Reports",
            "The figures of one year: rolls at year end, poor and exited, exits of the year "
            "and in total, dynamic changes, subsidies, and projects, pairing, villages, "
            "education, housing and policy where their ledgers are. Without --year: the "
            "latest year.",
            "某一年度的全部数字：年末在册、未脱贫与已脱贫、当年与累计脱贫、动态调整、帮扶资金，"
            "以及有台账时的项目、帮扶、行政村、教育、危改和政策参数。不给 --year 时取最近年度。",
            reads=None,
            build="povcli.summary:summary", listing=True, one_year=True,
            merge=Merge(
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
            reads=("changes", "exits"), needs=("exits",),
            build="povcli.reports:exits", options=(BY_AREA,), listing=True,
            merge=Merge(
                sums=("households", "people", "verified_people", "passed_people",
                      "pending_people"),
                ratios=(("pass_rate", "passed_people", "verified_people"),))),
    Command("changes", "Reports",
            "People added to and removed from the rolls (动态调整), by direction and reason.",
            "动态调整：按方向和原因统计的增加和减少人数。",
            reads=("changes",), needs=("changes",),
            build="povcli.reports:changes", options=(BY_AREA,), listing=True,
            merge=Merge(sums=("people",))),
    Command("subsidies", "Reports",
            "Subsidy payments (帮扶资金) per year and program: payments, households, people, "
            "amount, and amount per household (the yearly photovoltaic income of a household, "
            "for one).",
            "帮扶资金：按年度和项目统计的笔数、户数、人数、金额和户均金额（如光伏户均年收益）。",
            reads=("subsidies",), needs=("subsidies",),
            build="povcli.reports:subsidies", listing=True, options=(
                Option("--program", "Only this program: " + ", ".join(ENUMS["program"].codes)
                       + " (or its Chinese label).",
                       "只看这一类项目：" + "、".join(ENUMS["program"].labels) + "（或英文代码）。",
                       short="-p"), BY_AREA),
            merge=Merge(
                sums=("payments", "households", "people", "amount"), cents=("amount",),
                ratios=(("amount_per_household", "amount", "households"),))),
    Command("projects", "Programs",
            "Projects (扶贫项目): funds from higher levels, local and other; beneficiary "
            "households and people (on the rolls at the end of the project's year).",
            "扶贫项目：上级、本级和其他资金；受益户数和人数（项目当年年末在册）。",
            reads=("changes", "projects", "project_beneficiaries"), needs=("projects",),
            build="povcli.programs:projects", listing=True, own_area=True, options=(
                Option("--by", "Group the projects by kind, year or village.",
                       "按项目类别、年度或行政村分组。", choices=("kind", "year", "village")),
                Option("--key", "Only key projects (重点项目).", "只看重点项目。", default=False,
                       name="key_only"))),
    Command("pairing", "Programs",
            "Pairing (包保帮扶): households covered, leaders, units, cadres, households per "
            "cadre.",
            "包保帮扶：覆盖户数、包保领导、帮扶单位、结对帮扶责任人和每人帮扶户数。",
            reads=("changes", "exits", "pairings"), needs=("pairings",),
            build="povcli.programs:pairing", listing=True, one_year=True, options=(
                Option("--uncovered", "List the households on the rolls with no cadre.",
                       "列出没有帮扶责任人的在册户。", default=False),),
            merge=Merge(
                metric=True, same=("year",), distinct=("leaders", "units", "cadres"),
                derived=("households_per_cadre_min", "households_per_cadre_median",
                         "households_per_cadre_max"),
                whole_when=("uncovered",))),
    Command("villages", "Programs",
            "Villages (行政村) at year end: rural population, people on the rolls, poor people, "
            "poverty incidence, exit year and threshold, paired enterprise.",
            "行政村年末情况：农村户籍人口、在册人口、贫困人口、贫困发生率、出列年度与标准、结对企业。",
            reads=("changes", "exits", "villages"),
            build="povcli.programs:villages", listing=True, one_year=True, options=(
                _rate("--incidence", 0.02, "Exit threshold of poverty incidence (0.02 = 2 %; "
                      "0.03 in the west); a village at or below it meets it.",
                      "贫困村出列的贫困发生率标准（0.02 即 2%，西部地区 0.03）；不高于标准即达标。",
                      name="threshold"),)),
    Command("housing", "Programs",
            "Dangerous-house renovations (危房改造) by year and grade: households, amount.",
            "危房改造：按年度和危房等级统计的户数和金额。",
            reads=("subsidies",), needs=("subsidies",),
            build="povcli.programs:housing", listing=True),
    Command("education", "Programs",
            "Education aid (教育扶贫) by year: students, payments, amount.",
            "教育扶贫：按年度统计的学生数、笔数和金额。",
            reads=("subsidies",), needs=("subsidies",),
            build="povcli.programs:education", listing=True),
    Command("policy", "Programs",
            "Parameters in force by year: the national poverty line and the rural dibao "
            "standard, built in or from policy.csv (which one applies is shown).",
            "各年度执行的政策参数：国家扶贫标准和农村低保标准（内置或来自 policy.csv，注明来源）。",
            reads=("policy",), area=False,
            build="povcli.programs:policy"),
    Command("flow", "Reports",
            "The year's movement of the rolls, which must balance: start + additions - "
            "removals = end, for people on the rolls and for poor people (exits subtracted).",
            "建档立卡人口的年度变动，必须平衡：期初 + 增加 − 减少 = 期末（在册人口和未脱贫人口）。",
            reads=("changes", "exits"),
            build="povcli.flow:flow", listing=True, one_year=True),
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
            reads=None, own_shards=True),
    Command("show", "Dossiers",
            "One household's dossier: members, timeline, subsidies, cadres, projects.",
            "一户的档案：成员、时间线、帮扶资金、帮扶责任人、项目。",
            formats=("table", "json"), reads=None, area=False),
    Command("find", "Dossiers",
            "Households by head or member name, id fragment or village; open one with show.",
            "按户主或成员姓名、编号片段或村查找户；用 show 打开其档案。",
            reads=(), area=False,
            year=False),
    Command("income", "Reports",
            "Household incomes (家庭收入) per year: per-capita net income, mean and median, "
            "the share of each component, households living mostly on transfers; with --line, "
            "FGT P0/P1/P2, Watts and the Gini, over people; --bunching, --trend.",
            "家庭收入：各年度户人均纯收入的均值和中位数、各项收入占比、转移性收入过半的户；"
            "加 --line 时按人计算 FGT P0/P1/P2、Watts 指数和基尼系数；另有 --bunching、--trend。",
            reads=("changes", "exits", "incomes", "policy"), needs=("incomes",),
            build="povcli.income:income", listing=True, title="income.title", options=(
                BY_AREA,
                Option("--line", "exit (policy.csv exit_standard), monitoring "
                       "(monitoring_line), poverty (the national line) or an amount: adds FGT "
                       "P0, P1, P2 and Watts at that line.",
                       "exit（policy.csv 的脱贫标准）、monitoring（监测线）、poverty（国家扶贫"
                       "标准）或一个金额：按此线加算 FGT P0、P1、P2 和 Watts 指数。"),
                Option("--bunching", "Households just below against just above the line "
                       "(exit unless --line): an excess above is a sign to look at, not a "
                       "verdict.", "线下与线上附近的户数对比（不给 --line 时为脱贫标准）：线上"
                       "明显偏多是值得查看的迹象，不是结论。", default=False),
                _rate("--margin", 0.1, "With --bunching: the band each side of the line, as a "
                      "fraction of it.", "配合 --bunching：线两侧的区间宽度（占线的比例）。"),
                Option("--trend", "Per household: per-capita income against the year before.",
                       "逐户：人均纯收入与上一年对比。", default=False))),
    Command("monitor", "Reports",
            "Return-to-poverty monitoring (防返贫监测): objects identified, eliminated and still "
            "monitored at year end, by category, households and people; --by risk, --list, "
            "--candidates (households to screen).",
            "防返贫监测：按监测对象类别统计当年新纳入、风险消除和年末仍在监测的户数和人数；"
            "--by risk、--list、--candidates（排查名单）。",
            reads=("changes", "exits", "incomes", "monitoring", "policy", "subsidies"),
            needs=("monitoring",),
            build="povcli.monitor:monitor", listing=True, title="monitor.title",
            all_households=True, options=(
                Option("--by", "Count per risk (a household once per risk), township or "
                       "village.", "按风险类型（每户每类风险计一次）、乡镇或行政村统计。",
                       choices=("risk", "township", "village")),
                Option("--candidates", "The screening list (排查): registered exited "
                       "households that meet a monitoring condition but are not monitored.",
                       "排查名单：符合监测条件但尚未纳入监测的已脱贫建档立卡户。",
                       default=False),
                _rate("--margin", 0.3, "With --candidates: an income fall from the year "
                      "before larger than this fraction is a condition.",
                      "配合 --candidates：收入比上年下降超过这一比例即为一项条件。"))),
    # ---- audits (issue 14): assess, match, compare, diff, sample
    Command("assess", "Audits",
            "The assessors' rates (三率一度) per year: wrong-exit rate, missed rate and "
            "approval from assessment.csv; system incidence and return rate from the "
            "ledgers; each with numerator, denominator, threshold and pass/fail.",
            "评估核查的“三率一度”（按年度）：来自评估核查台账的错退率、漏评率和群众认可度；"
            "来自台账的综合贫困发生率和返贫率；每项给出分子、分母、标准和是否达标。",
            reads=("changes", "exits", "villages", "assessment", "subsidies", "policy",
                   "incomes"),
            build="povcli.assess:assess", listing=True, own_area=True, all_households=True,
            options=(
                Option("--by", "A row per township.", "每个乡镇一行。", choices=("township",)),
                _rate("--wrong-exit", 0.02, "Wrong-exit rate (错退率) that passes: at most "
                      "this.", "错退率合格标准：不高于此值。"),
                _rate("--missed", 0.02, "Missed rate (漏评率) that passes: at most this.",
                      "漏评率合格标准：不高于此值。"),
                _rate("--approval", 0.90, "Approval (认可度) that passes: at least this.",
                      "群众认可度合格标准：不低于此值。"),
                _rate("--incidence", 0.02, "System poverty incidence that passes: at most "
                      "this (0.03 for the western provinces).",
                      "综合贫困发生率合格标准：不高于此值（西部省份 0.03）。"),
                Option("--missed-base", "The missed rate's denominator: the people of the "
                       "visited ordinary households (visited, the contract's), or the "
                       "unregistered rural population of the sampled villages (village).",
                       "漏评率的分母：入户核查的一般农户人口（visited，台账约定的口径），或抽中"
                       "村的非建档立卡农村人口（village）。", default="visited",
                       choices=("visited", "village")))),
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
            reads=None, area=False,
            build="povcli.compare:published", listing=True, options=(
                Option("FIGURES", "Published figures: metric, year, area, value, source (CSV "
                       "or xlsx).", "公布的数字：指标、年度、地区、数值、来源（CSV 或 xlsx）。",
                       name="figures", kind="path", argument=True),)),
    Command("diff", "Audits",
            "Rows added, removed or altered between two exports of the same ledgers, keyed "
            "by the ledgers' keys: a summary per ledger, or --list.",
            "同一套台账两次导出之间新增、删除或改动的行（按台账的主键），按台账汇总，或用 "
            "--list 逐行列出。",
            reads=None, area=False,
            build="povcli.compare:exports_diff", listing=True, all_households=True),
    Command("sample", "Audits",
            "A reproducible visiting sample for an assessment (--year, --seed): every exit "
            "of the year, N villages with all their households, a share of the other exited "
            "households and of the ordinary households of poor villages.",
            "可重现的评估入户抽样（--year、--seed）：当年全部退出户、抽中的N个村的全部户、"
            "其他已脱贫户的一定比例和贫困村一般农户的一定比例。",
            reads=("changes", "exits", "villages"), area=False,
            build="povcli.sample:draw", all_households=True, options=(
                Option("--seed", "Seed of the draw: the same ledgers and seed give the same "
                       "sample.", "抽样种子：同一套台账和同一种子得到同一样本。", default=0),
                Option("--villages", "Villages drawn with all their households.",
                       "整村抽取的行政村个数（抽中村的全部农户）。", default=2, low=0),
                _rate("--exited-share", 0.1, "Share of the other exited households drawn.",
                      "其他已脱贫户的抽取比例。"),
                _rate("--ordinary-share", 0.1, "Share of the ordinary households of poor "
                      "villages drawn.", "贫困村一般农户的抽取比例。"),
                Option("--ordinary-cap", "At most this many ordinary households.",
                       "一般农户最多抽取的户数。", default=20, low=0))),
    Command("readiness", "Checks",
            "Exit readiness (一达标两不愁三保障): would each exit of a year survive the "
            "assessors' visit? Income above the exit standard, food and clothing, schooling, "
            "medical insurance, safe housing, safe water; unknown where not recorded. Counts by "
            "village and test; --list per household; --planned adds the pre-exits.",
            "脱贫退出质量预检（一达标两不愁三保障）：每户退出能否经得起评估核查？收入超过脱贫标准、"
            "两不愁、义务教育、基本医疗、住房安全、饮水安全；未记录的为“未知”。按村和检验项统计；"
            "--list 列出每户；--planned 包括待查验的预退出户。",
            reads=("changes", "exits", "subsidies", "policy", "incomes"), needs=("exits",),
            build="povcli.readiness:readiness", listing=True, options=(
                Option("--planned", "Test the pre-exits (pending verification) too: before "
                       "the visit.", "把待查验的预退出户也纳入检验：在入户核查之前。",
                       default=False),
                BY_AREA,
                Option("--school-age", "Ages of compulsory schooling (at 31 December of the "
                       "exit year).", "义务教育年龄（按退出年度12月31日计）。", default="6-15"),
                _rate("--margin", 0.05, "Warn when income is within this share above the "
                      "standard (0.05 = 5 %).", "收入高出标准不足这一比例时提示（0.05 即 5%）。"))),
]}


def help_lang() -> str:
    """The language of --help: the same choice as the commands' output, from the
    environment only (no option is parsed yet when help is built)."""
    from .messages import lang_from_env

    try:
        return lang_from_env()
    except ValueError:
        return "en"
