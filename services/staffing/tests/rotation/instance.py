"""A small county solved by hand for the rotation rules' tests: an urban school and two rural
ones, three eligible teachers and one who is not."""

from datetime import date
from decimal import Decimal

from staffing.rotation.rules import (
    INDICATORS,
    Area,
    LeadershipPost,
    RotationParameters,
    RotationSchool,
    RotationTeacher,
    SectionState,
)

ON = date(2025, 9, 1)
THRESHOLDS = {
    (key, section): Decimal(value)
    for section in ("primary", "junior")
    for key, value in zip(
        INDICATORS,
        ("4.2", "1", "0.9") if section == "primary" else ("5.3", "1", "0.9"),
        strict=True,
    )
}
PARAMETERS = RotationParameters(
    min_share=Decimal("0.10"),
    backbone_min_share=Decimal("0.20"),
    backbone_denominator="rotated",
    trigger_years=6,
    retirement_window_years=5,
    max_distance_km=None,
    thresholds=THRESHOLDS,
    target_count=2,
)


def teacher(
    teacher_id: str,
    school: str = "U",
    *,
    joined: date = date(2015, 9, 1),
    retires: date | None = date(2045, 1, 1),
    degree: bool = False,
    backbone: bool = False,
    pe_arts: bool = False,
    subject: str = "chinese",
    in_quota: bool = True,
    principal: bool = False,
    vice_principal: bool = False,
) -> RotationTeacher:
    post: LeadershipPost | None = (
        "principal" if principal else "vice_principal" if vice_principal else None
    )
    return RotationTeacher(
        teacher_id=teacher_id,
        school_code=school,
        section="primary",
        subject=subject,
        school_joined_on=joined,
        retires_on=retires,
        is_in_quota=in_quota,
        is_full_time=True,
        is_backbone=backbone,
        above_required_degree=degree,
        is_pe_arts=pe_arts,
        leadership_post=post,
    )


def school(
    code: str, area: Area, pupils: int, counts: tuple[int, int, int], free: int,
    lon: float = 110.0, lat: float = 39.8,
) -> RotationSchool:  # fmt: skip
    return RotationSchool(code, area, lon, lat, free, {"primary": SectionState(pupils, counts)})


# U: urban, 500 pupils, 6 / 2 / 1 per 100. R1: rural, 100 pupils, 3 / 0 / 0. R2: rural, 200
# pupils, 4 / 1 / 1. One free post at each rural school.
SCHOOLS = [
    school("U", "urban", 500, (30, 10, 5), 0),
    school("R1", "rural", 100, (3, 0, 0), 1),
    school("R2", "rural", 200, (8, 2, 2), 1),
]
# Gains (`optimiser.rules` docstring): weight = (100 / pupils) / threshold × (0.01 + gap).
#   R1: degree 1/4.2 × (0.01 + 1.2/4.2) = 0.07041, backbone 1 × 1.01, PE/arts 1/0.9 × 1.01.
#   R2: degree 0.5/4.2 × (0.01 + 0.2/4.2) = 0.00686, backbone 0.5 × 0.01, PE/arts 0.5/0.9 × 0.01.
# T1 (backbone): R1 1.01000, R2 0.00500. T2 (degree + PE): R1 1.19263, R2 0.01241.
# T3 (degree): R1 0.07041, R2 0.00686.
# Two moves, one per rural school. Best pairs: T2→R1 + T3→R2 = 1.19949 (no backbone teacher),
# T2→R1 + T1→R2 = 1.19763, T1→R1 + T2→R2 = 1.02241, T1→R1 + T3→R2 = 1.01686.
TEACHERS = [
    teacher("T1", backbone=True),
    teacher("T2", degree=True, pe_arts=True, subject="pe"),
    teacher("T3", degree=True),
    teacher("N1", "R1", joined=date(2022, 9, 1)),  # 3 years: not in the pool
]
