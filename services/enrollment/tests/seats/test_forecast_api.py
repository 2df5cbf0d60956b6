"""学位预警 over HTTP: child counts by zone (JSON or CSV) and demand against seats per zone,
with hand-computed numbers, on SQLite and PostgreSQL."""

import io
from typing import Any

from httpx import AsyncClient
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.zoning.models import CohortCount
from junheng_kit.identifiers import citizen_id_check_character
from junheng_kit.testing.plugin import TokenFactory, auth

COHORTS = "/v1/zones/cohorts/150602/2026"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

ROWS: list[dict[str, Any]] = [
    {"zone_code": "P01", "birth_year": 2020, "children": 108},
    {"zone_code": "P01", "birth_year": 2021, "children": 120},
    {"zone_code": "P01", "birth_year": 2022, "children": 60},
    {"zone_code": "P02", "birth_year": 2020, "children": 60},
    {"zone_code": "P02", "birth_year": 2021, "children": 90},
    {"zone_code": "J01", "grade": 6, "children": 410},
    {"zone_code": "J01", "grade": 5, "children": 380},
]


async def plan(
    client: AsyncClient, headers: dict[str, str], school: str, year: int, level: str, classes: int
) -> None:
    response = await client.put(
        f"/v1/schools/{school}/seats/{year}",
        json={"level": level, "planned_classes": classes},
        headers=headers,
    )
    assert response.status_code == 201, response.text


async def forecast(client: AsyncClient, headers: dict[str, str], **params: Any) -> Any:
    query = {"county_code": "150602", "from_year": 2026, **params}
    return await client.get("/v1/seat-forecast", params=query, headers=headers)


STANDARD_FIELDS = (
    "resident_population",
    "standard_seats",
    "level_seats",
    "level_seats_complete",
    "standard_gap",
    "standard_missing",
)


def years_of(body: dict[str, Any], zone_code: str) -> list[dict[str, Any]]:
    """A zone's years without the local/migrant split (checked: it adds up to the demand) and
    without the 学位配置标准 fields (checked: the gap is standard − seats, or both are null with
    a reason; test_seat_standard_forecast_api.py tests their values)."""
    zone = next(z for z in body["zones"] if z["zone_code"] == zone_code)
    years: list[dict[str, Any]] = []
    for year in map(dict, zone["years"]):
        local, migrant = year.pop("local_demand"), year.pop("migrant_demand")
        assert local + migrant == year["demand"]
        _, wanted, level_seats, _, gap, missing = (year.pop(name) for name in STANDARD_FIELDS)
        if wanted is None:
            assert (gap, bool(missing)) == (None, True)
        else:
            assert (gap, missing) == (wanted - level_seats, [])
        years.append(year)
    return years


def split_of(body: dict[str, Any], zone_code: str) -> list[tuple[int, int, int]]:
    """(local_demand, migrant_demand, demand) per forecast year of a zone."""
    zone = next(z for z in body["zones"] if z["zone_code"] == zone_code)
    return [(y["local_demand"], y["migrant_demand"], y["demand"]) for y in zone["years"]]


