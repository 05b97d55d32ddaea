"""The ledger contract as data: ledgers, columns, enumerations, keys and references.

This is the one place that knows `shared/spec/ledgers.md`. Reading, validation, the
docs and the `--lang zh` labels all walk these tables; nothing else spells a column.
No pandas here: `povcli --help` imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Column types the reader knows how to parse. A resident ID (RID) is an id whose
# check character is read in upper case: 22050319800101001x and ...001X are one person.
ID, RID, TEXT, DATE, YEAR, AMOUNT, ENUM, BOOL, COUNT = (
    "id", "resident_id", "text", "date", "year", "amount", "enum", "bool", "count",
)
# one or more codes of an enumeration in one cell (因病、因残): kept as the codes joined
# by "," in the enumeration's order
ENUM_SET = "enum_set"
SET_SEPARATORS = "、,，;；/"


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    type: str
    required: bool = False
    enum: str | None = None  # key into ENUMS when type == ENUM
    default: float | None = None  # value used for a missing optional amount
    nonzero: bool = False  # an amount that may not be zero (a payment)


@dataclass(frozen=True)
class Reference:
    """Rows of this ledger must find (columns) among (target_columns) of target.

    Rows with any of the columns missing are not checked (optional references).
    """

    columns: tuple[str, ...]
    target: str
    target_columns: tuple[str, ...]


@dataclass(frozen=True)
class Ledger:
    name: str
    zh: str
    columns: tuple[Column, ...]
    required: bool = False
    keys: tuple[tuple[str, ...], ...] = ()  # each unique where all its cells are present
    references: tuple[Reference, ...] = ()
    what: str = ""  # one line: what a row is
    derived: tuple[str, ...] = ()  # columns the reader adds after the file's (never headers)

    @property
    def frame_columns(self) -> list[str]:
        """The columns of the typed frame: the ledger's, then the derived ones."""
        return [c.name for c in self.columns] + list(self.derived)

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def zh_filename(self) -> str:
        return f"{self.zh}.csv"

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


@dataclass(frozen=True)
class Enumeration:
    """Codes with their Chinese labels, plus the variants offices write."""

    name: str
    labels: dict[str, str]  # code -> Chinese label, in the contract's order
    aliases: dict[str, str] = field(default_factory=dict)  # variant -> code

    @property
    def codes(self) -> list[str]:
        return list(self.labels)


YES_NO_ALIASES = {
    "是": "yes", "否": "no", "y": "yes", "n": "no", "true": "yes", "false": "no",
    "1": "yes", "0": "no", "有": "yes", "无": "no",
}

