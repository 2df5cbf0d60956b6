"""资源配置报告 rendered: HTML (with SVG charts) and PDF from the same HTML (the XLSX tables:
`workbook`).

Rendering only: every number and verdict comes from `build.build_report`.
"""

import base64
import io
import logging
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib.resources import files
from pathlib import Path
from string import Template
from typing import Any

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.figure import Figure

from junheng_kit.pdf import pdf_from_html

matplotlib.use("Agg")

log = logging.getLogger(__name__)

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP")
OK_COLOUR, WARN_COLOUR, BAD_COLOUR = "#3a8f55", "#d49a1f", "#c0392b"

Report = dict[str, Any]


@cache
def chart_font() -> str | None:
    """Point matplotlib at a Noto CJK family so school names and titles are not boxes."""
    available = {entry.name for entry in font_manager.fontManager.ttflist}
    if not available.intersection(CJK_FAMILIES):
        # matplotlib lists the fonts its cache held when it was first built: fonts installed
        # after that (`make fonts` on a machine that had run matplotlib before) are found here
        for path in font_manager.findSystemFonts():
            if "NotoSansCJK" in Path(path).name.replace("-", ""):
                font_manager.fontManager.addfont(path)
        available = {entry.name for entry in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in available:
            matplotlib.rcParams["font.family"] = [family, "DejaVu Sans"]
            return family
    log.warning(
        "no Noto Sans CJK font for report charts (install fonts-noto-cjk, `make fonts`); "
        "Chinese in charts will show as boxes"
    )
    return None


def _template(name: str) -> str:
    return files("evaluation.reports").joinpath("templates", name).read_text(encoding="utf-8")


def _n(value: float, places: int = 2) -> str:
    return f"{value:,.{places}f}"


# ---------------------------------------------------------------- charts


MAX_BARS = 40  # more sections than this: a chart shows the unmet ones and a band for the rest


@dataclass(frozen=True, slots=True)
class ChartPlan:
    """What one indicator's chart shows, and the caption saying what was left out."""

    bars: list[dict[str, Any]]  # sections drawn one by one, in drawing order
    band: tuple[float, float, float, int] | None  # min, median, max and count of met sections
    caption: str


def chart_plan(level: dict[str, Any], key: str) -> ChartPlan:
    """Up to `MAX_BARS` sections: every section, in table order. More (a county of hundreds of
    sections): sorted by value, only the sections below the threshold one by one (lowest first,
    at most `MAX_BARS`; those below the 85 % floor are among the lowest), the sections meeting it
    as one band (min–max, median marked), and a caption counting what is shown and what is not."""
    schools = level["schools"]
    if len(schools) <= MAX_BARS:
        return ChartPlan(list(schools), None, f"{len(schools)} 个校（学段），按表中顺序。")
    ordered = sorted(schools, key=lambda s: (s["indicators"][key]["value"], s["school_code"]))
    unmet = [s for s in ordered if not s["indicators"][key]["met"]]
    below_floor = sum(1 for s in unmet if not s["indicators"][key]["within_85"])
    met = [s["indicators"][key]["value"] for s in ordered if s["indicators"][key]["met"]]
    bars = unmet[:MAX_BARS]
    band = (met[0], float(np.median(met)), met[-1], len(met)) if met else None
    caption = (
        f"共 {len(schools)} 个校（学段），按指标值升序：未达标 {len(unmet)} 个"
        f"（其中低于 85% 下限 {below_floor} 个）逐一列出"
    )
    if len(unmet) > len(bars):
        caption += f"，仅列最低的 {len(bars)} 个，其余 {len(unmet) - len(bars)} 个见上表"
    if band is not None:
        caption += (
            f"；达标 {band[3]} 个合并为区间带（最小 {_n(band[0])}，中位 {_n(band[1])}，"
            f"最大 {_n(band[2])}）"
        )
    return ChartPlan(bars, band, caption + "。")


def chart_svg(report: Report, level: dict[str, Any], indicator: dict[str, Any]) -> str:
    """Bars of the sections `chart_plan` picks, a band for the rest, the threshold line and the
    85 % floor line, as SVG."""
    chart_font()
    key, lv = indicator["key"], level["level"]
    plan = chart_plan(level, key)
    schools = plan.bars
    values = [s["indicators"][key]["value"] for s in schools]
    colours = [
        OK_COLOUR
        if s["indicators"][key]["met"]
        else WARN_COLOUR
        if s["indicators"][key]["within_85"]
        else BAD_COLOUR
        for s in schools
    ]
    threshold, floor = indicator["thresholds"][lv], indicator["floors"][lv]
    figure = Figure(figsize=(6.2, 2.3), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    positions = list(range(len(schools)))
    labels = [s["school_code"] for s in schools]
    axes.bar(positions, values, color=colours, width=0.7)
    top = max([*values, threshold]) * 1.15 or 1
    if plan.band is not None:
        low, median, high, count = plan.band
        top = max(top, min(high, threshold * 2) * 1.1)  # an outlier does not flatten the chart
        where = len(schools)
        axes.bar(
            [where], [min(high, top) - low], bottom=[low], color=OK_COLOUR, alpha=0.35, width=0.9
        )
        axes.hlines(median, where - 0.45, where + 0.45, color=OK_COLOUR, linewidth=1.5)
        positions.append(where)
        labels.append(f"达标 {count}")
    axes.axhline(
        threshold, color="#1f3b73", linestyle="--", linewidth=1.2, label=f"标准 {threshold:g}"
    )
    axes.axhline(
        floor,
        color="#8a5a00",
        linestyle=":",
        linewidth=1.2,
        label=f"{report['floor_percent']}% 下限 {floor:g}",
    )
    crowded = len(positions) > 4
    axes.set_xticks(
        positions,
        labels,
        rotation=90 if len(positions) > 20 else 45 if crowded else 0,
        ha="center" if len(positions) > 20 else "right" if crowded else "center",
        fontsize=5.5 if len(positions) > 20 else 7,
    )
    axes.tick_params(axis="y", labelsize=7)
    axes.set_ylabel(indicator["unit"], fontsize=7)
    axes.set_ylim(0, top)
    axes.set_title(
        f"{level['level_zh']} · {indicator['number']}. {indicator['name_zh']}",
        fontsize=8.5,
        loc="left",
        pad=14,
    )
    margin = max(0.75, (3 - len(positions)) / 2 + 0.5)  # one or two bars stay bar-shaped
    axes.set_xlim(-margin, len(positions) - 1 + margin)
    axes.legend(
        fontsize=6.5,
        loc="lower right",
        bbox_to_anchor=(1, 1),
        ncols=2,
        frameon=False,
        borderaxespad=0,
    )
    axes.spines[["top", "right"]].set_visible(False)
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


# ---------------------------------------------------------------- HTML


def _cell(cell: dict[str, Any]) -> str:
    if cell["met"]:
        return f'<td class="num ok">{_n(cell["value"])} ✓</td>'
    if cell["within_85"]:
        return f'<td class="num warn">{_n(cell["value"])} ✗</td>'
    return f'<td class="num no">{_n(cell["value"])} ✗&lt;85%</td>'


def _meta(report: Report) -> str:
    rows = [
        ("县（区）代码 County", report["county_code"]),
        ("学年 School year", report["school_year"]),
        ("评估编号 Assessment", report["assessment_id"]),
        ("评估时间 Assessed (UTC)", report["assessed_at"]),
        ("报告生成 Generated (UTC)", report["generated_at"]),
        ("指标目录 Catalogue", report["catalogue_version"]),
        ("输入 SHA-256 Inputs", f'<span class="hash">{report["inputs_sha256"]}</span>'),
    ]
    body = "".join(
        f"<tr><th>{escape(k)}</th><td{' class=hash' if 'SHA' in k else ''}>"
        f"{v if 'SHA' in k else escape(str(v))}</td></tr>"
        for k, v in rows
    )
    return f'<table class="meta">{body}</table>'


def _summary(report: Report) -> str:
    css = "ok" if report["passed"] else "no"
    parts = [
        "<h2>一、评估结论 Summary</h2>",
        f'<p class="verdict {css}">资源配置：{report["verdict_zh"]}'
        f" ({'passed' if report['passed'] else 'not passed'})</p>",
        "<table><thead><tr><th>学段 Level</th><th>校（学段）数 Sections</th>"
        "<th>达标 Passed</th><th>未达标 Failed</th></tr></thead><tbody>",
    ]
    for level in report["levels"]:
        failed = level["sections"] - level["sections_passed"]
        parts.append(
            f"<tr><td>{level['level_zh']}</td><td class=num>{level['sections']}</td>"
            f"<td class=num>{level['sections_passed']}</td>"
            f"<td class='num{' no' if failed else ''}'>{failed}</td></tr>"
        )
    parts.append("</tbody></table>")
    failing = report["failing_schools"]
    parts.append(f"<h3>未达标学校（学段） Failing sections: {len(failing)}</h3>")
    if failing:
        parts.append("<ul>")
        parts += [
            f"<li>{escape(f['school_code'])} {escape(f['name'])}（{f['level_zh']}）："
            f"{f['met_count']}/{report['indicator_count']} 项达标</li>"
            for f in failing
        ]
        parts.append("</ul>")
    cvs = report["failing_cv"]
    parts.append(f"<h3>未达标差异系数 Failing CVs: {len(cvs)}</h3>")
    if cvs:
        parts.append("<ul>")
        parts += [
            f"<li>{c['level_zh']} · {escape(c['name_zh'])}："
            f"{_n(c['value'], 4)} &gt; {c['limit']:g}</li>"
            for c in cvs
        ]
        parts.append("</ul>")
    parts.append(
        f'<p class="note">规则：每校（学段）{report["indicator_count"]} 项指标中至少 '
        f"{report['min_met']} 项达到标准，其余不低于标准的 {report['floor_percent']}%；"
        "各项指标差异系数小学 ≤ 0.50、初中 ≤ 0.45（以所引目录为准）。"
        "✓ 达标；✗ 未达标但不低于 85%；✗&lt;85% 低于下限。"
        "数值显示保留两位小数，判定按未舍入值。</p>"
    )
    return "".join(parts)


def _school_table(report: Report, level: dict[str, Any]) -> str:
    lv = level["level"]
    indicators = report["indicators"]
    head = "".join(
        f"<th>{i['number']}. {escape(i['name_zh'])}<br>({escape(i['unit'])})</th>"
        for i in indicators
    )
    cols = "<col style='width:7.5em'><col style='width:9em'><col style='width:4.5em'>" + (
        "<col>" * len(indicators) + "<col style='width:3.5em'><col style='width:5em'>"
    )
    thresholds = "".join(f"<td class=num>{i['thresholds'][lv]:g}</td>" for i in indicators)
    floors = "".join(f"<td class=num>{i['floors'][lv]:g}</td>" for i in indicators)
    rows = []
    for s in level["schools"]:
        cells = "".join(_cell(s["indicators"][i["key"]]) for i in indicators)
        passed = "<td class=ok>✓ 达标</td>" if s["passed"] else "<td class=no>✗ 未达标</td>"
        rows.append(
            f"<tr><td>{escape(s['school_code'])}</td><td>{escape(s['name'])}</td>"
            f"<td class=num>{s['students']:,}</td>{cells}"
            f"<td class=num>{s['met_count']}</td>{passed}</tr>"
        )
    return (
        f"<h3>{level['level_zh']} ({level['level']}) — {level['sections']} 个</h3>"
        f'<table class="wide level-table"><colgroup>{cols}</colgroup><thead><tr>'
        f"<th>学校代码</th><th>学校名称</th><th>学生数</th>{head}"
        "<th>达标项数</th><th>结论</th></tr></thead><tbody>"
        f"<tr class=threshold><td colspan=3>标准值 Threshold</td>{thresholds}"
        "<td></td><td></td></tr>"
        f"<tr class=threshold><td colspan=3>{report['floor_percent']}% 下限 Floor</td>{floors}"
        "<td></td><td></td></tr>" + "".join(rows) + "</tbody></table>"
    )


def _shortfalls(report: Report) -> str:
    failing = report["failing_schools"]
    if not failing:
        return "<h2>三、差距 Shortfalls</h2><p>所有学校（学段）均达标。</p>"
    rows = []
    for f in failing:
        for s in f["shortfalls"]:
            marker = "<td class=no>是</td>" if not s["within_85"] else "<td>否</td>"
            rows.append(
                f"<tr><td>{escape(f['school_code'])}</td><td>{escape(f['name'])}</td>"
                f"<td>{f['level_zh']}</td><td>{s['number']}. {escape(s['name_zh'])}</td>"
                f"<td class=num>{_n(s['value'])}</td><td class=num>{s['threshold']:g}</td>"
                f"{marker}<td class=num>{s['amount_text']} {s['unit_zh']}</td></tr>"
            )
    lines = "".join(
        f"<li><b>{escape(f['school_code'])} {escape(f['name'])}（{f['level_zh']}）</b>："
        f"{escape(f['text'])}</li>"
        for f in failing
    )
    return (
        "<h2>三、差距 Shortfalls of failing sections</h2>"
        f"<ul>{lines}</ul>"
        '<table class="wide"><colgroup><col style="width:8em"><col style="width:10em">'
        '<col style="width:4em"><col><col style="width:6em"><col style="width:6em">'
        '<col style="width:5em"><col style="width:10em"></colgroup><thead><tr>'
        "<th>学校代码</th><th>学校名称</th><th>学段</th><th>指标</th><th>当前值</th>"
        "<th>标准值</th><th>低于85%</th><th>需增加（达到标准）</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
        '<p class="note">需增加量按达到标准值计算：教师、教室取整（向上），面积、金额精确到 0.01。'
        f"达标只需 {report['min_met']} 项达到标准且其余不低于 {report['floor_percent']}%，"
        "此处列出每项未达标指标的全部差距。</p>"
    )


def _cv_table(report: Report) -> str:
    parts = ["<h2>四、差异系数 Coefficients of variation</h2>"]
    for level in report["levels"]:
        rows = "".join(
            f"<tr><td>{c['number']}. {escape(c['name_zh'])}</td>"
            f"<td class=num>{_n(c['value'], 4)}</td>"
            f"<td class=num>{c['limit']:g}</td>"
            + ("<td class=ok>✓ 达标</td>" if c["passed"] else "<td class=no>✗ 未达标</td>")
            + "</tr>"
            for c in level["cv"]
        )
        parts.append(
            f"<h3>{level['level_zh']}</h3><table><thead><tr><th>指标</th><th>差异系数</th>"
            f"<th>上限</th><th>结论</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    return "".join(parts)


def _charts(report: Report) -> str:
    parts = ['<section class="charts"><h2>五、指标图 Charts</h2>']
    parts.append(
        '<p class="note">柱：各校（学段）指标值（绿：达标；橙：未达标但不低于 85%；红：低于 85%）；'
        "虚线：标准值；点线：85% 下限。</p>"
    )
    for level in report["levels"]:
        for indicator in report["indicators"]:
            svg = base64.b64encode(chart_svg(report, level, indicator).encode()).decode()
            alt = escape(f"{level['level_zh']} {indicator['name_zh']}")
            caption = escape(chart_plan(level, indicator["key"]).caption)
            parts.append(
                f'<div class="chart"><img alt="{alt}" src="data:image/svg+xml;base64,{svg}">'
                f'<p class="caption">{caption}</p></div>'
            )
    parts.append("</section>")
    return "".join(parts)


def footer_text(report: Report) -> str:
    return (
        f"县（区）{report['county_code']} · {report['school_year']} · "
        f"目录 {report['catalogue_version']} · 输入 SHA-256 {report['inputs_sha256']} · "
        f"生成 {report['generated_at']}"
    )


def html_page(*, title: str, subject: str, footer: str, body: str) -> str:
    """A report page: the shared template and CSS, A4 landscape, `footer` on every printed page
    (every report prints its inputs hash, catalogue version and generation time there)."""
    # a CSS string in <style> (raw text, no entities); "<" escaped so "</style>" cannot end it
    css_footer = footer.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    return Template(_template("report.html")).substitute(
        title=escape(title),
        subject=escape(subject),
        footer=css_footer,
        css=_template("report.css"),
        body=body,
    )


def meta_table(rows: list[tuple[str, str]]) -> str:
    """The header table of a report; values of keys naming SHA-256 are set in a mono font."""
    body = "".join(
        f"<tr><th>{escape(k)}</th><td{' class=hash' if 'SHA' in k else ''}>{escape(v)}</td></tr>"
        for k, v in rows
    )
    return f'<table class="meta">{body}</table>'


def render_html(report: Report) -> str:
    body = "".join(
        [
            f"<h1>{escape(report['title'])}</h1><p class=en>{escape(report['title_en'])}</p>",
            _meta(report),
            _summary(report),
            "<h2>二、各校指标 Indicators per school section</h2>",
            *(_school_table(report, level) for level in report["levels"]),
            _shortfalls(report),
            _cv_table(report),
            _charts(report),
        ]
    )
    return html_page(
        title=report["title"],
        subject=f"{report['county_code']} {report['school_year']}",
        footer=footer_text(report),
        body=body,
    )


# ---------------------------------------------------------------- PDF


def render_pdf(report: Report) -> bytes:
    return pdf_from_html(render_html(report))
