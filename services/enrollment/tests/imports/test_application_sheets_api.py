"""入学申请导入 over HTTP, on SQLite and PostgreSQL: rows checked exactly like
`POST /v1/applications`, every problem named by sheet row, all or nothing, events in bulk, the
same file replayed, export round trip.

The county: zones Z1 (单校, school A) and Z2 (多校, schools B and C) for 2025 and the example
priority policy, as in the applications tests.
"""

import copy
import csv
import io
import json
from datetime import datetime
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission import sheet
from enrollment.admission.models import Application, ApplicationEvent
from enrollment.admission.schemas import PriorityPolicyPut
from enrollment.imports.sheets import validated
from junheng_kit.identifiers import citizen_id_check_character
from junheng_kit.tables import OutboxMessage
from junheng_kit.tabular import XLSX, read_records
from junheng_kit.testing.plugin import TokenFactory, auth

A, B, C = "2115000001", "2115000002", "3115000003"
YEAR = 2025
IMPORTS = "/v1/application-imports"
POLICY: dict[str, Any] = copy.deepcopy(
    PriorityPolicyPut.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
)


def square(x0: float, x1: float) -> dict[str, Any]:
    ring = [[x0, 39.80], [x1, 39.80], [x1, 39.82], [x0, 39.82], [x0, 39.80]]
    return {"type": "Polygon", "coordinates": [ring]}


def cid(body: str) -> str:
    return body + citizen_id_check_character(body)


def row(body17: str, **changes: Any) -> dict[str, Any]:
    """A sheet row (column field → cell) for a local child living in Z1."""
    return {
        "grade": 1,
        "child_citizen_id": cid(body17),
        "child_name": "王小明",
        "birth_date": f"{body17[6:10]}-{body17[10:12]}-{body17[12:14]}",
        "guardian_name": "王建国",
        "guardian_relation": "父亲",
        "guardian_phone": "13800000000",
        "hukou_county_code": "150602",
        "hukou_type": "城镇",
        "hukou_address": "东胜区某街道",
        "housing": "自有住房",
        "social_insurance_months": 36,
        "home_address": "东胜区某路1号",
        "home_longitude": 109.96,
        "home_latitude": 39.81,
        **changes,
    }


def as_csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.title for c in sheet.COLUMNS])
    for values in rows:
        writer.writerow(["" if values.get(c.field) is None else values[c.field]
                         for c in sheet.COLUMNS])  # fmt: skip
    return out.getvalue().encode("utf-8-sig")


LOCAL_Z1 = row("15060220190315001")
LOCAL_Z2 = row("15060220190401002", home_longitude=109.98, choices=f"{C}|{B}")
MIGRANT_Z2 = row(
    "13010220181120003",
    hukou_county_code="130102",
    hukou_address="石家庄市长安区某街道",
    housing="租赁",
    residence_permit_issued_on="2023/5/1",
    social_insurance_months=24,
    home_longitude=109.98,
    choices=B,
)
GOOD = as_csv([LOCAL_Z1, LOCAL_Z2, MIGRANT_Z2])


@pytest.fixture
async def county(client: AsyncClient, writer: dict[str, str]) -> None:
    for code, levels in ((A, ["primary"]), (B, ["primary"]), (C, ["nine_year"])):
        school = {
            "school_code": code,
            "name": f"测试学校{code[-1]}",
            "levels": levels,
            "county_code": "150602",
            "location": {"longitude": 109.97, "latitude": 39.81},
            "planned_capacity": 1000,
        }
        assert (await client.post("/v1/schools", json=school, headers=writer)).status_code == 201
    zones = {
        "county_code": "150602",
        "level": "primary",
        "year": YEAR,
        "effective_from": "2025-01-01",
        "zones": {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "geometry": square(109.95, 109.97),
                 "properties": {"zone_code": "Z1", "name": "一小片区", "school_codes": [A]}},
                {"type": "Feature", "geometry": square(109.97, 109.99),
                 "properties": {"zone_code": "Z2", "name": "二小片区", "school_codes": [B, C]}},
            ],
        },
    }  # fmt: skip
    assert (await client.post("/v1/zone-maps", json=zones, headers=writer)).status_code == 201
    policy = f"/v1/priority-policies/150602/{YEAR}/primary"
    assert (await client.put(policy, json=POLICY, headers=writer)).status_code == 201


