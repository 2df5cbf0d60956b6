"""Status notice use-cases (资格变动): raising notices from agency changes, appeals and their
resolution. Services never commit."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.awards import repository as awards_repository
from assistance.awards.awards.schemas import PII
from assistance.awards.notices import repository, rules
from assistance.awards.notices.models import StatusNotice
from assistance.awards.notices.rules import NoticeChange, NoticeOutcome, NoticeStatus, StatusChange
from assistance.awards.notices.schemas import NoticeAppeal, NoticeRead, NoticeResolve
from junheng_kit.auth import Principal
from junheng_kit.classification import masked
from junheng_kit.ids import uuid7
from junheng_kit.timeutil import utcnow

log = logging.getLogger("assistance.awards")

DEFAULT_NOTICE_GRACE_DAYS = 30


async def raise_status_notices(
    session: AsyncSession,
    *,
    actor: str,
    changes: Sequence[StatusChange],
    grace_days: int = DEFAULT_NOTICE_GRACE_DAYS,
) -> int:
    """资格变动: a notice per change, with a grace period and an appeal path.

    `lost` without an award id: one notice per open award of the student in that category (or
    one without an award if there is none); `gained`: a notice without an award (the school may
    apply). A change that already has an open or appealed notice is not raised again. Awards stay
    payable until the grace period (detected_on + grace_days) ends. Returns notices created.
    """
    if not changes:
        return 0
    ids = {c.student_id for c in changes}
    students = await awards_repository.student_places(session, ids)
    open_awards = await awards_repository.open_awards_of(session, ids)
    pending = await repository.pending_notice_keys(session, ids)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for change in changes:
        student = students.get(change.student_id)
        if student is None:
            continue
        targets: list[Any] = [change.award_id]
        if change.change == NoticeChange.LOST and change.award_id is None:
            targets = [
                a.id
                for a in open_awards
                if a.student_id == change.student_id and a.category == change.category
            ] or [None]
        for award_id in targets:
            key = (change.student_id, award_id, change.category, change.change)
            if key in pending:
                continue
            pending.add(key)
            rows.append(
                {
                    "id": uuid7(),
                    "student_id": change.student_id,
                    "award_id": award_id,
                    "county_code": student.county_code,
                    "category": change.category,
                    "change": NoticeChange(change.change).value,
                    "agency": change.agency,
                    "detected_on": change.detected_on,
                    "grace_until": change.detected_on + timedelta(days=grace_days),
                    "status": NoticeStatus.OPEN.value,
                    "appeal": None,
                    "outcome": None,
                    "resolution": None,
                    "raised_by": actor,
                    "created_at": now,
                }
            )
    await repository.insert_notices(session, rows)
    log.info("status_notices.raised", extra={"notices_created": len(rows)})
    return len(rows)


def notice_read(notice: StatusNotice, principal: Principal) -> NoticeRead:
    read = NoticeRead.model_validate(notice)
    return read if PII in principal.scopes else masked(read)


async def list_notices(
    session: AsyncSession, principal: Principal, *, filters: dict[str, object]
) -> list[StatusNotice]:
    return list(await repository.notices(session, within=principal.jurisdiction, filters=filters))


async def appeal_notice(
    session: AsyncSession, principal: Principal, *, notice_id: UUID, request: NoticeAppeal
) -> StatusNotice:
    """申诉: the family (through the school) contests the change; payments go on meanwhile."""
    notice = await repository.notice(session, notice_id, within=principal.jurisdiction)
    rules.require_appealable(notice.status)
    notice.status = NoticeStatus.APPEALED.value
    notice.appeal = request.reason
    await session.flush()
    return notice


async def resolve_notice(
    session: AsyncSession, principal: Principal, *, notice_id: UUID, request: NoticeResolve
) -> StatusNotice:
    notice = await repository.notice(session, notice_id, within=principal.jurisdiction)
    rules.require_resolvable(notice.status)
    notice.status = NoticeStatus.RESOLVED.value
    notice.outcome = NoticeOutcome(request.outcome).value
    notice.resolution = request.resolution
    await session.flush()
    return notice
