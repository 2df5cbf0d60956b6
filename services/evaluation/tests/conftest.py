from collections.abc import Callable
from typing import Any

import pytest
from httpx import AsyncClient

from evaluation.app import create_app
from evaluation.settings import EvaluationSettings
from junheng_kit.testing.plugin import (
    TokenFactory,
    auth,
    replicas_fixture,
    scope_fixtures,
    service_fixtures,
)

service_dir, app, live_app = service_fixtures(create_app, EvaluationSettings)
replicas = replicas_fixture(create_app, EvaluationSettings)
reader, writer = scope_fixtures("evaluation")

RESOURCE_FIELDS = (
    "teachers_above_required_degree",
    "backbone_teachers",
    "pe_arts_teachers",
    "teaching_auxiliary_area_m2",
    "sports_venue_area_m2",
    "equipment_value_yuan",
    "multimedia_classrooms",
)

Section = Callable[..., dict[str, Any]]


def build_section(code: str, level: str, students: int, *values: float) -> dict[str, Any]:
    """A school section as the API takes it; `values` are the seven resource fields in order."""
    return {
        "school_code": code,
        "name": f"学校{code[-2:]}",
        "level": level,
        "students": students,
        **dict(zip(RESOURCE_FIELDS, values, strict=True)),
    }


@pytest.fixture
def section() -> Section:
    """`section(code, level, students, *the seven resource values)` → a section dict."""
    return build_section


@pytest.fixture
def county() -> list[dict[str, Any]]:
    """The hand-checked four-section county 150602 (domain.md §5.2 thresholds), new per test:

    - A 2115060001 primary 1200 pupils: 5.0, 1.1667, 1.0, 5.0 m², 8.0 m², 2166.67 yuan, 2.5
      → 7 of 7, passes.
    - B 2115060002 primary  800 pupils: 4.5, 1.0, 1.0, 4.5, 7.0 (< 7.5, ≥ 6.375), 2100, 2.5
      → 6 of 7, passes.
    - C 2115060003 primary  300 pupils: 4.0 (< 4.2), 1.0, 1.0, 4.0 (< 4.5), 8.0, 2200, 2.333
      → 5 of 7, fails: 12 teachers above the required degree need ceil(4.2 × 300 / 100) − 12 = 1
      more (13 / 300 × 100 = 4.33 ≥ 4.2 makes it 6 of 7), and 1200 m² of teaching rooms need
      4.5 × 300 − 1200 = 150 m² more; both above their floors (3.57, 3.825).
    - J 3115060001 junior 1000 pupils: every indicator exactly at its junior threshold (0.9,
      5.8, 10.2, 2500, 2.4 …) → 7 of 7, passes; one junior section → every junior CV is 0.

    Primary teaching-area CV: X̄ = 10800/2300 = 4.695652; Σ(P_i/P)(X_i − X̄)² = 0.124764;
    S = 0.353219; CV = 0.075223. Sports area: X̄ = 17600/2300 = 7.652174, CV = 0.062241.
    """
    return [
        build_section("2115060001", "primary", 1200, 60, 14, 12, 6000, 9600, 2_600_000, 30),
        build_section("2115060002", "primary", 800, 36, 8, 8, 3600, 5600, 1_680_000, 20),
        build_section("2115060003", "primary", 300, 12, 3, 3, 1200, 2400, 660_000, 7),
        build_section("3115060001", "junior", 1000, 53, 10, 9, 5800, 10200, 2_500_000, 24),
    ]


@pytest.fixture
async def assessment(
    client: AsyncClient, token: TokenFactory, county: list[dict[str, Any]]
) -> dict[str, Any]:
    """The county assessed for 2025 and stored, as POST answered it."""
    response = await client.post(
        "/v1/assessments",
        json={"county_code": "150602", "year": 2025, "schools": county},
        headers=auth(token("evaluation:read", "evaluation:write")),
    )
    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    return body
