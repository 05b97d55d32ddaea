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

# --------------------------------------------------------------------------- audits (issue 14)
define({
    "match.m00": ("not a full, valid resident ID (length, check digit or digits lost to "
                  "Excel): matched with nothing",
                  "不是完整有效的身份证号（位数、校验位错误或被Excel丢了位）：不参与比对"),
    "match.m01": ("the list names {listed}, the ledger {filed} ({place}): one ID, two names",
                  "名单中的姓名为{listed}，台账中为{filed}（{place}）：同一身份证号对应两个姓名"),
    "match.m02": ("on the rolls after the death listed on {death} ({place}): record the "
                  "removal (death) as of that date",
                  "名单记载于{death}死亡，此后仍在建档立卡名册中（{place}）：应按死亡减少"),
    "match.m03": ("paid on {date}, after the death listed on {death} ({place})",
                  "{date}发放，晚于名单记载的死亡日期{death}（{place}）"),
    "match.m04": ("on the public payroll ({employer}, since {start}) while on the rolls on "
                  "{date} ({place}): a likely wrong identification",
                  "{date}在建档立卡名册中，同时是财政供养人员（{employer}，{start}起）"
                  "（{place}）：可能识别不准"),
    "match.m05.vehicle": ("vehicle {what}, registered on {registered}, held on {date} while "
                          "the household was poor ({place}): registrations can be nominal, "
                          "check it",
                          "车辆{what}于{registered}登记，{date}该户未脱贫时仍在其名下（{place}）："
                          "登记可能是挂名，请核实"),
    "match.m05.company": ("company {what}, registered on {registered}, held on {date} while "
                          "the household was poor ({place}): registrations can be nominal, "
                          "check it",
                          "企业“{what}”于{registered}登记，{date}该户未脱贫时仍在其名下"
                          "（{place}）：登记可能是挂名，请核实"),
    "match.m05.property": ("property {what}, registered on {registered}, held on {date} "
                           "while the household was poor ({place}): check it",
                           "房产“{what}”于{registered}登记，{date}该户未脱贫时仍在其名下"
                           "（{place}）：请核实"),
    "match.m06": ("a dibao household on the rolls at {end} with no member on the dibao "
                  "roster ({place})",
                  "{end}在册的低保贫困户，没有一名成员在低保名单中（{place}）"),
    "match.m07": ("on the dibao roster at {end}, but the household is filed as {category} "
                  "({place})",
                  "{end}在低保名单中，但所在户的贫困户属性登记为{category}（{place}）"),
    "match.m08": ("main cause disability, but no member is on the disability list ({place})",
                  "主要致贫原因为因残，但没有一名成员在残疾人名单中（{place}）"),
    "match.m09": ("the exemption from {rule} expired on {until} ({reason}): its findings are "
                  "reported again",
                  "规则{rule}的豁免已于{until}到期（{reason}）：相关问题重新报告"),
    "match.totals": ("povcli match: {errors:plural:error}, {warnings:plural:warning}",
                     "povcli match：{errors}个错误，{warnings}个提示"),
    "compare.not_number": ("not a number (write it as 404, 4000.5, 4,000, 100% or 90人)",
                           "不是数字（请写成 404、4000.5、4,000、100% 或 90人）"),
    "match.unknown_kind": ("unknown list kind '{kind}' (kinds: {kinds})",
                           "未知的名单类别“{kind}”（可用：{kinds}）"),
    "match.split_needs_dir": ("--split-by village needs -o DIR (a folder for one xlsx per "
                              "village)",
                              "--split-by village 需要 -o 文件夹（每个村写一个xlsx文件）"),
    "match.split_written": ("{count} workbook(s) written in {folder}",
                            "已在 {folder} 写入{count}个工作簿"),
})
