"""Reports as XLSX workbooks: the 说明 sheet (what the workbook is, its hashes, catalogue and
generation time), headers and fills shared with the county verdict report, and the 资源配置
tables — values unrounded, shown with 2 (CV: 4) decimals."""

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from junheng_kit.tabular import xlsx_safe

Report = dict[str, Any]

HEADER = Font(bold=True)
FILLS = {
    "ok": PatternFill("solid", fgColor="DFF0E3"),
    "warn": PatternFill("solid", fgColor="FCEFD2"),
    "no": PatternFill("solid", fgColor="F8D7D3"),
    "grey": PatternFill("solid", fgColor="EEEEEE"),
}


def about_sheet(book: Workbook, rows: list[tuple[str, Any]]) -> None:
    """The first sheet, 说明: what the workbook is, its hashes, catalogue and generation time."""
    about = book.active
    about.title = "说明"
    for key, value in rows:
        about.append([key, value])
        about.cell(row=about.max_row, column=1).font = HEADER
    about.column_dimensions["A"].width = 20
    about.column_dimensions["B"].width = 90


def workbook_bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_header(sheet: Any, titles: list[str], widths: list[int]) -> None:
    sheet.append(titles)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
        cell = sheet.cell(row=sheet.max_row, column=index)
        cell.font = HEADER
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = f"A{sheet.max_row + 1}"  # a coordinate: cell() would add a row


def render_xlsx(report: Report) -> bytes:
    """说明, 学校指标, 差异系数 and 差距: values unrounded, shown with 2 (CV: 4) decimals."""
    report = xlsx_safe(report)  # stored text may hold characters a cell cannot
    book = Workbook()
    about_sheet(
        book,
        [
            ("报告", report["title"]),
            ("Report", report["title_en"]),
            ("县（区）代码", report["county_code"]),
            ("学年", report["school_year"]),
            ("评估编号", report["assessment_id"]),
            ("评估时间 (UTC)", report["assessed_at"]),
            ("报告生成时间 (UTC)", report["generated_at"]),
            ("指标目录版本", report["catalogue_version"]),
            ("目录依据", report["catalogue_source"]),
            ("输入 SHA-256", report["inputs_sha256"]),
            ("资源配置结论", report["verdict_zh"]),
            (
                "判定规则",
                f"每校（学段）至少 {report['min_met']} 项达到标准，其余不低于 "
                f"{report['floor_percent']}%；差异系数不超过上限。数值未舍入。",
            ),
        ],
    )

    indicators = report["indicators"]
    schools = book.create_sheet("学校指标")
    sheet_header(
        schools,
        ["学段", "学校代码", "学校名称", "学生数"]
        + [f"{i['number']}. {i['name_zh']}（{i['unit']}）" for i in indicators]
        + ["达标项数", "是否达标"],
        [8, 14, 20, 9] + [16] * len(indicators) + [9, 9],
    )
    for level in report["levels"]:
        lv = level["level"]
        for label, source in (
            ("标准值", "thresholds"),
            (f"{report['floor_percent']}%下限", "floors"),
        ):
            schools.append(
                [level["level_zh"], label, "", None] + [i[source][lv] for i in indicators]
            )
            for cell in schools[schools.max_row]:
                cell.fill = FILLS["grey"]
        for s in level["schools"]:
            schools.append(
                [level["level_zh"], s["school_code"], s["name"], s["students"]]
                + [s["indicators"][i["key"]]["value"] for i in indicators]
                + [s["met_count"], "是" if s["passed"] else "否"]
            )
            row = schools[schools.max_row]
            for offset, i in enumerate(indicators, start=4):
                cell = s["indicators"][i["key"]]
                row[offset].number_format = "0.00"
                row[offset].fill = FILLS[
                    "ok" if cell["met"] else "warn" if cell["within_85"] else "no"
                ]
            row[-1].fill = FILLS["ok" if s["passed"] else "no"]

    cv = book.create_sheet("差异系数")
    sheet_header(cv, ["学段", "指标", "差异系数", "上限", "是否达标"], [8, 40, 12, 8, 10])
    for level in report["levels"]:
        for c in level["cv"]:
            cv.append(
                [
                    level["level_zh"],
                    f"{c['number']}. {c['name_zh']}",
                    c["value"],
                    c["limit"],
                    "是" if c["passed"] else "否",
                ]
            )
            cv.cell(row=cv.max_row, column=3).number_format = "0.0000"

    gaps = book.create_sheet("差距")
    sheet_header(
        gaps,
        ["学段", "学校代码", "学校名称", "指标", "当前值", "标准值", "低于85%", "需增加", "单位"],
        [8, 14, 20, 40, 10, 10, 9, 12, 6],
    )
    for f in report["failing_schools"]:
        for s in f["shortfalls"]:
            gaps.append(
                [
                    f["level_zh"],
                    f["school_code"],
                    f["name"],
                    f"{s['number']}. {s['name_zh']}",
                    s["value"],
                    s["threshold"],
                    "否" if s["within_85"] else "是",
                    s["amount"],
                    s["unit_zh"],
                ]
            )
            gaps.cell(row=gaps.max_row, column=5).number_format = "0.00"
    return workbook_bytes(book)
