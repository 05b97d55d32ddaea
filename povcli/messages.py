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
from typing import Callable

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
    """str.format with three additions: `{n:plural:error}` gives "1 error", "2 errors"
    (for English), `{ledger:ledger_zh}` a ledger's Chinese name and `{code:label:reason}`
    an enumeration code's Chinese label."""

    def format_field(self, value, format_spec):
        if format_spec.startswith("plural:"):
            word = format_spec[len("plural:"):]
            return f"{value} {word}{'' if value == 1 else 's'}"
        if format_spec == "ledger_zh":
            from .schema import LEDGERS
            return LEDGERS[value].zh if value in LEDGERS else str(value)
        if format_spec.startswith("label:"):  # an enumeration code's Chinese label
            from .schema import ENUMS
            enum = ENUMS.get(format_spec[len("label:"):])
            return enum.labels.get(value, str(value)) if enum else str(value)
        return super().format_field(value, format_spec)


class Said(str):
    """A text that can say itself in any language: its English for csv, json and
    scripts, `in_lang(lang)` for the tables, notes and messages people read."""

    words: Callable[[str], str]
    kept: dict | None = None  # its message id and parameters, when made by `of`

    def __new__(cls, english: str, words: Callable[[str], str]):
        self = super().__new__(cls, english)
        self.words = words
        return self

    @classmethod
    def of(cls, msg: str, **params) -> "Said":
        said = cls(say(msg, "en", **params), lambda lang: say(msg, lang, **params))
        said.kept = {"msg": msg, "params": params}
        return said

    def in_lang(self, lang: str) -> str:
        return self.words(lang)


def kept_notes(notes: list) -> list:
    """Notes as JSON keeps them (a shard dataset's description): a message by its id and
    parameters, to be said again in any language (notes_again); other text as it is."""
    return [n.kept if isinstance(n, Said) and n.kept is not None else str(n) for n in notes]