ENUMS: dict[str, Enumeration] = {
    e.name: e
    for e in [
        Enumeration("category", {
            "general": "一般贫困户", "dibao": "低保贫困户", "tekun": "特困供养贫困户",
            "dibao_tekun": "低保特困供养贫困户",
        }, {
            # the national system's labels: the attribute, and (脱贫户) a claim of exit
            "一般脱贫户": "general", "低保脱贫户": "dibao", "特困供养脱贫户": "tekun",
            "低保特困供养脱贫户": "dibao_tekun", "低保特困供养户": "dibao_tekun",
            "一般户": "general", "一般贫困": "general", "低保户": "dibao", "低保": "dibao",
            "五保户": "tekun", "五保": "tekun", "特困户": "tekun", "特困供养户": "tekun",
            "特困": "tekun",
        }),
        Enumeration("cause", {
            "illness": "因病", "disability": "因残", "schooling": "因学", "disaster": "因灾",
            "land": "缺土地", "water": "缺水", "skills": "缺技术", "labor": "缺劳力",
            "capital": "缺资金", "transport": "交通条件落后",
            "motivation": "自身发展动力不足", "other": "其他",
        }, {
            "缺发展资金": "capital", "自身发展力不足": "motivation", "交通落后": "transport",
        }),
        Enumeration("housing_grade", {"A": "A级", "B": "B级", "C": "C级", "D": "D级"}),
        Enumeration("relation", {
            "head": "户主", "spouse": "配偶", "child": "子女", "parent": "父母",
            "grandchild": "孙子女", "sibling": "兄弟姐妹", "other": "其他",
        }, {
            # the national system's finer relations
            "本人": "head", "妻": "spouse", "夫": "spouse", "之妻": "spouse", "之夫": "spouse",
            "之子": "child", "之女": "child", "子": "child", "女": "child",
            "之孙子": "grandchild", "之孙女": "grandchild", "之外孙子": "grandchild",
            "之外孙女": "grandchild", "孙子": "grandchild", "孙女": "grandchild",
            "之父": "parent", "之母": "parent", "父亲": "parent", "母亲": "parent",
            "之岳父": "parent", "之岳母": "parent", "之公公": "parent", "之婆婆": "parent",
            "兄弟": "sibling", "姐妹": "sibling", "之兄弟姐妹": "sibling",
            "之儿媳": "other", "之女婿": "other", "之祖父": "other", "之祖母": "other",
            "之外祖父": "other", "之外祖母": "other",
        }),
        Enumeration("sex", {"M": "男", "F": "女"}, {
            "男性": "M", "女性": "F", "male": "M", "female": "F",
        }),
        Enumeration("direction", {"in": "增加", "out": "减少"}, {
            "增": "in", "减": "out", "进入": "in", "退出": "out", "动态增加": "in",
            "动态减少": "out", "动态进入": "in",
        }),
        Enumeration("reason", {
            "identified": "新识别", "returned": "返贫", "birth": "新生儿",
            "marriage_in": "婚入", "other_in": "其他增加",
            "death": "死亡", "marriage_out": "婚出", "moved": "迁出",
            "misidentified": "识别不准", "enlisted": "参军", "imprisoned": "服刑",
            "other_out": "其他减少",
        }, {
            "新增": "identified", "出生": "birth", "嫁入": "marriage_in", "娶入": "marriage_in",
            "嫁出": "marriage_out", "户籍迁出": "moved", "错评": "misidentified",
            "清退": "misidentified", "入伍": "enlisted", "识别不精准": "misidentified",
        }),
        Enumeration("verification", {"pass": "通过", "fail": "未通过", "pending": "待查验"}, {
            "合格": "pass", "不合格": "fail", "未查验": "pending", "passed": "pass",
            "failed": "fail",
        }),
        Enumeration("program", {
            "education": "教育扶贫", "health": "健康扶贫", "housing": "危房改造",
            "photovoltaic": "光伏收益", "dibao": "低保金", "industry": "产业扶贫",
            "employment": "就业扶贫", "other": "其他",
        }, {
            "教育": "education", "健康": "health", "医疗": "health", "危改": "housing",
            "光伏": "photovoltaic", "pv": "photovoltaic", "低保": "dibao", "产业": "industry",
            "就业": "employment",
        }),
        Enumeration("source", {
            "central": "中央", "provincial": "省级", "municipal": "市级", "district": "区县级",
            "social": "社会帮扶", "other": "其他",
        }, {
            "中央资金": "central", "省": "provincial", "省级资金": "provincial", "市": "municipal",
            "市级资金": "municipal", "县级": "district", "区级": "district", "区县": "district",
            "本级": "district", "社会": "social",
        }),
        Enumeration("kind", {
            "photovoltaic": "光伏", "industry": "产业", "infrastructure": "基础设施",
            "employment": "就业", "other": "其他",
        }, {"pv": "photovoltaic", "光伏扶贫": "photovoltaic", "产业扶贫": "industry"}),
        Enumeration("yes_no", {"yes": "是", "no": "否"}, YES_NO_ALIASES),
        # return-to-poverty monitoring (防返贫监测), since 2021
        Enumeration("monitoring_category", {
            "unstable": "脱贫不稳定户", "marginal": "边缘易致贫户", "sudden": "突发严重困难户",
        }, {"脱贫不稳定": "unstable", "边缘易致贫": "marginal", "突发严重困难": "sudden",
            "边缘户": "marginal"}),
        Enumeration("risk", {
            "illness": "因病", "disability": "因残", "schooling": "因学", "disaster": "因灾",
            "accident": "因意外事故", "labor": "缺劳动力", "industry": "产业项目失败",
            "employment": "务工就业不稳", "housing": "住房出现安全问题", "water": "饮水安全问题",
            "dropout": "义务教育阶段辍学", "insurance": "未参加医保", "other": "其他",
        }, {"意外事故": "accident", "因意外": "accident", "缺劳力": "labor",
            "产业失败": "industry", "务工不稳": "employment", "住房安全": "housing",
            "饮水安全": "water", "辍学": "dropout", "未参保": "insurance"}),
        Enumeration("elimination", {"assisted": "帮扶消除", "natural": "自然消除"}),
        Enumeration("sample_type", {"exited": "脱贫户", "poor": "未脱贫户", "general": "一般农户"},
                    {"已脱贫户": "exited", "贫困户": "poor", "非贫困户": "general"}),
    ]
}
# Causes are often written with a 致贫 suffix (因病致贫); accept every label so.
ENUMS["cause"].aliases.update({f"{label}致贫": code for code, label in ENUMS["cause"].labels.items()})
# The national system's category labels that fold the status in: the household exited
# (…脱贫户), or is poor (…贫困户); the other spellings (codes, 低保户 ...) say neither.
EXIT_CLAIMING_LABELS = frozenset({"一般脱贫户", "低保脱贫户", "特困供养脱贫户", "低保特困供养脱贫户"})
POOR_CLAIMING_LABELS = frozenset(
    text for text in [*ENUMS["category"].labels.values(), *ENUMS["category"].aliases]
    if text.endswith("贫困户"))
