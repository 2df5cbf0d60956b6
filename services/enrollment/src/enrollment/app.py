"""Enrollment service (招生入学): school registry and 电脑派位; zoning and applications follow."""

from fastapi import FastAPI

from enrollment.admission.endpoints import router as admission_router
from enrollment.admission.endpoints import submit_application_fast
from enrollment.admission.policy_endpoints import router as policy_router
from enrollment.imports.endpoints import router as imports_router
from enrollment.lottery.endpoints import router as lottery_router
from enrollment.schools.endpoints import router as schools_router
from enrollment.schools.share_endpoints import router as private_share_router
from enrollment.seats.endpoints import forecast_router, school_seats_router, seat_plans_router
from enrollment.settings import EnrollmentSettings
from enrollment.zoning.endpoints import maps_router as zone_maps_router
from enrollment.zoning.endpoints import zones_router
from junheng_kit.app import build_service_app


def create_app(settings: EnrollmentSettings | None = None) -> FastAPI:
    settings = settings or EnrollmentSettings()
    return build_service_app(
        settings,
        title="Junheng enrollment",
        description="招生入学: the school registry (学校登记) that zoning, applications and "
        "电脑派位 build on.",
        routers=[
            schools_router,
            private_share_router,
            policy_router,
            admission_router,
            lottery_router,
            zone_maps_router,
            zones_router,
            school_seats_router,
            seat_plans_router,
            forecast_router,
            imports_router,
        ],
        fast_routes={("POST", "/v1/applications"): submit_application_fast},
        claims_within={("POST", "/v1/applications")},
    )
