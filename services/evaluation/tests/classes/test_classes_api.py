"""Class data (班级学生数) in — JSON for the county or one school, CSV/XLSX — checked against the
roll, announced as `evaluation.class_sizes.changed`, and judged by the county verdict (班额,
government assurance item 5), on SQLite and PostgreSQL.

domain.md §2.5 / §5.4 item 5: "Class cap (班额), every class: primary ≤ 45, junior ≤ 50";
"大班额 / 超大班额: ≥ 56 / ≥ 66 pupils".
"""

import json
from typing import Any

from httpx import AsyncClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.classes.models import ClassImport, SchoolClass
from junheng_kit.tables import OutboxMessage
from junheng_kit.testing.plugin import TokenFactory, auth

CLASSES = "/v1/school-classes/150602/2025"
VERDICT = "/v1/counties/150602/years/2025/verdict"
A, B, C, J = "2115060001", "2115060002", "2115060003", "3115060001"


def klass(school: str, level: str, grade: int, name: str, pupils: int) -> dict[str, Any]:
    return {"school_code": school, "level": level, "grade": grade, "name": name, "pupils": pupils}


def classes() -> list[dict[str, Any]]:
    """A: 45, 57, 44 (one over 45, a 大班额); B: 66, 40 (over, 大班额 and 超大班额); C: 30, 28;
    J (junior): 50, 51 (one over 50 by 1)."""
    return [
        klass(A, "primary", 1, "1班", 45),
        klass(A, "primary", 1, "2班", 57),
        klass(A, "primary", 3, "1班", 44),
        klass(B, "primary", 2, "1班", 66),
        klass(B, "primary", 2, "2班", 40),
        klass(C, "primary", 1, "1班", 30),
        klass(C, "primary", 6, "1班", 28),
        klass(J, "junior", 7, "1班", 50),
        klass(J, "junior", 7, "2班", 51),
    ]


async def store_resources(
    client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]]
) -> None:
    response = await client.put(
        "/v1/school-resources/150602/2025", json={"schools": county}, headers=writer
    )
    assert response.status_code == 200, response.json()


async def stored(session: AsyncSession) -> tuple[int, int]:
    rows = await session.scalar(select(func.count()).select_from(SchoolClass))
    uploads = await session.scalar(select(func.count()).select_from(ClassImport))
    return int(rows or 0), int(uploads or 0)


def rules_of(response: Any) -> list[tuple[str, str]]:
    return [(e["field"], e["rule"]) for e in response.json()["errors"]]


