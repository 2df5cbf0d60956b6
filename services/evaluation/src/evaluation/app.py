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
        tags={
            "assessments": (
                "资源配置评估：七项指标、校际差异系数。Resource-allocation assessments: the seven "
                "indicators and the coefficients of variation."
            ),
            "school-resources": (
                "学校资源配置数据：按学年导入（JSON、CSV、XLSX）。Schools' resource data per "
                "school year (JSON, CSV, XLSX)."
            ),
            "school-classes": (
                "班级学生数与班额：按学年导入，判定大班额。Class data per school year and the "
                "class sizes judged on it."
            ),
            "what-if": (
                "模拟测算：改变投入后的评估结果与最省补齐方案。What-if scenarios and the cheapest "
                "fix."
            ),
            "verdict": (
                "县域认定结论：政府保障、教育质量、社会认可与一票否决。The county verdict: "
                "government assurance, quality, recognition and vetoes."
            ),
            "reports": (
                "报告：PDF、HTML、XLSX 格式的评估与认定报告。Reports of assessments and verdicts "
                "as PDF, HTML and XLSX."
            ),
            "trends": (
                "趋势与汇总：县域多年趋势与地区汇总。Trends over years and regional roll-ups."
            ),
            "scope-rules": (
                "评估范围规则：教学点人数下限与一贯制学校权重。Scope rules: the teaching-point "
                "cut-off and combined-school weights."
            ),
        },
    )
