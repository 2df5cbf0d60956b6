"""应助尽助 use-cases: start a job, its steps (run by jobs.py; the outcome written by `outcome`),
review decisions, coverage.

Services flush, never commit: the request (SessionDep) or the job runner owns each transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import polars as pl
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.agencies.connector import AgencyConnector
from assistance.agencies.lists import CategoryListSummary, refresh_category_lists
from assistance.agencies.models import CategoryList
from assistance.awards.awards import service as awards
from assistance.awards.awards.rules import AwardProposal
from assistance.categories import CATEGORIES
from assistance.identification import rules
from assistance.identification.loading import Inputs, applicable, loaded_counts
from assistance.identification.loading import load as load  # the public names stay here too
from assistance.identification.loading import load_roster as load_roster
from assistance.identification.loading import store_roster_snapshot as store_roster_snapshot
from assistance.identification.models import IdentificationJob, ReviewItem
from assistance.identification.repository import IdentificationRepository
from assistance.identification.schemas import (
    CoverageRead,
    JobCreate,
    JobPhase,
    JobStatus,
    ReviewDecision,
    ReviewStatus,
    SchoolCoverageRead,
)
from assistance.programmes.service import (
    auto_programmes,
)
from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.problems import Conflict, FieldError, NotFound
from junheng_kit.timeutil import china_today, utcnow

CATEGORY_ORDER = list(CATEGORIES)  # basis category of a proposal: the first qualifying one


class JobAlreadyRunning(Conflict):
    """One 应助尽助 job per county at a time."""


class ReviewAlreadyDecided(Conflict):
    """A review item is decided once."""


async def create_job(
    session: AsyncSession, principal: Principal, *, request: JobCreate, stale_before: datetime
) -> IdentificationJob:
    """Queue a scan of the county; the runner starts it once this transaction commits."""
    principal.require_jurisdiction(request.county_code, field="county_code")
    repository = IdentificationRepository(session)
    await fail_stale(session, before=stale_before)
    running = await repository.unfinished_job(request.county_code)
    if running is not None:
        raise JobAlreadyRunning(
            t(
                "本县的一个认定任务仍在运行",
                "an identification job of this county is still running",
            ),
            FieldError(
                "county_code",
                "one_job_per_county",
                t(
                    f"任务 {running.id} 状态为 {running.status}",
                    f"job {running.id} is {running.status}",
                ),
            ),
        )
    job = IdentificationJob(
        county_code=request.county_code,
        school_year=request.school_year,
        as_of=request.as_of or china_today(),
        refresh_lists=request.refresh_lists,
        purpose=request.purpose.strip(),
        legal_basis=request.legal_basis.strip(),
        status=JobStatus.QUEUED.value,
        phase=JobPhase.QUEUED.value,
        lists=[],
        counts={},
        requested_by=principal.client_id,
        heartbeat_at=utcnow(),
    )
    repository.add_job(job)
    await session.flush()
    return job


async def start(session: AsyncSession, job_id: UUID) -> IdentificationJob:
    job = await IdentificationRepository(session).job(job_id)
    job.status = JobStatus.RUNNING.value
    job.phase = (JobPhase.REFRESHING_LISTS if job.refresh_lists else JobPhase.LOADING).value
    job.started_at = job.heartbeat_at = utcnow()
    await session.flush()
    return job


async def refresh_lists(
    session: AsyncSession, job_id: UUID, *, connector: AgencyConnector | None
) -> None:
    """Fetch every configured agency's list for the county (A's refresh); an agency that is
    down leaves its last list in use, and the job records which."""
    job = await IdentificationRepository(session).job(job_id)
    summaries: list[CategoryListSummary] = []
    if connector is not None:
        summaries = await refresh_category_lists(
            session,
            region_code=job.county_code,
            purpose=job.purpose,
            legal_basis=job.legal_basis,
            actor=job.requested_by,
            connector=connector,
        )
    job.lists = [
        {
            "agency": s.agency,
            "status": s.status,
            "list_ref": str(s.list_ref) if s.list_ref else None,
            "entries": s.entry_count,
            "detail": s.detail,
        }
        for s in summaries
    ]
    if connector is None:
        job.detail = (
            "未配置部门接口：使用已存的最近名单 / "
            "no agency connector configured: the last lists stored were used"
        )
    job.phase = JobPhase.LOADING.value
    await session.flush()


def lists_used(job: IdentificationJob, lists: Sequence[CategoryList]) -> list[dict[str, Any]]:
    """Per list used: whether this job fetched it, or kept it because the agency was down."""
    fetched = {str(s["list_ref"]) for s in job.lists if s.get("status") == "fetched"}
    down = {str(s["agency"]): s for s in job.lists if s.get("status") != "fetched"}
    used: list[dict[str, Any]] = [
        {
            "agency": c.agency,
            "region_code": c.region_code,
            "list_ref": str(c.id),
            "list_id": c.list_id,
            "as_of": c.as_of.isoformat(),
            "fetched_at": c.fetched_at.isoformat(),
            "entries": c.entry_count,
            "status": "fetched"
            if str(c.id) in fetched
            else ("kept_last_agency_unavailable" if c.agency in down else "stored"),
        }
        for c in lists
    ]
    have = {c.agency for c in lists}
    used += [
        {"agency": a, "status": "unavailable_no_list", "detail": s.get("detail")}
        for a, s in down.items()
        if a not in have
    ]
    return used


@dataclass(frozen=True, slots=True)
class Scan:
    """What one job found (frames), before anything is written."""

    roster: pl.DataFrame
    matches: rules.Matches
    listed: pl.DataFrame
    proposals: pl.DataFrame
    served_first: pl.DataFrame  # (programme_code, student_id): priority under the programme
    lost: pl.DataFrame
    reviews: pl.DataFrame  # new review items: PARTIAL_COLUMNS + kind
    entries: int
    awards: pl.DataFrame  # the year's awards as loaded
    loaded_at: datetime


def matched_counts(inputs: Inputs, found: Scan) -> dict[str, int]:
    """Progress once matching is over: what the writing will store."""
    return {
        **loaded_counts(inputs),
        "matched_entries": found.matches.exact.height,
        "name_mismatches": found.matches.name_mismatch.height,
        "id_mismatches": found.matches.id_mismatch.height,
        "review_items": found.reviews.height,
        "to_propose": found.proposals.height,
        "lost": found.lost.height,
    }


def compute(inputs: Inputs, *, on: date) -> Scan:
    """The rules over the loaded frames: matches, new review items, proposals, lost categories.

    One lazy plan per frame, all collected at once: a county's scan pays polars' fixed cost
    per collect (planning, handing work to its threads) once, not once per rule (~100
    counties a province; benchmarks/assistance_province_scan.py)."""
    matched = pl.collect_all(
        rules.match_plans(inputs.roster, inputs.entries, on=on), engine=rules.ENGINE
    )
    exact, name_mismatch, id_mismatch = (frame.lazy() for frame in matched)
    listed = rules.listed_plan(exact, name_mismatch)
    reviews = (
        pl.concat(
            [
                name_mismatch.with_columns(pl.lit("name_mismatch").alias("kind")),
                id_mismatch.with_columns(pl.lit("id_mismatch").alias("kind")),
            ]
        )
        .unique(subset=["student_id", "assertion_id"], keep="first", maintain_order=True)
        .join(inputs.reviewed.lazy(), on=["student_id", "assertion_id"], how="anti")
    )
    plans = [
        listed,
        rules.proposals_plan(
            exact, inputs.programmes, inputs.awards.lazy(), category_order=CATEGORY_ORDER
        ),
        rules.served_first_plan(listed, inputs.priorities),
        rules.lost_plan(inputs.awards.lazy(), listed, inputs.answered),
        reviews,
    ]
    found = pl.collect_all(plans, engine=rules.ENGINE)
    return Scan(
        roster=inputs.roster,
        matches=rules.Matches(*matched),
        listed=found[0],
        proposals=found[1],
        served_first=found[2],
        lost=found[3],
        reviews=found[4],
        entries=inputs.entries.height,
        awards=inputs.awards,
        loaded_at=inputs.loaded_at,
    )


async def fail(session: AsyncSession, job_id: UUID, *, detail: str) -> None:
    await IdentificationRepository(session).set_phase(
        job_id, status=JobStatus.FAILED.value, detail=detail[:1000], finished_at=utcnow()
    )


async def fail_stale(session: AsyncSession, *, before: datetime) -> int:
    """A queued or running job without a heartbeat since `before` lost its process (a restart,
    a crash): it is failed, so the county can run another. Replicas beat for their own jobs."""
    jobs = await IdentificationRepository(session).stale(before=before)
    for job in jobs:
        job.status = JobStatus.FAILED.value
        job.detail = (
            f"任务在 {job.phase} 阶段中断（所在服务进程已停止） / "
            f"interrupted (its service process stopped) during phase {job.phase}"
        )
        job.finished_at = utcnow()
    await session.flush()
    return len(jobs)


async def decide_review(
    session: AsyncSession, principal: Principal, *, item_id: UUID, decision: ReviewDecision
) -> ReviewItem:
    """复核: confirm proposes the auto programmes the category qualifies for (evidence: the
    list entry); reject closes the item with its reason."""
    repository = IdentificationRepository(session)
    item = await repository.review_item(item_id, within=principal.jurisdiction)
    if item.status != ReviewStatus.OPEN.value:
        raise ReviewAlreadyDecided(
            t(f"复核项已为 {item.status}", f"review item is already {item.status}"),
            FieldError(
                "decision",
                "review_open",
                t("只有待处理的复核项可以裁决", "only an open item is decided"),
            ),
        )
    item.status = (
        ReviewStatus.CONFIRMED if decision.decision == "confirm" else ReviewStatus.REJECTED
    ).value
    item.reason = decision.reason
    item.decided_by = principal.client_id
    item.decided_at = utcnow()
    item.version += 1
    if decision.decision == "confirm":
        job = await repository.job(item.job_id)
        programmes = applicable(await auto_programmes(session, on=job.as_of), item.county_code)
        item.proposed_awards = await awards.propose_awards(
            session,
            actor=principal.client_id,
            proposals=[
                AwardProposal(
                    student_id=item.student_id,
                    programme_code=p.code,
                    school_year=item.school_year,
                    category=item.category,
                    evidence=(item.assertion_id, str(item.list_ref)),
                )
                for p in programmes
                if item.category in p.categories
            ],
        )
    await session.flush()
    return item


async def coverage(
    session: AsyncSession, principal: Principal, *, county_code: str, school_year: int
) -> CoverageRead:
    """The figures of the county's latest finished job for the year."""
    principal.require_jurisdiction(county_code, field="county_code")
    repository = IdentificationRepository(session)
    job = await repository.latest_finished(county_code, school_year)
    if job is None or job.finished_at is None:
        raise NotFound(
            t(
                f"{county_code} 在 {school_year} 学年没有已完成的认定任务",
                f"no finished identification job for {county_code} in {school_year}",
            )
        )
    figures = await repository.coverage_of(job.id)
    schools = [
        SchoolCoverageRead(
            school_code=f.school_code,
            students=f.students,
            eligible=f.eligible,
            auto_identified=f.auto_identified,
            awarded=f.awarded,
            gap=f.eligible - f.awarded,
            coverage=f.auto_identified / f.eligible if f.eligible else 0.0,
        )
        for f in figures
    ]
    eligible = sum(s.eligible for s in schools)
    auto = sum(s.auto_identified for s in schools)
    awarded = sum(s.awarded for s in schools)
    return CoverageRead(
        job_id=job.id,
        county_code=county_code,
        school_year=school_year,
        as_of=job.as_of,
        computed_at=job.finished_at,
        students=sum(s.students for s in schools),
        eligible=eligible,
        auto_identified=auto,
        awarded=awarded,
        gap=eligible - awarded,
        coverage=auto / eligible if eligible else 0.0,
        per_school=schools,
    )
