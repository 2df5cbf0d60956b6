"""应助尽助: a scan's outcome written in the job's transaction — review items, proposed awards,
status notices for lost categories, coverage per school, the awards served first (`priority`),
the lists used and the `assistance.coverage.computed` event. Run by the job runner (jobs.py);
flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from assistance.agencies.models import CategoryList
from assistance.agencies.repository import AgencyRepository
from assistance.awards.awards import repository as award_rows
from assistance.awards.awards import service as awards
from assistance.awards.awards.rules import AwardProposal
from assistance.awards.notices.rules import NoticeChange, StatusChange
from assistance.awards.notices.service import raise_status_notices
from assistance.categories import CARE_ONLY
from assistance.identification import rules
from assistance.identification.access_log import record_list_matches
from assistance.identification.models import IdentificationJob
from assistance.identification.repository import IdentificationRepository
from assistance.identification.schemas import JobPhase, JobStatus, ReviewStatus
from assistance.identification.service import Scan, lists_used
from junheng_contracts.assistance import CoverageComputed, CoverageComputedData, SchoolCoverage
from junheng_kit.ids import uuid7
from junheng_kit.messaging.outbox import add_event
from junheng_kit.timeutil import utcnow


async def write_outcome(
    session: AsyncSession,
    job: IdentificationJob,
    found: Scan,
    lists: Sequence[CategoryList],
    *,
    notice_grace_days: int,
) -> None:
    """Review items, proposed awards, status notices (payable for `notice_grace_days` more),
    coverage and the event: one transaction."""
    repository = IdentificationRepository(session)
    now = utcnow()
    await record_list_matches(session, job, found.matches)
    # the only list entries decrypted: those the new review items show
    listed_as = await AgencyRepository(session).entry_identities(
        found.reviews["entry_id"].to_list()
    )
    await repository.insert_review_items(
        [
            {
                "id": uuid7(),
                "job_id": job.id,
                "student_id": UUID(r["student_id"]),
                "county_code": job.county_code,
                "school_code": r["school_code"],
                "school_year": job.school_year,
                "kind": r["kind"],
                "agency": r["agency"],
                "category": r["category"],
                "list_ref": UUID(r["list_ref"]),
                "assertion_id": r["assertion_id"],
                "list_citizen_id": listed_as[r["entry_id"]][0],
                "list_name": listed_as[r["entry_id"]][1],
                "status": ReviewStatus.OPEN.value,
                "proposed_awards": 0,
                "version": 1,
                "created_at": now,
            }
            for r in found.reviews.iter_rows(named=True)
        ]
    )
    proposed = await awards.propose_awards(
        session,
        actor=job.requested_by,
        proposals=[
            AwardProposal(
                student_id=UUID(r["student_id"]),
                programme_code=r["programme_code"],
                school_year=job.school_year,
                category=r["category"],
                evidence=tuple(r["evidence"]),
            )
            for r in found.proposals.iter_rows(named=True)
        ],
    )
    notices = await raise_status_notices(
        session,
        actor=job.requested_by,
        grace_days=notice_grace_days,
        changes=[
            StatusChange(
                student_id=UUID(r["student_id"]),
                award_id=UUID(r["award_id"]),
                category=r["category"],
                change=NoticeChange.LOST,
                agency=r["agency"],
                detected_on=job.as_of,
            )
            for r in found.lost.iter_rows(named=True)
        ],
    )
    changed = await repository.awards_changed_since(
        job.county_code, job.school_year, found.loaded_at
    )
    per_school = rules.coverage(
        found.roster,
        listed=found.listed,
        auto=found.matches.exact,
        confirmed=await repository.confirmed_students(
            job.county_code, job.school_year, except_categories=CARE_ONLY
        ),
        # the awards loaded still hold unless this job, a school or a reviewer wrote one since
        awards=found.awards
        if proposed == 0 and not changed
        else await repository.awards(job.county_code, job.school_year),
        care_only=CARE_ONLY,  # 农村留守儿童 alone is no claim to aid
    )
    served_first: dict[str, list[UUID]] = {}
    for r in found.served_first.iter_rows(named=True):
        served_first.setdefault(r["programme_code"], []).append(UUID(r["student_id"]))
    priority = await award_rows.mark_priority(
        session,
        county_code=job.county_code,
        school_year=job.school_year,
        served_first=served_first,
    )
    county = rules.totals(per_school)
    await repository.insert_coverage(
        [
            {
                "job_id": job.id,
                "county_code": job.county_code,
                "school_year": job.school_year,
                "school_code": r["school_code"],
                "students": r["students"],
                "eligible": r["eligible"],
                "auto_identified": r["auto_identified"],
                "awarded": r["awarded"],
            }
            for r in per_school.iter_rows(named=True)
        ]
    )
    job.lists = lists_used(job, lists)
    job.counts = {
        "students": found.roster.height,
        "list_entries": found.entries,
        "auto_identified": int(county["auto_identified"]),
        "name_mismatches": found.matches.name_mismatch.height,
        "id_mismatches": found.matches.id_mismatch.height,
        "review_items": found.reviews.height,
        "proposed": proposed,
        "notices": notices,
        "priority_awards": priority,
        "eligible": int(county["eligible"]),
        "awarded": int(county["awarded"]),
    }
    job.status = JobStatus.SUCCEEDED.value
    job.phase = JobPhase.DONE.value
    job.finished_at = utcnow()
    await session.flush()
    add_event(
        session,
        CoverageComputed.of(
            subject=str(job.id),
            jurisdiction=job.county_code,
            data=CoverageComputedData(
                job_id=str(job.id),
                county_code=job.county_code,
                school_year=job.school_year,
                as_of=job.as_of,
                students=int(county["students"]),
                eligible=int(county["eligible"]),
                auto_identified=int(county["auto_identified"]),
                awarded=int(county["awarded"]),
                coverage=float(county["coverage"]),
                per_school=[
                    SchoolCoverage(
                        school_code=r["school_code"],
                        students=r["students"],
                        eligible=r["eligible"],
                        auto_identified=r["auto_identified"],
                        awarded=r["awarded"],
                        coverage=r["coverage"],
                    )
                    for r in per_school.iter_rows(named=True)
                ],
            ),
        ),
    )
