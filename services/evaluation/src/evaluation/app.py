"""Evaluation service."""

from fastapi import FastAPI

from evaluation.consumers import subscriptions
from evaluation.schools.models import School
from evaluation.settings import EvaluationSettings
from junheng_kit.app import build_service_app
from junheng_kit.school_directory import school_directory_router


def create_app(settings: EvaluationSettings | None = None) -> FastAPI:
    settings = settings or EvaluationSettings()
    return build_service_app(
        settings,
        title="Junheng evaluation",
        description=(
            "县域义务教育优质均衡督导评估: indicators and verdicts build on this school copy."
        ),
        routers=[school_directory_router(School, "evaluation")],
        subscriptions=subscriptions,
    )