def as_xlsx(rows: list[dict[str, Any]]) -> bytes:
    """A workbook as a spreadsheet program saves it: numbers as numbers, dates as dates."""
    from openpyxl import Workbook

    def cell(field: str, value: Any) -> Any:
        if field in ("birth_date", "residence_permit_issued_on") and isinstance(value, str):
            return datetime.strptime(value.replace("/", "-"), "%Y-%m-%d")  # noqa: DTZ007
        if field in ("guardian_phone", "social_insurance_months", "grade"):
            return int(value)
        return value

    workbook = Workbook()
    sheet_ = workbook.active
    sheet_.append([c.title for c in sheet.COLUMNS])
    for values in rows:
        sheet_.append([None if values.get(c.field) is None else cell(c.field, values[c.field])
                       for c in sheet.COLUMNS])  # fmt: skip
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def parsed(content: bytes) -> list[dict[str, Any]]:
    """A CSV sheet's applications as the POST's schema reads them, by citizen ID."""
    records = read_records(content, "text/csv", sheet.COLUMNS)
    models = validated(sheet.SHEET, records, sheet.record_shape("150602", YEAR), sheet.column_of)
    return sorted((m.model_dump(mode="json") for m in models),
                  key=lambda m: m["child"]["citizen_id"])  # fmt: skip


