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
from staffing.training.endpoints import router as training_router


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
            training_router,
            policy_router,
            quotas_router,
            pool_county_router,
            pool_router,
            rotation_county_router,
            rotation_router,
        ],
        subscriptions=subscriptions,
        tags={
            "teachers": (
                "教师名册：登记、调动、资格、培训学时与表格导入。The teacher registry: "
                "registration, moves, qualifications, training hours and sheet imports."
            ),
            "quotas": (
                "编制核定：按生师比与班师比核定教职工编制。Establishment quotas from pupil–teacher "
                "and class–teacher ratios."
            ),
            "quota-pool": (
                "编制周转池：县域内编制的借用与归还。The county's quota pool: posts lent between "
                "schools and returned."
            ),
            "rotation": (
                "交流轮岗：轮岗方案、合规检查与乡村任教年限。Rotation plans, rule compliance and "
                "rural service years."
            ),
            "policy": (
                "政策参数：按地区生效的编制、轮岗与培训学时参数。Policy parameters in force per "
                "region for quotas, rotation and training hours."
            ),
        },
    )
