"""Events evaluation consumes, each into a local read model:

- enrollment's school registry → the school copy (`evaluation-schools`);
- staffing's teacher counts → the teacher statistics behind indicators 1–3
  (`evaluation-teacher-stats`);
- enrollment's seat plans → the planned entry-grade classes (`evaluation-seats`), a planning
  view beside the real classes the verdict judges 班额 on.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.schools.models import School
from evaluation.seats import service as seats_service
from evaluation.teachers import service as teachers_service
from junheng_contracts.enrollment import SchoolSeatsChanged
from junheng_contracts.staffing import SchoolTeacherStatsChanged
from junheng_kit.school_directory import school_subscriptions

subscriptions = school_subscriptions(School, "evaluation")


@subscriptions.on(SchoolTeacherStatsChanged, durable="evaluation-teacher-stats")
async def record_teacher_stats(session: AsyncSession, event: SchoolTeacherStatsChanged) -> None:
    await teachers_service.apply_teacher_stats(session, event)  # stale version: no-op


@subscriptions.on(SchoolSeatsChanged, durable="evaluation-seats")
async def record_seat_plan(session: AsyncSession, event: SchoolSeatsChanged) -> None:
    await seats_service.apply_seats(session, event)  # stale version: no-op
