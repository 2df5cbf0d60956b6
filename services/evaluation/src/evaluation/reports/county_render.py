"""County verdict, trend and roll-up reports rendered: HTML (trend charts as SVG), PDF from the
same HTML and XLSX — the page, PDF and workbook machinery of `render`, reused."""

import base64
import io
from html import escape
from typing import Any

from matplotlib.figure import Figure
from openpyxl import Workbook

from evaluation.reports.render import (
    chart_font,
    html_page,
    meta_table,
)
from evaluation.reports.workbook import FILLS, about_sheet, sheet_header, workbook_bytes
from junheng_kit.pdf import pdf_from_html
from junheng_kit.tabular import xlsx_safe

Report = dict[str, Any]
MARK = {"met": "<td class=ok>✓ 达标</td>", "not_met": "<td class=no>✗ 未达标</td>"}
MARK_TEXT = {"met": "达标", "not_met": "未达标", "missing": "未录入"}


def _mark(state: str) -> str:
    return MARK.get(state, "<td class=warn>— 未录入</td>")


def _ok(passed: bool) -> str:
    return MARK["met" if passed else "not_met"]


# ---------------------------------------------------------------- verdict


def _titled(entry: Report) -> str:
    """The Chinese title a reader looks for, the API key under it (as the XLSX and JSON name it)."""
    return f"{escape(entry['title_zh'])}<br><span class=key>{escape(entry['key'])}</span>"


def verdict_footer(report: Report) -> str:
    indicators = report["assessment_catalogue_version"] or "—"
    return (
        f"县（区）{report['county_code']} · {report['school_year']} · 认定目录 "
        f"{report['catalogue_version']} · 资源配置目录 {indicators}"
        f" · 输入 SHA-256 {report['inputs_sha256'] or '—'} · 生成 {report['generated_at']}"
    )


