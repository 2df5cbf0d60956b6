"""教师信息表 import and export on both databases: all rows or none, round trip, moves."""

import csv
import hashlib
import io
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.tabular import CSV, XLSX
from staffing.teachers.models import Teacher, TeacherAssignment

from .conftest import JUNIOR, NINE_YEAR, PRIMARY, citizen_id

pytestmark = pytest.mark.usefixtures("schools")

HEADER = [
    "公民身份号码", "姓名", "性别", "出生日期", "学校标识码", "任教学段", "调入本校日期",
    "岗位类别", "任教学科", "职称", "最高学历", "骨干教师级别", "编制状态", "参加工作日期",
    "状态", "乡村学校任教经历",
]  # fmt: skip
# the columns an export writes: the sheet above (a template from before 校级领导职务 and 教师资格证
# were recorded) with those four before the last
EXPORT_HEADER = [
    *HEADER[:-1],
    "校级领导职务", "教师资格种类", "教师资格证书编号", "教师资格任教学科",
    HEADER[-1],
]  # fmt: skip


def row(sequence: int, **changes: str) -> list[str]:
    values = {
        "公民身份号码": citizen_id("19900105", sequence),
        "姓名": f"教师{sequence}",
        "性别": "",
        "出生日期": "1990/1/5",
        "学校标识码": PRIMARY,
        "任教学段": "小学",
        "调入本校日期": "2018-09-01",
        "岗位类别": "专任",
        "任教学科": "音乐、语文",
        "职称": "二级",
        "最高学历": "本科",
        "骨干教师级别": "",
        "编制状态": "在编",
        "参加工作日期": "2012-09-01",
        "状态": "在职",
        "乡村学校任教经历": "",
    }
    values.update(changes)
    return [values[h] for h in HEADER]


def sheet(*rows: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode("utf-8-sig")


async def upload(
    client: AsyncClient, headers: dict[str, Any], content: bytes, media_type: str = CSV
) -> Any:
    return await client.post(
        "/v1/teacher-imports", content=content, headers={**headers, "Content-Type": media_type}
    )


async def teachers(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Teacher)) or 0)


class TestImport:
    async def test_a_good_sheet_registers_every_row_and_records_its_hash(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        content = sheet(
            row(11, 乡村学校任教经历="2012-09-01~2015-09-01 某某嘎查小学"),
            row(12, 学校标识码=NINE_YEAR, 任教学段="初中", 骨干教师级别="市级"),
        )
        response = await upload(client, writer, content)
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["rows"], body["registered"], body["updated"], body["moved"]) == (2, 2, 0, 0)
        assert body["content_sha256"] == hashlib.sha256(content).hexdigest()
        assert await teachers(session) == 2
        stats = (await client.get(f"/v1/schools/{PRIMARY}/teacher-stats", headers=writer)).json()
        assert stats["sections"][0]["pe_arts_teachers"] == 1  # 音乐 is the main subject

    async def test_one_bad_row_imports_nothing_and_every_bad_cell_is_named(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        bad_id = citizen_id("19900105", 12)[:17] + "0"
        if bad_id == citizen_id("19900105", 12):
            bad_id = bad_id[:17] + "1"
        content = sheet(
            row(11),
            row(12, 公民身份号码=bad_id, 最高学历="函授"),
            row(13, 学校标识码="2115069999"),
        )
        response = await upload(client, writer, content)
        assert response.status_code == 422
        fields = sorted((e["field"], e["rule"]) for e in response.json()["errors"])
        assert fields == [
            ("rows[3].citizen_id", "citizen_id_check_digit"),
            ("rows[3].degree", "degree_code"),
        ]
        assert await teachers(session) == 0
        # once the cells are right, the set checks name the unknown school
        content = sheet(row(11), row(12), row(13, 学校标识码="2115069999"))
        response = await upload(client, writer, content)
        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[4].school_code", "school_registered")
        ]
        assert await teachers(session) == 0

    async def test_the_same_id_twice_in_a_sheet_is_refused(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        response = await upload(client, writer, sheet(row(11), row(11)))
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "rows[3].citizen_id"
        assert response.json()["errors"][0]["rule"] == "citizen_id_unique_in_sheet"

    async def test_a_missing_column_is_400(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        response = await upload(client, writer, "姓名\n张三\n".encode())
        assert response.status_code == 400
        assert {e["message"] for e in response.json()["errors"]} >= {"公民身份号码", "最高学历"}

    async def test_a_changed_school_is_a_move_kept_in_the_history(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        assert (await upload(client, writer, sheet(row(11)))).status_code == 201
        moved = sheet(row(11, 学校标识码=JUNIOR, 任教学段="初中", 调入本校日期="2024-09-01"))
        body = (await upload(client, writer, moved)).json()
        assert (body["registered"], body["updated"], body["moved"]) == (0, 0, 1)
        starts = (
            await session.execute(
                select(TeacherAssignment.school_code, TeacherAssignment.sequence).order_by(
                    TeacherAssignment.sequence
                )
            )
        ).all()
        assert [tuple(s) for s in starts] == [(PRIMARY, 1), (JUNIOR, 2)]

    async def test_an_unsupported_media_type_is_415(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        response = await upload(client, writer, b"{}", media_type="application/json")
        assert response.status_code == 415


class TestExport:
    async def test_xlsx_export_imports_back_unchanged(
        self, client: AsyncClient, pii_writer: dict[str, Any]
    ) -> None:
        content = sheet(
            row(11, 乡村学校任教经历="2012-09-01~2015-09-01 某某嘎查小学", 骨干教师级别="县级"),
            row(12, 学校标识码=NINE_YEAR, 任教学段="初中", 职称="正高级", 岗位类别="教辅",
                任教学科=""),
        )  # fmt: skip
        assert (await upload(client, pii_writer, content)).status_code == 201
        first = await client.get("/v1/teacher-exports?county_code=150602", headers=pii_writer)
        assert first.status_code == 200
        assert first.headers["content-type"] == XLSX
        again = await upload(client, pii_writer, first.content, media_type=XLSX)
        assert again.status_code == 201, again.text
        assert (again.json()["registered"], again.json()["updated"]) == (0, 2)
        before = await client.get(
            "/v1/teacher-exports?county_code=150602&format=csv", headers=pii_writer
        )
        rows = list(csv.reader(io.StringIO(before.content.decode("utf-8-sig"))))
        assert rows[0] == EXPORT_HEADER
        assert rows[1][2] == "男"  # sequence 011: position 17 odd
        assert rows[1][8] == "音乐、语文"
        assert rows[1][19] == "2012-09-01~2015-09-01 某某嘎查小学"
        assert rows[2][9] == "正高级"

    async def test_csv_export_is_byte_identical_after_reimport(
        self, client: AsyncClient, pii_writer: dict[str, Any]
    ) -> None:
        assert (await upload(client, pii_writer, sheet(row(11), row(13)))).status_code == 201
        url = "/v1/teacher-exports?county_code=150602&format=csv"
        first = (await client.get(url, headers=pii_writer)).content
        assert (await upload(client, pii_writer, first)).status_code == 201
        assert (await client.get(url, headers=pii_writer)).content == first
