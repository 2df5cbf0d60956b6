"""The four enrollment sources (户籍, 居住证, 不动产登记, 社保) as real simulator processes, planted
from a CSV so answers are known, and an enrollment app that asks them with the bureau's key."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from enrollment.admission.schemas import PriorityPolicyPut
from enrollment.app import create_app
from enrollment.settings import EnrollmentSettings
from junheng_kit.identifiers import citizen_id_from_body as citizen_id
from junheng_kit.signing import ensure_private_key
from junheng_kit.testing.agencies import Simulator, agencies_file, healthy, running_simulators
from junheng_kit.testing.plugin import service_settings

from ..admission.test_applications_api import ZONES, application, auth  # noqa: TID252

SOURCES = ("hukou", "permit", "estate", "social")
HOME = "东胜区某路1号"  # the address application() declares
# 随迁子女 (户籍 in 152801): 居住证 since 2023-06-01, registered lease, 社保 since 2023-01-01 —
# on the policy's reference day 2025-08-31: 26 months of 居住证, 31 of 社保
MIGRANT = citizen_id("15060220190315011")
# the same, but 社保 only since 2025-03-01 (5 months on 2025-08-31)
SHORT = citizen_id("15060220190401012")
# the same as MIGRANT, the lease registered at another address
ELSEWHERE = citizen_id("15060220190502013")
REGISTRY = f"""citizen_id,name,hukou_county,hukou_address,permit_issued_on,permit_valid_until,\
permit_address,lease_address,lease_from,lease_until,social_since
{MIGRANT},王小明,152801,锡林浩特市某村,2023-06-01,2026-06-01,{HOME},{HOME},2024-01-01,2026-12-31,\
2023-01-01
{SHORT},王小明,152801,锡林浩特市某村,2023-06-01,2026-06-01,{HOME},{HOME},2024-01-01,2026-12-31,\
2025-03-01
{ELSEWHERE},王小明,152801,锡林浩特市某村,2023-06-01,2026-06-01,{HOME},东胜区别的路9号,2024-01-01,\
2026-12-31,2023-01-01
"""
DATA_SHARING = {
    "purpose": "2025年义务教育招生入学资格审核",
    "legal_basis": "《义务教育法》第十二条；东胜区2025年义务教育阶段招生入学工作方案",
}


def facts_policy(**changes: Any) -> dict[str, Any]:
    """The example policy, its 随迁子女 tier asking a registered lease too, the migrant
    checklist the four sources cover, and the data-sharing basis."""
    policy: dict[str, Any] = copy.deepcopy(
        PriorityPolicyPut.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
    )
    policy["tiers"][3]["all_of"].append({"fact": "rents_home", "op": "is", "value": True})
    policy["documents"]["migrant"] = [
        "hukou_booklet",
        "residence_permit",
        "registered_lease",
        "social_insurance",
    ]
    policy["data_sharing"] = DATA_SHARING
    return {**policy, **changes}


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("fact-agency-keys")
    for name in ("bureau", *SOURCES):
        ensure_private_key(directory / f"{name}.pem")
    return directory


@pytest.fixture(scope="session")
def simulators(
    keys: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Simulator]]:
    workdir = tmp_path_factory.mktemp("fact-simulators")
    registry = workdir / "registry.csv"
    registry.write_text(REGISTRY, encoding="utf-8")
    with running_simulators(
        SOURCES, keys=keys, workdir=workdir, registry=registry, today="2025-09-01"
    ) as sims:
        yield sims


@pytest.fixture(autouse=True)
def healthy_simulators(simulators: dict[str, Simulator]) -> Iterator[None]:
    with healthy(simulators.values()):
        yield


@pytest.fixture(scope="session")
def fact_agencies(simulators: dict[str, Simulator], keys: Path) -> Path:
    return agencies_file(keys / "fact-agencies.json", keys, simulators)


def fact_settings(database_url: str, jwks_json: str, fact_agencies: Path, keys: Path) -> Any:
    return service_settings(
        EnrollmentSettings,
        database_url=database_url,
        jwks_json=jwks_json,
        nats_url=None,
        fact_agencies_file=fact_agencies,
        fact_signing_key_file=keys / "bureau.pem",
        fact_retries=1,
        fact_backoff_seconds=0.01,
        fact_breaker_failures=50,
        fact_check_interval_seconds=3600,  # the tests run the automatic check themselves
    )


@pytest.fixture
def app(database_url: str, jwks_json: str, fact_agencies: Path, keys: Path) -> FastAPI:
    return create_app(fact_settings(database_url, jwks_json, fact_agencies, keys))


async def setup_county(client: AsyncClient, writer: dict[str, str], policy: dict[str, Any]) -> None:
    """The schools and zones of the admission tests (the family's home is in Z1, school A),
    and this policy."""
    for code, lon in (("2115000001", 109.96), ("2115000002", 109.975), ("3115000003", 109.985)):
        response = await client.post(
            "/v1/schools",
            json={
                "school_code": code,
                "name": f"测试学校{code[-1]}",
                "levels": ["primary"],
                "county_code": "150602",
                "location": {"longitude": lon, "latitude": 39.81},
                "planned_capacity": 1000,
            },
            headers=writer,
        )
        assert response.status_code == 201, response.text
    response = await client.post("/v1/zone-maps", json=ZONES, headers=writer)
    assert response.status_code == 201, response.text
    response = await client.put(
        "/v1/priority-policies/150602/2025/primary", json=policy, headers=writer
    )
    assert response.status_code == 201, response.text


async def submit_migrant(client: AsyncClient, writer: dict[str, str], cid: str) -> dict[str, Any]:
    """A 随迁子女 application: 户籍 152801, renting at HOME in Z1, 居住证 and 社保 declared."""
    body = application(
        cid[:17], hukou_county="152801", housing="rented", permit="2023-06-01", insurance=26
    )
    body["child"]["citizen_id"] = cid
    body["child"]["birth_date"] = f"{cid[6:10]}-{cid[10:12]}-{cid[12:14]}"
    response = await client.post("/v1/applications", json=body, headers=writer)
    assert response.status_code == 201, response.text
    return dict(response.json())


__all__ = ["auth"]
