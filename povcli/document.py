"""Render the annual report: sentences like the source document's, the tables behind
them, and charts — as markdown (charts as SVG files beside it) or as one HTML file
(charts inline as SVG, no external resources, prints cleanly)."""

from __future__ import annotations

import html
import io
import warnings
from pathlib import Path

from . import i18n
from .findings import mask_text
from .render import _display_rows, _title, display_text, md, titled, to_markdown

# Fonts that draw Chinese, in the order povcli asks for them. Chart text is kept as text
# in the SVG (not paths), so the reader's browser draws it with the first it has.
CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei",
             "PingFang SC", "SimHei", "WenQuanYi Micro Hei", "Noto Sans CJK TC",
             "Heiti SC", "DejaVu Sans", "sans-serif"]


def _matplotlib():
    import matplotlib
    matplotlib.use("Agg")  # no display, ever
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "font.family": "sans-serif",
                         "font.sans-serif": CJK_FONTS, "axes.unicode_minus": False,
                         "figure.dpi": 100, "svg.hashsalt": "povcli",
                         # village names are plain text: a $ in one is not mathtext
                         "text.parse_math": False})
    return plt


def _svg(fig) -> str:
    out = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a missing glyph in matplotlib's own metrics
        fig.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    import matplotlib.pyplot as plt
    plt.close(fig)
    text = out.getvalue()
    return text[text.index("<svg"):]  # inline: no XML declaration, no DOCTYPE


# A bar a village is readable for a county (a few hundred at most); a province's 6,666
# bars made a chart 2,000 inches tall and most of the report's time
VILLAGE_BARS = 40


