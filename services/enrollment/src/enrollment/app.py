"""Enrollment service (招生入学): school registry and 电脑派位; zoning and applications follow."""

from fastapi import FastAPI

from enrollment.lottery.endpoints import router as lottery_router
from enrollment.schools.endpoints import router as schools_router
from enrollment.settings import EnrollmentSettings
from junheng_kit.app import build_service_app


def create_app(settings: EnrollmentSettings | None = None) -> FastAPI:
    settings = settings or EnrollmentSettings()
    return build_service_app(
        settings,
        title="Junheng enrollment",
        description="招生入学: the school registry (学校登记) that zoning, applications and "
        "电脑派位 build on.",
        routers=[schools_router, lottery_router],
    )