class TestForecast:
    async def test_grade_1_demand_against_pooled_seats_flags_the_short_zone(
        self, client: AsyncClient, zones_2026: None, writer: dict[str, str]
    ) -> None:
        assert (await client.put(COHORTS, json={"rows": ROWS}, headers=writer)).status_code == 200
        await plan(client, writer, "2115060001", 2027, "primary", 2)  # 90
        await plan(client, writer, "2115060002", 2027, "primary", 1)  # 45
        await plan(client, writer, "2115060003", 2027, "primary", 1)  # 45
        await plan(client, writer, "2115060001", 2028, "primary", 3)  # 135
        response = await forecast(client, writer, level="primary", horizon=2)
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["grade"], body["years"]) == (1, [2027, 2028])
        assert body["entry_age_policy"] == "entry_age_cutoff=08-31"
        # 2027 entrants were born Sep 2020 – Aug 2021: 4/12 of 2020 + 8/12 of 2021
        # P01: 36 + 80 = 116 against 90 seats; 2028: 4/12 × 120 + 8/12 × 60 = 40 + 40 = 80
        # against school 1's 2028 plan of 135
        assert years_of(body, "P01") == [
            {"year": 2027, "demand": 116, "seats": 90, "balance": -26, "is_short": True,
             "counts_complete": True},
            {"year": 2028, "demand": 80, "seats": 135, "balance": 55, "is_short": False,
             "counts_complete": True},
        ]  # fmt: skip
        # P02 (多校) pools schools 2 and 3: 45 + 45 = 90 seats, carried into 2028
        # 2027: 4/12 × 60 + 8/12 × 90 = 20 + 60 = 80; 2028: 4/12 × 90 = 30, no 2022 count
        assert years_of(body, "P02") == [
            {"year": 2027, "demand": 80, "seats": 90, "balance": 10, "is_short": False,
             "counts_complete": True},
            {"year": 2028, "demand": 30, "seats": 90, "balance": 60, "is_short": False,
             "counts_complete": False},
        ]  # fmt: skip
        assert body["short_zones"] == ["P01"]

    async def test_grade_7_demand_comes_from_the_primary_grades(
        self, client: AsyncClient, zones_2026: None, writer: dict[str, str]
    ) -> None:
        await client.put(COHORTS, json={"rows": ROWS}, headers=writer)
        await plan(client, writer, "3115060001", 2027, "junior", 8)  # 8 × 50 = 400
        body = (await forecast(client, writer, level="junior", horizon=3)).json()
        # grade 6 in 2026 (410) enters grade 7 in 2027, grade 5 (380) in 2028; no grade 4 count
        assert [
            (y["year"], y["demand"], y["seats"], y["is_short"]) for y in years_of(body, "J01")
        ] == [
            (2027, 410, 400, True),
            (2028, 380, 400, False),
            (2029, 0, 400, False),
        ]
        assert years_of(body, "J01")[2]["counts_complete"] is False
        assert body["short_zones"] == ["J01"]

    async def test_without_counts_for_the_base_year_is_404(
        self, client: AsyncClient, zones_2026: None, writer: dict[str, str]
    ) -> None:
        response = await forecast(client, writer, level="primary")
        assert response.status_code == 404
        assert response.json()["errors"][0]["rule"] == "cohorts_imported"

    async def test_another_county_cannot_read_the_counts_or_the_forecast(
        self, client: AsyncClient, zones_2026: None, writer: dict[str, str], token: TokenFactory
    ) -> None:
        await client.put(COHORTS, json={"rows": ROWS}, headers=writer)
        tongyu = auth(token("enrollment:read", jurisdiction=("220822",)))
        assert (await client.get(COHORTS, headers=tongyu)).status_code == 403
        assert (await forecast(client, tongyu, level="primary")).status_code == 403

    async def test_more_than_six_years_ahead_is_refused(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await forecast(client, writer, level="primary", horizon=7)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "query.horizon"


class TestCohortImport:
    async def test_csv_counts_replace_the_year_and_read_back(
        self, client: AsyncClient, zones_2026: None, writer: dict[str, str]
    ) -> None:
        await client.put(COHORTS, json={"rows": ROWS}, headers=writer)
        content = (
            "片区代码,出生年份,出生月份,年级,人数\nP01,2020,9,,12\nP01,2020,8,,30\nJ01,,,6,400\n"
        )
        response = await client.put(
            COHORTS, content=content.encode(), headers={**writer, "Content-Type": "text/csv"}
        )
        assert response.status_code == 200, response.text
        stored = (await client.get(COHORTS, headers=writer)).json()
        assert stored["source"] == "csv"
        assert stored["rows"] == [
            {"zone_code": "P01", "birth_year": 2020, "birth_month": 9, "children": 12},
            {"zone_code": "P01", "birth_year": 2020, "birth_month": 8, "children": 30},
            {"zone_code": "J01", "grade": 6, "children": 400},
        ]

    async def test_an_xlsx_sheet_with_chinese_titles_is_read_like_csv(
        self, client: AsyncClient, zones_2026: None, writer: dict[str, str]
    ) -> None:
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append(["片区代码", "出生年份", "出生月份", "年级", "人数"])
        sheet.append(["P01", 2020.0, None, None, 108])
        sheet.append(["J01", None, None, 6, 410])
        out = io.BytesIO()
        workbook.save(out)
        response = await client.put(
            COHORTS, content=out.getvalue(), headers={**writer, "Content-Type": XLSX}
        )
        assert response.status_code == 200, response.text
        assert response.json()["source"] == "xlsx"
        assert response.json()["rows"] == [
            {"zone_code": "P01", "birth_year": 2020, "children": 108},
            {"zone_code": "J01", "grade": 6, "children": 410},
        ]

    async def test_a_bad_csv_row_is_named_by_line_and_nothing_is_stored(
        self,
        client: AsyncClient,
        session: AsyncSession,
        zones_2026: None,
        writer: dict[str, str],
    ) -> None:
        content = "zone_code,birth_year,grade,children\nP01,2020,,12\nP01,2021,,-5\nJ01,2020,6,4\n"
        response = await client.put(
            COHORTS, content=content.encode(), headers={**writer, "Content-Type": "text/csv"}
        )
        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[3].children", "greater_than_equal"),
            ("rows[4]", "birth_year_or_grade"),
        ]
        assert await session.scalar(select(func.count()).select_from(CohortCount)) == 0

    async def test_counts_must_fit_the_zone_maps_of_the_year(
        self, client: AsyncClient, zones_2026: None, writer: dict[str, str]
    ) -> None:
        rows = [
            {"zone_code": "P09", "birth_year": 2020, "children": 1},
            {"zone_code": "J01", "birth_year": 2020, "children": 1},
            {"zone_code": "P01", "birth_year": 2027, "children": 1},
            {"zone_code": "P01", "birth_year": 2021, "children": 1},
            {"zone_code": "P01", "birth_year": 2021, "birth_month": 3, "children": 1},
        ]
        response = await client.put(COHORTS, json={"rows": rows}, headers=writer)
        assert response.status_code == 422
        assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
            ("rows[0].zone_code", "zone_in_map"),
            ("rows[1].zone_code", "zone_in_map"),
            ("rows[2].birth_year", "birth_year_not_after_base_year"),
            ("rows[4].birth_month", "birth_month_consistent"),
        ]

    async def test_without_a_zone_map_the_counts_are_refused(
        self, client: AsyncClient, writer: dict[str, str]
    ) -> None:
        response = await client.put(
            "/v1/zones/cohorts/150602/2031",
            json={"rows": [{"zone_code": "P01", "birth_year": 2025, "children": 1}]},
            headers=writer,
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "zone_map_exists"


def migrant_application(body17: str, home_longitude: float, choices: list[str]) -> dict[str, Any]:
    """A 2026 grade-1 application of a 随迁子女 (户籍 in Shijiazhuang) living in Dongsheng."""
    body = body17 + citizen_id_check_character(body17)
    return {
        "county_code": "150602",
        "year": 2026,
        "grade": 1,
        "child": {"citizen_id": body, "name": "李小红",
                  "birth_date": f"{body17[6:10]}-{body17[10:12]}-{body17[12:14]}"},
        "guardian": {"name": "李强", "relation": "mother", "phone": "13900000000"},
        "household": {
            "hukou": {"county_code": "130102", "type": "rural", "address": "石家庄市某村"},
            "housing": "rented",
            "residence_permit": {"issued_on": "2024-03-01"},
            "social_insurance_months": 20,
        },
        "home": {"longitude": home_longitude, "latitude": 39.815, "address": "东胜区某小区"},
        "choices": choices,
    }  # fmt: skip


class TestMigrantDemand:
    async def test_the_base_years_migrant_applications_add_to_each_zones_demand(
        self, client: AsyncClient, zones_2026: None, writer: dict[str, str]
    ) -> None:
        assert (await client.put(COHORTS, json={"rows": ROWS}, headers=writer)).status_code == 200
        for school in ("2115060001", "2115060002", "2115060003"):
            await plan(client, writer, school, 2027, "primary", 2 if school.endswith("1") else 1)
        p02 = ["2115060002", "2115060003"]
        submitted = [
            migrant_application("13010220200105001", 109.985, p02),
            migrant_application("13010220200105002", 109.985, p02),
            migrant_application("13010220200105003", 109.985, p02),  # rejected below
            migrant_application("13010220200105004", 109.975, []),  # P01 (单校)
        ]
        local = migrant_application("15060220200105005", 109.975, [])
        local["household"]["hukou"] = {"county_code": "150602", "type": "urban", "address": "东胜"}
        ids = []
        for body in [*submitted, local]:
            response = await client.post("/v1/applications", json=body, headers=writer)
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        rejected = await client.post(
            f"/v1/applications/{ids[2]}/transitions",
            json={"to": "rejected", "reason": "居住证 not valid"},
            headers=writer,
        )
        assert rejected.status_code == 200, rejected.text

        response = await forecast(client, writer, level="primary", horizon=2)
        assert response.status_code == 200, response.text
        body = response.json()
        # P01: local 116 (2027) and 80 (2028) as before, + 1 migrant child each year → 117, 81
        # against 90 seats; P02: local 80 and 30, + 2 (the rejected one does not count) → 82, 32
        # against 90. The local child who applied is already in the cohort counts.
        assert split_of(body, "P01") == [(116, 1, 117), (80, 1, 81)]
        assert split_of(body, "P02") == [(80, 2, 82), (30, 2, 32)]
        assert [y["balance"] for y in years_of(body, "P01")] == [-27, 9]
        assert body["migrant_applications"] == 3
