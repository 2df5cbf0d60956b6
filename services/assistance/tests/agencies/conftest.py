"""Real agency simulator processes (民政 mca, 残联 cdpf) on free ports, and an app that talks to
them with the bureau's key. Registries are planted from a CSV so answers are known."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.app import create_app
from assistance.settings import AssistanceSettings
from assistance.students.models import Student
from junheng_kit.identifiers import citizen_id_from_body as citizen_id
from junheng_kit.identifiers import student_key
from junheng_kit.signing import ensure_private_key
from junheng_kit.testing.agencies import Simulator, healthy, running_simulators
from junheng_kit.testing.agencies import agencies_file as write_agencies_file
from junheng_kit.testing.plugin import TEST_PSEUDONYM_KEY, TEST_SECRET, field_keys_for_tests

TODAY = "2026-11-23"  # the simulators' fixed date: validity is judged on it


WANG = citizen_id("15060220150301001")  # 王小明: 低保 (mca) and 残疾学生 grade 2 (cdpf)
LI = citizen_id("15060220140512002")  # 李红: 特困 expired 2026-06-30
ZHANG = citizen_id("15060220160708003")  # held as 张三丰; the school writes 张三峰
ZHAO = citizen_id("15060220150909004")  # 赵四: in no registry
OTHER = citizen_id("15060320150101005")  # a child of another county (150603)

REGISTRY_CSV = f"""citizen_id,name,category,grade,valid_from,valid_until
{WANG},王小明,dibao,,2025-01-01,2027-12-31
{WANG},王小明,disabled_student,2,2024-03-01,
{LI},李红,tekun,,2023-01-01,2026-06-30
{ZHANG},张三丰,orphan,,2022-05-01,
"""


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("agency-keys")
    for name in ("bureau", "mca", "cdpf"):
        ensure_private_key(directory / f"{name}.pem")
    return directory


@pytest.fixture(scope="session")
def simulators(
    keys: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Simulator]]:
    workdir = tmp_path_factory.mktemp("simulators")
    registry = workdir / "registry.csv"
    registry.write_text(REGISTRY_CSV, encoding="utf-8")
    with running_simulators(
        ("mca", "cdpf"),
        keys=keys,
        workdir=workdir,
        registry=registry,
        today=TODAY,
        extra=("--share", "0"),
    ) as sims:
        yield sims


@pytest.fixture(autouse=True)
def healthy_simulators(simulators: dict[str, Simulator]) -> Iterator[None]:
    with healthy(simulators.values()):
        yield


@pytest.fixture(scope="session")
def agencies_file(simulators: dict[str, Simulator], keys: Path) -> Path:
    return write_agencies_file(
        keys / "agencies.json",
        keys,
        simulators,
        mca={"categories": ["dibao", "tekun", "orphan", "de_facto_unsupported", "hardship_child"]},
        cdpf={"categories": ["disabled_student", "disabled_parent"]},
    )


def agency_settings(
    database_url: str, jwks_json: str, agencies_file: Path, keys: Path
) -> AssistanceSettings:
    return AssistanceSettings(
        environment="test",
        secret_key=SecretStr(TEST_SECRET),
        pseudonym_key=SecretStr(TEST_PSEUDONYM_KEY),
        database_url=database_url,
        jwks_json=jwks_json,
        nats_url=None,
        agencies_file=agencies_file,
        agency_signing_key_file=keys / "bureau.pem",
        agency_retries=2,
        agency_backoff_seconds=0.01,
        **field_keys_for_tests(),
        agency_breaker_failures=3,
        agency_breaker_reset_seconds=0.5,
    )


@pytest.fixture
def app(database_url: str, jwks_json: str, agencies_file: Path, keys: Path) -> FastAPI:
    return create_app(agency_settings(database_url, jwks_json, agencies_file, keys))


@pytest.fixture
async def students(client: httpx.AsyncClient, session: AsyncSession) -> dict[str, UUID]:
    """王小明, 李红, 张三峰 (as the school spells it) in 150602; one child of 150603."""
    rows = {
        "wang": (WANG, "王小明", "150602"),
        "li": (LI, "李红", "150602"),
        "zhang": (ZHANG, "张三峰", "150602"),
        "zhao": (ZHAO, "赵四", "150602"),
        "other": (OTHER, "钱五", "150603"),
    }
    ids = {}
    for label, (cid, name, county) in rows.items():
        student = Student(
            citizen_id=cid,
            student_key=student_key(TEST_PSEUDONYM_KEY.encode(), cid),
            name=name,
            gender="male",
            birth_date=date(int(cid[6:10]), int(cid[10:12]), int(cid[12:14])),
            county_code=county,
            school_code="2150060201",
            level="primary",
            grade=4,
            boarding=False,
        )
        session.add(student)
        await session.flush()
        ids[label] = student.id
    await session.commit()
    return ids
