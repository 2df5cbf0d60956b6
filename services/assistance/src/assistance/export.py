"""个人信息查阅、复制 (《个人信息保护法》第四十五条; issue 20 item 4): everything assistance holds
about one child — the roster row and a placement waiting for it, the awards with their history,
payments and 公示 objections, the status notices and transfers, the agencies' answers about the
child (核查结果, the eligibility results), the rows of the agencies' category lists that name the
child (found by the keyed blind index of the citizen ID, as the 应助尽助 scan joins: no list is
decrypted but the child's own rows; each with its list's agency, region, list id and dates) and
the review items of the 应助尽助 lists, the lookups
made about the child (查询台账, with the purpose and the legal basis or guardian's consent of
each: assistance keeps no other consent record) and the legal holds — as one JSON document, for
a caller holding `assistance:pii`, within its jurisdiction (each row by its own county)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import Select, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.agencies.models import AgencyAssertion, CategoryList, CategoryListEntry
from assistance.awards.awards.models import Award, AwardHistory
from assistance.awards.disbursement.models import DisbursementItem
from assistance.awards.notices.models import StatusNotice
from assistance.awards.objections.models import Objection
from assistance.awards.transfers.models import StudentTransfer
from assistance.identification.models import ReviewItem
from assistance.ledger.models import LedgerEntry
from assistance.retention import LegalHold
from assistance.students.models import PendingPlacement, Student, citizen_id_index
from assistance.students.repository import StudentRepository
from junheng_kit.audit import AuditTrail, audit_of
from junheng_kit.auth import Jurisdiction, Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.identifiers import student_key
from junheng_kit.problems import Forbidden, problem_responses
from junheng_kit.retention.export import ChildExport, ChildExportAsk, child_export
from junheng_kit.timeutil import utcnow

router = APIRouter(tags=["retention"])
Exported = Annotated[AuditTrail, Depends(audit_of("child", "export"))]
PiiReader = Annotated[Principal, Depends(require_scopes("assistance:read", "assistance:pii"))]


async def _all(session: AsyncSession, query: Select[Any]) -> list[Any]:
    return list((await session.scalars(query)).all())


async def list_entries(
    session: AsyncSession, citizen_id: str, *, within: Jurisdiction
) -> list[dict[str, Any]]:
    """The category list rows naming the child (by the blind index), each with its list's agency,
    region, list id, as-of and fetch dates, in the caller's jurisdiction; oldest list first."""
    rows = await session.execute(
        select(
            CategoryListEntry,
            CategoryList.agency,
            CategoryList.region_code,
            CategoryList.list_id,
            CategoryList.as_of,
            CategoryList.fetched_at,
        )
        .join(CategoryList, CategoryList.id == CategoryListEntry.list_ref)
        .where(
            CategoryListEntry.citizen_id_index == citizen_id_index(citizen_id),
            within.covers(CategoryList.region_code),
        )
        .order_by(CategoryList.fetched_at, CategoryListEntry.id)
    )
    return [
        {
            "list_ref": entry.list_ref,
            "agency": agency,
            "region_code": region,
            "list_id": list_id,
            "list_as_of": as_of,
            "list_fetched_at": fetched_at,
            "citizen_id": entry.citizen_id,
            "name": entry.name,
            "category": entry.category,
            "grade": entry.grade,
            "valid_from": entry.valid_from,
            "valid_until": entry.valid_until,
            "assertion_id": entry.assertion_id,
        }
        for entry, agency, region, list_id, as_of, fetched_at in rows
    ]


