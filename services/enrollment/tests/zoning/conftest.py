"""Schools and zone maps near Dongsheng (109.98E 39.82N) for the zoning API tests.

P01 [109.97, 109.98] × [39.81, 39.82] → school 1 (单校)
P02 [109.98, 109.99] × [39.81, 39.82] → school 2 (单校); shares the edge x = 109.98 with P01
P03 [109.97, 109.99] × [39.82, 39.83] → schools 1 and 2 (多校)
"""

from types import SimpleNamespace
from typing import Any

import pytest
from httpx import AsyncClient

from junheng_kit.testing.plugin import TokenFactory, auth

PRIMARY_1, PRIMARY_2, JUNIOR_1, NINE_YEAR = "2115060001", "2115060002", "3115060001", "3115060009"
TONGYU_PRIMARY = "2122080001"

SCHOOLS: list[dict[str, Any]] = [
    {"school_code": PRIMARY_1, "name": "东胜区第一小学", "levels": ["primary"]},
    {"school_code": PRIMARY_2, "name": "东胜区第二小学", "levels": ["primary"]},
    {"school_code": JUNIOR_1, "name": "东胜区第一中学", "levels": ["junior"]},
    {"school_code": NINE_YEAR, "name": "东胜区九年制学校", "levels": ["nine_year"]},
]


def box(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
    }


def feature(code: str, geometry: dict[str, Any], *schools: str) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"zone_code": code, "name": f"{code} 片区", "school_codes": list(schools)},
        "geometry": geometry,
    }


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


P01 = feature("P01", box(109.97, 39.81, 109.98, 39.82), PRIMARY_1)
P02 = feature("P02", box(109.98, 39.81, 109.99, 39.82), PRIMARY_2)
P03 = feature("P03", box(109.97, 39.82, 109.99, 39.83), PRIMARY_1, PRIMARY_2)


def zone_map(*features: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "county_code": "150602",
        "level": "primary",
        "year": 2026,
        "effective_from": "2025-03-01",
        "zones": collection(*features),
        **fields,
    }


@pytest.fixture
def geo() -> SimpleNamespace:
    """The shapes and codes above, for test modules (conftest is not importable)."""
    return SimpleNamespace(
        PRIMARY_1=PRIMARY_1,
        PRIMARY_2=PRIMARY_2,
        JUNIOR_1=JUNIOR_1,
        NINE_YEAR=NINE_YEAR,
        TONGYU_PRIMARY=TONGYU_PRIMARY,
        P01=P01,
        P02=P02,
        P03=P03,
        box=box,
        feature=feature,
        collection=collection,
        zone_map=zone_map,
    )


@pytest.fixture
async def schools(client: AsyncClient, token: TokenFactory, writer: dict[str, str]) -> None:
    for school in SCHOOLS:
        body = {
            **school,
            "county_code": "150602",
            "location": {"longitude": 109.98, "latitude": 39.82},
            "planned_capacity": 1800,
        }
        assert (await client.post("/v1/schools", json=body, headers=writer)).status_code == 201
    tongyu = {
        "school_code": TONGYU_PRIMARY,
        "name": "通榆县第一小学",
        "levels": ["primary"],
        "county_code": "220822",
        "location": {"longitude": 123.08, "latitude": 44.81},
        "planned_capacity": 1500,
    }
    response = await client.post(
        "/v1/schools",
        json=tongyu,
        headers=auth(token("enrollment:write", jurisdiction=("220822",))),
    )
    assert response.status_code == 201


@pytest.fixture
async def first_map(client: AsyncClient, schools: None, writer: dict[str, str]) -> dict[str, Any]:
    response = await client.post("/v1/zone-maps", json=zone_map(P01, P02, P03), headers=writer)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
