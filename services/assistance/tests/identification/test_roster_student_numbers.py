"""全国学籍号 on the student roster over HTTP, on SQLite and PostgreSQL (issue 19): validated by
the kit's `check_student_number` (domain.md §1.4), a G number carrying the row's citizen ID, one
number per child on the roster, masked like the citizen ID without `assistance:pii`."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.students.models import Student
from junheng_kit.identifiers import citizen_id_from_body as cid
from junheng_kit.tabular import CSV
from junheng_kit.testing.plugin import TokenFactory

from .conftest import JUNIOR, PRIMARY, headers, writer

pytestmark = pytest.mark.usefixtures("schools")

WANG = cid("15060220150301002")  # 王芳, female, born 2015-03-01
LI = cid("15060220120712001")  # 李强, male, born 2012-07-12
ZHAO = cid("15060220160101004")  # 赵敏, female
# J + 150602 (东胜区) + 2016-01-01 + 005: products 7 45 0 30 0 8 4 0 6 18 0 9 0 5 0 0 10 → 142;
# 142 mod 11 = 10 → check character 2
ZHAO_J = "J150602201601010052"


def child(**values: Any) -> dict[str, Any]:
    return {
        "citizen_id": WANG,
        "name": "王芳",
        "school_code": PRIMARY,
        "level": "primary",
        "grade": 5,
        **values,
    }


def sheet(*rows: str, title: str = "学籍号") -> bytes:
    header = f"姓名,身份证件号,{title},性别,学校标识码,学段,年级"
    return "\n".join([header, *rows]).encode("utf-8-sig")


async def numbers(session: AsyncSession) -> dict[str, str | None]:
    rows = await session.execute(select(Student.citizen_id, Student.student_number))
    return dict(rows.all())


def test_the_hand_computed_j_number_checks() -> None:
    from junheng_kit.identifiers import check_student_number, citizen_id_check_character

    assert citizen_id_check_character("15060220160101005") == "2"
    assert check_student_number(ZHAO_J) == ZHAO_J


class TestRegister:
    async def test_the_number_is_stored_upper_cased_and_shown_with_the_pii_scope(
        self, client: AsyncClient, token: TokenFactory, session: AsyncSession
    ) -> None:
        response = await client.post(
            "/v1/students", json=child(student_number="g" + WANG.lower()), headers=writer(token)
        )

        assert response.status_code == 201, response.text
        assert response.json()["student_number"] == "G" + WANG
        assert await numbers(session) == {WANG: "G" + WANG}

    async def test_without_the_pii_scope_the_number_is_masked_like_the_id(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        body = child(student_number="G" + WANG)
        created = (await client.post("/v1/students", json=body, headers=writer(token))).json()
        reader = headers(token, "assistance:read")

        one = (await client.get(f"/v1/students/{created['id']}", headers=reader)).json()
        listed = (await client.get("/v1/students", headers=reader)).json()["items"]

        masked_id = WANG[:6] + "********" + WANG[-4:]
        assert (one["citizen_id"], one["student_number"]) == (masked_id, "G" + masked_id)
        assert [s["student_number"] for s in listed] == ["G" + masked_id]

    async def test_a_child_without_a_number_has_none(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        response = await client.post("/v1/students", json=child(), headers=writer(token))

        assert response.json()["student_number"] is None
        reader = headers(token, "assistance:read")
        assert (await client.get("/v1/students", headers=reader)).json()["items"][0][
            "student_number"
        ] is None

    @pytest.mark.parametrize(
        ("number", "rule"),
        [
            ("G" + LI, "student_number_matches_citizen_id"),
            ("G" + WANG[:17] + ("0" if WANG[17] != "0" else "1"), "student_number_check_character"),
            ("J150602201601010058", "student_number_check_character"),
            ("L150602201602304821", "student_number_birth_date"),
            (WANG, "student_number_format"),
        ],
    )
    async def test_a_bad_number_is_422_naming_the_field_and_rule(
        self, client: AsyncClient, token: TokenFactory, session: AsyncSession, number: str,
        rule: str,
    ) -> None:  # fmt: skip
        response = await client.post(
            "/v1/students", json=child(student_number=number), headers=writer(token)
        )

        assert response.status_code == 422, response.text
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("student_number", rule)
        ]
        assert await numbers(session) == {}

    async def test_a_number_another_child_holds_is_409(
        self, client: AsyncClient, token: TokenFactory, session: AsyncSession
    ) -> None:
        first = child(citizen_id=ZHAO, name="赵敏", grade=3, student_number=ZHAO_J)
        created = await client.post("/v1/students", json=first, headers=writer(token))
        assert created.status_code == 201, created.text
        response = await client.post(
            "/v1/students", json=child(student_number=ZHAO_J), headers=writer(token)
        )

        assert response.status_code == 409, response.text
        assert response.json()["errors"][0]["rule"] == "student_number_unique"
        assert await numbers(session) == {ZHAO: ZHAO_J}


class TestImport:
    async def test_numbers_join_with_their_rows_and_a_blank_cell_keeps_the_stored_one(
        self, client: AsyncClient, token: TokenFactory, session: AsyncSession
    ) -> None:
        first = await client.post(
            "/v1/students/imports",
            content=sheet(
                f"王芳,{WANG},G{WANG},女,{PRIMARY},小学,5",
                f"李强,{LI},,男,{JUNIOR},初中,8",
                f"赵敏,{ZHAO},{ZHAO_J.lower()},女,{PRIMARY},小学,3",
                title="全国学籍号",
            ),
            headers=writer(token, content_type=CSV),
        )
        again = await client.post(
            "/v1/students/imports",
            content=sheet(
                f"王芳,{WANG},,女,{PRIMARY},小学,6",  # blank: keeps G + the ID
                f"李强,{LI},L150602201207124821,男,{JUNIOR},初中,9",  # a number now
            ),
            headers=writer(token, content_type=CSV),
        )

        assert first.status_code == 201, first.text
        assert again.status_code == 201, again.text
        assert await numbers(session) == {
            WANG: "G" + WANG,
            LI: "L150602201207124821",
            ZHAO: ZHAO_J,
        }

    async def test_a_number_twice_or_held_by_another_child_is_named_by_row(
        self, client: AsyncClient, token: TokenFactory, session: AsyncSession
    ) -> None:
        await client.post(
            "/v1/students",
            json=child(citizen_id=ZHAO, name="赵敏", grade=3, student_number=ZHAO_J),
            headers=writer(token),
        )
        response = await client.post(
            "/v1/students/imports",
            content=sheet(
                f"王芳,{WANG},L150602201503014821,女,{PRIMARY},小学,5",
                f"李强,{LI},L150602201503014821,男,{JUNIOR},初中,8",
                f"王芳二,{cid('15060220150301024')},{ZHAO_J},女,{PRIMARY},小学,5",
            ),
            headers=writer(token, content_type=CSV),
        )

        assert response.status_code == 422, response.text
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[3].student_number", "student_number_unique_in_sheet"),
            ("rows[4].student_number", "student_number_unique"),
        ]
        assert await numbers(session) == {ZHAO: ZHAO_J}

    async def test_a_bad_cell_is_named_with_its_rule(
        self, client: AsyncClient, token: TokenFactory, session: AsyncSession
    ) -> None:
        response = await client.post(
            "/v1/students/imports",
            content=sheet(
                f"王芳,{WANG},G{LI},女,{PRIMARY},小学,5",
                f"李强,{LI},X{LI},男,{JUNIOR},初中,8",
            ),
            headers=writer(token, content_type=CSV),
        )

        assert response.status_code == 422, response.text
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[2].student_number", "student_number_matches_citizen_id"),
            ("rows[3].student_number", "student_number_format"),
        ]
        assert await numbers(session) == {}