class TestStoreAndRead:
    async def test_the_countys_classes_are_stored_and_measured_per_section(
        self, client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]]
    ) -> None:
        await store_resources(client, writer, county)

        put = await client.put(CLASSES, json={"classes": classes()}, headers=writer)
        read = await client.get(CLASSES, headers=writer)

        assert put.status_code == 200, put.json()
        assert (put.json()["version"], put.json()["classes"], put.json()["source"]) == (
            9 // 9,
            9,
            "api",
        )
        body = read.json()
        assert body["caps"] == {"primary": "45", "junior": "50"}
        assert body["bands"] == {"large_class": 56, "extra_large_class": 66}
        assert body["measured"] == {"largest_primary_class": "66", "largest_junior_class": "51"}
        sections = {s["school_code"]: s for s in body["sections"]}
        assert sections[A]["over_cap"] == [{"grade": 1, "name": "2班", "pupils": 57}]
        assert (sections[A]["met"], sections[A]["pupils_over"], sections[A]["large_classes"]) == (
            False,
            12,
            1,
        )
        assert (sections[B]["large_classes"], sections[B]["extra_large_classes"]) == (1, 1)
        assert sections[C]["met"] is True
        primary = next(t for t in body["totals"] if t["level"] == "primary")
        assert (primary["classes"], primary["over_cap_classes"], primary["large_classes"]) == (
            7,
            2,
            2,
        )
        assert primary["large_share"] == "0.2857"
        assert primary["extra_large_share"] == "0.1429"
        assert "classes" not in body
        listed = await client.get(CLASSES, params={"include": "classes"}, headers=writer)
        assert len(listed.json()["classes"]) == 9

    async def test_one_schools_classes_replace_only_that_schools(
        self,
        client: AsyncClient,
        writer: dict[str, str],
        county: list[dict[str, Any]],
        session: AsyncSession,
    ) -> None:
        await store_resources(client, writer, county)
        await client.put(CLASSES, json={"classes": classes()}, headers=writer)

        response = await client.put(
            f"{CLASSES}/schools/{A}",
            json={
                "classes": [
                    {"level": "primary", "grade": 1, "name": "1班", "pupils": 45},
                    {"level": "primary", "grade": 1, "name": "2班", "pupils": 45},
                    {"level": "primary", "grade": 1, "name": "3班", "pupils": 12},
                ]
            },
            headers=writer,
        )

        assert response.status_code == 200, response.json()
        assert (response.json()["version"], response.json()["school_code"]) == (2, A)
        sections = {
            s["school_code"]: s
            for s in (await client.get(CLASSES, headers=writer)).json()["sections"]
        }
        assert (sections[A]["classes"], sections[A]["met"]) == (3, True)
        assert sections[B]["largest_class"] == 66  # untouched
        assert (await stored(session))[0] == 9 - 3 + 3

    async def test_a_csv_with_chinese_titles_and_labels_is_imported(
        self, client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]]
    ) -> None:
        await store_resources(client, writer, county)
        sheet = "\ufeff学校标识码,学段,年级,班级,班级学生数\n" + "\n".join(
            [f"{A},小学,一年级,1班,46", f"{A},小学,三年级,1班,40", f"{J},初中,初一,1班,50"]
        )

        response = await client.post(
            f"{CLASSES}/imports",
            content=sheet.encode(),
            headers={**writer, "Content-Type": "text/csv"},
        )

        assert response.status_code == 201, response.json()
        body = (await client.get(CLASSES, params={"include": "classes"}, headers=writer)).json()
        assert [(c["grade"], c["pupils"]) for c in body["classes"]] == [(1, 46), (3, 40), (7, 50)]
        assert body["measured"] == {"largest_primary_class": "46", "largest_junior_class": "50"}

    async def test_another_countys_classes_are_forbidden(
        self, client: AsyncClient, token: TokenFactory
    ) -> None:
        tongyu = auth(token("evaluation:read", "evaluation:write", jurisdiction=("220822",)))

        response = await client.put(CLASSES, json={"classes": classes()}, headers=tongyu)

        assert response.status_code == 403


class TestBadInput:
    async def test_a_class_of_no_pupils_is_refused_naming_it(
        self,
        client: AsyncClient,
        writer: dict[str, str],
        county: list[dict[str, Any]],
        session: AsyncSession,
    ) -> None:
        await store_resources(client, writer, county)
        body = classes()
        body[4]["pupils"] = 0

        response = await client.put(CLASSES, json={"classes": body}, headers=writer)

        assert response.status_code == 422
        assert rules_of(response) == [("classes.4.pupils", "greater_than")]
        assert await stored(session) == (0, 0)

    async def test_classes_holding_more_pupils_than_the_roll_are_refused(
        self,
        client: AsyncClient,
        writer: dict[str, str],
        county: list[dict[str, Any]],
        session: AsyncSession,
    ) -> None:
        """C has 300 pupils on its roll (在校生数); seven classes of 45 hold 315."""
        await store_resources(client, writer, county)
        body = [klass(C, "primary", g, "1班", 45) for g in range(1, 7)]
        body.append(klass(C, "primary", 6, "2班", 45))

        response = await client.put(CLASSES, json={"classes": body}, headers=writer)

        assert response.status_code == 422
        assert rules_of(response) == [("classes[0].pupils", "classes_within_roll")]
        assert "315" in response.json()["errors"][0]["message"]
        assert await stored(session) == (0, 0)

    async def test_every_broken_rule_is_named_at_once(
        self, client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]]
    ) -> None:
        await store_resources(client, writer, county)
        body = [
            klass(A, "primary", 7, "1班", 40),  # grade 7 is junior
            klass(A, "primary", 1, "1班", 40),
            klass(A, "primary", 1, "1班", 41),  # the same class twice
            klass("2115060099", "primary", 1, "1班", 40),  # not on the year's roll
        ]

        response = await client.put(CLASSES, json={"classes": body}, headers=writer)

        assert response.status_code == 422
        assert rules_of(response) == [
            ("classes[0].grade", "grade_in_level"),
            ("classes[2].name", "class_unique"),
            ("classes[3].school_code", "section_in_roll"),
        ]

    async def test_a_bad_sheet_row_is_named_by_its_row(
        self, client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]]
    ) -> None:
        await store_resources(client, writer, county)
        sheet = "学校标识码,学段,年级,班级,班级学生数\n" + f"{A},小学,1,1班,40\n{A},小学,1,2班,0\n"

        response = await client.post(
            f"{CLASSES}/imports",
            content=sheet.encode(),
            headers={**writer, "Content-Type": "text/csv"},
        )

        assert response.status_code == 422
        assert rules_of(response) == [("rows[3].pupils", "greater_than")]