def notes_again(kept, file: Callable[[str], str] | None = None) -> list[str]:
    """The notes kept_notes kept (anything else in the list is left out). file: the
    file a note is of, as this run names it (from the name it was kept with)."""
    out: list[str] = []
    for k in kept or []:
        if isinstance(k, str):
            out.append(k)
        elif isinstance(k, dict) and isinstance(k.get("params"), dict) and \
                isinstance(k.get("msg"), str):
            params = dict(k["params"])
            if file is not None and "file" in params:
                params["file"] = file(str(params["file"]))
            out.append(Said.of(k["msg"], **params))
    return out


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
                              "找不到{ledger:ledger_zh}，此处需要它（文件请命名为 {filename} 或 "
                              "{zh_filename}）"),
    "reader.refers_absent": ("refers to the {target} ledger, which is not here ({filename})",
                             "引用了{target:ledger_zh}，但它不在这里（{filename}）"),
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
    "reader.utf8_not_given": ("not {encoding} text (byte {byte} of this line cannot be "
                              "decoded), but UTF-8 text: leave out --encoding, povcli finds "
                              "UTF-8 and GB18030 itself",
                              "不是{encoding}编码的文本（这一行的第{byte}个字节无法解码），而是"
                              "UTF-8编码的文本：去掉 --encoding 即可，povcli 自己能识别UTF-8和"
                              "GB18030"),
    "reader.gb_not_given": ("not {encoding} text (byte {byte} of this line cannot be "
                            "decoded), but GB18030 text: leave out --encoding, povcli finds "
                            "UTF-8 and GB18030 itself",
                            "不是{encoding}编码的文本（这一行的第{byte}个字节无法解码），而是"
                            "GB18030编码的文本：去掉 --encoding 即可，povcli 自己能识别UTF-8和"
                            "GB18030"),
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
    "reader.title_rows": ("{file}: {count:plural:title row} above the header skipped",
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
define({
    "checks.unknown_rule": ("no check rule has the code or prefix '{code}' (rules: {codes})",
                            "没有代码或前缀为“{code}”的检查规则（规则有：{codes}）"),
    # rule summaries and their basis (check --list-rules)
    "checks.L01.rule": ("a cell or row the reader could not use", "读取时无法使用的单元格或行"),
    "checks.L01.basis": ("the ledger contract", "台账数据规范"),
    "checks.L02.rule": ("a duplicate key (the same id twice in one ledger)",
                        "编号重复（同一台账中同一编号出现两次）"),
    "checks.L02.basis": ("the ledger contract", "台账数据规范"),
    "checks.L03.rule": ("a reference to a household, member or project that is not there",
                        "引用了不存在的户、成员或项目"),
    "checks.L03.basis": ("the ledger contract", "台账数据规范"),
    "checks.I01.rule": ("a resident ID with a wrong check digit", "身份证号校验位错误"),
    "checks.I01.basis": ("GB 11643 (via python-stdnum)", "GB 11643（经 python-stdnum 校验）"),
    "checks.I02.rule": ("a resident ID whose birth date is impossible",
                        "身份证号中的出生日期不可能存在"),
    "checks.I02.basis": ("GB 11643 (via python-stdnum)", "GB 11643（经 python-stdnum 校验）"),
    "checks.I03.rule": ("a resident ID with an area code not in the table (tables lag changes)",
                        "身份证号的地区码不在代码表中（代码表可能滞后于区划调整）"),
    "checks.I03.basis": ("GB 11643 / GB/T 2260 (via python-stdnum)",
                         "GB 11643 / GB/T 2260（经 python-stdnum 校验）"),
    "checks.I04.rule": ("an old 15-digit resident ID", "旧的15位身份证号"),
    "checks.I04.basis": ("GB 11643 (via python-stdnum)", "GB 11643（经 python-stdnum 校验）"),
    "checks.I05.rule": ("a resident ID mangled by Excel (2.20503E+17, zeros at the end)",
                        "被 Excel 改坏的身份证号（如 2.20503E+17，或末尾变成0）"),
    "checks.I05.basis": ("GB 11643 (via python-stdnum)", "GB 11643（经 python-stdnum 校验）"),
    "checks.I06.rule": ("a resident ID of the wrong length or form", "身份证号长度或格式不对"),
    "checks.I06.basis": ("GB 11643 (via python-stdnum)", "GB 11643（经 python-stdnum 校验）"),
    "checks.I07.rule": ("a member's sex disagrees with the resident ID (digit 17)",
                        "成员性别与身份证号（第17位）不符"),
    "checks.I07.basis": ("GB 11643", "GB 11643《公民身份号码》"),
    "checks.I08.rule": ("a member's birth date disagrees with the resident ID (digits 7-14)",
                        "成员出生日期与身份证号（第7至14位）不符"),
    "checks.I08.basis": ("GB 11643", "GB 11643《公民身份号码》"),
    "checks.H01.rule": ("a person on the rolls of two households at the same date",
                        "同一人同时在两户在册"),
    "checks.H01.basis": ("建档立卡: a person is on one household's roll at a time (a move is "
                         "婚出 from one, 婚入 to the other)",
                         "建档立卡：一人同一时间只在一户在册（迁移为一户婚出、另一户婚入）"),
    "checks.H02.rule": ("a household with no member whose relation is head (户主)",
                        "户内没有与户主关系为“户主”的成员"),
    "checks.H02.basis": ("建档立卡: one head per household", "建档立卡：每户一名户主"),
    "checks.H03.rule": ("a household with several heads", "一户有多名户主"),
    "checks.H03.basis": ("建档立卡: one head per household", "建档立卡：每户一名户主"),
    "checks.H04.rule": ("head_id is not a member of the household",
                        "户主身份证号不是本户成员"),
    "checks.H04.basis": ("the ledger contract", "台账数据规范"),
    "checks.H05.rule": ("a household on no roll, with no removal recorded",
                        "户已不在册，却没有减少记录"),
    "checks.H05.basis": ("动态管理: removals are recorded", "动态管理：减少须有记录"),
    "checks.E01.rule": ("an exit before the household was identified", "脱贫早于识别"),
    "checks.E01.basis": ("贫困退出机制", "贫困退出机制"),
    "checks.E02.rule": ("an exit whose per-capita income is not above the year's exit standard "
                        "(the national line where policy.csv gives no exit standard)",
                        "脱贫户人均纯收入未超过当年脱贫标准（政策参数未给出脱贫标准时按国家扶贫标准）"),
    "checks.E02.basis": ("贫困退出机制 (一达标): income strictly above the exit standard the "
                         "province set (policy.csv exit_standard)",
                         "贫困退出机制（一达标）：收入须超过省定脱贫标准（policy.csv 的 exit_standard）"),
    "checks.E03.rule": ("an exit still pending verification after its year ended",
                        "脱贫年度已过，仍未入户查验"),
    "checks.E03.basis": ("入户查验: every exit verified at home", "入户查验：每户脱贫均须入户核实"),
    "checks.E04.rule": ("two exits of one household without a return to poverty between them",
                        "同一户两次脱贫，其间没有返贫记录"),
    "checks.E04.basis": ("贫困退出机制", "贫困退出机制"),
    "checks.E05.rule": ("an exit of a household with nobody left on the rolls",
                        "脱贫户已无在册人口"),
    "checks.E05.basis": ("the ledger contract: exit people are members on the rolls",
                         "台账数据规范：脱贫人口为在册成员"),
    "checks.C01.rule": ("a removal of someone not on the rolls that day",
                        "减少了当天不在册的人"),
    "checks.C01.basis": ("动态管理", "动态管理"),
    "checks.C02.rule": ("an addition of someone already on the rolls (returned excepted)",
                        "增加了已在册的人（返贫除外）"),
    "checks.C02.basis": ("动态管理", "动态管理"),
    "checks.C03.rule": ("a change recorded after the person's death", "死亡之后仍有变动记录"),
    "checks.C03.basis": ("动态管理", "动态管理"),
    "checks.S01.rule": ("a payment for a person removed before its date (death, moved, ...)",
                        "发放给发放日前已减少的人（死亡、迁出等）"),
    "checks.S01.basis": ("audit: payments to people no longer on the rolls",
                         "审计：向已不在册人员发放"),
    "checks.S02.rule": ("a payment to a household not on the rolls that day",
                        "发放给当天不在册的户"),
    "checks.S02.basis": ("audit: payments to households off the rolls", "审计：向不在册户发放"),
    "checks.S03.rule": ("the same voucher number on two payments", "两笔发放使用同一凭证号"),
    "checks.S03.basis": ("audit: one voucher, one payment", "审计：一张凭证对应一笔发放"),
    "checks.S04.rule": ("likely duplicate payments: same payee, program and amount within a "
                        "window, not reversed",
                        "疑似重复发放：同一对象、同一项目、同一金额在短期内重复且未冲正"),
    "checks.S04.basis": ("audit: double payments", "审计：重复发放"),
    "checks.S05.rule": ("education aid for someone outside school age (by the ID's birth date)",
                        "教育扶贫资金发给了不在就学年龄的人（按身份证出生日期）"),
    "checks.S05.basis": ("教育扶贫: students", "教育扶贫：对象为在校学生"),
    "checks.S06.rule": ("a reversal (冲正, negative amount) that undoes no earlier payment of "
                        "its payee, program and amount, or more than was paid",
                        "冲正（负数金额）对不上此前同一对象、同一项目、同一金额的发放，"
                        "或冲正超过已发金额"),
    "checks.S06.basis": ("audit: 冲正 reverses one payment", "审计：一笔冲正冲销一笔发放"),
    "checks.S07.rule": ("an amount far out of line for its program and year (robust z-score)",
                        "金额明显偏离同项目同年度的常见水平（稳健 z 分数）"),
    "checks.S07.basis": ("audit: outliers", "审计：异常值"),
    "checks.S08.rule": ("a reversal smaller than an earlier payment it could undo only in part "
                        "(a partial recovery?)",
                        "冲正金额小于此前某笔发放，只能部分冲销（是部分追回吗？）"),
    "checks.S08.basis": ("audit: 冲正 reverses one payment", "审计：一笔冲正冲销一笔发放"),
    "checks.P01.rule": ("a poor household on the rolls with no cadre paired",
                        "在册贫困户没有结对帮扶干部"),
    "checks.P01.basis": ("包保帮扶: 全覆盖", "包保帮扶：全覆盖"),
    "checks.P02.rule": ("a cadre paired with more households than the load limit",
                        "帮扶干部结对户数超过上限"),
    "checks.P02.basis": ("包保帮扶: a cadre's load", "包保帮扶：干部帮扶户数"),
    "checks.V01.rule": ("a village marked exited whose poverty incidence at the end of its exit "
                        "year is above the threshold",
                        "标为已退出的贫困村，退出当年年末贫困发生率高于标准"),
    "checks.V01.basis": ("贫困退出机制: villages exit at or below 2 % (3 % in the west)",
                         "贫困退出机制：贫困村贫困发生率降至2%以下（西部地区3%）方可退出"),
    "checks.V02.rule": ("a household whose village is not in villages.csv (when it is there)",
                        "户所在村不在 villages.csv 中（有该表时）"),
    "checks.V02.basis": ("the ledger contract: villages.csv lists every village",
                         "台账数据规范：villages.csv 列出全部行政村"),
    "checks.D01.rule": ("a date in the future", "日期在将来"),
    "checks.D01.basis": ("common sense", "常识"),
    # findings
    "checks.L02.keep": ("{reason}: keep one of the two rows", "编号重复（{reason}）：请保留其中一行"),
    "checks.L03.fix": ("{reason}: correct the id or add the missing row",
                       "引用的记录不存在（{reason}）：请更正编号或补上缺少的行"),
    "checks.L02.twice": ("this person is listed twice in the household: drop one row",
                         "此人在本户中登记了两次：请删去一行"),
    "checks.I01.digit": ("wrong check digit (digit 18 should be {digit}): a typo in the number?",
                         "校验位错误（第18位应为 {digit}）：号码是否录错？"),
    "checks.I02.date": ("digits 7-14 are not a real birth date: a typo in the number?",
                        "第7至14位不是真实的出生日期：号码是否录错？"),
    "checks.I02.future": ("its birth date is in the future: a typo in the number?",
                          "出生日期在将来：号码是否录错？"),
    "checks.I03.area": ("area code {area} is not in the code table (it may be newer than the "
                        "table): check it against the ID card",
                        "地区码 {area} 不在代码表中（可能是新设区划）：请与身份证核对"),
    "checks.I04.old": ("an old 15-digit ID: record the 18-digit one of the current card",
                       "旧的15位身份证号：请录入现行身份证上的18位号码"),
    "checks.I05.number": ("turned into a number by Excel: its digits are lost; enter it again "
                          "from the ID card, with the column formatted as text",
                          "已被 Excel 转成数字，号码已丢失：请把该列设为文本格式，照身份证重新录入"),
    "checks.I05.zeros": ("its last digits were lost to Excel (it keeps 15): enter it again from "
                         "the ID card, with the column formatted as text",
                         "末几位已被 Excel 丢失（只保留15位）：请把该列设为文本格式，照身份证重新录入"),
    "checks.I06.form": ("not an 18-character resident ID (17 digits and a digit or X)",
                        "不是18位身份证号（17位数字加一位数字或X）"),
    "checks.I07.sex": ("column sex: {sex}, but the resident ID says {id_sex}: correct one of "
                       "them", "性别列为 {sex}，但身份证号显示为 {id_sex}：请更正其中之一"),
    "checks.I08.born": ("column birth_date: {born}, but the resident ID says {id_born}: correct "
                        "one of them",
                        "出生日期列为 {born}，但身份证号显示为 {id_born}：请更正其中之一"),
    "checks.H02.none": ("no member of this household is its head (relation head 户主) in "
                        "members.csv: mark the head",
                        "members.csv 中本户没有成员标为户主：请标明户主"),
    "checks.H03.many": ("{count} members of this household are marked head (户主) in "
                        "members.csv: keep one",
                        "members.csv 中本户有{count}名成员标为户主：只保留一名"),
    "checks.H04.head": ("the head is not listed among the household's members in members.csv: "
                        "add them or correct the id",
                        "members.csv 中本户成员里没有这位户主：请补录或更正身份证号"),
    "checks.H05.nobody": ("nobody of this household is on the rolls on {date}, yet no removal "
                          "is recorded in changes.csv: record the removal, or list its members",
                          "{date} 本户已无人在册，但 changes.csv 中没有减少记录：请补记减少，"
                          "或列出其成员"),
    "checks.E01.before": ("exit year {exit_year} is before the household was identified "
                          "({identified}): correct the year",
                          "脱贫年度 {exit_year} 早于识别日期（{identified}）：请更正年度"),
    "checks.E03.pending": ("the {exit_year} exit is still not verified: record the home visit's "
                           "result (pass or fail)",
                           "{exit_year} 年的脱贫仍未查验：请记录入户查验结果（通过或未通过）"),
    "checks.E04.twice": ("the household already exited in {first_year} (line {first_line}) and "
                         "no return to poverty (returned) is recorded since: drop one exit or "
                         "record the return",
                         "本户已于 {first_year} 年脱贫（第{first_line}行），此后没有返贫记录："
                         "请删去一次脱贫，或补记返贫"),
    "checks.E05.nobody": ("nobody of this household is on the rolls on 31 December {exit_year}, "
                          "so the exit counts no one: check the changes, or drop the exit",
                          "{exit_year} 年12月31日本户已无人在册，这次脱贫不计任何人："
                          "请核对人口变动，或删去这次脱贫"),
    "checks.C01.absent": ("removes a person who is not on the rolls on {date}: drop the row or "
                          "record how they came on",
                          "减少的人在 {date} 并不在册：请删去此行，或补记其增加"),
    "checks.C02.present": ("adds a person who is already on the rolls on {date}: drop the row, "
                           "or record the removal before it",
                           "增加的人在 {date} 已经在册：请删去此行，或在此前补记减少"),
    "checks.C03.dead": ("recorded after the person's death on {died}: drop the row or correct "
                        "the death", "记录在此人 {died} 死亡之后：请删去此行，或更正死亡记录"),
    "checks.S01.removed": ("paid on {date} for a person not on the rolls then ({reason} on "
                           "{on}): recover the payment or correct the record",
                           "{date} 发放时此人已不在册（{on}{reason:label:reason}）：请追回资金或更正记录"),
    "checks.S01.off": ("paid on {date} for a person not on the rolls then: recover the payment "
                       "or correct the record",
                       "{date} 发放时此人不在册：请追回资金或更正记录"),
    "checks.S02.off": ("paid on {date} to a household not on the rolls that day: recover the "
                       "payment or correct the record",
                       "{date} 发放给当天不在册的户：请追回资金或更正记录"),
    "checks.S03.twice": ("voucher {voucher} is on line {first_line} already: one of the two is "
                         "a double payment or a typo",
                         "凭证号 {voucher} 已在第{first_line}行使用：两笔中有一笔是重复发放或录入错误"),
    "checks.S04.again": ("{program} {amount} paid again within {days} days to the same payee, "
                         "and not reversed: a double payment?",
                         "{program:label:program} {amount} 元在{days}天内再次发给同一对象，且未冲正：是否重复发放？"),
    "checks.S05.age": ("education aid for a person aged {age} (school age is {low}-{high}): "
                       "check the person or the program",
                       "教育扶贫资金发给了{age}岁的人（就学年龄为{low}-{high}岁）：请核对对象或项目"),
    "checks.S06.none": ("reverses {amount} of {program} that was never paid to this payee "
                        "before: drop it or record the original payment",
                        "冲正 {program:label:program} {amount} 元，但此前从未向该对象发放过：请删去，或补记原发放"),
    "checks.S06.unmatched": ("reverses {amount} of {program}, which matches no earlier payment "
                             "of that amount to this payee: correct the amount or record the "
                             "original payment",
                             "冲正 {program:label:program} {amount} 元，对不上此前向该对象发放的任何一笔同额资金："
                             "请更正金额，或补记原发放"),
    "checks.S06.over": ("reverses {amount} of {program}: reversals to this payee come to "
                        "{reversed}, more than the {paid} paid up to {date}: drop the extra "
                        "reversal",
                        "冲正 {program:label:program} {amount} 元：截至 {date} 对该对象的冲正合计 {reversed} 元，"
                        "超过已发放的 {paid} 元：请删去多余的冲正"),
    "checks.S08.partial": ("reverses {amount} of {program}, less than an earlier payment to "
                           "this payee: a partial recovery? check the amount",
                           "冲正 {program:label:program} {amount} 元，少于此前向该对象的某笔发放：是部分追回吗？"
                           "请核对金额"),
    "checks.S07.far": ("{program} {amount} is far from the usual {median} of {pay_year}: a "
                       "typo in the amount?",
                       "{program:label:program} {amount} 元远离 {pay_year} 年常见的 {median} 元：金额是否录错？"),
    "checks.P01.none": ("poor on {date} and no cadre is paired with it in pairings.csv: assign "
                        "one", "{date} 为贫困户，但 pairings.csv 中没有结对干部：请安排帮扶干部"),
    "checks.P02.load": ("cadre {cadre} is paired with {count} households (limit {limit}): share "
                        "them out", "干部 {cadre} 结对{count}户（上限{limit}户）：请分给其他干部"),
    "checks.V01.exit": ("exited in {exit_year} with {poor} poor people of {population} "
                        "({incidence}), above {threshold}: check the exit or the figures",
                        "{exit_year} 年退出时有贫困人口{poor}人，农村人口{population}人"
                        "（贫困发生率{incidence}），高于{threshold}：请核对退出或数据"),
    "checks.V02.unknown": ("village {village} ({township}) is not in villages.csv: correct the "
                           "village's name or add the village",
                           "村 {village}（{township}）不在 villages.csv 中：请更正村名或补录该村"),
    "checks.D01.future": ("{date} is in the future: a typo?", "{date} 在将来：是否录错？"),
})

# exits as offices decided them (issue 11): checks_exits.py
define({
    "checks.exit_income_standard": (
        "per-capita income {income} is not above the {exit_year} exit standard {standard}: the "
        "household does not meet the exit standard, or the income is wrong",
        "人均纯收入{income}元未超过{exit_year}年脱贫标准{standard}元：该户未达到脱贫标准，或收入有误"),
    "checks.exit_income_national": (
        "per-capita income {income} is not above the {exit_year} national poverty line {standard} "
        "(policy.csv gives no exit standard for {exit_year}: tested against the national line)",
        "人均纯收入{income}元未超过{exit_year}年国家扶贫标准{standard}元（政策参数未给出{exit_year}年"
        "脱贫标准，按国家扶贫标准检验）"),
    "checks.exit_income_disagrees": (
        "per-capita income {recorded} differs from {computed}, the figure of incomes.csv for "
        "{exit_year}, by more than 1 yuan: correct one of them",
        "人均纯收入{recorded}元与家庭收入台账{exit_year}年的{computed}元相差超过1元：请更正其中之一"),
    "checks.label_exited_without_exit": (
        "the category says the household exited (脱贫户), but exits.csv has no passed exit "
        "of it: correct the category or record the exit",
        "贫困户属性写明已脱贫（脱贫户），但脱贫退出台账中没有该户查验通过的退出记录："
        "请更正属性或补录退出"),
    "checks.E06.rule": ("an exit whose per-capita income differs from the incomes ledger's "
                        "figure of that year by more than 1 yuan",
                        "脱贫户人均纯收入与家庭收入台账当年数字相差超过1元"),
    "checks.E06.basis": ("the ledger contract: an exit's income, on the exit row and in "
                         "incomes.csv", "台账数据规范：退出记录与家庭收入台账的收入应一致"),
    "checks.E07.rule": ("a household whose category label (…脱贫户 / …贫困户) disagrees with its "
                        "exits", "贫困户属性（……脱贫户/……贫困户）与脱贫退出记录不符"),
    "checks.E07.basis": ("全国扶贫开发信息系统: the label folds the household's status in",
                         "全国扶贫开发信息系统：属性中含脱贫状态"),
    "checks.R01.rule": ("an exit whose row records food and clothing not secured (两不愁)",
                        "退出记录显示两不愁未解决"),
    "checks.R01.basis": ("退出标准 两不愁: exits food_clothing", "脱贫退出标准“两不愁”（退出台账两不愁列）"),
    "checks.R01.found": ("food and clothing are recorded as not secured (两不愁) for the "
                         "{exit_year} exit: it would not survive the assessors' visit",
                         "{exit_year}年退出记录显示两不愁未解决：经不起评估核查"),
    "checks.R02.rule": ("an exit with a member of compulsory-school age out of school and no "
                        "reason recorded", "退出户有义务教育阶段适龄成员失学且无记录原因"),
    "checks.R02.basis": ("三保障 义务教育: members schooling, birth_date (ages 6-15 at 31 "
                         "December)", "三保障之义务教育有保障（成员在校生状况、出生日期，"
                         "12月31日时6至15周岁）"),
    "checks.R02.found": ("a member of compulsory-school age is out of school with no reason "
                         "recorded at the end of {exit_year} (义务教育有保障)",
                         "{exit_year}年末有义务教育阶段适龄成员失学且未记录原因（义务教育有保障）"),
    "checks.R03.rule": ("an exit with a member on the rolls without basic medical insurance",
                        "退出户有在册成员未参加基本医疗保险"),
    "checks.R03.basis": ("三保障 基本医疗: members insured", "三保障之基本医疗有保障（成员是否参加基本医疗保险）"),
    "checks.R03.found": ("a member on the rolls at the end of {exit_year} has no basic medical "
                         "insurance (基本医疗有保障)",
                         "{exit_year}年末有在册成员未参加基本医疗保险（基本医疗有保障）"),
    "checks.R04.rule": ("an exit from a dangerous house (grade C or D) not renovated by 31 "
                        "December of the exit year", "退出户住C、D级危房，且退出当年年底前未改造"),
    "checks.R04.basis": ("三保障 住房安全: households housing_grade, renovated_on; subsidies "
                         "housing", "三保障之住房安全有保障（住房安全等级、危房改造竣工日期、危房改造资金）"),
    "checks.R04.found": ("housing grade {grade} and no renovation (a housing payment or "
                         "renovated_on) by 31 December {exit_year} (住房安全有保障)",
                         "住房为{grade}级危房，{exit_year}年12月31日前没有危房改造记录"
                         "（改造资金或竣工日期）（住房安全有保障）"),
    "checks.R05.rule": ("an exit of a household without safe drinking water",
                        "退出户饮水不安全"),
    "checks.R05.basis": ("饮水安全: households safe_water", "饮水安全有保障（户饮水安全列）"),
    "checks.R05.found": ("no safe drinking water is recorded for the household of the "
                         "{exit_year} exit (饮水安全)", "{exit_year}年退出户记录为饮水不安全（饮水安全有保障）"),
    "checks.R06.rule": ("an exit whose income is within the margin above the standard",
                        "退出户收入仅略高于标准"),
    "checks.R06.basis": ("退出质量: a small shortfall would undo the exit (margin 5 %)",
                         "退出质量：收入稍有减少即不达标（差距5%以内）"),
    "checks.R06.found": ("income {income} is barely above the {exit_year} standard {standard}: "
                         "a small shortfall would undo the exit",
                         "人均纯收入{income}元仅略高于{exit_year}年标准{standard}元：收入稍减即不达标"),
    "checks.R07.rule": ("an exit whose income is more than half transfers",
                        "退出户收入一半以上为转移性收入"),
    "checks.R07.basis": ("退出质量: incomes.csv transfer share", "退出质量：家庭收入台账的转移性收入占比"),
    "checks.R07.found": ("transfers are {share} of the household's {exit_year} income: the exit "
                         "rests on transfers", "转移性收入占该户{exit_year}年收入的{share}：脱贫主要靠转移性收入"),
    "checks.two_households_at_once": (
        "this person is on the rolls of household {other} (line {other_line}) too on {date}: "
        "record the move (婚出/迁出 from one, 婚入 to the other) or keep them in one",
        "此人在{date}同时在第{other_line}行的户{other}在册：请登记迁移（一户婚出或迁出、"
        "另一户婚入），或只保留在一户"),
    "checks.label_poor_after_exit": (
        "the category says the household is poor, but it exited in {exit_year} (passed) and no "
        "return to poverty is recorded since: correct the category or record the return",
        "贫困户属性写明未脱贫，但该户已于{exit_year}年脱贫（查验通过），此后没有返贫记录："
        "请更正属性或补录返贫"),
})

# --------------------------------------------------------------------------- reports
define({  # the lines of `povcli flow`
    "flow.start": ("on the rolls at {date}", "{date}在册"),
    "flow.expected_end": ("= on the rolls at {date}", "= {date}应在册"),
    "flow.end": ("on the rolls at {date}, counted", "{date}实际在册"),
    "flow.difference": ("difference (counted - recorded)", "差额（实际 − 记录）"),
    "flow.poor_start": ("poor at {date}", "{date}未脱贫"),
    "flow.poor_expected_end": ("= poor at {date}", "= {date}应未脱贫"),
    "flow.poor_end": ("poor at {date}, counted", "{date}实际未脱贫"),
    "flow.in": ("+ {reason} ({reason:label:reason})", "+ {reason:label:reason}"),
    "flow.out": ("- {reason} ({reason:label:reason})", "- {reason:label:reason}"),
    "flow.identified_with_household": ("+ identified with their household (no change row)",
                                       "+ 随户识别（无调整记录）"),
    "flow.returned_with_household": ("+ returned with their household (no row of their own)",
                                     "+ 随户返贫（本人无记录）"),
    "flow.exited": ("- exited in {year} (脱贫)", "- {year}年脱贫"),
})

define({
    "reports.villages_paired": ("{paired} of {total} villages paired",
                                "{total}个村中{paired}个村有结对企业"),
    # options a report refuses (the command line passes them on as given)
    "reports.unknown_program": ("unknown program '{value}' (programs: {codes})",
                                "未知的项目类别“{value}”（可用：{codes}）"),
    "reports.school_age": ("--school-age takes a range such as 6-22 (not '{value}')",
                           "--school-age 应为年龄范围，如 6-22（不能是“{value}”）"),
    "reports.no_dated_rows": ("the ledgers hold no dated row: give --year",
                              "台账中没有带日期的行：请用 --year 指定年度"),
    "reports.bad_by": ("{option} takes one of: {choices} (not '{value}')",
                       "{option} 只能取：{choices}（不能是“{value}”）"),
    "reports.no_report": ("no report '{name}' (reports: {names})",
                          "没有名为“{name}”的报表（可用：{names}）"),
    "reports.no_township": ("no household is in township '{township}' (townships: {names})",
                            "乡镇“{township}”没有任何户（现有乡镇：{names}）"),
    "reports.no_village": ("no household is in village '{village}' (villages: {names})",
                           "行政村“{village}”没有任何户（现有行政村：{names}）"),
    "reports.no_village_of": ("no household is in village '{village}' of {township} "
                              "(villages: {names})",
                              "{township}的行政村“{village}”没有任何户（现有行政村：{names}）"),
    # ledgers given as DataFrames (api.ledgers_from_frames)
    "reader.frames_unknown": ("no ledger '{name}' (ledgers: {names})",
                              "没有名为“{name}”的台账（可用：{names}）"),
    "reader.frames_twice": ("ledger '{name}' given twice", "台账“{name}”给了两次"),
    # household shards and the Dask cluster (shards.py)
    "shards.too_few": ("the number of shards must be at least 1 (not {shards})",
                       "分片数至少为 1（不能是 {shards}）"),
    "shards.no_dask": ("--scheduler needs Dask: pip install \"povcli[dask]\"",
                       "--scheduler 需要 Dask：pip install \"povcli[dask]\""),
    "shards.unreachable": ("cannot reach the Dask scheduler at {scheduler}: {reason}",
                           "无法连接 Dask 调度器 {scheduler}：{reason}"),
    "shards.lost_workers": ("the Dask cluster lost the workers computing a shard too often "
                            "({reason}): no figure is given; run it again",
                            "Dask 集群多次失去计算某一分片的工作进程（{reason}）：不给出任何数字，"
                            "请重新运行"),
    "shards.scheduler_gone": ("the Dask scheduler at {scheduler} stopped answering "
                              "({reason}): no figure is given; run it again",
                              "Dask 调度器 {scheduler} 停止响应（{reason}）：不给出任何数字，请重新运行"),
    "shards.cannot_write": ("the household shards cannot be written in {folder} ({reason}): "
                            "no figure is given",
                            "无法在 {folder} 写入住户分片（{reason}）：不给出任何数字"),
})

define({  # render
    "render.xlsx_too_many_rows": (
        "{rows} rows do not fit in an xlsx sheet (at most {limit}): write csv instead "
        "(--format csv or -o FILE.csv)",
        "共{rows}行，超出xlsx工作表的上限（最多{limit}行）：请改为输出csv（--format csv 或 -o 文件.csv）"),
})

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
                                "paid), out_of_school (a child of 6–15 out of school), uninsured (a member "
                                "without basic medical insurance, where recorded)",
                                "年末未纳入监测、符合监测条件的建档立卡已脱贫户：below_line（当年"
                                "人均纯收入低于监测标准）、income_fell（比上年下降超过 {margin}）、"
                                "unsafe_house（C 级或 D 级危房且未发放危改资金）、out_of_school"
                                "（6–15 岁儿童失学辍学）、uninsured（已登记参保情况时，有成员未参加"
                                "基本医疗保险）"),
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
                     "povcli match：{errors}个错误，{warnings}个警告"),
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

# exits as offices decided them (issue 11)
define({
    "reports.exits_unverified": (
        "the exits ledger has no verification column: every exit row counts as an exit, "
        "and verified people, passed people and the pass rate are not recorded",
        "脱贫退出台账没有“查验结果”列：每一行都按已脱贫计算，查验人数、通过人数和通过率"
        "无记录"),
    "reports.readiness_national_line": (
        "policy.csv gives no exit standard for some exit years: their income is tested against "
        "the national poverty line (standard_kind poverty_line)",
        "政策参数未给出部分脱贫年度的脱贫标准：这些年度的收入按国家扶贫标准检验"
        "（standard_kind 为 poverty_line）"),
    "reports.readiness_no_standard": (
        "no exit standard nor national line for some exit years: their income test is unknown",
        "部分脱贫年度既无脱贫标准也无国家扶贫标准：其收入检验结果为未知"),
})
