"""School resource data: JSON, CSV and XLSX in, per-row error reports, assessment from storage."""

import io
from typing import Any

from httpx import AsyncClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.resources.models import SchoolResource
from evaluation.resources.tables import XLSX

HEADERS = [
    "学校标识码",
    "学校名称",
    "学段",
    "在校生数",
    "高于规定学历教师数",
    "县级及以上骨干教师数",
    "体育艺术专任教师数",
    "教学及辅助用房面积",
    "体育运动场馆面积",
    "教学仪器设备值",
    "网络多媒体教室数",
]
ROWS: list[list[Any]] = [
    ["2115060001", "东胜区第一小学", "小学", 1200, 60, 14, 12, 6000, 9600, 2600000, 30],
    ["2115060002", "东胜区第二小学", "小学", 800, 36, 8, 8, 3600, 5600, 1680000, 20],
    ["2115060003", "东胜区第三小学", "小学", 300, 12, 3, 3, 1200, 2400, 660000, 7],
    ["3115060001", "东胜区第一中学", "初中", 1000, 53, 10, 9, 5800, 10200, 2500000, 24],
]


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_text(rows: list[list[Any]]) -> bytes:
    lines = [",".join(HEADERS), *(",".join(str(c) for c in row) for row in rows)]
    return ("\ufeff" + "\n".join(lines) + "\n").encode()  # Excel's "CSV UTF-8" has a BOM


async def stored(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(SchoolResource)) or 0)


class TestImport:
    async def test_an_xlsx_with_chinese_headers_is_imported_and_read_back(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        response = await client.post(
            "/v1/school-resources/150602/2025/imports",
            content=xlsx(ROWS),
            headers={**writer, "content-type": XLSX},
        )
        assert response.status_code == 201
        assert response.json()["source"] == "xlsx"
        assert response.json()["sections"] == 4
        listed = (await client.get("/v1/school-resources/150602/2025", headers=writer)).json()
        junior = next(s for s in listed["schools"] if s["school_code"] == "3115060001")
        assert junior["level"] == "junior"
        assert junior["students"] == 1000
        assert junior["sports_venue_area_m2"] == 10200.0
        assert await stored(session) == 4

    async def test_a_csv_utf8_with_bom_is_imported(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.post(
            "/v1/school-resources/150602/2025/imports",
            content=csv_text(ROWS),
            headers={**writer, "content-type": "text/csv; charset=utf-8"},
        )
        assert response.status_code == 201
        assert response.json()["source"] == "csv"

    async def test_a_new_import_replaces_the_county_year(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        for rows in (ROWS, ROWS[:2]):
            await client.post(
                "/v1/school-resources/150602/2025/imports",
                content=xlsx(rows),
                headers={**writer, "content-type": XLSX},
            )
        assert await stored(session) == 2

    async def test_every_bad_cell_is_reported_by_sheet_row_and_nothing_is_imported(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        bad = [list(r) for r in ROWS]
        bad[1][3] = 0  # students, sheet row 3
        bad[2][0] = "211506003"  # school code, sheet row 4
        bad[3][2] = "高中"  # level, sheet row 5
        response = await client.post(
            "/v1/school-resources/150602/2025/imports",
            content=xlsx(bad),
            headers={**writer, "content-type": XLSX},
        )
        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[3].students", "greater_than"),
            ("rows[4].school_code", "school_code_format"),
            ("rows[5].level", "literal_error"),
        ]
        assert await stored(session) == 0

    async def test_a_blank_line_inside_the_sheet_keeps_the_row_numbers_true(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        bad = [list(r) for r in ROWS]
        bad[2][3] = -5  # students of the third school, written on sheet row 5 below
        rows = [bad[0], bad[1], [None] * len(HEADERS), *bad[2:]]
        response = await client.post(
            "/v1/school-resources/150602/2025/imports",
            content=xlsx(rows),
            headers={**writer, "content-type": XLSX},
        )
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["rows[5].students"]
        assert await stored(session) == 0

    async def test_a_duplicate_section_names_both_sheet_rows(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.post(
            "/v1/school-resources/150602/2025/imports",
            content=xlsx([*ROWS, ROWS[0]]),
            headers={**writer, "content-type": XLSX},
        )
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "field": "rows[6].school_code",
                "rule": "section_unique",
                "message": "2115060001 primary 与 rows[2] 重复",
            }
        ]

    async def test_a_missing_column_is_400_naming_it(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        text = "学校标识码,学校名称\n2115060001,东胜区第一小学\n".encode()
        response = await client.post(
            "/v1/school-resources/150602/2025/imports",
            content=text,
            headers={**writer, "content-type": "text/csv"},
        )
        assert response.status_code == 400
        missing = [e["message"] for e in response.json()["errors"]]
        assert "在校生数" in missing
        assert "网络多媒体教室数" in missing

    async def test_a_file_that_is_not_xlsx_is_400_and_another_type_415(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        broken = await client.post(
            "/v1/school-resources/150602/2025/imports",
            content=b"not a workbook",
            headers={**writer, "content-type": XLSX},
        )
        assert broken.status_code == 400
        assert broken.json()["errors"][0]["rule"] == "xlsx_readable"
        other = await client.post(
            "/v1/school-resources/150602/2025/imports",
            content=b"{}",
            headers={**writer, "content-type": "application/json"},
        )
        assert other.status_code == 415

    async def test_another_countys_data_cannot_be_written(
        self, client: AsyncClient, session: AsyncSession, writer: dict[str, str]
    ) -> None:
        response = await client.post(
            "/v1/school-resources/220822/2025/imports",
            content=xlsx(ROWS),
            headers={**writer, "content-type": XLSX},
        )
        assert response.status_code == 403
        assert await stored(session) == 0


class TestTemplate:
    async def test_the_template_has_the_columns_the_import_reads(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.get("/v1/school-resources/template.xlsx", headers=writer)
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
        # optional columns, default 否
        assert [c.value for c in sheet[1]] == [*HEADERS, "教学点", "特殊教育学校"]


class TestAssessFromStoredData:
    async def test_omitting_schools_assesses_the_imported_sections(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        await client.post(
            "/v1/school-resources/150602/2025/imports",
            content=xlsx(ROWS),
            headers={**writer, "content-type": XLSX},
        )
        response = await client.post(
            "/v1/assessments", json={"county_code": "150602", "year": 2025}, headers=writer
        )
        assert response.status_code == 201
        body = response.json()
        assert [(s["school_code"], s["passed"]) for s in body["schools"]] == [
            ("2115060001", True),
            ("2115060002", True),
            ("2115060003", False),
            ("3115060001", True),
        ]
        assert body["resource_allocation"]["failing_schools"] == [
            {"school_code": "2115060003", "level": "primary"}
        ]
