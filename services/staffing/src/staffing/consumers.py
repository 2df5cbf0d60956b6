"""Events staffing consumes: enrollment's school registry → the local school copy; seat plans
→ planned classes per school, level and year."""

from sqlalchemy.ext.asyncio import AsyncSession

from junheng_contracts.enrollment import SchoolSeatsChanged
from junheng_kit.school_directory import school_subscriptions
from staffing.classes import service as classes_service
from staffing.schools.models import School

subscriptions = school_subscriptions(School, "staffing")


@subscriptions.on(SchoolSeatsChanged, durable="staffing-seat-plans")
async def record_seat_plan(session: AsyncSession, event: SchoolSeatsChanged) -> None:
    await classes_service.apply_seat_plan(session, event.data, event.id)  # stale: no-op