def verdict_html(report: Report) -> str:
    css = {"met": "ok", "not_met": "no"}.get(report["verdict"], "warn")
    parts = [
        f"<h1>{escape(report['title'])}</h1>",
        meta_table(
            [
                ("县（区）代码 County", report["county_code"]),
                ("学年 School year", report["school_year"]),
                ("认定目录 Verdict catalogue", report["catalogue_version"]),
                ("评估编号 Assessment", report["assessment_id"] or "—"),
                ("资源配置目录 Indicator catalogue", report["assessment_catalogue_version"] or "—"),
                ("评估时间 Assessed (UTC)", report["assessed_at"] or "—"),
                ("输入 SHA-256 Inputs", report["inputs_sha256"] or "—"),
                ("报告生成 Generated (UTC)", report["generated_at"]),
            ]
        ),
        "<h2>一、认定结论 Verdict</h2>",
        f'<p class="verdict {css}">{escape(report["verdict_zh"])} ({report["verdict"]})</p>',
    ]
    if report["missing"]:
        parts.append(
            "<p class=note>尚未录入 Missing: " + escape("；".join(report["missing_zh"])) + "</p>"
        )
    rows = "".join(
        f"<tr><td>{p['part_zh']}</td>{_mark(p['state'])}<td>{escape(p['detail'])}</td></tr>"
        for p in report["parts"]
    )
    parts.append(
        '<table class="wide"><colgroup><col style="width:8em"><col style="width:6em"><col>'
        "</colgroup><thead><tr><th>部分 Part</th><th>结论</th><th>说明</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    items = report["failing_items"]
    parts.append(f"<h2>二、未达标项目及差距 Failing items: {len(items)}</h2>")
    if items:
        rows = "".join(
            f"<tr><td>{i['part_zh']}</td><td>{_titled(i)}</td>"
            f"<td>{escape(i['school_code'])} {escape(i['name'])}</td><td>{i['level_zh']}</td>"
            f"<td class=num>{escape(i['gap_text'])} {escape(i['unit_zh'])}</td>"
            f"<td>{escape(i['detail'])}</td></tr>"
            for i in items
        )
        parts.append(
            '<table class="wide"><colgroup><col style="width:6em"><col style="width:16em">'
            '<col style="width:12em"><col style="width:3.5em"><col style="width:8em"><col>'
            "</colgroup><thead><tr><th>部分</th><th>项目</th><th>学校</th><th>学段</th>"
            f"<th>差距</th><th>说明</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    schools = report["failing_schools"]
    parts.append(f"<h2>三、未达标学校差距 Shortfall per failing school: {len(schools)}</h2>")
    if schools:
        rows = "".join(
            f"<tr><td>{escape(s['school_code'])}</td><td>{escape(s['name'])}</td>"
            f"<td>{s['level_zh']}</td><td>{_titled(i)}</td>"
            f"<td class=num>{i['value']:,.2f}</td><td class=num>{i['threshold']:g}</td>"
            f"<td class=num>{i['floor']:g}</td>"
            + ("<td class=no>是</td>" if i["below_floor"] else "<td>否</td>")
            + f"<td class=num>{escape(i['shortfall_text'])} {escape(i['unit_zh'])}</td></tr>"
            for s in schools
            for i in s["indicators"]
        )
        parts.append(
            '<table class="wide"><colgroup><col style="width:6.5em"><col style="width:11em">'
            '<col style="width:3.5em"><col style="width:17em"><col><col><col><col>'
            '<col style="width:9em"></colgroup>'
            "<thead><tr><th>学校代码</th><th>学校名称</th><th>学段</th>"
            "<th>指标</th><th>当前值</th><th>标准值</th><th>85%下限</th><th>低于下限</th>"
            f"<th>需增加（达到标准）</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    return html_page(
        title=report["title"],
        subject=f"{report['county_code']} {report['school_year']}",
        footer=verdict_footer(report),
        body="".join(parts),
    )


def verdict_pdf(report: Report) -> bytes:
    return pdf_from_html(verdict_html(report))


def verdict_xlsx(report: Report) -> bytes:
    """说明, 四部分, 未达标项目, 学校差距: gaps as numbers in their units."""
    report = xlsx_safe(report)  # stored text may hold characters a cell cannot
    book = Workbook()
    about_sheet(
        book,
        [
            ("报告", report["title"]),
            ("县（区）代码", report["county_code"]),
            ("学年", report["school_year"]),
            ("认定结论", report["verdict_zh"]),
            ("尚未录入", "；".join(report["missing_zh"])),
            ("认定目录版本", report["catalogue_version"]),
            ("评估编号", report["assessment_id"] or ""),
            ("资源配置目录版本", report["assessment_catalogue_version"] or ""),
            ("输入 SHA-256", report["inputs_sha256"] or ""),
            ("报告生成时间 (UTC)", report["generated_at"]),
        ],
    )
    parts = book.create_sheet("四部分")
    sheet_header(parts, ["部分", "结论", "说明"], [14, 10, 90])
    for p in report["parts"]:
        parts.append([p["part_zh"], MARK_TEXT[p["state"]], p["detail"]])
        parts.cell(row=parts.max_row, column=2).fill = FILLS[
            {"met": "ok", "not_met": "no"}.get(p["state"], "warn")
        ]
    items = book.create_sheet("未达标项目")
    sheet_header(
        items,
        ["部分", "项目", "学校代码", "学校名称", "学段", "差距", "单位", "说明", "项目代码"],
        [14, 36, 14, 20, 6, 12, 8, 80, 30],
    )
    for i in report["failing_items"]:
        items.append(
            [
                i["part_zh"],
                i["title_zh"],
                i["school_code"],
                i["name"],
                i["level_zh"],
                i["gap"],
                i["unit_zh"],
                i["detail"],
                i["key"],
            ]
        )
    gaps = book.create_sheet("学校差距")
    sheet_header(
        gaps,
        [
            "学校代码",
            "学校名称",
            "学段",
            "指标",
            "当前值",
            "标准值",
            "85%下限",
            "需增加",
            "单位",
            "指标代码",
        ],
        [14, 20, 6, 34, 10, 10, 10, 12, 6, 30],
    )
    for s in report["failing_schools"]:
        for i in s["indicators"]:
            gaps.append(
                [
                    s["school_code"],
                    s["name"],
                    s["level_zh"],
                    i["title_zh"],
                    i["value"],
                    i["threshold"],
                    i["floor"],
                    i["shortfall"],
                    i["unit_zh"],
                    i["key"],
                ]
            )
            gaps.cell(row=gaps.max_row, column=5).number_format = "0.00"
    return workbook_bytes(book)


# ---------------------------------------------------------------- trends


def trend_footer(report: Report) -> str:
    versions = sorted({y["catalogue_version"] for y in report["years"]})
    hashes = " ".join(f"{y['year']}:{y['inputs_sha256'][:12]}…" for y in report["years"])
    return (
        f"县（区）{report['county_code']} · {report['span']} · 目录 {'、'.join(versions) or '—'}"
        f" · 输入 SHA-256 {hashes or '—'}（全文见首页） · 生成 {report['generated_at']}"
    )


def trend_chart_svg(level: dict[str, Any], indicator: dict[str, Any]) -> str:
    """The county mean per school year and that year's threshold (a step line)."""
    chart_font()
    points = indicator["points"]
    years = [p["year"] for p in points]
    figure = Figure(figsize=(4.1, 2.0), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    axes.plot(years, [p["mean"] for p in points], marker="o", color="#1f6f9f", label="县域均值")
    axes.step(
        years,
        [p["threshold"] for p in points],
        where="mid",
        color="#1f3b73",
        linestyle="--",
        linewidth=1.1,
        label="标准",
    )
    axes.set_xticks(years, [str(y) for y in years], fontsize=7)
    axes.tick_params(axis="y", labelsize=7)
    axes.set_ylim(0, max([p["mean"] for p in points] + [p["threshold"] for p in points]) * 1.2)
    axes.set_title(
        f"{level['level_zh']} · {indicator['number']}. {indicator['name_zh']}",
        fontsize=8,
        loc="left",
        pad=12,
    )
    # inside, bottom right: the lines sit high (the axis starts at 0), long titles stay clear
    axes.legend(fontsize=6.5, loc="lower right", ncols=2, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def trend_html(report: Report) -> str:
    years = report["years"]
    parts = [
        f"<h1>{escape(report['title'])}</h1>",
        meta_table(
            [
                ("县（区）代码 County", report["county_code"]),
                ("学年 School years", report["span"]),
                ("报告生成 Generated (UTC)", report["generated_at"]),
            ]
        ),
        "<h2>一、各学年评估 Assessments used</h2>",
    ]
    rows = "".join(
        f"<tr><td>{y['school_year']}</td>{_ok(y['passed'])}<td>{escape(y['assessment_id'])}</td>"
        f"<td>{escape(y['catalogue_version'])}</td><td class=hash>{y['inputs_sha256']}</td></tr>"
        for y in years
    )
    parts.append(
        "<table><thead><tr><th>学年</th><th>资源配置</th><th>评估编号</th><th>目录版本</th>"
        f"<th>输入 SHA-256</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    if not years:
        parts.append("<p>所选学年没有评估。No assessment in the years asked.</p>")
    for number, level in enumerate(report["levels"], start=2):
        head = "".join(f"<th>{year}</th>" for year, _, _ in level["sections"])
        passing = "".join(
            f"<td class=num>{passed}/{count}</td>" for _, count, passed in level["sections"]
        )
        body = [f"<tr><td>达标校（学段）/ 总数</td>{passing}</tr>"]
        for indicator in level["indicators"]:
            means = "".join(
                f"<td class='num{'' if p['mean'] >= p['threshold'] else ' warn'}'>"
                f"{p['mean']:,.2f}<br><span class='{'ok' if p['cv_passed'] else 'no'}'>"
                f"CV {p['cv']:.4f}</span></td>"
                for p in indicator["points"]
            )
            body.append(
                f"<tr><td>{indicator['number']}. {escape(indicator['name_zh'])}"
                f"（{escape(indicator['unit'])}）</td>{means}</tr>"
            )
        parts.append(
            f"<h2>{'一二三四五'[number - 1]}、{level['level_zh']}：县域均值与差异系数</h2>"
            f'<table class="wide"><thead><tr><th>指标</th>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>"
        )
    if report["levels"]:
        parts.append('<section class="charts"><h2>指标趋势图 Charts</h2>')
        parts.append('<p class="note">实线：县域均值（Σ资源 ÷ Σ学生）；虚线：当年目录标准值。</p>')
        for level in report["levels"]:
            for indicator in level["indicators"]:
                svg = base64.b64encode(trend_chart_svg(level, indicator).encode()).decode()
                parts.append(
                    f'<div class="chart third"><img alt="{escape(indicator["name_zh"])}" '
                    f'src="data:image/svg+xml;base64,{svg}"></div>'
                )
        parts.append("</section>")
    return html_page(
        title=report["title"],
        subject=f"{report['county_code']} {report['span']}",
        footer=trend_footer(report),
        body="".join(parts),
    )


def trend_pdf(report: Report) -> bytes:
    return pdf_from_html(trend_html(report))


def trend_xlsx(report: Report) -> bytes:
    """说明 (with every year's hash), 趋势: one row per year, level and indicator, unrounded."""
    report = xlsx_safe(report)  # stored text may hold characters a cell cannot
    book = Workbook()
    about_sheet(
        book,
        [
            ("报告", report["title"]),
            ("县（区）代码", report["county_code"]),
            ("学年", report["span"]),
            ("报告生成时间 (UTC)", report["generated_at"]),
            *(
                (
                    f"{y['school_year']}",
                    f"评估 {y['assessment_id']} · 目录 {y['catalogue_version']} · "
                    f"输入 SHA-256 {y['inputs_sha256']}",
                )
                for y in report["years"]
            ),
        ],
    )
    sheet = book.create_sheet("趋势")
    sheet_header(
        sheet,
        ["学年", "学段", "指标", "单位", "县域均值", "标准值", "差异系数", "上限", "差异系数达标"],
        [8, 6, 40, 14, 12, 10, 10, 8, 12],
    )
    for level in report["levels"]:
        for indicator in level["indicators"]:
            for p in indicator["points"]:
                sheet.append(
                    [
                        p["year"],
                        level["level_zh"],
                        f"{indicator['number']}. {indicator['name_zh']}",
                        indicator["unit"],
                        p["mean"],
                        p["threshold"],
                        p["cv"],
                        p["cv_limit"],
                        "是" if p["cv_passed"] else "否",
                    ]
                )
    return workbook_bytes(book)


# ---------------------------------------------------------------- roll-up


def rollup_footer(report: Report) -> str:
    return (
        f"区域 {report['region_code']} · {report['school_year']} · 目录 "
        f"{'、'.join(report['catalogue_versions']) or '—'} · 各县输入 SHA-256 见表 · "
        f"生成 {report['generated_at']}"
    )


def _worst(county: dict[str, Any], level: str) -> str:
    worst = county["worst_cv"].get(level)
    if worst is None:
        return "<td>—</td>"
    css = "no" if worst["ratio"] > 1 else "ok"
    return (
        f"<td class='num {css}'>{escape(worst['indicator'])}<br>"
        f"{worst['value']:.4f} / {worst['limit']:g}</td>"
    )


def rollup_html(report: Report) -> str:
    parts = [
        f"<h1>{escape(report['title'])}</h1>",
        meta_table(
            [
                ("区域代码 Region", report["region_code"]),
                ("学年 School year", report["school_year"]),
                ("已评估县 Counties assessed", str(report["counties_assessed"])),
                ("资源配置达标县 Counties passing", str(report["counties_passing"])),
                ("目录版本 Catalogue", "、".join(report["catalogue_versions"]) or "—"),
                ("报告生成 Generated (UTC)", report["generated_at"]),
            ]
        ),
        "<h2>各县资源配置 Counties</h2>",
    ]
    rows = "".join(
        f"<tr><td>{c['county_code']}</td>{_ok(c['passed'])}"
        f"<td class=num>{c['failing_schools']}</td><td class=num>{c['failing_cv']}</td>"
        f"{_worst(c, 'primary')}{_worst(c, 'junior')}"
        f"<td>{escape(c['catalogue_version'])}</td><td class=hash>{c['inputs_sha256']}</td></tr>"
        for c in report["counties"]
    )
    parts.append(
        '<table class="wide"><colgroup><col style="width:5em"><col style="width:5em">'
        '<col style="width:5em"><col style="width:5em"><col style="width:13em">'
        '<col style="width:13em"><col style="width:12em"><col></colgroup><thead><tr>'
        "<th>县（区）</th><th>资源配置</th><th>未达标校（学段）</th><th>未达标差异系数</th>"
        "<th>小学最大差异系数 / 上限</th><th>初中最大差异系数 / 上限</th><th>目录版本</th>"
        f"<th>输入 SHA-256</th></tr></thead><tbody>{rows}</tbody></table>"
        '<p class="note">各县取该学年最新一次评估；最大差异系数为相对上限最大的一项。</p>'
    )
    return html_page(
        title=report["title"],
        subject=f"{report['region_code']} {report['school_year']}",
        footer=rollup_footer(report),
        body="".join(parts),
    )


def rollup_pdf(report: Report) -> bytes:
    return pdf_from_html(rollup_html(report))


def rollup_xlsx(report: Report) -> bytes:
    report = xlsx_safe(report)  # stored text may hold characters a cell cannot
    book = Workbook()
    about_sheet(
        book,
        [
            ("报告", report["title"]),
            ("区域代码", report["region_code"]),
            ("学年", report["school_year"]),
            ("已评估县", report["counties_assessed"]),
            ("资源配置达标县", report["counties_passing"]),
            ("目录版本", "、".join(report["catalogue_versions"])),
            ("报告生成时间 (UTC)", report["generated_at"]),
        ],
    )
    sheet = book.create_sheet("各县")
    sheet_header(
        sheet,
        [
            "县（区）代码",
            "资源配置达标",
            "未达标校（学段）",
            "未达标差异系数",
            "小学最大差异系数指标",
            "小学差异系数",
            "初中最大差异系数指标",
            "初中差异系数",
            "评估编号",
            "目录版本",
            "输入 SHA-256",
        ],
        [10, 10, 12, 12, 30, 10, 30, 10, 38, 24, 68],
    )
    for c in report["counties"]:
        primary, junior = c["worst_cv"].get("primary"), c["worst_cv"].get("junior")
        sheet.append(
            [
                c["county_code"],
                "是" if c["passed"] else "否",
                c["failing_schools"],
                c["failing_cv"],
                primary and primary["indicator"],
                primary and primary["value"],
                junior and junior["indicator"],
                junior and junior["value"],
                c["assessment_id"],
                c["catalogue_version"],
                c["inputs_sha256"],
            ]
        )
        sheet.cell(row=sheet.max_row, column=2).fill = FILLS["ok" if c["passed"] else "no"]
    return workbook_bytes(book)
