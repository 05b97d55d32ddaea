"""The message catalogue: what people read in Chinese with `--lang zh`.

Column headers, values of enumerations, report titles, dashboard labels and notes of
table / markdown / html / xlsx output. csv and json keys never change. Enumeration
labels come from the contract (schema.ENUMS); everything else is here.
No pandas here.
"""

from __future__ import annotations

import os

from .schema import ENUMS

LANGS = ("en", "zh")


def default_lang() -> str:
    lang = os.environ.get("POVCLI_LANG", "en").strip().lower()[:2]
    return lang if lang in LANGS else "en"


COLUMNS = {
    "step": "步骤",  # flow: the line's stable key
    # incomes and monitoring (issue 13)
    "missing_households": "缺收入户数", "mean_income": "人均纯收入均值",
    "median_income": "人均纯收入中位数", "wage_share": "工资性收入占比",
    "business_net_share": "生产经营净收入占比", "property_share": "财产性收入占比",
    "transfer_share": "转移性收入占比", "transfer_heavy_households": "转移性收入过半户数",
    "gini": "基尼系数", "p0": "贫困发生率P0", "p1": "贫困深度P1",
    "p2": "贫困强度P2", "watts": "瓦茨指数", "category": "类别",
    "identified_households": "纳入户数", "identified_people": "纳入人数",
    "eliminated_households": "消除户数", "eliminated_people": "消除人数",
    "monitored_households": "监测户数", "monitored_people": "监测人数", "risk": "风险类型",
    "reasons": "原因", "income_before": "上年人均纯收入", "income_year": "当年人均纯收入",
    "margin": "区间", "below": "线下户数", "above": "线上户数", "ratio": "比值", "sign": "提示",
    "per_capita": "人均纯收入", "previous": "上年", "change": "变化", "change_rate": "变化率",
    "size": "家庭人口", "wage": "工资性收入", "business": "生产经营性收入",
    "business_cost": "生产经营性支出", "property": "财产性收入", "transfer": "转移性收入",
    "net_income": "纯收入", "per_capita_net": "填报人均纯收入", "transfer_heavy": "转移性收入过半",
    "risks": "风险类型", "identified_on": "纳入日期", "eliminated_on": "消除日期",
    "elimination": "消除方式",
    "year": "年度", "households": "户数", "people": "人数", "verified_people": "查验人数",
    "passed_people": "通过人数", "pass_rate": "通过率", "direction": "调整方向",
    "reason": "调整原因", "program": "项目类别", "payments": "笔数", "amount": "金额",
    "amount_per_household": "户均金额", "metric": "指标", "value": "数值", "township": "乡镇",
    "village": "行政村", "project_id": "项目编号", "name": "姓名", "kind": "项目类型",
    "funds_higher": "上级资金", "funds_local": "本级资金", "funds_other": "其他资金",
    "funds_total": "资金合计", "projects": "项目数", "key_projects": "重点项目数",
    "key_project": "重点项目", "rural_population": "农村户籍人口", "poor_people": "贫困人口",
    "incidence": "贫困发生率", "poor_village": "贫困村", "exit_year": "出列年度",
    "meets_exit_threshold": "达到退出标准", "enterprise": "结对企业", "grade": "危房等级",
    "students": "学生数", "poverty_line": "扶贫标准", "poverty_line_from": "扶贫标准来源",
    "dibao_standard": "农村低保标准", "dibao_standard_from": "低保标准来源", "line": "行号",
    "section": "部分", "code": "规则", "severity": "级别", "file": "文件", "household_id": "户编号",
    "person_id": "身份证号", "message": "说明", "head_name": "户主姓名", "members": "家庭人口",
    "matched": "匹配", "date": "日期", "voucher": "凭证号", "source": "资金来源",
    "verification": "查验结果", "poor": "贫困", "cadre_name": "帮扶责任人", "cadre_id": "责任人编号",
    "unit": "帮扶单位", "leader": "包保领导", "rule": "规则说明", "basis": "依据",
    "relation": "与户主关系", "sex": "性别", "since": "帮扶开始日期",
}

