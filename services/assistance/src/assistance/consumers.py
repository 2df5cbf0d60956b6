"""Events assistance consumes: enrollment's school registry → the local school copy;
enrollment's confirmed admissions → the student roster."""

from sqlalchemy.ext.asyncio import AsyncSession

from assistance.schools.models import School
from assistance.students import service as students_service
from junheng_contracts.enrollment import AdmissionConfirmed
from junheng_kit.school_directory import school_subscriptions

subscriptions = school_subscriptions(School, "assistance")


@subscriptions.on(AdmissionConfirmed, durable="assistance-admissions")
async def admission_confirmed(session: AsyncSession, event: AdmissionConfirmed) -> None:
    await students_service.apply_admission(session, event.data, event_id=event.id)
