"""Retention use-cases behind the endpoints: set and read rules, place and release holds, read
purge records, refuse an erasure under a hold. Nothing here commits; the request does."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from junheng_kit.auth import Principal
from junheng_kit.etags import require_version
from junheng_kit.i18n import t
from junheng_kit.identifiers import student_key
from junheng_kit.problems import Conflict, FieldError, InvalidInput, NotFound, PreconditionFailed
from junheng_kit.retention import rules
from junheng_kit.retention.models import LegalHoldColumns, RetentionRuleColumns
from junheng_kit.retention.purge import Retention, as_rule, record_key
from junheng_kit.retention.schemas import (
    LegalHoldPlace,
    LegalHoldRead,
    RetentionKind,
    RetentionRuleList,
    RetentionRulePut,
    RetentionRuleRead,
)
from junheng_kit.timeutil import utcnow


def rule_read(row: RetentionRuleColumns) -> RetentionRuleRead:
    return RetentionRuleRead.model_validate(row, from_attributes=True)


def hold_read(row: LegalHoldColumns) -> LegalHoldRead:
    return LegalHoldRead.model_validate(row, from_attributes=True)


def _unknown_kind(retention: Retention, kind: str, field: str) -> InvalidInput:
    return InvalidInput(
        t(f"此服务没有 {kind} 类记录", f"this service keeps no {kind} records"),
        FieldError(
            field,
            "retention_kind_known",
            t(f"可选: {', '.join(retention.kinds)}", f"one of: {', '.join(retention.kinds)}"),
        ),
    )


async def put_rule(
    session: AsyncSession,
    retention: Retention,
    principal: Principal,
    *,
    scope_code: str,
    kind: str,
    effective_from: date,
    request: RetentionRulePut,
    if_match: int | None,
) -> tuple[RetentionRuleColumns, bool]:
    """Store or correct a kind's rule in a scope the caller's jurisdiction covers (201 / 200);
    422 naming the rule when the kind, anchor, action or period is not one it can apply."""
    principal.require_jurisdiction(scope_code, field="scope_code")
    candidate = rules.RetentionRule(
        kind=kind,
        scope_code=scope_code,
        effective_from=effective_from,
        keep_months=request.keep_months,
        keep_days=request.keep_days,
        counted_from=request.counted_from,
        action=request.action,
        source=request.source,
    )
    target = retention.target(kind)
    rules.validate(
        candidate,
        kinds=retention.kinds,
        anchors={x.kind: x.anchor for x in retention.targets},
        actions={x.kind: x.actions for x in retention.targets},
        audit=target is not None and target.audit,
    )
    values: dict[str, Any] = request.model_dump()
    table = retention.rule
    row = await session.scalar(
        select(table).where(
            table.scope_code == scope_code,
            table.kind == kind,
            table.effective_from == effective_from,
        )
    )
    if row is None:
        if if_match is not None:
            raise PreconditionFailed(
                t("没有可匹配的保存期限", "no retention rule to match"),
                FieldError(
                    "header.if-match",
                    "version_current",
                    t("创建时请不要发送 If-Match", "omit If-Match to create"),
                ),
            )
        row = table(
            scope_code=scope_code,
            kind=kind,
            effective_from=effective_from,
            updated_by=principal.client_id,
            updated_at=utcnow(),
            version=1,
            **values,
        )
        session.add(row)
        await session.flush()
        return row, True
    require_version(t("保存期限", "the retention rule"), row.version, if_match)
    if all(getattr(row, key) == value for key, value in values.items()):
        return row, False
    for key, value in values.items():
        setattr(row, key, value)
    row.version += 1
    row.updated_by, row.updated_at = principal.client_id, utcnow()
    await session.flush()
    return row, False


def _visible(principal: Principal, scope_code: str) -> bool:
    return any(
        p.startswith(scope_code) or scope_code.startswith(p)
        for p in principal.jurisdiction.prefixes
    )


async def get_rule(
    session: AsyncSession,
    retention: Retention,
    principal: Principal,
    *,
    scope_code: str,
    kind: str,
    effective_from: date,
) -> RetentionRuleColumns:
    table = retention.rule
    row = await session.scalar(
        select(table).where(
            table.scope_code == scope_code,
            table.kind == kind,
            table.effective_from == effective_from,
        )
    )
    if row is None or not _visible(principal, scope_code):
        raise NotFound(
            t(
                f"没有 {scope_code} 自 {effective_from} 起的 {kind} 保存期限",
                f"no {kind} retention rule of {scope_code} from {effective_from}",
            )
        )
    return row


async def rule_list(
    session: AsyncSession,
    retention: Retention,
    principal: Principal,
    *,
    county_code: str,
    on: date,
) -> RetentionRuleList:
    """Every rule covering the county, the one in force per kind on `on`, and the kinds."""
    principal.require_jurisdiction(county_code, field="county_code")
    table = retention.rule
    rows = [
        r
        for r in (
            await session.scalars(
                select(table).order_by(table.kind, table.scope_code, table.effective_from)
            )
        ).all()
        if county_code.startswith(r.scope_code)
    ]
    by_ref = {as_rule(r).ref: r for r in rows}
    chosen = [
        rules.in_force([as_rule(r) for r in rows], kind, county_code, on)
        for kind in retention.kinds
    ]
    return RetentionRuleList(
        county_code=county_code,
        on=on,
        kinds=[
            RetentionKind(
                kind=x.kind,
                counted_from=x.anchor,
                actions=list(x.actions),
                description=x.description,
            )
            for x in retention.targets
        ],
        items=[rule_read(r) for r in rows],
        in_force=[rule_read(by_ref[c.ref]) for c in chosen if c is not None],
    )


async def place_hold(
    session: AsyncSession,
    retention: Retention,
    principal: Principal,
    request: LegalHoldPlace,
    *,
    pseudonym_key: bytes,
) -> LegalHoldColumns:
    """A hold on one record (which must exist in the county) or on every record of a child."""
    principal.require_jurisdiction(request.county_code, field="county_code")
    target = retention.target(request.kind)
    if target is None:
        raise _unknown_kind(retention, request.kind, "kind")
    if (request.record_id is None) == (request.citizen_id is None):
        raise InvalidInput(
            t("请给出 record_id 或 citizen_id 之一", "give record_id or citizen_id, one of them"),
            FieldError("record_id", "hold_subject_one", t("二选一", "one of the two")),
        )
    key_text: str | None = None
    child: str | None = None
    if request.record_id is not None:
        missing = NotFound(
            t(
                f"{request.county_code} 没有 {request.kind} 记录 {request.record_id}",
                f"no {request.kind} record {request.record_id} in {request.county_code}",
            )
        )
        try:
            key_value = target.key.type.python_type(request.record_id)
        except NotImplementedError:
            key_value = request.record_id
        except (ValueError, TypeError):  # not a key of this kind at all
            raise missing from None
        key_text = await session.scalar(
            select(record_key(target)).where(
                target.key == key_value, target.county == request.county_code
            )
        )
        if key_text is None:
            raise missing
    else:
        assert request.citizen_id is not None
        if target.student_key is None:
            raise InvalidInput(
                t(
                    f"{request.kind} 类记录不按儿童保全",
                    f"{request.kind} records are not held by child",
                ),
                FieldError("citizen_id", "hold_by_child", t("请给出 record_id", "give record_id")),
            )
        child = student_key(pseudonym_key, request.citizen_id)
    row = retention.hold(
        kind=request.kind,
        county_code=request.county_code,
        record_id=request.record_id,
        record_key=key_text,
        student_key=child,
        reason=request.reason,
        placed_by=principal.client_id,
        placed_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return row


async def find_hold(
    session: AsyncSession, retention: Retention, principal: Principal, hold_id: Any
) -> LegalHoldColumns:
    row = await session.get(retention.hold, hold_id)
    if row is None or not principal.jurisdiction.covers_code(row.county_code):
        raise NotFound(t(f"没有法律保全 {hold_id}", f"no legal hold {hold_id}"))
    return row


async def release_hold(
    session: AsyncSession,
    retention: Retention,
    principal: Principal,
    hold_id: Any,
    *,
    reason: str | None,
) -> LegalHoldColumns:
    """Released and recorded (who, when, why), never deleted; a second release changes nothing."""
    row = await find_hold(session, retention, principal, hold_id)
    if row.released_at is None:
        row.released_at, row.released_by = utcnow(), principal.client_id
        row.release_reason = reason
        await session.flush()
    return row


async def require_no_hold(
    session: AsyncSession,
    retention: Retention,
    kind: str,
    *,
    record_key_text: str | None = None,
    child_key: str | None = None,
) -> None:
    """An erasure of a record under an unreleased hold is refused: 409 `legal_hold`."""
    hold = retention.hold
    subject = []
    if record_key_text is not None:
        subject.append(hold.record_key == record_key_text)
    if child_key is not None:
        subject.append(hold.student_key == child_key)
    if not subject:
        return
    found = await session.scalar(
        select(hold.id).where(hold.kind == kind, hold.released_at.is_(None), or_(*subject)).limit(1)
    )
    if found is not None:
        raise Conflict(
            t(
                "该记录处于法律保全之下，不能清除",
                "the record is under a legal hold and is not erased",
            ),
            FieldError(
                "legal_hold",
                "legal_hold",
                t(f"保全 {found} 解除前不能清除", f"not erased until hold {found} is released"),
            ),
        )
