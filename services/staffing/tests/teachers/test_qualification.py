"""校级领导职务 and 教师资格证 in the registry, on both databases: recorded, read with their
flags, listed by flag, refused only for unknown codes.

Seed 000: "全面推开中小学教师资格定期注册制度,教师必须取得相应教师资格证后,方可持证上岗任教";
教师资格条例 Art. 5: a certificate allows teaching at its own level and below."""

from typing import Any

import pytest
from httpx import AsyncClient

from .conftest import JUNIOR, NINE_YEAR, citizen_id, teacher

pytestmark = pytest.mark.usefixtures("schools")
CERTIFICATE = {"type": "小学", "number": "20201500000000123", "subject": "语文"}


async def register(client: AsyncClient, headers: dict[str, Any], **changes: Any) -> Any:
    response = await client.post("/v1/teachers", json=teacher(**changes), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


class TestRecord:
    async def test_the_post_and_certificate_are_kept_as_codes(
        self, client: AsyncClient, writer: dict[str, Any], pii_writer: dict[str, Any]
    ) -> None:
        """The certificate number names one teacher (personal data): in full with
        `staffing:pii`, withheld without it; the kind and subject are shown to both."""
        body = await register(
            client, pii_writer, leadership_post="校长", teacher_qualification=CERTIFICATE
        )

        assert body["leadership_post"] == "principal"
        assert body["teacher_qualification"] == {
            "type": "primary_school",
            "number": "20201500000000123",
            "subject": "chinese",
        }
        assert body["flags"] == []
        read = (await client.get(f"/v1/teachers/{body['id']}", headers=pii_writer)).json()
        assert (read["teacher_qualification"], read["flags"]) == (
            body["teacher_qualification"],
            [],
        )
        masked = (await client.get(f"/v1/teachers/{body['id']}", headers=writer)).json()
        assert masked["teacher_qualification"] == {
            "type": "primary_school",
            "number": None,
            "subject": "chinese",
        }

    async def test_a_full_time_teacher_without_a_certificate_is_recorded_and_flagged(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        body = await register(client, writer)

        assert (body["teacher_qualification"], body["flags"]) == (
            None,
            ["no_teacher_qualification"],
        )

    async def test_auxiliary_staff_need_no_certificate(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        body = await register(client, writer, post_type="教辅", subjects=[])

        assert body["flags"] == []

    @pytest.mark.parametrize(
        ("kind", "flags"),
        [
            ("小学", ["teacher_qualification_below_section"]),  # level 2 < junior's 3
            ("初级中学", []),
            ("高级中学", []),  # a higher level allows the lower
            ("中等职业学校", []),  # level of 高级中学
            ("中等职业学校实习指导", ["teacher_qualification_below_section"]),  # 实习指导 only
        ],
    )
    async def test_a_junior_teacher_needs_a_certificate_of_junior_level_or_above(
        self, client: AsyncClient, writer: dict[str, Any], kind: str, flags: list[str]
    ) -> None:
        body = await register(
            client,
            writer,
            school_code=JUNIOR,
            section="初中",
            teacher_qualification={"type": kind},
        )

        assert body["flags"] == flags

    async def test_a_patch_records_clears_and_moves_the_flag(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        created = await register(client, writer, school_code=NINE_YEAR)
        url = f"/v1/teachers/{created['id']}"
        recorded = await client.patch(
            url,
            json={"teacher_qualification": CERTIFICATE, "leadership_post": "副校长"},
            headers=writer,
        )
        assert recorded.status_code == 200, recorded.text
        assert (recorded.json()["leadership_post"], recorded.json()["flags"]) == (
            "vice_principal",
            [],
        )
        junior = await client.patch(url, json={"section": "junior"}, headers=writer)
        assert junior.json()["flags"] == ["teacher_qualification_below_section"]
        cleared = await client.patch(
            url, json={"teacher_qualification": None, "leadership_post": None}, headers=writer
        )
        assert (cleared.json()["teacher_qualification"], cleared.json()["leadership_post"]) == (
            None,
            None,
        )
        assert cleared.json()["flags"] == ["no_teacher_qualification"]

    async def test_the_list_shows_the_teachers_a_flag_names(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        without = await register(client, writer)
        await register(
            client,
            writer,
            citizen_id=citizen_id("19850312", 23),
            teacher_qualification=CERTIFICATE,
        )
        below = await register(
            client,
            writer,
            citizen_id=citizen_id("19850312", 25),
            school_code=JUNIOR,
            section="初中",
            teacher_qualification=CERTIFICATE,
        )

        async def flagged(flag: str) -> list[str]:
            page = await client.get("/v1/teachers", params={"flag": flag}, headers=writer)
            assert page.status_code == 200, page.text
            return [t["id"] for t in page.json()["items"]]

        assert await flagged("no_teacher_qualification") == [without["id"]]
        assert await flagged("teacher_qualification_below_section") == [below["id"]]


class TestBadInput:
    async def test_an_unknown_certificate_kind_names_field_and_rule(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        response = await client.post(
            "/v1/teachers",
            json=teacher(teacher_qualification={"type": "特级教师", "number": "1"}),
            headers=writer,
        )

        assert response.status_code == 422
        [error] = response.json()["errors"]
        assert (error["field"], error["rule"]) == (
            "teacher_qualification.type",
            "teacher_qualification_type_code",
        )
        assert "教师资格条例第四条" in error["message"]

    async def test_an_unknown_leadership_post_names_field_and_rule(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        response = await client.post(
            "/v1/teachers", json=teacher(leadership_post="书记"), headers=writer
        )

        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("leadership_post", "leadership_post_code")
        ]

    async def test_a_certificate_without_its_kind_and_an_overlong_number_are_named(
        self, client: AsyncClient, writer: dict[str, Any]
    ) -> None:
        response = await client.post(
            "/v1/teachers",
            json=teacher(teacher_qualification={"type": None, "number": "1" * 31}),
            headers=writer,
        )

        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("teacher_qualification.type", "teacher_qualification_type_required"),
            ("teacher_qualification.number", "string_too_long"),
        ]