async def exported(client: AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get(
        "/v1/application-exports",
        params={"county_code": "150602", "year": YEAR, "format": "csv"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return parsed(response.content)


async def upload(
    client: AsyncClient, headers: dict[str, str], body: bytes, media_type: str = "text/csv"
) -> Response:
    return await client.post(
        IMPORTS,
        params={"county_code": "150602", "year": YEAR},
        content=body,
        headers={**headers, "Content-Type": media_type},
    )


async def stored(session: AsyncSession) -> tuple[int, int, int]:
    """(applications, audit-trail entries, application.submitted events)."""
    return (
        await session.scalar(select(func.count()).select_from(Application)) or 0,
        await session.scalar(select(func.count()).select_from(ApplicationEvent)) or 0,
        await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.subject == "enrollment.application.submitted")
        )
        or 0,
    )


class TestApplicationImport:
    async def test_every_row_becomes_an_application_with_its_trail_and_event(
        self, client: AsyncClient, session: AsyncSession, county: None, writer: dict[str, str]
    ) -> None:
        response = await upload(client, writer, GOOD)
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["created"], body["replayed"]) == (3, False)
        assert body["detail"] == {"year": 2025, "by_level": {"primary": 3}, "migrant": 1}
        assert await stored(session) == (3, 3, 3)
        payloads = await session.scalars(
            select(OutboxMessage.payload).where(
                OutboxMessage.subject == "enrollment.application.submitted"
            )
        )
        data = sorted((json.loads(p)["data"] for p in payloads), key=lambda d: d["choices"])
        assert [(d["choices"], d["migrant"]) for d in data] == [
            ([A], False), ([B], True), ([C, B], False),
        ]  # fmt: skip
        assert all(cid("15060220190315001") not in json.dumps(d) for d in data)

    async def test_an_imported_row_is_stored_as_the_same_post_stores_it(
        self, client: AsyncClient, county: None, writer: dict[str, str]
    ) -> None:
        await upload(client, writer, as_csv([MIGRANT_Z2]))
        posted = {
            "county_code": "150602",
            "year": YEAR,
            "grade": 1,
            "child": {"citizen_id": cid("13010220181120011"), "name": "王小明",
                      "birth_date": "2018-11-20"},
            "guardian": {"name": "王建国", "relation": "father", "phone": "13800000000"},
            "household": {
                "hukou": {"county_code": "130102", "type": "urban",
                          "address": "石家庄市长安区某街道"},
                "housing": "rented",
                "residence_permit": {"issued_on": "2023-05-01"},
                "social_insurance_months": 24,
            },
            "home": {"longitude": 109.98, "latitude": 39.81, "address": "东胜区某路1号"},
            "choices": [B],
        }  # fmt: skip
        response = await client.post("/v1/applications", json=posted, headers=writer)
        assert response.status_code == 201, response.text
        page = await client.get("/v1/applications", params={"year": YEAR}, headers=writer)
        ids = [item["id"] for item in page.json()["items"]]
        imported, by_post = [
            (await client.get(f"/v1/applications/{i}", headers=writer)).json() for i in ids
        ]
        different = {"id", "child", "child_key", "created_at", "updated_at"}
        assert {k: v for k, v in imported.items() if k not in different} == {
            k: v for k, v in by_post.items() if k not in different
        }
        assert imported["migrant"] is True
        assert imported["school_options"] == [B, C]

    async def test_every_bad_row_is_named_with_its_rule_and_nothing_is_imported(
        self, client: AsyncClient, session: AsyncSession, county: None, writer: dict[str, str]
    ) -> None:
        bad_check = cid("15060220190315004")
        bad_check = bad_check[:-1] + ("0" if bad_check[-1] != "0" else "1")
        rows = [
            LOCAL_Z1,
            row("15060220190315004", child_citizen_id=bad_check),
            row("15060220190315005", birth_date="2019-03-16"),
            row("15060220190901006"),  # six on 1 September 2025: one day too late
            row("15060220190315007", choices=B),  # Z1 offers only A
            row("15060220190315008", home_longitude=110.5),  # outside every zone
            row("15060220190315009", home_longitude=109.98),  # 多校 zone, no ranking
            row("15060220190315010", guardian_relation="舅舅"),
        ]
        response = await upload(client, writer, as_csv(rows))
        assert response.status_code == 422, response.text
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[3].child_citizen_id", "citizen_id_check_digit"),
            ("rows[9].guardian_relation", "literal_error"),
        ]  # cell checks first: the schema rejects before the rules run
        cells_fixed = [r for r in rows if r["child_citizen_id"] != bad_check
                       and r["guardian_relation"] == "父亲"]  # fmt: skip
        response = await upload(client, writer, as_csv(cells_fixed))
        assert response.status_code == 422, response.text
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[3].birth_date", "citizen_id_birth_date"),
            ("rows[4].birth_date", "entry_age"),
            ("rows[5].choices", "choice_in_zone"),
            ("rows[6].home_longitude", "home_in_zones"),
            ("rows[7].choices", "choices_required"),
        ]
        assert await stored(session) == (0, 0, 0)

    async def test_a_child_who_already_applied_is_a_409_row(
        self, client: AsyncClient, session: AsyncSession, county: None, writer: dict[str, str]
    ) -> None:
        assert (await upload(client, writer, as_csv([LOCAL_Z1]))).status_code == 201
        twice = as_csv([LOCAL_Z2, {**LOCAL_Z1, "child_name": "王小明明"}, LOCAL_Z2])
        response = await upload(client, writer, twice)
        assert response.status_code == 409, response.text
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[3].child_citizen_id", "application_unique"),
            ("rows[4].child_citizen_id", "application_unique"),
        ]
        assert "row 2 of this sheet" in response.json()["errors"][1]["message"]
        assert await stored(session) == (1, 1, 1)

    async def test_the_same_file_again_replays_the_first_import(
        self, client: AsyncClient, session: AsyncSession, county: None, writer: dict[str, str]
    ) -> None:
        first = await upload(client, writer, GOOD)
        again = await upload(client, writer, GOOD)
        assert again.status_code == 200, again.text
        assert again.json()["id"] == first.json()["id"]
        assert again.json()["replayed"] is True
        assert await stored(session) == (3, 3, 3)

    async def test_an_xlsx_workbook_imports_as_its_csv_does(
        self, client: AsyncClient, session: AsyncSession, county: None, writer: dict[str, str],
        pii_writer: dict[str, str],
    ) -> None:  # fmt: skip
        response = await upload(client, writer, as_xlsx([LOCAL_Z1, LOCAL_Z2, MIGRANT_Z2]), XLSX)
        assert response.status_code == 201, response.text
        assert response.json()["detail"] == {
            "year": 2025, "by_level": {"primary": 3}, "migrant": 1,
        }  # fmt: skip
        expected = parsed(GOOD)
        single = next(o for o in expected if o["child"]["citizen_id"] == cid("15060220190315001"))
        single["choices"] = [A]  # the 单校 zone's school, filled in on submission
        assert await exported(client, pii_writer) == expected
        assert await stored(session) == (3, 3, 3)

    async def test_a_number_where_the_workbook_needs_text_is_named(
        self, client: AsyncClient, session: AsyncSession, county: None, writer: dict[str, str]
    ) -> None:
        response = await upload(
            client, writer, as_xlsx([LOCAL_Z1, {**LOCAL_Z2, "child_name": 42}]), XLSX
        )
        assert response.status_code == 422, response.text
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[3].child_name", "string_type"),
        ]
        assert await stored(session) == (0, 0, 0)

    async def test_rows_written_unusually_are_stored_as_their_usual_form(
        self, client: AsyncClient, county: None, writer: dict[str, str],
        pii_writer: dict[str, str],
    ) -> None:  # fmt: skip
        # cells the schema reads but the column-wise check leaves to it: the rows are checked
        # one by one and stored exactly as the usual spelling would be
        unusual = [
            {**LOCAL_Z1, "home_longitude": "1.0996e2", "social_insurance_months": "036"},
            {**LOCAL_Z2, "grade": "01", "birth_date": "2019-04-01T00:00:00"},
            MIGRANT_Z2,
        ]
        response = await upload(client, writer, as_csv(unusual))
        assert response.status_code == 201, response.text
        expected = parsed(GOOD)
        single = next(o for o in expected if o["child"]["citizen_id"] == cid("15060220190315001"))
        single["choices"] = [A]
        assert await exported(client, pii_writer) == expected

    async def test_another_county_may_not_import(
        self, client: AsyncClient, county: None, token: TokenFactory
    ) -> None:
        tongyu = auth(token("enrollment:write", jurisdiction=("220822",)))
        response = await upload(client, tongyu, GOOD)
        assert response.status_code == 403
        assert response.json()["errors"][0]["field"] == "query.county_code"


