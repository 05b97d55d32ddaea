"""Chinese headers, titles and words of the audit reports (issue 14): registered into
i18n's tables when an audit module is imported, so their section stays in one file."""

from __future__ import annotations

from . import i18n

COLUMNS = {
    "measure": "指标", "numerator": "分子", "denominator": "分母", "rate": "比率",
    "threshold": "标准", "passes": "是否达标", "counted": "计入分子",
    "ledger_file": "台账文件", "ledger_line": "台账行号", "published": "公布数",
    "ledgers": "台账数", "difference": "差额", "area": "地区", "ledger": "台账",
    "change": "变化", "key": "主键", "columns": "改动的列", "old": "原值", "new": "新值",
    "old_rows": "原行数", "new_rows": "新行数", "added": "新增", "removed": "删除",
    "altered": "改动", "unchanged": "未变", "stage": "抽样阶段",
}
TITLES = {
    "assess": "评估核查“三率一度”", "match": "部门数据比对结果", "compare": "公布数字与台账数字对照",
    "diff": "两次导出的台账对比", "sample": "{year}年评估入户抽样",
}
WORDS = {
    "wrong_exit_rate": "错退率", "missed_rate": "漏评率", "approval": "群众认可度",
    "incidence": "综合贫困发生率", "return_rate": "返贫率",
    "exit_due": "当年退出户", "village": "抽中村全部户", "exited": "其他已脱贫户",
    "ordinary": "贫困村一般农户", "added": "新增", "removed": "删除", "altered": "改动",
    "no assessment.csv: only what the ledgers alone give (system incidence, return rate)":
        "没有评估核查台账（assessment.csv）：只给出台账本身能算出的综合贫困发生率和返贫率",
    "no villages.csv: no rural population, so no system incidence":
        "没有行政村台账（villages.csv）：没有农村户籍人口，无法计算综合贫困发生率",
    "no ordinary (unregistered) household of a poor village in the ledgers: none drawn":
        "台账中没有贫困村的一般农户（未建档立卡户）：未抽取",
}

i18n.REPORT_COLUMNS.setdefault(("compare", "source"), "来源")
for table, entries in ((i18n.COLUMNS, COLUMNS), (i18n.TITLES, TITLES), (i18n.WORDS, WORDS)):
    for k, v in entries.items():
        table.setdefault(k, v)
