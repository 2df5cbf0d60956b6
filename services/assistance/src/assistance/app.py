"""Assistance service."""

from fastapi import FastAPI

from assistance.agencies.connector import install_connector
from assistance.agencies.endpoints import router as agencies_router
from assistance.awards.endpoints import router as awards_router
from assistance.consumers import subscriptions
from assistance.identification.endpoints import router as identification_router
from assistance.identification.jobs import install_job_runner
from assistance.ledger.endpoints import router as ledger_router
from assistance.programmes.endpoints import router as programmes_router
from assistance.schools.models import School
from assistance.settings import AssistanceSettings
from assistance.students.endpoints import router as students_router
from junheng_kit.app import build_service_app
from junheng_kit.school_directory import school_directory_router


def create_app(settings: AssistanceSettings | None = None) -> FastAPI:
    settings = settings or AssistanceSettings()
    app = build_service_app(
        settings,
        title="Junheng assistance",
        description=(
            "学生资助: aid programmes and cross-agency eligibility build on this school copy."
        ),
        routers=[
            school_directory_router(School, "assistance"),
            agencies_router,
            ledger_router,
            programmes_router,
            awards_router,
            students_router,
            identification_router,
        ],
        subscriptions=subscriptions,
    )
    install_connector(app, settings)  # app.state.agency_connector, opened in the lifespan
    install_job_runner(app, settings)  # app.state.identification_jobs: 应助尽助 jobs, tasks
    return app
