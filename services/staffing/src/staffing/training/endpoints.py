from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.problems import (
    BadRequest,
    Conflict,
    NotFound,
    RuleViolated,
    UnsupportedMediaType,
    problem_responses,
)
from junheng_kit.tabular import SHEET_BODY, media_type_of
from staffing.training import service, sheet
from staffing.training.schemas import (
    TeacherTrainingRead,
    TrainingImportRead,
    TrainingRecordCreate,
    TrainingRecordRead,
)

router = APIRouter(tags=["teachers"])

Reader = Annotated[Principal, Depends(require_scopes("staffing:read"))]
Writer = Annotated[Principal, Depends(require_scopes("staffing:write"))]


@router.post(
    "/v1/teachers/{teacher_id}/training-records",
    status_code=201,
    summary="Record a teacher's completed training (教师培训记录)",
    responses=problem_responses(NotFound, Conflict, RuleViolated),
)
async def add_training_record(
    teacher_id: UUID,
    body: TrainingRecordCreate,
    session: SessionDep,
    principal: Writer,
    response: Response,
) -> TrainingRecordRead:
    """Hours count on `completed_on` toward 教师5年360学时; the teacher's school is recounted
    (`staffing.school_teacher_stats.changed` when its counts change). 422: `completed_on` in the
    future (`training_completed_not_in_future`) or before the teacher's 参加工作日期
    (`training_after_hire`), a start after it (`training_period_order`), more hours than the
    period holds (`training_hours_within_period`); 409 `training_record_unique`."""
    record = await service.add_record(session, principal, teacher_id=teacher_id, request=body)
    response.headers["Location"] = f"/v1/teachers/{teacher_id}/training-records/{record.id}"
    return TrainingRecordRead.of(record)


@router.get(
    "/v1/teachers/{teacher_id}/training-records",
    summary="A teacher's training records and hours in the window (5年360学时)",
    responses=problem_responses(NotFound),
)
async def list_training_records(
    teacher_id: UUID,
    session: SessionDep,
    principal: Reader,
    on: Annotated[
        date | None, Query(description="last day of the window; default: today (Asia/Shanghai)")
    ] = None,
) -> TeacherTrainingRead:
    """Every record, and the hours completed in the window ending on `on` against the
    requirement in force for the teacher's county (`training_required_hours` in
    `training_window_years`: 360 in 5 years, 教督〔2017〕6号 政府保障程度第9项)."""
    return await service.teacher_training(session, principal, teacher_id=teacher_id, on=on)


@router.delete(
    "/v1/teachers/{teacher_id}/training-records/{record_id}",
    status_code=204,
    summary="Remove a mistaken training record",
    responses=problem_responses(NotFound),
)
async def remove_training_record(
    teacher_id: UUID, record_id: UUID, session: SessionDep, principal: Writer
) -> Response:
    await service.remove_record(session, principal, teacher_id=teacher_id, record_id=record_id)
    return Response(status_code=204)


@router.post(
    "/v1/teacher-training-imports",
    status_code=201,
    summary="Import training records from CSV or XLSX (教师培训记录表)",
    responses=problem_responses(BadRequest, UnsupportedMediaType),
    openapi_extra=SHEET_BODY,
)
async def import_training_records(
    request: Request,
    session: SessionDep,
    principal: Writer,
    content_type: Annotated[str, Header()] = "",
) -> TrainingImportRead:
    """Columns 公民身份号码, 姓名 (checked when given), 培训项目, 培训机构, 开始日期, 完成日期,
    学时, 证书编号. Every bad cell → `rows[<sheet row>].<field>`; one bad row imports nothing. A row
    whose teacher, 培训项目 and 完成日期 are recorded already updates that record."""
    record = await sheet.import_training(
        session, principal, content=await request.body(), media_type=media_type_of(content_type)
    )
    return TrainingImportRead.model_validate(record, from_attributes=True)
