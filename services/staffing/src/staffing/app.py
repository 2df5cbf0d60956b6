"""Staffing service."""

from fastapi import FastAPI

from junheng_kit.app import build_service_app
from junheng_kit.school_directory import school_directory_router
from staffing.consumers import subscriptions
from staffing.policy.endpoints import router as policy_router
from staffing.pool.endpoints import county_router as pool_county_router
from staffing.pool.endpoints import router as pool_router
from staffing.quotas.endpoints import router as quotas_router
from staffing.rotation.endpoints import county_router as rotation_county_router
from staffing.rotation.endpoints import router as rotation_router
from staffing.schools.models import School
from staffing.settings import StaffingSettings
from staffing.teachers.endpoints import router as teachers_router


def create_app(settings: StaffingSettings | None = None) -> FastAPI:
    settings = settings or StaffingSettings()
    return build_service_app(
        settings,
        title="Junheng staffing",
        description=(
            "师资配置: "
            "teacher registry, 编制 quotas and 交流轮岗 rotation build on this school copy."
        ),
        routers=[
            school_directory_router(School, "staffing"),
            teachers_router,
            policy_router,
            quotas_router,
            pool_county_router,
            pool_router,
            rotation_county_router,
            rotation_router,
        ],
        subscriptions=subscriptions,
    )
