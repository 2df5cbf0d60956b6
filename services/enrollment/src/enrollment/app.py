"""Enrollment service (招生入学): school registry and 电脑派位; zoning and applications follow."""

from fastapi import FastAPI

from enrollment.admission.endpoints import router as admission_router
from enrollment.admission.endpoints import submit_application_fast
from enrollment.admission.family_endpoints import application_not_modified_fast
from enrollment.admission.family_endpoints import router as family_router
from enrollment.admission.policy_endpoints import router as policy_router
from enrollment.export import router as export_router
from enrollment.facts.connector import install_fact_connector
from enrollment.facts.endpoints import router as facts_router
from enrollment.facts.jobs import install_fact_jobs
from enrollment.imports.endpoints import router as imports_router
from enrollment.lottery.commute.endpoints import router as commute_router
from enrollment.lottery.endpoints import router as lottery_router
from enrollment.retention import RETENTION
from enrollment.schools.endpoints import router as schools_router
from enrollment.schools.share_endpoints import router as private_share_router
from enrollment.seats.endpoints import forecast_router, school_seats_router, seat_plans_router
from enrollment.seats.standard_endpoints import router as seat_standards_router
from enrollment.settings import EnrollmentSettings
from enrollment.zoning.count_endpoints import router as zone_counts_router
from enrollment.zoning.endpoints import maps_router as zone_maps_router
from enrollment.zoning.endpoints import zones_router
from junheng_kit.app import build_service_app
from junheng_kit.retention.endpoints import retention_router
from junheng_kit.retention.jobs import install_retention


def create_app(settings: EnrollmentSettings | None = None) -> FastAPI:
    settings = settings or EnrollmentSettings()
    app = build_service_app(
        settings,
        title="Junheng enrollment",
        description="招生入学: the school registry (学校登记) that zoning, applications and "
        "电脑派位 build on.",
        routers=[
            schools_router,
            private_share_router,
            policy_router,
            family_router,
            admission_router,
            facts_router,
            lottery_router,
            commute_router,
            zone_maps_router,
            zones_router,
            zone_counts_router,
            school_seats_router,
            seat_plans_router,
            seat_standards_router,
            forecast_router,
            imports_router,
            retention_router(RETENTION),
            export_router,
        ],
        fast_routes={
            ("POST", "/v1/applications"): submit_application_fast,
            ("GET", "/v1/applications/{application_id}"): application_not_modified_fast,
        },
        claims_within={("POST", "/v1/applications")},
        tags={
            "schools": (
                "学校登记：学校的学段、位置、国家代码（办学类型、城乡分类、统计用区划代码）与办学性质。"
                "The school registry: levels, location, national codes and ownership."
            ),
            "zones": (
                "划片：学区地图的版本、按地址查询片区、学龄人口、常住人口与学区调整。Attendance "
                "zones: zone-map versions, address lookup, cohorts, resident population and "
                "re-zoning."
            ),
            "seats": (
                "学位计划、学位配置标准与学位预警：班级数、班额上限、每千人学位数、供需预测。Seat "
                "plans, the seat standard per resident population and the seat forecast: "
                "classes, class caps, supply against demand and against the standard."
            ),
            "admission": (
                "入学申请：提交、材料核验、审核、优先类别政策与录取。Applications: submission, "
                "document checks, review, priority policy and admissions."
            ),
            "assignment-runs": (
                "电脑派位：可复现的派位运行、解释、重放与统筹安置。The lottery: replayable "
                "assignment runs, explanations, replay and 统筹 placement."
            ),
            "imports": (
                "批量导入导出：申请表与学校名册的 CSV / XLSX。Bulk import and export of "
                "application and school sheets (CSV / XLSX)."
            ),
            "retention": (
                "保存期限、法律保全与定期清除：按记录类别设定保存期限，到期的个人信息删除或去标识化，"
                "并留下清除记录。Retention: periods per kind of record, legal holds, and the purge "
                "that deletes or pseudonymises expired personal data and records what it did."
            ),
        },
    )
    install_fact_connector(app, settings)
    install_fact_jobs(app, settings)
    install_retention(app, RETENTION, settings.retention_sweep_seconds)
    return app
