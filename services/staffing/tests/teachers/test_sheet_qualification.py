"""教师信息表 with 校级领导职务 and the 教师资格证 columns, on both databases: labels or codes in,
labels out, bad cells named, and an older template without the columns erases nothing."""

import csv
import io
import json
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.tables import OutboxMessage
from staffing.teachers.models import Teacher

from .conftest import citizen_id
from .test_sheet import EXPORT_HEADER, HEADER, row, sheet, upload

pytestmark = pytest.mark.usefixtures("schools")
NEW_COLUMNS = ("校级领导职务", "教师资格种类", "教师资格证书编号", "教师资格任教学科")


def full_row(sequence: int, **changes: str) -> list[str]:
    """A row of the current template: the older row with the four later columns."""
    values = dict(zip(HEADER, row(sequence), strict=True))
    values.update(dict.fromkeys(NEW_COLUMNS, ""))
    values.update(changes)
    return [values[h] for h in EXPORT_HEADER]


def full_sheet(*rows: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([EXPORT_HEADER, *rows])
    return out.getvalue().encode("utf-8-sig")


CERTIFIED = {
    "校级领导职务": "校长",
    "教师资格种类": "小学教师资格",
    "教师资格证书编号": "20181500000000456",
    "教师资格任教学科": "音乐",
}


async def stored(session: AsyncSession) -> list[tuple[Any, ...]]:
    rows = await session.execute(
        select(
            Teacher.leadership_post,
            Teacher.teacher_qualification_type,
            Teacher.teacher_qualification_number,
            Teacher.teacher_qualification_subject,
        ).order_by(Teacher.citizen_id)
    )
    return [(getattr(p, "value", p), *rest) for p, *rest in rows]


class TestColumns:
    async def test_labels_are_stored_as_codes_and_published_without_the_number(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        content = full_sheet(
            full_row(11, **CERTIFIED),
            full_row(13, 校级领导职务="vice_principal", 教师资格种类="junior_secondary"),
            full_row(15),
        )
        response = await upload(client, writer, content)
        assert response.status_code == 201, response.text

        assert await stored(session) == [
            ("principal", "primary_school", "20181500000000456", "music"),
            ("vice_principal", "junior_secondary", None, None),
            (None, None, None, None),
        ]
        page = (await client.get("/v1/teachers", headers=writer)).json()["items"]
        assert sorted(t["flags"] for t in page) == [[], [], ["no_teacher_qualification"]]
        payloads = await session.scalars(
            select(OutboxMessage.payload).where(
                OutboxMessage.subject == "staffing.teacher.registered"
            )
        )
        data = sorted(
            (json.loads(p)["data"] for p in payloads),
            key=lambda d: d["leadership_post"] or "~",
        )
        assert [
            (
                d["leadership_post"],
                d["teacher_qualification_type"],
                d["teacher_qualification_subject"],
            )
            for d in data
        ] == [
            ("principal", "primary_school", "music"),
            ("vice_principal", "junior_secondary", None),
            (None, None, None),
        ]
        assert all("20181500000000456" not in json.dumps(d) for d in data)

    async def test_bad_cells_are_named_by_their_column_and_nothing_is_imported(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        content = full_sheet(
            full_row(11, 教师资格种类="特岗"),
            full_row(13, 校级领导职务="书记"),
            full_row(15, 教师资格证书编号="20181500000000457"),  # a number without its kind
        )
        response = await upload(client, writer, content)

        assert response.status_code == 422
        assert sorted((e["field"], e["rule"]) for e in response.json()["errors"]) == [
            ("rows[2].teacher_qualification_type", "teacher_qualification_type_code"),
            ("rows[3].leadership_post", "leadership_post_code"),
            ("rows[4].teacher_qualification_type", "teacher_qualification_type_required"),
        ]
        assert await stored(session) == []

    async def test_an_older_template_keeps_what_was_recorded_and_blank_cells_clear_it(
        self, client: AsyncClient, writer: dict[str, Any], session: AsyncSession
    ) -> None:
        first = await upload(client, writer, full_sheet(full_row(11, **CERTIFIED)))
        assert first.status_code == 201
        # a sheet of the older template (no such columns) changes the title, nothing else
        older = await upload(client, writer, sheet(row(11, 职称="一级")))
        assert older.json()["updated"] == 1
        assert await stored(session) == [
            ("principal", "primary_school", "20181500000000456", "music")
        ]
        cleared = await upload(client, writer, full_sheet(full_row(11)))
        assert cleared.status_code == 201
        assert await stored(session) == [(None, None, None, None)]

    async def test_the_export_writes_labels_and_imports_back_unchanged(
        self, client: AsyncClient, pii_writer: dict[str, Any]
    ) -> None:
        content = full_sheet(
            full_row(11, **CERTIFIED),
            full_row(13, 教师资格种类="高级中学", 教师资格任教学科="数学"),
        )
        assert (await upload(client, pii_writer, content)).status_code == 201
        url = "/v1/teacher-exports?county_code=150602&format=csv"
        first = (await client.get(url, headers=pii_writer)).content
        rows = list(csv.reader(io.StringIO(first.decode("utf-8-sig"))))
        by_id = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
        assert [by_id[citizen_id("19900105", 11)][c] for c in NEW_COLUMNS] == [
            "校长",
            "小学",
            "20181500000000456",
            "音乐",
        ]
        assert [by_id[citizen_id("19900105", 13)][c] for c in NEW_COLUMNS] == [
            "",
            "高级中学",
            "",
            "数学",
        ]
        assert (await upload(client, pii_writer, first)).status_code == 201
        assert (await client.get(url, headers=pii_writer)).content == first
