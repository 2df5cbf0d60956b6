"""教师信息表 export: the register in the import's columns (`sheet.COLUMNS`), codes as their
Chinese labels, so an export imports back unchanged."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.auth import Principal
from junheng_kit.classification import mask_of
from staffing.teachers import sheet
from staffing.teachers.codes import LABEL_OF, enum_label
from staffing.teachers.models import RuralServicePeriod
from staffing.teachers.qualifications import QUALIFICATION_LABEL
from staffing.teachers.repository import TeacherRepository
from staffing.teachers.schemas import TeacherRead


def _period_text(periods: Sequence[RuralServicePeriod]) -> str | None:
    parts = [
        f"{p.started_on.isoformat()}~{p.ended_on.isoformat()}"
        + (f" {p.school_name}" if p.school_name else "")
        for p in periods
    ]
    return "; ".join(parts) or None


# each column masked as the teacher answer's field of the same name is without `staffing:pii`
# (junheng_kit.classification): the citizen ID; the other columns are shown to every reader
MASKS = [
    mask_of(TeacherRead, c.field) if c.field in TeacherRead.model_fields else None
    for c in sheet.COLUMNS
]


def masked_rows(rows: Sequence[list[Any]]) -> list[list[Any]]:
    return [
        [v if mask is None or v is None else mask(v) for mask, v in zip(MASKS, row, strict=True)]
        for row in rows
    ]


async def export_rows(
    session: AsyncSession, principal: Principal, *, county_code: str | None
) -> list[list[Any]]:
    """The register in the import's column order, with Chinese labels for codes."""
    if county_code:
        principal.require_jurisdiction(county_code, field="county_code")
    repository_ = TeacherRepository(session)
    teachers = await repository_.export_rows(within=principal.jurisdiction, county_code=county_code)
    periods = await repository_.imported_rural_periods([t.id for t in teachers])
    return [
        [
            t.citizen_id,
            t.name,
            enum_label(t.gender),
            t.birth_date,
            t.school_code,
            enum_label(t.section),
            t.school_joined_on,
            enum_label(t.post_type),
            "、".join(LABEL_OF[s] for s in t.subjects) or None,
            LABEL_OF[t.title] if t.title else None,
            LABEL_OF[t.degree],
            LABEL_OF[t.backbone_level] if t.backbone_level else None,
            enum_label(t.staffing_status),
            t.hire_date,
            enum_label(t.status),
            enum_label(t.leadership_post) if t.leadership_post else None,
            QUALIFICATION_LABEL[t.teacher_qualification_type]
            if t.teacher_qualification_type
            else None,
            t.teacher_qualification_number,
            LABEL_OF[t.teacher_qualification_subject] if t.teacher_qualification_subject else None,
            _period_text(periods.get(t.id, [])),
        ]
        for t in teachers
    ]
