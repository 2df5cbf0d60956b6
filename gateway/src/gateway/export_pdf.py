"""The access-request bundle (gateway/export.py) printed for a family: 个人信息查阅副本 as PDF.

Rendering only: what is printed is the JSON bundle, nothing else. A cover names the child's
pseudonymous key, when and for whom the copy was made and under which law, then a summary of
every service (included, with its record counts, or not, with why); then each service's records
table by table, one record a block of its stored fields and values. Everything from the
services is escaped (a stored value cannot add markup to the page)."""

import json
from html import escape
from typing import Any

from junheng_kit.pdf import pdf_from_html

SERVICE_NAMES = {
    "enrollment": ("招生入学", "Enrollment"),
    "staffing": ("教师队伍", "Staffing"),
    "assistance": ("学生资助", "Student financial aid"),
    "evaluation": ("督导评估", "Supervision and evaluation"),
}

CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm;
  @bottom-center { content: "个人信息查阅副本 · Personal data copy · " counter(page)
                   " / " counter(pages); font-size: 7pt; color: #666;
                   font-family: "Noto Sans CJK SC", "DejaVu Sans", sans-serif; } }
body { font-family: "Noto Sans CJK SC", "DejaVu Sans", sans-serif; font-size: 8.5pt; color: #111; }
h1 { font-size: 16pt; margin: 0 0 2pt 0; }
p.en { color: #555; margin: 0 0 10pt 0; }
h2 { font-size: 12pt; margin: 14pt 0 4pt 0; border-bottom: 1px solid #999; padding-bottom: 2pt;
     page-break-after: avoid; }
h3 { font-size: 9.5pt; margin: 8pt 0 3pt 0; page-break-after: avoid; }
table { border-collapse: collapse; margin: 2pt 0 6pt 0; width: 100%; }
th, td { border: 1px solid #bbb; padding: 2pt 4pt; vertical-align: top; text-align: left; }
th { background: #eef1f5; font-weight: normal; color: #333; }
table.meta th { width: 11em; }
table.record { page-break-inside: avoid; table-layout: fixed; }
table.record th { width: 13em; font-size: 7.5pt; word-break: break-all; }
table.record td { word-break: break-all; font-size: 7.5pt; }
td.none { color: #999; }
.note { color: #555; font-size: 7.5pt; margin: 4pt 0; }
"""


def _service_title(service: str) -> str:
    zh, en = SERVICE_NAMES.get(service, (service, service))
    return f"{escape(zh)} · {escape(en)}"


def _value(value: Any) -> str:
    if value is None or value == "":
        return "<td class=none>—</td>"
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    else:
        text = str(value)
    return f"<td>{escape(text)}</td>"


def _record(row: dict[str, Any]) -> str:
    cells = "".join(f"<tr><th>{escape(str(k))}</th>{_value(v)}</tr>" for k, v in row.items())
    return f'<table class="record">{cells}</table>'


def _summary(bundle: dict[str, Any]) -> str:
    rows = []
    for service, export in bundle.get("services", {}).items():
        sections = export.get("sections", {})
        count = sum(len(rows) for rows in sections.values())
        rows.append(
            f"<tr><td>{_service_title(service)}</td><td>已包含 included</td>"
            f"<td>{count} 条记录 records in {len(sections)} 类 tables</td></tr>"
        )
    for service, missing in bundle.get("not_included", {}).items():
        rows.append(
            f"<tr><td>{_service_title(service)}</td><td>未包含 not included "
            f"({escape(str(missing.get('status', '')))})</td>"
            f"<td>{escape(str(missing.get('detail', '')))}</td></tr>"
        )
    head = "<tr><th>服务 Service</th><th>状态 Status</th><th>内容 Content</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _service(service: str, export: dict[str, Any]) -> str:
    parts = [f"<h2>{_service_title(service)}</h2>"]
    sections = export.get("sections", {})
    if not any(sections.values()):
        parts.append('<p class="note">本服务未保存该儿童的记录。No records about the child.</p>')
    for name, rows in sections.items():
        if not rows:
            continue
        parts.append(f"<h3>{escape(name)} · {len(rows)} 条 records</h3>")
        parts.extend(_record(row) for row in rows)
    return "".join(parts)


def bundle_html(bundle: dict[str, Any]) -> str:
    """The bundle (`ChildBundle` as JSON) as one printable HTML page."""
    keys = {e.get("student_key") for e in bundle.get("services", {}).values()} - {None}
    meta = [
        ("导出时间 Exported at", str(bundle.get("exported_at", ""))),
        ("导出方 Exported by", str(bundle.get("exported_by", ""))),
        ("法律依据 Legal basis", str(bundle.get("legal_basis", ""))),
        ("儿童标识 Child's key", ", ".join(sorted(str(k) for k in keys)) or "—"),
    ]
    meta_rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in meta)
    body = [
        "<h1>个人信息查阅副本</h1>",
        '<p class="en">Copy of the personal data held about one child (access request, '
        "PIPL Art. 45)</p>",
        f'<table class="meta">{meta_rows}</table>',
        '<p class="note">本副本列出各服务保存的该儿童的全部记录，字段名为系统中的存储名称；'
        "儿童标识为公民身份号码的假名（不可逆）。This copy lists every record each service holds "
        "about the child; field names are as stored; the child's key is a pseudonym of the "
        "citizen ID.</p>",
        "<h2>概览 · Summary</h2>",
        _summary(bundle),
    ]
    for service, export in bundle.get("services", {}).items():
        body.append(_service(service, export))
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>个人信息查阅副本</title><style>{CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>"
    )


def bundle_pdf(bundle: dict[str, Any]) -> bytes:
    return pdf_from_html(bundle_html(bundle))