METRICS = {
    "monitoring_identified_households_year": "当年纳入监测户数",
    "monitoring_identified_people_year": "当年纳入监测人数",
    "monitoring_eliminated_households_year": "当年风险消除户数",
    "monitoring_eliminated_people_year": "当年风险消除人数",
    "monitoring_monitored_households": "年末监测户数", "monitoring_monitored_people": "年末监测人数",
    "monitoring_line": "防返贫监测标准", "exit_standard": "脱贫标准",
    "year": "年度", "households": "建档立卡户数", "people": "建档立卡人数",
    "poor_households": "未脱贫户数", "poor_people": "未脱贫人数",
    "exited_people_year": "当年脱贫人数", "exited_people_total": "累计脱贫人数",
    "added_people_year": "当年动态进入人数", "removed_people_year": "当年动态减少人数",
    "subsidy_amount_year": "当年帮扶资金", "exited_households_year": "当年脱贫户数",
    "verified_people_year": "当年入户查验人数", "passed_people_year": "当年查验通过人数",
    "pass_rate_year": "当年查验通过率", "subsidy_payments_year": "当年发放笔数",
    "photovoltaic_amount_per_household_year": "当年光伏户均收益",
    "education_students_year": "当年受助学生", "education_amount_year": "当年教育扶贫资金",
    "housing_households_year": "当年危房改造户数", "projects_total": "累计项目数",
    "key_projects_total": "累计重点项目数", "project_funds_higher_total": "累计上级资金",
    "project_funds_local_total": "累计本级资金", "project_funds_other_total": "累计其他资金",
    "project_funds_total": "累计项目资金", "photovoltaic_people": "光伏受益人口",
    "pairing_households_covered": "帮扶覆盖户数", "pairing_leaders": "包保领导",
    "pairing_units": "包保单位", "pairing_cadres": "结对帮扶责任人", "villages": "行政村",
    "villages_with_enterprise": "名企帮村", "poverty_line": "扶贫标准",
    "dibao_standard": "农村低保标准", "households_covered": "覆盖户数",
    "households_not_covered": "未覆盖户数", "poor_households_covered": "覆盖未脱贫户数",
    "poor_households_not_covered": "未覆盖未脱贫户数", "leaders": "包保领导",
    "units": "包保单位", "cadres": "结对帮扶责任人",
    "households_per_cadre_min": "每人帮扶户数（最少）",
    "households_per_cadre_median": "每人帮扶户数（中位）",
    "households_per_cadre_max": "每人帮扶户数（最多）",
}

TITLES = {
    "summary.list": "{year}年12月31日在册人员",
    "pairing.uncovered": "截至{year}年12月31日没有帮扶责任人的在册户",
    "income": "家庭收入",
    "monitor": "防返贫监测对象",
    "summary": "{year}年度汇总（截至{year}年12月31日）",
    "exits": "脱贫退出及入户查验",
    "changes": "动态调整（人）",
    "subsidies": "帮扶资金发放（元）",
    "projects": "扶贫项目：资金（元）与受益",
    "pairing": "包保帮扶（截至{year}年12月31日）",
    "villages": "{year}年末行政村贫困发生率",
    "housing": "危房改造（元）",
    "education": "教育扶贫：学生与资金（元）",
    "policy": "政策参数（元/人·年）",
    "flow": "{year}年建档立卡人口变动",
    "check": "数据核查结果",
    "rules": "核查规则",
    "find": "查找结果",
}

