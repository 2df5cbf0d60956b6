"""Assistance service."""

from fastapi import FastAPI

from assistance.consumers import subscriptions
from assistance.schools.models import School
from assistance.settings import AssistanceSettings
from junheng_kit.app import build_service_app
from junheng_kit.school_directory import school_directory_router


def create_app(settings: AssistanceSettings | None = None) -> FastAPI:
    settings = settings or AssistanceSettings()
    return build_service_app(
        settings,
        title="Junheng assistance",
        description=(
            "学生资助: aid programmes and cross-agency eligibility build on this school copy."
        ),
        routers=[school_directory_router(School, "assistance")],
        subscriptions=subscriptions,
    )
