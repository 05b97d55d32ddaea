"""The catalogue of messages: every sentence povcli says, as an id with named parameters
and one template per language.

A Finding, a note or an error keeps its message id and parameters; the words are
chosen only when it is shown (`say`), so a reworded English template never leaves
the Chinese one behind, and tests can check that every id has both languages with
the same parameters. No pandas here: `povcli --help` imports this module.

Sections below are by layer (reader, checks, reports, cli); ids are dotted by layer.
"""

from __future__ import annotations

import string

LANGS = ("en", "zh")

# id -> (English, Chinese). Parameters are str.format fields; `{column}` is the column
# as the clerk's file names it, filled in by the Finding.
MESSAGES: dict[str, tuple[str, str]] = {}


def define(entries: dict[str, tuple[str, str]]) -> None:
    for key, pair in entries.items():
        if key in MESSAGES and MESSAGES[key] != pair:
            raise ValueError(f"message {key} defined twice")
        MESSAGES[key] = pair


def fields(template: str) -> set[str]:
    return {name.split(".")[0].split("[")[0]
            for _, name, _, _ in string.Formatter().parse(template) if name}


class _Params(dict):
    """Missing parameters show as {name} rather than failing: a message is never worth
    an internal error."""

    def __missing__(self, key):
        return "{" + key + "}"


def lang_from_env(environ=None) -> str:
    """The language asked for by the environment: POVCLI_LANG (en or zh; anything else
    is a ValueError, a usage error for the CLI), else the locale (LC_ALL, LC_MESSAGES,
    LANG, the first one set): zh when it starts with zh, else en."""
    import os

    env = os.environ if environ is None else environ
    own = env.get("POVCLI_LANG", "").strip()
    if own:
        return parse_lang(own, "POVCLI_LANG")
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "").strip()
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def parse_lang(value: str, where: str = "--lang") -> str:
    """en or zh from what a user typed (zh_CN, zh-CN.UTF-8 and EN are fine too)."""
    text = value.strip().lower().replace("-", "_")
    for lang in LANGS:
        if text == lang or text.startswith(lang + "_") or text.startswith(lang + "."):
            return lang
    raise ValueError(say("cli.bad_lang", "en", where=where, value=value,
                         langs=", ".join(LANGS)))


class _Formatter(string.Formatter):
    """str.format with one addition for English: `{n:plural:error}` gives "1 error",
    "2 errors"."""

    def format_field(self, value, format_spec):
        if format_spec.startswith("plural:"):
            word = format_spec[len("plural:"):]
            return f"{value} {word}{'' if value == 1 else 's'}"
        return super().format_field(value, format_spec)


def say(msg: str, lang: str = "en", **params) -> str:
    """The message `msg` in `lang` with its parameters filled in."""
    en, zh = MESSAGES.get(msg, (msg, msg))
    template = zh if lang == "zh" else en
    return _Formatter().vformat(template, (), _Params(params))


# --------------------------------------------------------------------------- cli
define({
    "cli.problems": ("{count:plural:problem} in the ledgers; no figures were computed.",
                     "台账中有{count}处问题，未计算任何数字。"),
    "cli.more": ("… and {count} more.", "……另有{count}处。"),
    "cli.internal": ("internal error: {error} (run `povcli --debug ...` for the traceback, "
                     "and please report it)",
                     "内部错误：{error}（用 `povcli --debug ...` 查看详情，并请报告此问题）"),
    "cli.error": ("povcli: error: {text}", "povcli：错误：{text}"),
    "cli.note": ("povcli: note: {text}", "povcli：提示：{text}"),
    "cli.bad_lang": ("{where} takes one of: {langs} (not '{value}')",
                     "{where} 只能取：{langs}（不能是“{value}”）"),
})

