"""Schools near Dongsheng for the seat-plan and forecast tests."""

from typing import Any

import pytest
from httpx import AsyncClient

SCHOOLS: list[dict[str, Any]] = [
    {"school_code": "2115060001", "name": "东胜区第一小学", "levels": ["primary"]},
    {"school_code": "2115060002", "name": "东胜区第二小学", "levels": ["primary"]},
    {"school_code": "2115060003", "name": "东胜区第三小学", "levels": ["primary"]},
    {"school_code": "3115060001", "name": "东胜区第一中学", "levels": ["junior"]},
    {"school_code": "3115060009", "name": "东胜区九年制学校", "levels": ["nine_year"]},
]


@pytest.fixture
async def schools(client: AsyncClient, writer: dict[str, str]) -> None:
    for school in SCHOOLS:
        body = {
            **school,
            "county_code": "150602",
            "location": {"longitude": 109.98, "latitude": 39.82},
            "planned_capacity": 1800,
        }
        assert (await client.post("/v1/schools", json=body, headers=writer)).status_code == 201


def square(code: str, x0: float, y0: float, *schools: str) -> dict[str, Any]:
    """A 0.01° square zone with its south-west corner at (x0, y0)."""
    ring = [[x0, y0], [x0 + 0.01, y0], [x0 + 0.01, y0 + 0.01], [x0, y0 + 0.01], [x0, y0]]
    return {
        "type": "Feature",
        "properties": {"zone_code": code, "name": f"{code} 片区", "school_codes": list(schools)},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


@pytest.fixture
async def zones_2026(client: AsyncClient, schools: None, writer: dict[str, str]) -> None:
    """Primary: P01 (school 1), P02 (schools 2 and 3, 多校). Junior: J01 (the junior school)."""
    primary = {
        "county_code": "150602",
        "level": "primary",
        "year": 2026,
        "effective_from": "2025-03-01",
        "zones": {
            "type": "FeatureCollection",
            "features": [
                square("P01", 109.97, 39.81, "2115060001"),
                square("P02", 109.98, 39.81, "2115060002", "2115060003"),
            ],
        },
    }
    junior = {
        **primary,
        "level": "junior",
        "zones": {
            "type": "FeatureCollection",
            "features": [square("J01", 109.97, 39.81, "3115060001")],
        },
    }
    for body in (primary, junior):
        response = await client.post("/v1/zone-maps", json=body, headers=writer)
        assert response.status_code == 201, response.text