ENUMS["housing_grade"].aliases.update({f"{c}级危房": c for c in "ABCD"})


def _c(name, zh, type_, required=False, enum=None, default=None, nonzero=False):
    return Column(name, zh, type_, required, enum, default, nonzero)


HH = ("household_id",)

LEDGERS: dict[str, Ledger] = {
    ledger.name: ledger
    for ledger in [
        Ledger("households", "贫困户台账", (
            _c("household_id", "户编号", ID, True),
            _c("township", "乡镇", TEXT, True),
            _c("village", "行政村", TEXT, True),
            _c("head_name", "户主姓名", TEXT, True),
            _c("head_id", "户主身份证号", RID, True),
            _c("category", "贫困户属性", ENUM, True, "category"),
            _c("cause", "主要致贫原因", ENUM, True, "cause"),
            _c("identified_on", "识别日期", DATE, True),
            _c("housing_grade", "住房安全等级", ENUM, False, "housing_grade"),
            _c("registered", "是否建档立卡", BOOL, False, "yes_no"),
            _c("safe_water", "饮水安全", BOOL, False, "yes_no"),
            _c("renovated_on", "危房改造竣工日期", DATE),
        ), required=True, keys=(HH,), what="one registered household",
            derived=("category_claims_exit",)),
        Ledger("members", "家庭成员台账", (
            _c("person_id", "身份证号", RID, True),
            _c("household_id", "户编号", ID, True),
            _c("name", "姓名", TEXT, True),
            _c("relation", "与户主关系", ENUM, True, "relation"),
            _c("sex", "性别", ENUM, False, "sex"),
            _c("birth_date", "出生日期", DATE),
            _c("schooling", "在校生状况", TEXT),
            _c("health", "健康状况", TEXT),
            _c("labor", "劳动能力", TEXT),
            _c("insured", "是否参加基本医疗保险", BOOL, False, "yes_no"),
        ), required=True, keys=(("person_id", "household_id"),),
            references=(Reference(HH, "households", HH),),
            what="every person ever on a household's roll (a person may belong to several "
                 "households over time)"),
        Ledger("changes", "动态调整台账", (
            _c("date", "调整日期", DATE, True),
            _c("household_id", "户编号", ID, True),
            _c("person_id", "身份证号", RID, True),
            _c("direction", "调整方向", ENUM, True, "direction"),
            _c("reason", "调整原因", ENUM, True, "reason"),
        ), references=(
            Reference(("person_id", "household_id"), "members", ("person_id", "household_id")),
        ), what="one person added to or removed from the rolls"),
        Ledger("exits", "脱贫退出台账", (
            _c("household_id", "户编号", ID, True),
            _c("exit_year", "脱贫年度", YEAR, True),
            _c("verification", "查验结果", ENUM, False, "verification"),
            _c("verified_on", "查验日期", DATE),
            _c("approved_on", "批准退出日期", DATE),
            _c("per_capita_income", "人均纯收入", AMOUNT),
            _c("food_clothing", "两不愁", BOOL, False, "yes_no"),
        ), keys=(("household_id", "exit_year"),),
            references=(Reference(HH, "households", HH),),
            what="one household exit"),
        Ledger("subsidies", "帮扶资金发放台账", (
            _c("date", "发放日期", DATE, True),
            _c("household_id", "户编号", ID, True),
            _c("person_id", "身份证号", RID),
            _c("program", "项目类别", ENUM, True, "program"),
            _c("amount", "金额", AMOUNT, True, nonzero=True),
            _c("source", "资金来源", ENUM, False, "source"),
            _c("voucher", "凭证号", ID),
        ), keys=(("voucher",),), references=(
            Reference(HH, "households", HH),
            Reference(("person_id", "household_id"), "members", ("person_id", "household_id")),
        ), what="one payment"),
        Ledger("projects", "扶贫项目台账", (
            _c("project_id", "项目编号", ID, True),
            _c("name", "项目名称", TEXT, True),
            _c("kind", "项目类型", ENUM, True, "kind"),
            _c("key_project", "重点项目", BOOL, False, "yes_no"),
            _c("year", "年度", YEAR, True),
            _c("township", "乡镇", TEXT),
            _c("village", "行政村", TEXT),
            _c("funds_higher", "上级资金", AMOUNT, default=0.0),
            _c("funds_local", "本级资金", AMOUNT, default=0.0),
            _c("funds_other", "其他资金", AMOUNT, default=0.0),
        ), keys=(("project_id",),), what="one poverty-alleviation project"),
        Ledger("project_beneficiaries", "项目受益台账", (
            _c("project_id", "项目编号", ID, True),
            _c("household_id", "户编号", ID, True),
        ), keys=(("project_id", "household_id"),), references=(
            Reference(("project_id",), "projects", ("project_id",)),
            Reference(HH, "households", HH),
        ), what="one household benefiting from a project"),
        Ledger("pairings", "帮扶责任台账", (
            _c("household_id", "户编号", ID, True),
            _c("cadre_name", "帮扶责任人", TEXT, True),
            _c("cadre_id", "责任人编号", ID),
            _c("unit", "帮扶单位", TEXT, True),
            _c("leader", "包保领导", TEXT, True),
            _c("since", "帮扶开始日期", DATE),
        ), references=(Reference(HH, "households", HH),),
            what="one cadre assigned to a household"),
        Ledger("villages", "行政村台账", (
            _c("township", "乡镇", TEXT, True),
            _c("village", "行政村", TEXT, True),
            _c("rural_population", "农村户籍人口", COUNT, True),
            _c("poor_village", "是否贫困村", BOOL, False, "yes_no"),
            _c("exit_year", "出列年度", YEAR),
            _c("enterprise", "结对企业", TEXT),
        ), keys=(("township", "village"),), what="one administrative village"),
        Ledger("policy", "政策参数", (
            _c("year", "年度", YEAR, True),
            _c("poverty_line", "扶贫标准", AMOUNT),
            _c("dibao_standard", "农村低保标准", AMOUNT),
            _c("exit_standard", "脱贫标准", AMOUNT),
            _c("monitoring_line", "防返贫监测标准", AMOUNT),
        ), keys=(("year",),), what="the parameters in force in one year"),
        Ledger("incomes", "家庭收入台账", (
            _c("household_id", "户编号", ID, True),
            _c("year", "年度", YEAR, True),
            _c("size", "家庭人口", COUNT, True),
            _c("wage", "工资性收入", AMOUNT, default=0.0),
            _c("business", "生产经营性收入", AMOUNT, default=0.0),
            _c("business_cost", "生产经营性支出", AMOUNT, default=0.0),
            _c("property", "财产性收入", AMOUNT, default=0.0),
            _c("transfer", "转移性收入", AMOUNT, default=0.0),
            _c("per_capita_net", "人均纯收入", AMOUNT),
        ), keys=(("household_id", "year"),), references=(Reference(HH, "households", HH),),
            what="one household's income of one year"),
        Ledger("monitoring", "防返贫监测对象台账", (
            _c("household_id", "户编号", ID, True),
            _c("category", "监测对象类别", ENUM, True, "monitoring_category"),
            _c("identified_on", "纳入监测日期", DATE, True),
            _c("risks", "风险类型", ENUM_SET, True, "risk"),
            _c("eliminated_on", "风险消除日期", DATE),
            _c("elimination", "消除方式", ENUM, False, "elimination"),
            _c("per_capita_income", "识别时人均纯收入", AMOUNT),
        ), keys=(("household_id", "identified_on"),),
            references=(Reference(HH, "households", HH),),
            what="one monitoring episode of a household"),
        Ledger("assessment", "评估核查台账", (
            _c("year", "年度", YEAR, True),
            _c("household_id", "户编号", ID),
            _c("township", "乡镇", TEXT, True),
            _c("village", "行政村", TEXT, True),
            _c("people", "人口", COUNT, True),
            _c("sample_type", "样本类型", ENUM, True, "sample_type"),
            _c("wrong_exit", "是否错退", BOOL, False, "yes_no"),
            _c("missed", "是否漏评", BOOL, False, "yes_no"),
            _c("approves", "是否认可", BOOL, False, "yes_no"),
        ), references=(Reference(HH, "households", HH),),
            what="one household visited by an assessment"),
    ]
}


def header_key(text: str) -> str:
    """How a header cell is compared: trimmed, any case, spaces and '-' as '_'."""
    return text.strip().lstrip("\ufeff").strip().casefold().replace(" ", "_").replace("-", "_")


def header_index(ledger: Ledger) -> dict[str, str]:
    """Every accepted spelling of a header -> the column's English name."""
    index: dict[str, str] = {}
    for col in ledger.columns:
        index[header_key(col.name)] = col.name
        index[header_key(col.zh)] = col.name
    return index


def enum_index(enum: Enumeration) -> dict[str, str]:
    """Every accepted spelling of a value (compared by `header_key`) -> its code."""
    index = {header_key(k): v for k, v in enum.aliases.items()}
    for code, label in enum.labels.items():
        index[header_key(code)] = code
        index[header_key(label)] = code
    return index


def normalize_value(enum_name: str, text: str) -> str | None:
    """The code for one user-typed enumeration value (English or Chinese), or None."""
    return enum_index(ENUMS[enum_name]).get(header_key(text))