def charts(fig: dict, lang: str) -> list[tuple[str, str, str]]:
    """(name, caption, svg) for each chart the figures allow."""
    plt = _matplotlib()
    from matplotlib.ticker import MaxNLocator

    zh = lang == "zh"
    year = fig["year"]
    out = []

    rolls = fig.get("rolls_by_year") or []
    if rolls:
        f, ax = plt.subplots(figsize=(6.4, 3.2))
        years = [y for y, _, _ in rolls]
        exited = dict(fig.get("exits_by_year") or [])
        ax.bar(years, [exited.get(y, 0) for y in years], color="#d95f02",
               label="脱贫人数" if zh else "people exited")
        ax.plot(years, [p for _, p, _ in rolls], marker="o", color="#1b9e77",
                label="建档立卡人数（年末）" if zh else "people on the rolls (year end)")
        ax.plot(years, [p for _, _, p in rolls], marker="s", color="#7570b3",
                label="未脱贫人数（年末）" if zh else "poor people (year end)")
        ax.set_xticks(years)
        ax.legend(frameon=False, fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        caption = "历年建档立卡人数与脱贫人数" if zh else "People on the rolls and exits, by year"
        out.append(("rolls", caption, _svg(f)))

    moves = fig.get("changes_by_reason") or []
    if moves:
        f, ax = plt.subplots(figsize=(6.4, 0.45 * len(moves) + 1))
        labels = [mask_text(str(i18n.value("reason", r, lang))) for _, r, _ in moves]
        values = [n if d == "in" else -n for d, _, n in moves]
        ax.barh(labels, values, color=["#1b9e77" if v > 0 else "#d95f02" for v in values])
        ax.axvline(0, color="black", linewidth=0.8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # people come whole
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xlabel("人（增加为正，减少为负）" if zh else "people (added +, removed −)")
        caption = f"{year}年动态调整（按原因）" if zh else f"Dynamic changes {year}, by reason"
        out.append(("changes", caption, _svg(f)))

    paid = fig.get("subsidies_by_program") or []
    if paid:
        f, ax = plt.subplots(figsize=(6.4, 0.45 * len(paid) + 1))
        ax.barh([mask_text(str(i18n.value("program", p, lang))) for p, _ in paid],
                [a for _, a in paid],
                color="#7570b3")
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xlabel("元" if zh else "yuan")
        caption = f"{year}年帮扶资金（按项目）" if zh else f"Subsidies {year}, by program"
        out.append(("subsidies", caption, _svg(f)))

    incidence = [(v, x) for v, x in fig.get("incidence_by_village") or [] if x is not None]
    villages = len(incidence)
    if villages > VILLAGE_BARS:  # the highest on top
        incidence = sorted(incidence, key=lambda vx: vx[1], reverse=True)[:VILLAGE_BARS][::-1]
    if incidence:
        f, ax = plt.subplots(figsize=(6.4, 0.32 * len(incidence) + 1))
        ax.barh([mask_text(str(v)) for v, _ in incidence], [x * 100 for _, x in incidence],
                color="#1b9e77")
        ax.axvline(2, color="#d95f02", linestyle="--", linewidth=1,
                   label="退出标准 2%" if zh else "exit threshold 2 %")
        ax.legend(frameon=False, fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xlabel("贫困发生率（%）" if zh else "poverty incidence (%)")
        caption = (f"{year}年末各行政村贫困发生率" if zh
                   else f"Poverty incidence by village, end of {year}")
        if villages > VILLAGE_BARS:
            caption = (f"{year}年末贫困发生率最高的{VILLAGE_BARS}个行政村（共{villages:,}个）"
                       if zh else f"The {VILLAGE_BARS} villages of highest poverty incidence "
                       f"(of {villages:,}), end of {year}")
        out.append(("villages", caption, _svg(f)))
    dist = fig.get("income")
    if dist and dist["per_capita"]:
        f, ax = plt.subplots(figsize=(6.4, 3.2))
        ax.hist(dist["per_capita"], bins=30, color="#7570b3")
        names = {"exit": ("脱贫标准", "exit standard"), "monitoring": ("监测标准", "monitoring line"),
                 "poverty": ("国家扶贫标准", "national poverty line")}
        styles = {"exit": "#d95f02", "monitoring": "#e7298a", "poverty": "#1b9e77"}
        for key, value in dist["lines"].items():
            label = names[key][0 if zh else 1]
            ax.axvline(value, color=styles[key], linestyle="--", linewidth=1,
                       label=f"{label} {value:,.0f}")
        if dist["lines"]:
            ax.legend(frameon=False, fontsize=8)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xlabel("人均纯收入（元）" if zh else "per-capita net income (yuan)")
        ax.set_ylabel("人" if zh else "people")
        caption = (f"{dist['year']}年人均纯收入分布（按人）" if zh
                   else f"Per-capita net income {dist['year']}, people")
        out.append(("income", caption, _svg(f)))
    return out


def _money(value, lang) -> str:
    if value is None:
        return "—"
    if lang == "zh" and abs(value) >= 10_000:
        return f"{value / 10_000:,.1f}万元"
    return f"{value:,.0f}" + ("元" if lang == "zh" else " yuan")


def sentences(fig: dict, lang: str) -> list[str]:
    """The year's figures in sentences, as the source document writes them. For an area
    (fig["area"], a township or "township village") the sentences name it, never the
    whole district."""
    m = fig["metrics"]
    area = fig.get("area")
    where = area or "全区"
    y = fig["year"]
    first = fig.get("first_exit_year") or y
    zh = lang == "zh"
    rate = display_text(m.get("pass_rate_year"), "rate") or "—"
    out = []
    span = (f"{first}年和{y}年" if zh else f"in {first} and {y}") if y - first == 1 else (
        f"{first}年至{y}年" if zh else f"from {first} to {y}")
    if first == y:
        span = f"{y}年" if zh else f"in {y}"
    if zh:
        out.append(f"截至{y}年12月31日，{where}现有建档立卡农村贫困人口{m['households']}户"
                   f"{m['people']}人，其中未脱贫{m['poor_households']}户{m['poor_people']}人；"
                   f"{span}共实现脱贫{m['exited_people_total']}人。")
        if m.get("verified_people_year") is not None:
            out.append(f"对{y}年脱贫的{m['exited_people_year']}人，完成入户查验"
                       f"{m['verified_people_year']}人，通过率为{rate}。")
        out.append(f"{y}年对扶贫对象进行了动态管理，动态进入{m['added_people_year']}人，"
                   f"动态减少{m['removed_people_year']}人。")
        if m.get("project_funds_total") is not None:
            out.append(f"累计投资项目资金{_money(m['project_funds_total'], lang)}，其中争取上级资金"
                       f"{_money(m['project_funds_higher_total'], lang)}，本级筹集"
                       f"{_money(m['project_funds_local_total'], lang)}。")
        if m.get("photovoltaic_people") is not None:
            out.append(f"光伏扶贫受益人口{m['photovoltaic_people']}人，{y}年户均收益"
                       f"{_money(m.get('photovoltaic_amount_per_household_year'), lang)}。")
        if m.get("key_projects_total"):
            out.append(f"实施重点产业项目{m['key_projects_total']}个。")
        if m.get("pairing_cadres") is not None:
            out.append(f"{where}{m['pairing_households_covered']}户贫困户的帮扶任务，分解到"
                       f"{m['pairing_leaders']}名区级领导、{m['pairing_units']}个包保单位和"
                       f"{m['pairing_cadres']}名结对帮扶责任人。")
        if m.get("villages_with_enterprise") is not None:
            out.append(f"{m['villages_with_enterprise']}个行政村（共{m['villages']}个）"
                       "与企业完成结对。")
        edu = fig.get("education")
        if edu:
            out.append(f"教育扶贫累计资助贫困学生{edu['distinct_students']}名，资金"
                       f"{_money(edu['amount'], lang)}。")
        houses = fig.get("housing")
        if houses and houses["households"]:
            grades = "，".join(f"{g}级{n}户" for g, n in sorted(houses["by_grade"].items()))
            out.append(f"{houses['years'][0]}—{houses['years'][-1]}年完成危房改造"
                       f"{houses['households']}户（{grades}）。")
        if m.get("dibao_standard") is not None:
            out.append(f"农村低保标准为每人每年{_money(m['dibao_standard'], lang)}。")
        return out
    rolls = f"the rolls of {area}" if area else "the rolls"
    out.append(f"At 31 December {y} {rolls} held {m['households']} registered poor "
               f"households and {m['people']} people, of whom {m['poor_households']} "
               f"households and {m['poor_people']} people had not exited; "
               f"{m['exited_people_total']} people exited poverty {span}.")
    if m.get("verified_people_year") is not None:
        out.append(f"Of the {m['exited_people_year']} people who exited in {y}, "
                   f"{m['verified_people_year']} were verified by a home visit; the pass "
                   f"rate was {rate}.")
    out.append(f"Dynamic management in {y} added {m['added_people_year']} people to the "
               f"rolls and removed {m['removed_people_year']}.")
    if m.get("project_funds_total") is not None:
        out.append(f"Projects received {_money(m['project_funds_total'], lang)} in all: "
                   f"{_money(m['project_funds_higher_total'], lang)} from higher levels of "
                   f"government and {_money(m['project_funds_local_total'], lang)} raised "
                   "locally.")
    if m.get("photovoltaic_people") is not None:
        out.append(f"Photovoltaic installations benefit {m['photovoltaic_people']} people; in "
                   f"{y} they paid "
                   f"{_money(m.get('photovoltaic_amount_per_household_year'), lang)} a "
                   "household.")
    if m.get("key_projects_total"):
        out.append(f"{m['key_projects_total']} key industry projects were carried out.")
    if m.get("pairing_cadres") is not None:
        out.append(f"The {m['pairing_households_covered']} households are paired with "
                   f"{m['pairing_leaders']} district leaders, {m['pairing_units']} units and "
                   f"{m['pairing_cadres']} cadres.")
    if m.get("villages_with_enterprise") is not None:
        out.append(f"{m['villages_with_enterprise']} of the {m['villages']} administrative "
                   "villages are paired with an enterprise.")
    edu = fig.get("education")
    if edu:
        out.append(f"Education aid reached {edu['distinct_students']} students, "
                   f"{_money(edu['amount'], lang)} in all.")
    houses = fig.get("housing")
    if houses and houses["households"]:
        grades = ", ".join(f"{n} of grade {g}" for g, n in sorted(houses["by_grade"].items()))
        out.append(f"{houses['households']} dangerous houses were renovated in "
                   f"{houses['years'][0]}–{houses['years'][-1]} ({grades}).")
    if m.get("dibao_standard") is not None:
        out.append(f"The rural dibao standard was {_money(m['dibao_standard'], lang)} a "
                   "person a year.")
    return out


TABLES = ["summary", "exits", "changes", "flow", "subsidies", "projects", "villages", "income",
          "monitor"]


def _heading(fig, lang):
    """The report's heading: the year, the area it covers, the sample marker."""
    y = fig["year"]
    area = fig.get("area")
    if lang == "zh":
        text = f"{area or ''}{y}年度脱贫攻坚工作报告"
    else:
        text = f"Poverty alleviation in {area}, {y}" if area else f"Poverty alleviation in {y}"
    return titled(text, {"sample": fig.get("sample")}, lang)


def _table_title(report, fig, lang) -> str:
    """A table's heading in the report, naming the area the report covers."""
    meta = getattr(report, "meta", {}) or {}
    if fig.get("area") and not meta.get("area"):
        from copy import copy
        report = copy(report)
        report.meta = {**meta, "area": fig["area"]}
    return _title(report, lang)


def markdown(fig: dict, lang: str, files: Path) -> str:
    """The report as markdown; charts are written as SVG files into `files`."""
    files.mkdir(parents=True, exist_ok=True)
    parts = [f"# {md(mask_text(_heading(fig, lang)))}", ""]
    parts += [md(mask_text(" ".join(sentences(fig, lang))), line_start=True), ""]
    for name, caption, svg in charts(fig, lang):
        (files / f"{name}.svg").write_text(svg, encoding="utf-8")
        parts += [f"![{md(caption)}]({files.name}/{name}.svg)", ""]
    for key in TABLES:
        report = fig["tables"].get(key)
        if report is not None:
            parts += [f"## {md(mask_text(_table_title(report, fig, lang)))}", "",
                      to_markdown(report, lang=lang)]
    return "\n".join(parts)


CSS = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", SimHei,
       "WenQuanYi Micro Hei", sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.6; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.6em; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; }
figure { margin: 1em 0; } figcaption { font-size: 0.9em; color: #555; }
figure svg { max-width: 100%; height: auto; }
@media print { body { margin: 0; max-width: none; } figure, table { break-inside: avoid; } }
"""


def _html_table(report, lang: str) -> str:
    from .render import AMOUNT, COUNT, NUMBER, RATE, _kinds

    columns, body, totals = _display_rows(report, False, lang, headers=i18n.header)
    kinds = _kinds(report)
    numeric = [k in (COUNT, AMOUNT, RATE, NUMBER) or c == "value"
               for c, k in zip(report.frame.columns, kinds)]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    rows = []
    for row, cls in [(r, "") for r in body] + [(r, ' class="total"') for r in totals]:
        cells = "".join(f'<td class="n">{html.escape(v)}</td>' if n else
                        f"<td>{html.escape(v)}</td>" for v, n in zip(row, numeric))
        rows.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def html_document(fig: dict, lang: str) -> str:
    """The report as one self-contained HTML file: inline CSS and SVG, nothing fetched."""
    heading = html.escape(mask_text(_heading(fig, lang)))
    parts = [f"<!DOCTYPE html>\n<html lang=\"{'zh-CN' if lang == 'zh' else 'en'}\">",
             f"<head><meta charset=\"utf-8\"><title>{heading}</title>",
             f"<style>{CSS}</style></head><body>", f"<h1>{heading}</h1>"]
    parts += [f"<p>{html.escape(mask_text(s))}</p>" for s in sentences(fig, lang)]
    for _, caption, svg in charts(fig, lang):
        parts.append(f"<figure>{svg}<figcaption>{html.escape(caption)}</figcaption></figure>")
    for key in TABLES:
        report = fig["tables"].get(key)
        if report is not None:
            parts.append(f"<h2>{html.escape(mask_text(_table_title(report, fig, lang)))}</h2>")
            parts.append(_html_table(report, lang))
    parts.append("</body></html>\n")
    return "\n".join(parts)