# --------------------------------------------------------------------------- reader
define({
    # files and folders
    "reader.no_folder": ("no such folder", "文件夹不存在"),
    "reader.not_folder": ("not a folder (give the folder that holds the ledgers, or a workbook)",
                          "不是文件夹（请指定存放台账的文件夹，或一个工作簿）"),
    "reader.cannot_read": ("cannot be read: {error}", "无法读取：{error}"),
    "reader.no_sheet": ("no sheet of this workbook is named after a ledger "
                        "(households, 贫困户台账, members, ...)",
                        "这个工作簿中没有以台账命名的工作表（贫困户台账、家庭成员台账……）"),
    "reader.ambiguous": ("{files} are all the {ledger} ledger: which one is meant? "
                         "Move the others away",
                         "{files} 都是{ledger}台账：到底用哪一个？请把其余的移走"),
    "reader.missing_ledger": ("not found: the {ledger} ledger is needed here (name the file "
                              "{filename} or {zh_filename})",
                              "找不到{ledger}台账，此处需要它（文件请命名为 {filename} 或 "
                              "{zh_filename}）"),
    "reader.refers_absent": ("refers to the {target} ledger, which is not here ({filename})",
                             "引用了{target}台账，但它不在这里（{filename}）"),
    "reader.is_directory": ("is a directory, not a file", "是一个文件夹，不是文件"),
    "reader.is_special": ("is a {kind}, not a file", "是一个{kind}（特殊文件），不是普通文件"),
    # the file as a whole
    "reader.empty_file": ("empty file: no header row", "空文件：没有表头行"),
    "reader.nul_bytes": ("not a CSV text file (it holds NUL bytes: a binary or UTF-16 file? "
                         "Save it as CSV, UTF-8 or GB18030)",
                         "不是CSV文本文件（含有NUL字节：是二进制文件或UTF-16文件吗？请另存为"
                         "CSV，UTF-8或GB18030编码）"),
    "reader.unknown_encoding": ("unknown encoding '{encoding}'", "不认识的编码“{encoding}”"),
    "reader.not_encoding": ("not {encoding} text; save it as CSV UTF-8, or pass --encoding, or "
                            "convert it with iconv -f GB18030 -t UTF-8",
                            "不是{encoding}编码的文本；请另存为“CSV UTF-8”，或用 --encoding "
                            "指定编码，或用 iconv -f GB18030 -t UTF-8 转换"),
    "reader.not_encoding_at": ("not {encoding} text (byte {byte} of this line cannot be "
                               "decoded); save it as CSV UTF-8, or pass --encoding, or convert "
                               "it with iconv -f GB18030 -t UTF-8",
                               "不是{encoding}编码的文本（这一行的第{byte}个字节无法解码）；"
                               "请另存为“CSV UTF-8”，或用 --encoding 指定编码，或用 "
                               "iconv -f GB18030 -t UTF-8 转换"),
    "reader.undecodable": ("not UTF-8 nor GB18030 text (byte {byte} of this line cannot be "
                           "decoded); save it as CSV UTF-8, or pass --encoding, or convert it "
                           "with iconv -f GB18030 -t UTF-8",
                           "既不是UTF-8也不是GB18030编码的文本（这一行的第{byte}个字节无法解码）；"
                           "请另存为“CSV UTF-8”，或用 --encoding 指定编码，或用 "
                           "iconv -f GB18030 -t UTF-8 转换"),
    "reader.duplicate_header": ("headers '{first}' and '{second}' both name column {name}: "
                                "keep one",
                                "表头“{first}”和“{second}”指的是同一列 {name}：只保留一个"),
    "reader.missing_column": ("required column {name} ({zh}) is missing; the header row has: "
                              "{cells}",
                              "缺少必填列“{zh}”（{name}）；表头行是：{cells}"),
    "reader.title_rows": ("{file}: {count} title row(s) above the header were skipped",
                          "{file}：跳过了表头上方的{count}行标题"),
    "reader.not_workbook": ("not a workbook povcli can read ({error})",
                            "不是povcli能读取的工作簿（{error}）"),
    "reader.empty_sheet": ("empty sheet: no header row", "空工作表：没有表头行"),
    "reader.workbook_too_big": ("refused: the workbook unpacks to {size} bytes, more than the "
                                "{limit} bytes povcli reads (a damaged or hostile file?)",
                                "拒绝读取：工作簿解压后有{size}字节，超过povcli读取的上限"
                                "{limit}字节（文件损坏或被恶意构造？）"),
    "reader.sheet_too_big": ("refused: sheet {sheet} reaches row {rows} and column {columns}, "
                             "beyond what povcli reads (at most {max_rows} rows, {max_columns} "
                             "columns and {max_cells} cells); delete the far cells",
                             "拒绝读取：工作表{sheet}用到了第{rows}行、第{columns}列，超出povcli"
                             "读取的范围（最多{max_rows}行、{max_columns}列、共{max_cells}个单元格）；"
                             "请删除远处的单元格"),
    # rows
    "reader.quote_unclosed": ("a quote opened on this line is never closed",
                              "这一行开始的引号没有闭合"),
    "reader.fields": ("{count} fields, but the header has {width}",
                      "有{count}个字段，但表头有{width}个"),
    "reader.fields_more": ("{count} fields, but the header has {width} (a comma inside a value "
                           "that is not quoted?)",
                           "有{count}个字段，但表头有{width}个（某个值里有逗号却没加引号？）"),
    "reader.bad_row": ("this row cannot be read ({error})", "这一行无法读取（{error}）"),
    "reader.totals_row": ("a totals row: delete it; povcli adds up itself",
                          "这是合计行：请删除，povcli会自己合计"),
    # cells
    "reader.required_empty": ("required, but empty", "必填，但为空"),
    "reader.multiline": ("the cell runs over several lines (a quote left open?)",
                         "单元格跨了多行（有引号没闭合？）"),
    "reader.cell_too_long": ("a cell of {length} characters is longer than povcli reads "
                             "(limit {limit})",
                             "单元格有{length}个字符，超过povcli读取的上限（{limit}个字符）"),
    "reader.not_date": ("not a date (write it as 2017-07-13, 2017/7/13, 20170713 or 2017年7月13日)",
                        "不是日期（请写成 2017-07-13、2017/7/13、20170713 或 2017年7月13日）"),
    "reader.impossible_date": ("impossible date", "日期不存在"),
    "reader.not_year": ("not a year (write it as 2017 or 2017年)",
                        "不是年度（请写成 2017 或 2017年）"),
    "reader.not_amount": ("not an amount in yuan (write it as 4000, 4000.50, 4,000.50 or ￥4000)",
                          "不是以元为单位的金额（请写成 4000、4000.50、4,000.50 或 ￥4000）"),
    "reader.two_signs": ("two signs in one amount", "一个金额里有两个正负号"),
    "reader.amount_decimals": ("more than two decimals: amounts are yuan and fen",
                               "小数超过两位：金额只到元、角、分"),
    "reader.amount_range": ("out of range (an amount is at most {limit} yuan)",
                            "超出范围（金额最多{limit}元）"),
    "reader.amount_zero": ("zero: a payment has an amount; a reversal is negative",
                           "金额为零：发放必须有金额，冲正请写负数"),
    "reader.not_count": ("not a whole number of people", "不是整数人数"),
    "reader.unknown_value": ("unknown {kind} (use one of: {listed})",
                             "无法识别的取值（{kind}，可填：{listed}）"),
    "reader.excel_id_number": ("Excel stored this resident ID as a number and lost its last "
                               "digits: format the column as text and enter it again",
                               "Excel把这个身份证号存成了数字，丢掉了最后几位：请把该列设为"
                               "文本格式后重新录入"),
    # keys and references
    "reader.duplicate_key": ("duplicate {key}: line {first} has it already",
                             "与第{first}行重复（{key}）"),
    "reader.not_in": ("not in {filename}", "在{filename}中找不到"),
    "reader.not_in_zeros": ("not in {filename} — lost leading zeros? {short} ≈ {padded}",
                            "在{filename}中找不到——开头的0丢了吗？{short} ≈ {padded}"),
    "reader.belongs": ("belongs to {key} {owner} in {filename}, not to {other}",
                       "在{filename}中属于{key} {owner}，而不是{other}"),
})