async def child_sections(
    session: AsyncSession, key: str, *, within: Jurisdiction, citizen_index: str | None = None
) -> dict[str, list[Any]]:
    """The child's rows of every assistance table, each filtered by its own county; the agencies'
    answers also by the ID's blind index (`citizen_index`: a child asked about while not on the
    roster)."""
    student = await StudentRepository(session).by_key(key)
    if student is not None and not within.covers_code(student.county_code):
        student = None  # another county's pupil: their roster row and its answers stay there
    pending = select(PendingPlacement).where(
        PendingPlacement.student_key == key, within.covers(PendingPlacement.county_code)
    )
    lookups = select(LedgerEntry).where(
        LedgerEntry.student_key == key, within.covers(LedgerEntry.county_code)
    )
    sections: dict[str, list[Any]] = {
        "students": [student] if student is not None else [],
        "pending_placements": await _all(session, pending),
        "agency_lookups": await _all(session, lookups.order_by(LedgerEntry.seq)),
    }
    student_ids = await _all(session, select(Student.id).where(Student.student_key == key))
    awards: list[Award] = await _all(
        session,
        select(Award)
        .where(Award.student_id.in_(student_ids), within.covers(Award.county_code))
        .order_by(Award.school_year, Award.created_at),
    )
    award_ids = [a.id for a in awards]
    sections |= {
        "awards": awards,
        "award_history": await _all(
            session,
            select(AwardHistory)
            .where(AwardHistory.award_id.in_(award_ids))
            .order_by(AwardHistory.id),
        ),
        "disbursement_items": await _all(
            session, select(DisbursementItem).where(DisbursementItem.award_id.in_(award_ids))
        ),
        "objections": await _all(
            session, select(Objection).where(Objection.award_id.in_(award_ids))
        ),
        "status_notices": await _all(
            session,
            select(StatusNotice).where(
                StatusNotice.student_id.in_(student_ids), within.covers(StatusNotice.county_code)
            ),
        ),
        "transfers": await _all(
            session,
            select(StudentTransfer).where(
                StudentTransfer.student_id.in_(student_ids),
                or_(
                    within.covers(StudentTransfer.from_county_code),
                    within.covers(StudentTransfer.to_county_code),
                ),
            ),
        ),
        "agency_assertions": await _all(
            session,
            select(AgencyAssertion)
            .where(
                or_(
                    AgencyAssertion.student_id.in_([student.id] if student else []),
                    # asked about off the roster: by the index, in the lookup's county
                    (AgencyAssertion.citizen_id_index == citizen_index)
                    & AgencyAssertion.student_id.is_(None)
                    & AgencyAssertion.ledger_seq.in_(
                        select(LedgerEntry.seq).where(within.covers(LedgerEntry.county_code))
                    )
                    if citizen_index is not None
                    else false(),
                )
            )
            .order_by(AgencyAssertion.recorded_at),
        ),
        "review_items": await _all(
            session,
            select(ReviewItem).where(
                ReviewItem.student_id.in_(student_ids), within.covers(ReviewItem.county_code)
            ),
        ),
        "legal_holds": await _all(
            session,
            select(LegalHold).where(
                or_(
                    LegalHold.student_key == key,
                    LegalHold.record_id.in_([str(i) for i in student_ids]),
                ),
                within.covers(LegalHold.county_code),
            ),
        ),
    }
    return sections


@router.post(
    "/v1/children/export",
    summary="Everything assistance holds about a child (access request)",
    responses=problem_responses(Forbidden),
)
async def export_child(
    audit: Exported,
    body: ChildExportAsk,
    request: Request,
    session: SessionDep,
    principal: PiiReader,
) -> ChildExport:
    """个人信息查阅 (《个人信息保护法》第四十五条): the child's rows of every assistance table
    within the caller's jurisdiction, every stored column unmasked; sections are empty when the
    service holds nothing. 403 `scope_required` without `assistance:pii`."""
    secret = request.app.state.settings.pseudonym_key.get_secret_value().encode()
    key = student_key(secret, body.citizen_id)
    sections = await child_sections(
        session, key, within=principal.jurisdiction, citizen_index=citizen_id_index(body.citizen_id)
    )
    sections["category_list_entries"] = await list_entries(
        session, body.citizen_id, within=principal.jurisdiction
    )
    students = sections["students"]
    audit.touched(
        ids=[row.id for row in students],
        student_keys=[key],
        classes=["personal", "sensitive"],
        county_code=students[0].county_code if students else None,
        count=sum(len(rows) for rows in sections.values()),
    )
    return child_export("assistance", key, by=principal.client_id, at=utcnow(), sections=sections)
