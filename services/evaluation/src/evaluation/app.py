"""Evaluation service."""

from fastapi import FastAPI

from evaluation.assessment.endpoints import router as assessment_router
from evaluation.classes.endpoints import router as classes_router
from evaluation.consumers import subscriptions
from evaluation.reports.endpoints import county_router as county_reports_router
from evaluation.reports.endpoints import router as reports_router
from evaluation.resources.endpoints import router as resources_router
from evaluation.schools.models import School
from evaluation.scope.endpoints import router as scope_router
from evaluation.seats.endpoints import router as seats_router
from evaluation.settings import EvaluationSettings
from evaluation.teachers.endpoints import router as teachers_router
from evaluation.trends.endpoints import router as trends_router
from evaluation.verdict import reactions as verdict_reactions  # noqa: F401 - registers them
from evaluation.verdict.endpoints import router as verdict_router
from evaluation.whatif.endpoints import router as whatif_router
from junheng_kit.app import build_service_app
from junheng_kit.school_directory import school_directory_router


def create_app(settings: EvaluationSettings | None = None) -> FastAPI:
    settings = settings or EvaluationSettings()
    return build_service_app(
        settings,
        title="Junheng evaluation",
        description=(
            "县域义务教育优质均衡督导评估: the seven resource indicators per school section, "
            "the per-school rule and the pupil-weighted 差异系数 per level, from resource data "
            "imported as JSON, CSV or XLSX."
        ),
        routers=[
            school_directory_router(School, "evaluation"),
            teachers_router,
            assessment_router,
            resources_router,
            whatif_router,
            reports_router,
            county_reports_router,
            verdict_router,
            trends_router,
            seats_router,
            classes_router,
            scope_router,
        ],
        subscriptions=subscriptions,
    )