WORDS = {
    # monitoring categories and elimination (their enumerations' labels)
    **{code: label for name in ("monitoring_category", "elimination", "risk")
       for code, label in ENUMS[name].labels.items() if code not in ("other", "housing",
                                                                     "labor", "water")},
    "yes": "是", "no": "否", "total": "合计", "total (distinct)": "合计（去重）",
    "all": "全部", "unknown": "未知", "built-in": "内置", "policy.csv": "policy.csv",
    "error": "错误", "warning": "警告", "rolls": "建档立卡", "poor": "未脱贫",
    "all programs": "全部项目",
    "amounts in yuan (元)": "金额单位：元", "rates in per cent": "比率为百分比",
    # the summary dashboard
    "On the rolls at {date} (建档立卡)": "建档立卡（截至{date}）",
    "Exits {year} (脱贫退出)": "{year}年脱贫退出",
    "Dynamic changes {year} (动态调整), people": "{year}年动态调整（人）",
    "Subsidies {year} (帮扶资金), yuan": "{year}年帮扶资金（元）",
    "Projects up to {year} (扶贫项目), yuan": "截至{year}年扶贫项目（元）",
    "Programs {year}": "{year}年专项",
    "Pairing at {date} (包保帮扶)": "包保帮扶（截至{date}）",
    "Villages and policy": "行政村与政策",
    "+ added": "+ 增加", "− removed": "− 减少", "added in all": "增加合计",
    "removed in all": "减少合计",
    "households": "户数", "people": "人数", "poor households": "未脱贫户数",
    "poor people": "未脱贫人数", "people exited in {year}": "{year}年脱贫人数",
    "households exited in {year}": "{year}年脱贫户数",
    "people exited up to {year}": "截至{year}年累计脱贫人数",
    "people verified at home": "入户查验人数", "people passed": "查验通过人数",
    "pass rate": "通过率", "projects": "项目", "key projects": "重点项目",
    "funds from higher levels": "上级资金", "funds of the district": "本级资金",
    "other funds": "其他资金", "funds in all": "资金合计",
    "people in photovoltaic households": "光伏受益人口", "students aided": "受助学生",
    "education aid": "教育扶贫资金", "dangerous houses renovated": "危房改造户数",
    "photovoltaic income a household": "光伏户均收益", "households covered": "覆盖户数",
    "leaders": "包保领导", "units": "包保单位", "cadres": "结对帮扶责任人",
    "villages": "行政村", "paired with an enterprise": "名企帮村",
    "poverty line {year}": "{year}年扶贫标准", "rural dibao {year}": "{year}年农村低保标准",
    "payments": "笔数", "amount": "金额", "program": "项目类别",
    # the dossier of `povcli show`
    "Dossier of household {id} (建档立卡户)": "建档立卡户档案：{id}", "household": "户编号",
    "area": "地址", "head": "户主", "category / cause": "属性 / 致贫原因",
    "housing grade": "住房安全等级", "identified": "识别日期", "status at {date}": "截至{date}状态",
    "on the rolls": "在册", "not on the rolls": "不在册", ", poor": "，未脱贫",
    ", exited": "，已脱贫", "Members (家庭成员)": "家庭成员", "Timeline": "时间线",
    "Subsidies (帮扶资金), yuan": "帮扶资金（元）", "Cadres (帮扶责任人)": "帮扶责任人",
    "Projects (扶贫项目)": "扶贫项目", "age": "年龄", "event": "事项", "detail": "详情",
    "cadre": "责任人", "id": "编号", "project": "项目", "exit": "脱贫退出",
    # notes
    "year {year}: the latest year in the ledgers (give --year for another)":
        "{year}年：台账中最近的年度（其他年度请用 --year）",
    "year {year}: the latest year in the ledgers": "{year}年：台账中最近的年度",
    "no exits ledger: exit figures are left empty": "没有脱贫退出台账：脱贫数字留空",
    "no changes ledger: nobody was added or removed": "没有动态调整台账：视为无增减",
    "no subsidies ledger: subsidy figures are left empty": "没有帮扶资金台账：资金数字留空",
}