# unknown enumeration values, one message per enumeration (its Chinese name in Chinese)
define({f"reader.unknown.{name}": (f"unknown {name.replace('_', ' ')} (use one of: {{listed}})",
                                   f"{zh}不在可填范围内（可填：{{listed}}）")
        for name, zh in {
            "category": "贫困户属性", "cause": "致贫原因", "housing_grade": "住房安全等级",
            "relation": "与户主关系", "sex": "性别", "direction": "调整方向",
            "reason": "调整原因", "verification": "查验结果", "program": "项目类别",
            "source": "资金来源", "kind": "项目类型", "yes_no": "是否",
            "monitoring_category": "监测对象类别", "risk": "风险类型", "elimination": "消除方式",
            "sample_type": "样本类型",
        }.items()})

# --------------------------------------------------------------------------- checks
define({})

# --------------------------------------------------------------------------- reports
define({})

# --------------------------------------------------------------------------- income, monitor
define({
    "income.bad_line": ("--line takes exit, monitoring, poverty or an amount in yuan above 0 "
                        "(not '{value}'; lines: {lines})",
                        "--line 应为 exit、monitoring、poverty 或大于 0 的金额（元），不能是“{value}”"
                        "（可用：{lines}）"),
    "income.bad_by": ("--by takes one of: {choices} (not '{value}')",
                      "--by 只能取：{choices}（不能是“{value}”）"),
    "income.bad_margin": ("--margin takes a fraction of the line between 0 and 1 (not "
                          "'{value}')", "--margin 应为 0 到 1 之间的比例（不能是“{value}”）"),
    "income.no_line": ("policy.csv gives no {line} for {year} (nor an earlier year): the "
                       "measures at that line are left empty for {year}",
                       "policy.csv 没有给出 {year} 年（及以前年度）的 {line}：该年按此标准计算的"
                       "指标留空"),
    "income.watts_empty": ("{year}: the Watts index is left empty: a poor person's per-capita "
                           "income is 0 or below (its logarithm is undefined)",
                           "{year}年：Watts 指数留空，有贫困人口的人均纯收入为 0 或负数（无法取对数）"),
    "income.missing": ("{year}: {count} household(s) on the rolls at 31 December have no "
                       "incomes row for the year: counted apart, not in the figures",
                       "{year}年：年末在册的 {count} 户没有当年收入记录，单独计数，不计入各项指标"),
    "income.alpha": ("FGT at the line z over people: P0 (α = 0) the share with income below z, "
                     "P1 (α = 1) the mean gap (z − y)/z, P2 (α = 2) the mean squared gap; "
                     "income equal to z is not poor",
                     "按人计算的 FGT 指数（标准 z）：P0（α = 0）收入低于 z 的人口比例，P1（α = 1）"
                     "平均贫困距 (z − y)/z，P2（α = 2）贫困距平方的平均；收入恰等于 z 不算贫困"),
    "income.bunching_sign": ("{year}: {above} household(s) just above the line against {below} "
                             "just below: a sign to look at (how were these incomes counted?), "
                             "not a verdict",
                             "{year}年：刚好高于标准的有 {above} 户，刚好低于的有 {below} 户："
                             "值得核实收入是如何算出的，但这不是结论"),
    "income.bunching_note": ("below = households with per-capita income in [line − margin, "
                             "line), above = in [line, line + margin]",
                             "“低于”为人均纯收入在 [标准 − 幅度, 标准) 的户，“高于”为在 "
                             "[标准, 标准 + 幅度] 的户"),
    "income.title": ("Household incomes", "家庭收入"),
    "monitor.bad_by": ("--by takes one of: {choices} (not '{value}')",
                       "--by 只能取：{choices}（不能是“{value}”）"),
    "monitor.bad_margin": ("--margin takes a fraction between 0 and 1 (not '{value}')",
                           "--margin 应为 0 到 1 之间的比例（不能是“{value}”）"),
    "monitor.empty": ("the monitoring ledger holds no dated episode: give --year",
                      "防返贫监测对象台账中没有带日期的记录：请用 --year 指定年度"),
    "monitor.latest_year": ("year {year}: the latest year of the monitoring ledger (give "
                            "--year for another)",
                            "{year}年：防返贫监测台账中最近的年度（其他年度请用 --year）"),
    "monitor.no_incomes": ("no incomes ledger: the income conditions are not screened",
                           "没有家庭收入台账：不按收入条件排查"),
    "monitor.no_line": ("policy.csv gives no monitoring_line for {year} (nor an earlier year): "
                        "households below the line are not screened",
                        "policy.csv 没有给出 {year} 年（及以前年度）的防返贫监测标准：不排查收入低于"
                        "监测标准的户"),
    "monitor.no_insurance": ("medical insurance is not recorded in the ledgers: members without "
                             "it are not screened",
                             "台账中没有记录医疗保险参保情况：未排查未参保的成员"),
    "monitor.candidates_note": ("registered exited households not monitored at 31 December "
                                "that meet a condition: below_line (per-capita income of the year "
                                "below the monitoring line), income_fell (by more than {margin} "
                                "from the year before), unsafe_house (grade C or D, no renovation "
                                "paid), out_of_school (a child of 6–15 out of school)",
                                "年末未纳入监测、符合监测条件的建档立卡已脱贫户：below_line（当年"
                                "人均纯收入低于监测标准）、income_fell（比上年下降超过 {margin}）、"
                                "unsafe_house（C 级或 D 级危房且未发放危改资金）、out_of_school"
                                "（6–15 岁儿童失学辍学）"),
    "monitor.title": ("Monitoring objects", "防返贫监测对象"),
    "monitor.M01": ("no risk is recorded for this monitoring episode: record its risks",
                    "该监测记录没有填写风险类型：请补填"),
    "monitor.M02": ("risk eliminated {days} days after identification on {identified}: "
                    "monitoring should in principle last at least six months",
                    "纳入监测（{identified}）后仅 {days} 天即标注风险消除：原则上应监测满半年"),
    "monitor.M03": ("eliminated by assistance while the per-capita income of {of_year} ({income}) "
                    "is below the monitoring line ({monitoring_line})",
                    "标注为帮扶消除，但 {of_year} 年人均纯收入（{income}）低于防返贫监测标准（{monitoring_line}）"),
    "monitor.M03_no_line": ("policy.csv gives no monitoring_line for {of_year}: eliminations by "
                            "assistance of {of_year} could not be checked against it",
                            "policy.csv 没有给出 {of_year} 年的防返贫监测标准：无法核对该年的帮扶消除"),
    "monitor.M04": ("eliminated \"naturally\" though no member is able to work: check the "
                    "elimination and the household's guarantee",
                    "家中无劳动能力成员，却标注为自然消除：请核实消除方式及兜底保障"),
    "monitor.M05": ("a marginal household (边缘易致贫户) must be an ordinary household, but this "
                    "one is registered (建档立卡): should it be unstable (脱贫不稳定户)?",
                    "边缘易致贫户应为一般农户，但该户是建档立卡户：是否应为脱贫不稳定户？"),
    "monitor.M06": ("an unstable household (脱贫不稳定户) must have exited, but this one has no "
                    "passed exit by the year of identification",
                    "脱贫不稳定户应为已脱贫户，但该户在纳入监测当年及以前没有通过验收的脱贫记录"),
    "monitor.M07": ("risk eliminated before it was identified ({identified}): a typo in a date?",
                    "风险消除日期早于纳入监测日期（{identified}）：日期是否填错？"),
    "monitor.M08": ("this episode starts while the one on line {other} is still open: close "
                    "that one first",
                    "该监测记录开始时，第 {other} 行的监测尚未消除：请先标注前一次的风险消除"),
    "monitor.M09": ("a return to poverty of a household not monitored before it: the monitoring "
                    "missed it",
                    "该户返贫前未被纳入监测：监测工作出现遗漏"),
    "monitor.M10": ("an illness risk, but every member's health is recorded as healthy",
                    "风险类型为因病，但全部成员的健康状况均为健康"),
    "monitor.M11": ("the given per-capita net income differs from the computed one ({computed}) "
                    "by more than 1 yuan: the computed figure is used",
                    "填写的人均纯收入与按各项收入计算的结果（{computed}）相差超过 1 元：以计算结果为准"),
})
