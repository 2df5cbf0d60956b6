"""Retention over HTTP, one router per service (`retention_router(retention)`): rules a bureau
sets (保存期限, effective-dated and cited), legal holds (法律保全), the purge records and a purge
run now. Setting and running need `<service>:write`; reading `<service>:read`; the caller's
jurisdiction covers the scope or county."""

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from junheng_kit.auth import Principal, require_scopes
from junheng_kit.db import SessionDep
from junheng_kit.etags import etag, version_from_if_match
from junheng_kit.identifiers import CountyCode, ScopeCode
from junheng_kit.problems import (
    Conflict,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    RuleViolated,
    problem_responses,
)
from junheng_kit.retention import purge, service
from junheng_kit.retention.schemas import (
    LegalHoldList,
    LegalHoldPlace,
    LegalHoldRead,
    PurgeRecordList,
    PurgeRecordRead,
    PurgeRun,
    RetentionRuleList,
    RetentionRulePut,
    RetentionRuleRead,
)
from junheng_kit.timeutil import china_today

Scope = Annotated[
    ScopeCode,
    Path(description="GB/T 2260 prefix the rule applies in: 2 digits the region, 6 a county"),
]
Kind = Annotated[str, Path(max_length=40, description="the kind of record (see the list)")]
EffectiveFrom = Annotated[date, Path(description="the first day the rule applies")]


