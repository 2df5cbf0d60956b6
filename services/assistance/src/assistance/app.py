"""Assistance service."""

from fastapi import FastAPI

from assistance.agencies.connector import install_connector
from assistance.agencies.endpoints import router as agencies_router
from assistance.awards.endpoints import router as awards_router
from assistance.consumers import subscriptions
from assistance.export import router as export_router
from assistance.identification.endpoints import router as identification_router
from assistance.identification.jobs import install_job_runner
from assistance.ledger.endpoints import router as ledger_router
from assistance.programmes.endpoints import router as programmes_router
from assistance.retention import RETENTION
from assistance.schools.models import School
from assistance.settings import AssistanceSettings
from assistance.students.endpoints import router as students_router
from junheng_kit.app import build_service_app
from junheng_kit.retention.endpoints import retention_router
from junheng_kit.retention.jobs import install_retention
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
            export_router,
            retention_router(RETENTION),
        ],
        subscriptions=subscriptions,
        tags={
            "students": (
                "学生名册：在籍学生及其个人信息（需 PII 权限方可查看）。The pupil roster (personal "
                "data shown only with the PII scope)."
            ),
            "programmes": (
                "资助项目：标准、名额与资格条件。Aid programmes: standards, places and eligibility."
            ),
            "identification": (
                "应助尽助：依据共享数据批量认定困难学生。Identification of eligible pupils from "
                "agencies' shared data."
            ),
            "awards": (
                "资助认定、公示、异议、审批与发放。Awards: review, public notice, objections, "
                "approval and disbursement."
            ),
            "agencies": (
                "部门数据共享：民政、残联、乡村振兴、农牧的查询与状态。Data sharing with partner "
                "agencies: lookups and their status."
            ),
            "ledger": (
                "审计账本：跨部门查询的防篡改记录。The tamper-evident ledger of agency lookups."
            ),
            "retention": (
                "保存期限、法律保全与定期清除，以及一名儿童全部资助数据的导出（查阅请求）。"
                "Retention: periods per kind of record, legal holds, the purge that "
                "pseudonymises expired aid files and records what it did, and the export of "
                "everything held about one child (access request)."
            ),
        },
    )
    install_connector(app, settings)  # app.state.agency_connector, opened in the lifespan
    install_job_runner(app, settings)  # app.state.identification_jobs: 应助尽助 jobs, tasks
    install_retention(app, RETENTION, settings.retention_sweep_seconds)  # the scheduled purge
    return app