class TestApplicationExport:
    async def test_the_export_reads_back_as_the_imported_applications(
        self, client: AsyncClient, county: None, writer: dict[str, str],
        pii_writer: dict[str, str],
    ) -> None:  # fmt: skip
        await upload(client, writer, GOOD)
        response = await client.get(
            "/v1/application-exports",
            params={"county_code": "150602", "year": YEAR, "format": "csv"},
            headers=pii_writer,
        )
        assert response.status_code == 200, response.text
        original = parsed(GOOD)
        single = next(o for o in original if o["child"]["citizen_id"] == cid("15060220190315001"))
        single["choices"] = [A]  # the 单校 zone's school, filled in on submission
        assert parsed(response.content) == original
        # and the import takes it: every child is named as having applied already
        again = await upload(client, writer, response.content)
        assert again.status_code == 409
        assert len(again.json()["errors"]) == 3

    async def test_without_enrollment_pii_the_export_is_masked(
        self, client: AsyncClient, county: None, writer: dict[str, str]
    ) -> None:
        await upload(client, writer, GOOD)
        response = await client.get(
            "/v1/application-exports",
            params={"county_code": "150602", "year": YEAR, "format": "csv"},
            headers=writer,
        )
        assert response.status_code == 200, response.text
        header, *rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
        column = {title: header.index(title) for title in header}
        child = cid("15060220190315001")
        assert child not in response.content.decode("utf-8-sig")
        ids = [r[column["学生公民身份号码"]] for r in rows]
        assert child[:6] + "********" + child[-4:] in ids
        assert all(r[column["监护人手机号"]][3:7] == "****" for r in rows)
        assert all(r[column["现住址"]].endswith("****") for r in rows)
        assert all(r[column["出生日期"]] == "" for r in rows)

    async def test_the_export_needs_the_write_scope(
        self, client: AsyncClient, county: None, token: TokenFactory
    ) -> None:
        reader = auth(token("enrollment:read"))
        response = await client.get(
            "/v1/application-exports",
            params={"county_code": "150602", "year": YEAR},
            headers=reader,
        )
        assert response.status_code == 403