def retention_router(retention: purge.Retention) -> APIRouter:
    """The retention endpoints of one service, guarded by its scopes."""
    reader = Annotated[Principal, Depends(require_scopes(f"{retention.service}:read"))]
    writer = Annotated[Principal, Depends(require_scopes(f"{retention.service}:write"))]
    router = APIRouter(tags=["retention"])

    @router.put(
        "/v1/retention-rules/{scope_code}/{kind}/{effective_from}",
        summary="Set a kind's retention rule (保存期限) in a scope",
        responses={
            201: {"model": RetentionRuleRead, "description": "created"},
            **problem_responses(InvalidInput, PreconditionFailed, RuleViolated),
        },
    )
    async def put_retention_rule(
        scope_code: Scope,
        kind: Kind,
        effective_from: EffectiveFrom,
        body: RetentionRulePut,
        session: SessionDep,
        principal: writer,
        response: Response,
        if_match: Annotated[str | None, Header()] = None,
    ) -> RetentionRuleRead:
        """保存期限: records of `kind` are kept `keep_months` or `keep_days` after the anchor the
        kind declares, then deleted or pseudonymised by the purge. No source gives a period, so
        none exists until a bureau stores one, citing its document; a kind with no rule in force
        is never purged. Audit kinds keep at least six months (《网络安全法》第二十一条; 422
        `audit_retention_floor`). The most specific scope in force on the purge's day applies.
        201 when created, 200 when corrected (`version` + 1) or unchanged."""
        row, created = await service.put_rule(
            session,
            retention,
            principal,
            scope_code=scope_code,
            kind=kind,
            effective_from=effective_from,
            request=body,
            if_match=version_from_if_match(if_match),
        )
        response.status_code = 201 if created else 200
        response.headers["ETag"] = etag(row.version)
        return service.rule_read(row)

    @router.get(
        "/v1/retention-rules/{scope_code}/{kind}/{effective_from}",
        summary="One retention rule",
        responses=problem_responses(NotFound),
    )
    async def get_retention_rule(
        scope_code: Scope,
        kind: Kind,
        effective_from: EffectiveFrom,
        session: SessionDep,
        principal: reader,
        response: Response,
    ) -> RetentionRuleRead:
        """Seen by callers inside the scope and above it."""
        row = await service.get_rule(
            session,
            retention,
            principal,
            scope_code=scope_code,
            kind=kind,
            effective_from=effective_from,
        )
        response.headers["ETag"] = etag(row.version)
        return service.rule_read(row)

    @router.get(
        "/v1/retention-rules",
        summary="The retention rules covering a county",
        responses=problem_responses(),
    )
    async def list_retention_rules(
        county_code: CountyCode,
        session: SessionDep,
        principal: reader,
        on: Annotated[
            date | None, Query(description="the day of the rules in force; today")
        ] = None,
    ) -> RetentionRuleList:
        """The kinds this service purges (anchor, actions), every rule covering the county and the
        one in force per kind on `on`."""
        return await service.rule_list(
            session, retention, principal, county_code=county_code, on=on or china_today()
        )

    @router.post(
        "/v1/legal-holds",
        status_code=201,
        summary="Place a legal hold (法律保全)",
        responses=problem_responses(InvalidInput, NotFound),
    )
    async def place_legal_hold(
        body: LegalHoldPlace, session: SessionDep, principal: writer, request: Request
    ) -> LegalHoldRead:
        """Records of `kind` kept whatever their rule says while the hold stands: one record
        (`record_id`) or every record of one child (`citizen_id`, stored as its pseudonymous
        key). The purge skips them and counts them as `held`."""
        key: bytes = request.app.state.settings.pseudonym_key.get_secret_value().encode()
        row = await service.place_hold(session, retention, principal, body, pseudonym_key=key)
        return service.hold_read(row)

    @router.delete(
        "/v1/legal-holds/{hold_id}",
        summary="Release a legal hold",
        responses=problem_responses(NotFound),
    )
    async def release_legal_hold(
        hold_id: UUID,
        session: SessionDep,
        principal: writer,
        reason: Annotated[str | None, Query(max_length=500)] = None,
    ) -> LegalHoldRead:
        """The hold is released — who, when and why recorded — never deleted; the next purge may
        then apply the rule."""
        row = await service.release_hold(session, retention, principal, hold_id, reason=reason)
        return service.hold_read(row)

    @router.get(
        "/v1/legal-holds", summary="The legal holds of a county", responses=problem_responses()
    )
    async def list_legal_holds(
        county_code: CountyCode,
        session: SessionDep,
        principal: reader,
        active: Annotated[bool | None, Query(description="true: unreleased only")] = None,
    ) -> LegalHoldList:
        principal.require_jurisdiction(county_code, field="county_code")
        hold = retention.hold
        query: Any = select(hold).where(hold.county_code == county_code).order_by(hold.placed_at)
        if active:
            query = query.where(hold.released_at.is_(None))
        rows = (await session.scalars(query)).all()
        return LegalHoldList(items=[service.hold_read(r) for r in rows])

    @router.get(
        "/v1/purges", summary="The purge records of a county", responses=problem_responses()
    )
    async def list_purges(
        county_code: CountyCode,
        session: SessionDep,
        principal: reader,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> PurgeRecordList:
        """What each purge did, newest first: kind, rule applied (or "no rule"), cutoff, action,
        how many records, how many kept under a hold, when and by whom."""
        principal.require_jurisdiction(county_code, field="county_code")
        record = retention.record
        rows = (
            await session.scalars(
                select(record)
                .where(record.county_code == county_code)
                .order_by(record.ran_at.desc(), record.kind)
                .limit(limit)
            )
        ).all()
        return PurgeRecordList(
            items=[PurgeRecordRead.model_validate(r, from_attributes=True) for r in rows]
        )

    @router.post(
        "/v1/purges",
        summary="Run the purge of a county now",
        responses=problem_responses(Conflict),
    )
    async def run_purge(body: PurgeRun, principal: writer, request: Request) -> PurgeRecordList:
        """Every kind of the county under the rules in force today, as the daily sweep would;
        the records written. 409 `purge_running` while another replica purges the county."""
        principal.require_jurisdiction(body.county_code, field="county_code")
        sessions: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
        records = await purge.run(sessions, retention, body.county_code, by=principal.client_id)
        return PurgeRecordList(
            items=[PurgeRecordRead.model_validate(r, from_attributes=True) for r in records]
        )

    return router