class TestEventAndVerdict:
    async def test_the_classes_are_announced_without_naming_a_pupil(
        self,
        client: AsyncClient,
        writer: dict[str, str],
        county: list[dict[str, Any]],
        session: AsyncSession,
    ) -> None:
        await store_resources(client, writer, county)
        await client.put(CLASSES, json={"classes": classes()}, headers=writer)

        payloads = await session.scalars(
            select(OutboxMessage.payload).where(
                OutboxMessage.subject == "evaluation.class_sizes.changed"
            )
        )
        [event] = [json.loads(p) for p in payloads]
        assert event["data"]["version"] == 1
        sections = {s["school_code"]: s for s in event["data"]["sections"]}
        assert sections[A] == {
            "school_code": A,
            "level": "primary",
            "classes": 3,
            "pupils": 146,
            "largest_class": 57,
            "over_cap_classes": 1,
            "large_classes": 1,
            "extra_large_classes": 0,
            "special_education": False,
        }

    async def test_the_verdict_fails_item_5_on_real_classes(
        self, client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]]
    ) -> None:
        await store_resources(client, writer, county)
        await client.put(CLASSES, json={"classes": classes()}, headers=writer)

        verdict = (await client.get(VERDICT, headers=writer)).json()

        assert "items.class_size" not in verdict["missing"]
        [item] = [
            i
            for i in verdict["parts"]["government_assurance"]["failing"]
            if i["key"] == "class_size"
        ]
        assert (item["source"], item["basis"]) == ("classes", "measured")
        assert [(c["name"], c["value"], c["met"]) for c in item["criteria"]] == [
            ("largest_primary_class", "66", False),
            ("largest_junior_class", "51", False),
        ]
        assert [s["school_code"] for s in item["sections_over_cap"]] == [B, A, J]
        assert item["evidence"][0]["reference"].startswith("class data 150602/2025 v1: api upload")
        failing = [f for f in verdict["failing_items"] if f["key"].startswith("class_size")]
        assert [(f["key"], f["school_code"], f["gap"], f["unit"]) for f in failing] == [
            ("class_size.largest_primary_class", B, "1", "classes"),
            ("class_size.largest_primary_class", A, "1", "classes"),
            ("class_size.largest_junior_class", J, "1", "classes"),
        ]
        assert "最大 57 人，超出 12 人；大班额 1 个，超大班额 0 个" in failing[1]["detail"]

    async def test_without_class_data_item_5_is_missing_not_judged_from_plans(
        self, client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]]
    ) -> None:
        await store_resources(client, writer, county)

        verdict = (await client.get(VERDICT, headers=writer)).json()

        assert "items.class_size" in verdict["missing"]

    async def test_classes_within_the_caps_meet_item_5(
        self, client: AsyncClient, writer: dict[str, str], county: list[dict[str, Any]]
    ) -> None:
        await store_resources(client, writer, county)
        body = [klass(A, "primary", 1, "1班", 45), klass(J, "junior", 7, "1班", 50)]
        await client.put(CLASSES, json={"classes": body}, headers=writer)

        verdict = (await client.get(VERDICT, headers=writer)).json()

        assert "items.class_size" not in verdict["missing"]
        assert all(
            i["key"] != "class_size" for i in verdict["parts"]["government_assurance"]["failing"]
        )


class TestDeclaredInputs:
    async def test_an_unknown_query_parameter_is_named(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.get(CLASSES, params={"detail": "classes"}, headers=writer)

        assert response.status_code == 422
        assert rules_of(response) == [("query.detail", "query_parameter_known")]

    async def test_classes_sent_as_text_are_a_415(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.put(
            CLASSES,
            content=json.dumps({"classes": classes()}).encode(),
            headers={**writer, "Content-Type": "text/plain"},
        )

        assert response.status_code == 415
        assert response.headers["accept-put"] == "application/json"
