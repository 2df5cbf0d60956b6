"""Student roster over HTTP on SQLite and PostgreSQL: one child, sheet imports, masking,
jurisdiction."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.students.models import Student, citizen_id_index
from junheng_kit.identifiers import citizen_id_from_body as cid
from junheng_kit.identifiers import student_key
from junheng_kit.tabular import CSV, XLSX, Column, write_xlsx
from junheng_kit.testing.plugin import TEST_PSEUDONYM_KEY, TokenFactory

from .conftest import JUNIOR, NEIGHBOUR, PRIMARY, headers, writer

pytestmark = pytest.mark.usefixtures("schools")

WANG = cid("15060220150301002")  # 王芳, female, born 2015-03-01
LI = cid("15060220120712001")  # 李强, male, born 2012-07-12
ZHAO = cid("15060220160101004")  # 赵敏, female


def child(**values: Any) -> dict[str, Any]:
    return {
        "citizen_id": WANG,
        "name": "王芳",
        "school_code": PRIMARY,
        "level": "primary",
        "grade": 5,
        "boarding": True,
        **values,
    }


async def count_students(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Student)) or 0)


def sheet(*rows: str) -> bytes:
    header = "姓名,身份证件号,性别,出生日期,学校标识码,学段,年级,是否寄宿生"
    return "\n".join([header, *rows]).encode("utf-8-sig")


class TestRegisterStudent:
    async def test_gender_birth_date_county_and_key_come_from_the_id_and_school(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        response = await client.post("/v1/students", json=child(), headers=writer(token))

        assert response.status_code == 201
        body = response.json()
        assert response.headers["location"] == f"/v1/students/{body['id']}"
        assert (body["citizen_id"], body["name"], body["gender"], body["birth_date"]) == (
            WANG,
            "王芳",
            "female",
            "2015-03-01",
        )
        assert (body["county_code"], body["status"], body["source"], body["version"]) == (
            "150602",
            "enrolled",
            "import",
            1,
        )
        assert body["student_key"] == student_key(TEST_PSEUDONYM_KEY.encode(), WANG)

    async def test_a_gender_that_contradicts_the_id_is_refused(
        self, client: AsyncClient, token: TokenFactory, session: AsyncSession
    ) -> None:
        response = await client.post(
            "/v1/students", json=child(gender="male"), headers=writer(token)
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "gender"
        assert response.json()["errors"][0]["rule"] == "gender_matches_citizen_id"
        assert await count_students(session) == 0

    async def test_a_birth_date_that_contradicts_the_id_is_refused(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        response = await client.post(
            "/v1/students", json=child(birth_date="2015-03-02"), headers=writer(token)
        )

        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("birth_date", "birth_date_matches_citizen_id")
        ]

    async def test_a_wrong_check_character_is_refused(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        wrong = WANG[:17] + ("0" if WANG[17] != "0" else "1")
        response = await client.post(
            "/v1/students", json=child(citizen_id=wrong), headers=writer(token)
        )

        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("citizen_id", "citizen_id_check_digit")
        ]

    async def test_a_junior_grade_at_primary_level_is_refused(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        response = await client.post("/v1/students", json=child(grade=7), headers=writer(token))

        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "grade_in_level"

    async def test_a_school_that_does_not_teach_the_level_is_refused(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        response = await client.post(
            "/v1/students", json=child(school_code=JUNIOR), headers=writer(token)
        )

        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("level", "school_teaches_level")
        ]

    async def test_a_school_outside_the_jurisdiction_is_forbidden(
        self, client: AsyncClient, token: TokenFactory, session: AsyncSession
    ) -> None:
        response = await client.post(
            "/v1/students", json=child(school_code=NEIGHBOUR), headers=writer(token)
        )

        assert response.status_code == 403
        assert response.json()["errors"][0] == {
            "field": "school_code",
            "rule": "jurisdiction",
            "message": "令牌的管辖区域为 150602",
        }
        assert await count_students(session) == 0

    async def test_the_same_child_twice_is_409(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        await client.post("/v1/students", json=child(), headers=writer(token))
        response = await client.post("/v1/students", json=child(), headers=writer(token))

        assert response.status_code == 409
        assert response.json()["errors"][0]["rule"] == "citizen_id_unique"

    async def test_writing_needs_the_write_scope(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        response = await client.post(
            "/v1/students", json=child(), headers=headers(token, "assistance:read")
        )

        assert response.status_code == 403
        assert response.json()["errors"][0]["rule"] == "scope_required"


class TestImport:
    async def test_new_ids_join_and_known_ids_update(
        self, client: AsyncClient, token: TokenFactory, session: AsyncSession
    ) -> None:
        first = await client.post(
            "/v1/students/imports",
            content=sheet(
                f"王芳,{WANG},女,2015/3/1,{PRIMARY},小学,五年级,是",
                f"李强,{LI},男,,{JUNIOR},初中,初二,否",
            ),
            headers=writer(token, content_type=CSV),
        )
        again = await client.post(
            "/v1/students/imports",
            content=sheet(
                f"李强,{LI},男,,{JUNIOR},初中,初三,是",
                f"赵敏,{ZHAO},女,,{PRIMARY},小学,3,否",
            ),
            headers=writer(token, content_type=CSV),
        )

        assert first.status_code == 201
        assert first.json() == {"rows": 2, "created": 2, "updated": 0, "placements_applied": 0}
        assert again.json() == {"rows": 2, "created": 1, "updated": 1, "placements_applied": 0}
        li = await session.scalar(
            select(Student).where(Student.citizen_id_index == citizen_id_index(LI))
        )
        assert li is not None
        assert (li.grade, li.boarding, li.version, li.level) == (9, True, 2, "junior")
        wang = await session.scalar(
            select(Student).where(Student.citizen_id_index == citizen_id_index(WANG))
        )
        assert wang is not None
        assert (wang.grade, wang.boarding, wang.gender) == (5, True, "female")
        assert await count_students(session) == 3

    async def test_one_bad_row_imports_nothing_and_every_bad_cell_is_named(
        self, client: AsyncClient, token: TokenFactory, session: AsyncSession
    ) -> None:
        bad_id = LI[:17] + ("0" if LI[17] != "0" else "1")
        response = await client.post(
            "/v1/students/imports",
            content=sheet(
                f"王芳,{WANG},女,,{PRIMARY},小学,5,是",
                f"李强,{bad_id},男,,{JUNIOR},初中,8,否",
                f"赵敏,{ZHAO},男,,{PRIMARY},小学,3,否",
                f"王芳,{WANG},女,,{PRIMARY},小学,5,是",
                f"钱多,{cid('15060220150505003')},男,,2115069999,小学,2,否",
            ),
            headers=writer(token, content_type=CSV),
        )

        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[3].citizen_id", "citizen_id_check_digit"),
            ("rows[4].gender", "gender_matches_citizen_id"),
        ]
        assert await count_students(session) == 0

    async def test_duplicates_and_unknown_schools_are_reported_after_the_cells_pass(
        self, client: AsyncClient, token: TokenFactory, session: AsyncSession
    ) -> None:
        response = await client.post(
            "/v1/students/imports",
            content=sheet(
                f"王芳,{WANG},女,,{PRIMARY},小学,5,是",
                f"王芳,{WANG},女,,{PRIMARY},小学,5,是",
                f"钱多,{cid('15060220150505003')},男,,2115069999,小学,2,否",
            ),
            headers=writer(token, content_type=CSV),
        )

        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[3].citizen_id", "citizen_id_unique_in_sheet"),
            ("rows[4].school_code", "school_registered"),
        ]
        assert await count_students(session) == 0

    async def test_a_child_on_another_countys_roster_is_not_taken_over(
        self, client: AsyncClient, token: TokenFactory, session: AsyncSession
    ) -> None:
        neighbour = writer(token, jurisdiction=("150603",))
        await client.post("/v1/students", json=child(school_code=NEIGHBOUR), headers=neighbour)
        response = await client.post(
            "/v1/students/imports",
            content=sheet(f"王芳,{WANG},女,,{PRIMARY},小学,5,是"),
            headers=writer(token, content_type=CSV),
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "student_in_other_jurisdiction"
        moved = await session.scalar(
            select(Student.county_code).where(Student.citizen_id_index == citizen_id_index(WANG))
        )
        assert moved == "150603"

    async def test_xlsx_with_numeric_cells_keeps_leading_zeros(
        self, client: AsyncClient, token: TokenFactory, session: AsyncSession
    ) -> None:
        columns = [
            Column(f, (t,))
            for f, t in [
                ("name", "姓名"),
                ("citizen_id", "身份证件号"),
                ("school_code", "学校标识码"),
                ("level", "学段"),
                ("grade", "年级"),
            ]
        ]
        content = write_xlsx(columns, [["王芳", WANG, int(PRIMARY), "小学", 5]], "学生名册")
        response = await client.post(
            "/v1/students/imports", content=content, headers=writer(token, content_type=XLSX)
        )

        assert response.status_code == 201
        assert response.json()["created"] == 1
        stored = await session.scalar(
            select(Student).where(Student.citizen_id_index == citizen_id_index(WANG))
        )
        assert stored is not None
        assert stored.school_code == PRIMARY

    async def test_the_template_carries_the_import_titles(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        response = await client.get(
            "/v1/students/imports/template?format=csv", headers=headers(token, "assistance:read")
        )

        assert response.status_code == 200
        assert response.content.decode("utf-8-sig").strip() == (
            "姓名,身份证件号,学籍号,性别,出生日期,学校标识码,学段,年级,是否寄宿生"
        )


class TestReading:
    async def test_without_the_pii_scope_names_ids_and_birth_dates_are_masked(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        created = (await client.post("/v1/students", json=child(), headers=writer(token))).json()
        reader = headers(token, "assistance:read")

        one = (await client.get(f"/v1/students/{created['id']}", headers=reader)).json()
        listed = (await client.get("/v1/students", headers=reader)).json()["items"]

        assert (one["name"], one["citizen_id"], one["birth_date"]) == (
            "王*",
            WANG[:6] + "********" + WANG[-4:],
            None,
        )
        assert [(s["name"], s["citizen_id"]) for s in listed] == [("王*", one["citizen_id"])]

    async def test_with_the_pii_scope_the_full_record_is_shown(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        created = (await client.post("/v1/students", json=child(), headers=writer(token))).json()
        pii = headers(token, "assistance:read", "assistance:pii")

        one = (await client.get(f"/v1/students/{created['id']}", headers=pii)).json()

        assert (one["name"], one["citizen_id"]) == ("王芳", WANG)

    async def test_another_county_cannot_see_dongsheng_students(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        created = (await client.post("/v1/students", json=child(), headers=writer(token))).json()
        neighbour = headers(token, "assistance:read", "assistance:pii", jurisdiction=("150603",))

        one = await client.get(f"/v1/students/{created['id']}", headers=neighbour)
        listed = await client.get("/v1/students", headers=neighbour)

        assert one.status_code == 404
        assert listed.json() == {"items": [], "next_cursor": None}

    async def test_pages_by_cursor_with_a_school_filter(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        await client.post(
            "/v1/students/imports",
            content=sheet(
                f"王芳,{WANG},女,,{PRIMARY},小学,5,是",
                f"李强,{LI},男,,{JUNIOR},初中,8,否",
                f"赵敏,{ZHAO},女,,{PRIMARY},小学,3,否",
            ),
            headers=writer(token, content_type=CSV),
        )
        pii = headers(token, "assistance:read", "assistance:pii")

        first = (
            await client.get(f"/v1/students?school_code={PRIMARY}&limit=1", headers=pii)
        ).json()
        second = (
            await client.get(
                f"/v1/students?school_code={PRIMARY}&limit=1&cursor={first['next_cursor']}",
                headers=pii,
            )
        ).json()

        names = {first["items"][0]["name"], second["items"][0]["name"]}
        assert names == {"王芳", "赵敏"}
        assert second["next_cursor"] is None
