"""公示 use-cases: listing reviewed awards for the minimum working days, and the public list.
Services never commit."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from assistance.awards.awards import repository as awards_repository
from assistance.awards.awards.rules import AwardStatus
from assistance.awards.awards.transitions import transition
from assistance.awards.calendar.service import load_calendar
from assistance.awards.publicity import repository, rules
from assistance.awards.publicity.models import PublicityBatch
from assistance.awards.publicity.schemas import PublicEntry, PublicityBatchCreate, PublicList
from assistance.programmes import repository as programme_repository
from assistance.programmes import service as programmes
from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.ids import uuid7
from junheng_kit.logs import mask_citizen_id, mask_name
from junheng_kit.problems import FieldError, NotFound
from junheng_kit.timeutil import china_today


async def create_publicity_batch(
    session: AsyncSession, principal: Principal, *, request: PublicityBatchCreate, minimum: int
) -> tuple[PublicityBatch, int]:
    """公示: reviewed awards listed from `starts_on` (today or later) for ≥ `minimum` working
    days."""
    principal.require_jurisdiction(request.county_code, field="county_code")
    rules.check_scope(request.county_code, request.school_code)
    rules.check_not_backdated(request.starts_on, recorded_on=china_today())
    last_year = max(request.starts_on.year + 1, (request.ends_on or request.starts_on).year)
    calendar = await load_calendar(session, range(request.starts_on.year, last_year + 1))
    ends_on = request.ends_on or rules.publicity_end(request.starts_on, minimum, calendar)
    working_days = rules.check_publicity_period(request.starts_on, ends_on, minimum, calendar)
    rules.require_calendar(
        calendar.missing_years(request.starts_on, ends_on), starts_on=request.starts_on
    )
    if request.award_ids is None:
        chosen = await repository.reviewed_awards(session, request.county_code, request.school_code)
    else:
        chosen = await awards_repository.awards_by_ids(
            session, request.award_ids, within=principal.jurisdiction
        )
        known = {a.id for a, _ in chosen}
        missing_ids = [i for i, a in enumerate(request.award_ids) if a not in known]
        if missing_ids:
            raise NotFound(
                t("资助不存在", "award not found"),
                *(FieldError(f"award_ids[{i}]", "award_known") for i in missing_ids),
            )
        position = {a: i for i, a in enumerate(request.award_ids)}
        rules.check_candidates(
            [
                rules.Candidate(
                    position[a.id],
                    a.status,
                    a.publicity_batch_id is not None,
                    a.county_code,
                    a.school_code,
                )
                for a, _ in chosen
            ],
            county_code=request.county_code,
            school_code=request.school_code,
        )
    rules.require_awards(len(chosen))
    batch = PublicityBatch(
        id=uuid7(),
        county_code=request.county_code,
        school_code=request.school_code,
        starts_on=request.starts_on,
        ends_on=ends_on,
        working_days=working_days,
        calendar_note=None,
        created_by=principal.client_id,
    )
    session.add(batch)
    await session.flush()
    for award, _ in chosen:
        award.publicity_batch_id = batch.id
        transition(
            session,
            award,
            AwardStatus.IN_PUBLICITY,
            actor=principal.client_id,
            reason=f"公示 {request.starts_on}..{ends_on} ({working_days} 个工作日)",
        )
    await session.flush()
    return batch, len(chosen)


async def get_batch(
    session: AsyncSession, principal: Principal, *, batch_id: UUID
) -> tuple[PublicityBatch, int]:
    batch = await repository.batch(session, batch_id, within=principal.jurisdiction)
    return batch, len(await repository.batch_awards(session, batch_id))


async def public_list(session: AsyncSession, principal: Principal, *, batch_id: UUID) -> PublicList:
    """The list the school prints: masked name and ID, programme and tier; the category only
    where the programme allows it — the same for every caller (it is the public copy)."""
    batch = await repository.batch(session, batch_id, within=principal.jurisdiction)
    rows = await repository.batch_awards(session, batch_id)
    catalogue = {
        p.code: p
        for p in programmes.programmes_in_force(
            await programme_repository.all_versions(session), batch.starts_on
        )
    }
    items = []
    for award, student in rows:
        if award.status == AwardStatus.REJECTED:
            continue
        programme = catalogue.get(award.programme_code)
        items.append(
            PublicEntry(
                student_name=mask_name(student.name),
                citizen_id=mask_citizen_id(student.citizen_id),
                school_code=award.school_code,
                programme_code=award.programme_code,
                programme_name=programme.name if programme else award.programme_code,
                tier=award.tier,
                category=award.category
                if programme is not None and programme.publicity_shows_category
                else None,
                amount_yuan=award.amount_yuan,
            )
        )
    return PublicList(
        batch_id=batch.id,
        starts_on=batch.starts_on,
        ends_on=batch.ends_on,
        objections_to=f"POST /v1/publicity-batches/{batch.id}/objections",
        items=items,
    )
