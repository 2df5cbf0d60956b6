"""教师培训记录表 import on both databases: Chinese titles, CSV and XLSX, all rows or none, and a
second upload of the same sheet updating rather than doubling the hours."""

import csv
import hashlib
import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from httpx import AsyncClient
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.tabular import CSV, XLSX
from junheng_kit.testing.plugin import TokenFactory, auth, problem_errors
from staffing.training.models import TrainingRecord

from .conftest import ANSHAN, PRIMARY, citizen_id, days_ago, register, teacher

pytestmark = pytest.mark.usefixtures("schools")

HEADER = [
    "公民身份号码",
    "姓名",
    "培训项目",
    "培训机构",
    "开始日期",
    "完成日期",
    "学时",
    "证书编号",
]


def sheet(*rows: list[str], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode("utf-8-sig")


def row(sequence: int, **changes: str) -> list[str]:
    values = {
        "公民身份号码": citizen_id("19850312", sequence),
        "姓名": f"教师{sequence}",
        "培训项目": "2024年国培计划",
        "培训机构": "鄂尔多斯市教育研究院",
        "开始日期": "2024/7/8",
        "完成日期": "2024/7/19",
        "学时": "72",
        "证书编号": "",
    }
    values.update(changes)
    return [values[h] for h in HEADER]


async def upload(
    client: AsyncClient, headers: dict[str, Any], content: bytes, media_type: str = CSV
) -> Any:
    return await client.post(
        "/v1/teacher-training-imports",
        content=content,
        headers={**headers, "Content-Type": media_type},
    )


async def stored(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(TrainingRecord)) or 0)


class TestImport:
    async def test_a_good_sheet_adds_every_row_and_a_second_upload_updates_them(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        first = await register(client, writer, 11)
        await register(client, writer, 13)
        content = sheet(
            row(11),
            row(
                11,
                培训项目="校本研修",
                培训机构="",
                开始日期="",
                完成日期="2023.12.29",
                学时="24.5",
            ),
            row(13, 证书编号="PX-2024-0013"),
        )

        response = await upload(client, writer, content)

        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["rows"], body["added"], body["updated"]) == (3, 3, 0)
        assert body["content_sha256"] == hashlib.sha256(content).hexdigest()
        records = (
            await client.get(f"/v1/teachers/{first}/training-records", headers=writer)
        ).json()["records"]
        assert [(r["programme"], r["completed_on"], Decimal(r["hours"])) for r in records] == [
            ("2024年国培计划", "2024-07-19", 72),
            ("校本研修", "2023-12-29", Decimal("24.5")),
        ]
        assert (records[0]["started_on"], records[1]["provider"]) == ("2024-07-08", None)
        assert records[0]["import_id"] == body["id"]

        again = await upload(client, writer, sheet(row(11, 学时="80"), row(13)))

        assert (again.json()["added"], again.json()["updated"]) == (0, 2)
        assert await stored(session) == 3  # updated, not doubled
        hours = (
            await client.get(
                f"/v1/teachers/{first}/training-records",
                params={"on": "2024-12-31"},
                headers=writer,
            )
        ).json()["hours"]
        assert Decimal(hours["hours_in_window"]) == Decimal("104.5")  # 80 + 24.5

    async def test_an_xlsx_with_date_cells_and_numbers_imports(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        teacher_id = await register(client, writer, 15)
        workbook = Workbook()
        sheet_ = workbook.active
        assert sheet_ is not None
        sheet_.append(["身份证号", "培训项目名称", "结业日期", "培训学时", "培训证书编号"])
        sheet_.append([citizen_id("19850312", 15), "骨干教师研修", date(2024, 7, 19), 72, 2024001])
        out = io.BytesIO()
        workbook.save(out)

        response = await upload(client, writer, out.getvalue(), XLSX)

        assert response.status_code == 201, response.text
        [record] = (
            await client.get(f"/v1/teachers/{teacher_id}/training-records", headers=writer)
        ).json()["records"]
        assert (record["completed_on"], Decimal(record["hours"])) == ("2024-07-19", 72)
        assert record["certificate_reference"] == "2024001"

    async def test_every_bad_row_is_named_and_nothing_is_imported(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        await register(client, writer, 17)
        response = await upload(
            client,
            writer,
            sheet(
                row(17),
                row(17, 学时="0"),  # row 3
                row(17, 姓名="李四", 培训项目="另一培训"),  # row 4
                row(17, 培训项目="未来培训", 开始日期="", 完成日期=days_ago(-3)),  # row 5
                row(21),  # row 6: not registered
                row(17),  # row 7: same as row 2
            ),
        )

        # the cells first: a sheet with a bad cell is refused before any rule is checked
        assert response.status_code == 422
        assert problem_errors(response) == [("rows[3].hours", "greater_than")]
        assert await stored(session) == 0

        response = await upload(
            client,
            writer,
            sheet(
                row(17),
                row(17, 姓名="李四", 培训项目="另一培训"),
                row(17, 培训项目="未来培训", 开始日期="", 完成日期=days_ago(-3)),
                row(21),
                row(17),
            ),
        )
        assert problem_errors(response) == [
            ("rows[3].name", "name_matches_registry"),
            ("rows[4].completed_on", "training_completed_not_in_future"),
            ("rows[5].citizen_id", "teacher_registered"),
            ("rows[6].programme", "training_record_unique_in_sheet"),
        ]
        assert await stored(session) == 0

    async def test_another_countys_teacher_is_not_found_in_this_jurisdiction(
        self, client: AsyncClient, writer: dict[str, Any], token: TokenFactory
    ) -> None:
        anshan = auth(token("staffing:read", "staffing:write", jurisdiction=("210302",)))
        await client.post("/v1/teachers", json=teacher(23, school_code=ANSHAN), headers=anshan)

        response = await upload(client, writer, sheet(row(23)))

        assert problem_errors(response) == [("rows[2].citizen_id", "teacher_registered")]

    async def test_a_missing_required_column_is_400(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        header = [h for h in HEADER if h != "学时"]
        response = await upload(client, writer, sheet(row(25)[:6] + row(25)[7:], header=header))
        assert response.status_code == 400
        assert problem_errors(response) == [("header", "column_required")]

    async def test_the_schools_counts_follow_the_import(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        await register(client, writer, 27)
        await upload(client, writer, sheet(row(27, 开始日期="", 完成日期=days_ago(10), 学时="360")))
        stats = await client.get(f"/v1/schools/{PRIMARY}/teacher-stats", headers=writer)
        [section] = stats.json()["sections"]
        assert (
            section["teachers_counted_for_training"],
            section["teachers_meeting_training_hours"],
        ) == (1, 1)