# `povcli check --list-rules`: what each rule finds
WORDS.update({
    "a cell or row the reader could not use": "无法读取的单元格或行",
    "a duplicate key (the same id twice in one ledger)": "编号重复（同一台账中出现两次）",
    "a reference to a household, member or project that is not there": "引用的户、成员或项目不存在",
    "a resident ID with a wrong check digit": "身份证号校验位错误",
    "a resident ID whose birth date is impossible": "身份证号中的出生日期不存在",
    "an old 15-digit resident ID": "15位旧身份证号",
    "a resident ID mangled by Excel (2.20503E+17, zeros at the end)":
        "身份证号被Excel改写（科学计数法、末位变0）",
    "a resident ID of the wrong length or form": "身份证号长度或格式错误",
    "a resident ID with an area code not in the table (tables lag changes)":
        "身份证号地区码不在代码表中（代码表可能滞后）",
    "a member's sex disagrees with the resident ID (digit 17)": "成员性别与身份证号（第17位）不符",
    "a member's birth date disagrees with the resident ID (digits 7-14)":
        "成员出生日期与身份证号（第7-14位）不符",
    "one person in two households": "同一人在两户中",
    "a household with no member whose relation is head (户主)": "户内没有户主",
    "a household with several heads": "户内有多个户主",
    "head_id is not a member of the household": "户主身份证号不在本户成员中",
    "a household on no roll, with no removal recorded": "不在册但没有减少记录的户",
    "an exit before the household was identified": "识别之前就脱贫退出",
    "an exit with per-capita income at or below that year's poverty line":
        "脱贫时人均纯收入不高于当年扶贫标准",
    "an exit still pending verification after its year ended": "脱贫年度已过仍未入户查验",
    "two exits of one household without a return to poverty between them":
        "同一户两次脱贫，中间没有返贫记录",
    "an exit of a household with nobody left on the rolls": "脱贫户已无在册人口",
    "a removal of someone not on the rolls that day": "减少了当天不在册的人",
    "an addition of someone already on the rolls (returned excepted)":
        "增加了已在册的人（返贫除外）",
    "a change recorded after the person's death": "死亡之后仍有调整记录",
    "a payment for a person removed before its date (death, moved, ...)":
        "向已减少人员发放资金（死亡、迁出等）",
    "a payment to a household not on the rolls that day": "向当天不在册的户发放资金",
    "the same voucher number on two payments": "同一凭证号用于两笔发放",
    "likely duplicate payments: same payee, program and amount within a window, not reversed":
        "疑似重复发放：同一对象、项目、金额在时间窗内重复且未冲正",
    "education aid for someone outside school age (by the ID's birth date)":
        "教育扶贫对象不在学龄范围（按身份证出生日期）",
    "a reversal (negative amount) with no original payment": "冲正（负数金额）没有对应的原发放",
    "an amount far out of line for its program and year (robust z-score)":
        "金额明显偏离同项目同年度水平",
    "a poor household on the rolls with no cadre paired": "未脱贫户没有结对帮扶责任人",
    "a cadre paired with more households than the load limit": "帮扶责任人结对户数超过上限",
    "a village marked exited whose poverty incidence at the end of its exit year is not "
    "below the threshold": "已出列行政村在出列年末贫困发生率未低于标准",
    "a date in the future": "日期在未来",
})

# Captions of tables on a terminal, and the events of a household's timeline
WORDS.update({
    "left out for the width of the terminal: {columns} (use --format csv, or a wider terminal)":
        "因终端宽度未显示：{columns}（请用 --format csv，或加宽终端）",
    "{count} more rows: use --format csv for all": "另有{count}行未显示：请用 --format csv 查看全部",
    "identified (event)": "识别", "in (event)": "增加", "out (event)": "减少",
    "exit (event)": "脱贫退出", "person's name": "姓名",
    "{category}, cause {cause}": "{category}，致贫原因：{cause}",
    "exit {year}, verification {verification}": "{year}年脱贫，入户查验：{verification}",
    ", income {income} a person": "，人均纯收入 {income} 元",
})

# Column headers of tables for people in English (csv and json keep the keys): a few
# named here, the rest with spaces for underscores.
HEADERS = {
    "household_id": "household", "person_id": "resident ID", "project_id": "project",
    "cadre_id": "cadre id", "head_name": "head of household", "head_id": "head's resident ID",
    "identified_on": "identified", "verified_on": "verified", "funds_higher": "higher funds",
    "funds_local": "local funds", "funds_other": "other funds", "funds_total": "total funds",
    "meets_exit_threshold": "meets exit threshold", "amount_per_household":
        "amount per household",
}


