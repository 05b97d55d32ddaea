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
    "year": "年度", "households": "户数", "people": "人数", "verified_people": "查验人数",
    "passed_people": "通过人数", "pass_rate": "通过率", "direction": "调整方向",
    "reason": "调整原因", "program": "项目类别", "payments": "笔数", "amount": "金额",
    "amount_per_household": "户均金额", "metric": "指标", "value": "数值", "township": "乡镇",
    "village": "行政村", "project_id": "项目编号", "name": "名称", "kind": "项目类型",
    "funds_higher": "上级资金", "funds_local": "本级资金", "funds_other": "其他资金",
    "funds_total": "资金合计", "projects": "项目数", "key_projects": "重点项目数",
    "key_project": "重点项目", "rural_population": "农村户籍人口", "poor_people": "贫困人口",
    "incidence": "贫困发生率", "poor_village": "贫困村", "exit_year": "出列年度",
    "meets_exit_threshold": "达到退出标准", "enterprise": "结对企业", "grade": "危房等级",
    "students": "学生数", "poverty_line": "扶贫标准", "poverty_line_from": "扶贫标准来源",
    "dibao_standard": "农村低保标准", "dibao_standard_from": "低保标准来源", "line": "项目",
    "section": "部分", "code": "规则", "severity": "级别", "file": "文件", "household_id": "户编号",
    "person_id": "身份证号", "message": "说明", "head_name": "户主姓名", "members": "家庭人口",
    "matched": "匹配", "date": "日期", "voucher": "凭证号", "source": "资金来源",
    "verification": "查验结果", "poor": "贫困", "cadre_name": "帮扶责任人", "cadre_id": "责任人编号",
    "unit": "帮扶单位", "leader": "包保领导", "rule": "规则说明",
}

METRICS = {
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
    "summary": "{year}年度汇总（截至{year}年12月31日）",
    "exits": "脱贫退出及入户查验",
    "changes": "动态调整（人）",
    "subsidies": "帮扶资金发放（元）",
    "projects": "扶贫项目：资金（元）与受益",
    "pairing": "包保帮扶",
    "villages": "行政村贫困发生率",
    "housing": "危房改造（元）",
    "education": "教育扶贫：学生与资金（元）",
    "policy": "政策参数（元/人·年）",
    "flow": "建档立卡人口年度变动",
    "check": "数据核查结果",
    "rules": "核查规则",
    "find": "查找结果",
}

WORDS = {
    "yes": "是", "no": "否", "total": "合计", "total (distinct)": "合计（去重）",
    "all": "全部", "unknown": "未知", "built-in": "内置", "policy.csv": "policy.csv",
    "error": "错误", "warning": "提示", "rolls": "建档立卡", "poor": "未脱贫",
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
    # notes
    "year {year}: the latest year in the ledgers (give --year for another)":
        "{year}年：台账中最近的年度（其他年度请用 --year）",
    "year {year}: the latest year in the ledgers": "{year}年：台账中最近的年度",
    "no exits ledger: exit figures are left empty": "没有脱贫退出台账：脱贫数字留空",
    "no changes ledger: nobody was added or removed": "没有动态调整台账：视为无增减",
    "no subsidies ledger: subsidy figures are left empty": "没有帮扶资金台账：资金数字留空",
}

# Enumerated values shown in these columns get their Chinese label.
VALUE_COLUMNS = {"direction": "direction", "reason": "reason", "program": "program",
                 "kind": "kind", "verification": "verification", "source": "source",
                 "category": "category", "cause": "cause", "relation": "relation", "sex": "sex",
                 "grade": "housing_grade"}


def column(name: str, lang: str) -> str:
    return COLUMNS.get(name, name) if lang == "zh" else name


def metric(name: str, lang: str) -> str:
    return METRICS.get(name, name) if lang == "zh" else name


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


def title(name: str, english: str, lang: str, **params) -> str:
    if lang != "zh" or name not in TITLES:
        return english
    try:
        return TITLES[name].format(**params)
    except KeyError:
        return TITLES[name].split("{")[0] or english