def header(name: str, lang: str, report: str | None = None) -> str:
    """A column's header in a table for people: Chinese as `column`, English in words."""
    if lang == "zh":
        return column(name, lang, report)
    return HEADERS.get(name, str(name).replace("_", " "))


# issue 11: pre-exits, policy parameters, exit readiness
COLUMNS.update({
    "pending_people": "待查验人数", "exit_standard": "脱贫标准", "exit_standard_from": "脱贫标准来源",
    "monitoring_line": "防返贫监测标准", "monitoring_line_from": "监测标准来源",
    "test": "检验项", "passed": "通过户数", "failed": "未通过户数", "unknown": "未知户数",
    "status": "退出状态", "income": "人均纯收入", "standard": "检验标准",
    "standard_kind": "标准类别", "income_test": "收入达标", "food_clothing_test": "两不愁",
    "schooling_test": "义务教育", "insurance_test": "基本医疗", "housing_test": "住房安全",
    "water_test": "饮水安全", "result": "结论", "warnings": "提示",
})
METRICS.update({"pending_people_year": "当年待查验人数"})
TITLES.update({"readiness": "脱贫退出质量预检（一达标两不愁三保障）"})
WORDS.update({"pass": "通过", "fail": "未通过", "national": "国家标准", "exited": "已脱贫",
              "pre_exit": "预退出", "poverty_line": "国家扶贫标准"})

# Enumerated values shown in these columns get their Chinese label.
VALUE_COLUMNS = {"direction": "direction", "reason": "reason", "program": "program",
                 "kind": "kind", "verification": "verification", "source": "source",
                 "category": "category", "cause": "cause", "relation": "relation", "sex": "sex",
                 "grade": "housing_grade"}


# a column whose meaning differs in one report
REPORT_COLUMNS = {("flow", "line"): "项目", ("projects", "name"): "项目名称", ("income", "line"): "标准线",
                  ("income", "poor_people"): "线下人数"}


def column(name: str, lang: str, report: str | None = None) -> str:
    if lang != "zh":
        return name
    return REPORT_COLUMNS.get((report, name), COLUMNS.get(name, name))


def metric(name: str, lang: str) -> str:
    """A metric's label for people (the key itself stays in csv and json)."""
    if lang == "zh":
        return METRICS.get(name, name)
    return name.replace("_", " ") if isinstance(name, str) else name


def word(text, lang: str, **params) -> str:
    """A fixed phrase (or a value such as yes/no/total) in the language asked for."""
    if not isinstance(text, str):
        return text
    out = WORDS.get(text, text) if lang == "zh" else text
    return out.format(**params) if params else out


def value(col: str, text, lang: str):
    """A cell value for people: enumeration codes and fixed words translated."""
    if lang != "zh" or not isinstance(text, str):
        return text
    enum = VALUE_COLUMNS.get(col)
    if enum and text in ENUMS[enum].labels:
        return ENUMS[enum].labels[text]
    return WORDS.get(text, text)


def title(name: str, english: str, lang: str, variant: str | None = None, **params) -> str:
    """A report's title in Chinese, per variant: a list of people is no summary."""
    if lang != "zh":
        return english
    if variant and f"{name}.{variant}" in TITLES:
        name = f"{name}.{variant}"
    elif variant == "list" and name in TITLES:
        params = {k: v for k, v in params.items() if v is not None}
        base = title(name, english, lang, **params)
        return base if base == english else f"{base}：名单"
    if name not in TITLES:
        return english
    params = {k: v for k, v in params.items() if v is not None}
    try:
        return TITLES[name].format(**params)
    except KeyError:  # a title whose parameters the report does not carry
        return english if "{" in TITLES[name].split("}")[0] else TITLES[name]
