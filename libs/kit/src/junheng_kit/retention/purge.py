"""The purge (定期清除): for each kind a service registers and each county, the rule in force,
its cutoff, and one set-based UPDATE (pseudonymise) or DELETE per batch of expired, eligible
records not under a legal hold — in one transaction with the purge record that says what was
done (or "no rule", when none is in force: such a kind is never purged).

One purge of a county runs at a time across replicas: a lease row (`PurgeLeaseColumns`) is taken
before and released after; a second caller is told `purge_running` (409), the sweep skips it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import (
    ColumnElement,
    String,
    Table,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from junheng_kit.i18n import t
from junheng_kit.problems import Conflict, FieldError
from junheng_kit.retention import rules
from junheng_kit.retention.models import (
    LegalHoldColumns,
    PurgedRecordColumns,
    PurgeLeaseColumns,
    PurgeRecordColumns,
    RetentionRuleColumns,
)
from junheng_kit.timeutil import china_today, utcnow

log = logging.getLogger("junheng.retention")
NO_RULE = "no rule"
SWEEP_ACTOR = "retention-sweep"
# a replacement is a value, or a function of the dialect's name giving a SQL expression
Replacement = Any | Callable[[str], Any]


def cleared_if_set(column: ColumnElement[Any], marker: str) -> ColumnElement[Any]:
    """The marker where a plain text column holds text, NULL where it held none (a reason never
    given). Not for encrypted columns: the CASE is not sealed by the column's type."""
    return case((column.is_(None), None), else_=literal(marker))


@dataclass(frozen=True)
class PurgeTarget:
    """One kind of record a service may purge: its table, key, county and child key columns, the
    anchor a rule counts from (`anchor`, its name; `expired(cutoff)`, the SQL condition that the
    anchor is on or before the cutoff), which records the kind covers (`eligible`), and what the
    action does: `pseudonymise` rewrites `replace` (column name → value or dialect → SQL) and,
    in the record's child tables, `replace_related` (child table, its key column, what to
    rewrite: the free text a clerk wrote about the record); `delete` removes the row after the
    rows of `delete_first` (child table, its key column)."""

    kind: str
    table: Table
    key: ColumnElement[Any]
    county: ColumnElement[Any]
    anchor: str
    expired: Callable[[date], ColumnElement[bool]]
    actions: tuple[rules.Action, ...]
    student_key: ColumnElement[Any] | None = None
    eligible: Callable[[], ColumnElement[bool]] | None = None
    replace: Mapping[str, Replacement] = field(default_factory=dict)
    delete_first: tuple[tuple[Table, ColumnElement[Any]], ...] = ()
    replace_related: tuple[tuple[Table, ColumnElement[Any], Mapping[str, Replacement]], ...] = ()
    audit: bool = False
    description: str = ""


@dataclass(frozen=True)
class Retention:
    """A service's retention: its tables (declared from the mixins), its targets, its scopes."""

    service: str
    rule: type[RetentionRuleColumns]
    hold: type[LegalHoldColumns]
    record: type[PurgeRecordColumns]
    purged: type[PurgedRecordColumns]
    lease: type[PurgeLeaseColumns]
    targets: tuple[PurgeTarget, ...]
    batch_size: int = 1000
    lease_seconds: float = 900.0

    def target(self, kind: str) -> PurgeTarget | None:
        return next((x for x in self.targets if x.kind == kind), None)

    @property
    def kinds(self) -> list[str]:
        return [x.kind for x in self.targets]


class PurgeRunning(Conflict):
    slug = "purge-running"


def purge_running(county_code: str) -> PurgeRunning:
    return PurgeRunning(
        t(f"{county_code} 的清除正在另一处运行", f"a purge of {county_code} is running elsewhere"),
        FieldError(
            "county_code",
            "purge_running",
            t("请稍后查看 GET /v1/purges", "see GET /v1/purges in a while"),
        ),
    )


def as_rule(row: RetentionRuleColumns) -> rules.RetentionRule:
    action: rules.Action = "delete" if row.action == "delete" else "pseudonymise"
    return rules.RetentionRule(
        kind=row.kind,
        scope_code=row.scope_code,
        effective_from=row.effective_from,
        keep_months=row.keep_months,
        keep_days=row.keep_days,
        counted_from=row.counted_from,
        action=action,
        source=row.source,
        version=str(row.version),
    )


async def load_rules(session: AsyncSession, retention: Retention) -> list[rules.RetentionRule]:
    rows = (await session.scalars(select(retention.rule))).all()
    return [as_rule(r) for r in rows]


def record_key(target: PurgeTarget) -> ColumnElement[str]:
    """The record's key as text, the way this database writes it (holds and marks compare it)."""
    return cast(target.key, String)


def held(retention: Retention, target: PurgeTarget) -> ColumnElement[bool]:
    """Under an unreleased hold of this kind: by its record, or by its child."""
    hold = retention.hold
    active = (hold.kind == target.kind) & hold.released_at.is_(None)
    by_record = record_key(target).in_(
        select(hold.record_key).where(active, hold.record_key.is_not(None))
    )
    if target.student_key is None:
        return by_record
    by_child = target.student_key.in_(
        select(hold.student_key).where(active, hold.student_key.is_not(None))
    )
    return or_(by_record, by_child)


def _expired(
    retention: Retention, target: PurgeTarget, county_code: str, cut: date
) -> ColumnElement[bool]:
    condition = (target.county == county_code) & target.expired(cut)
    if target.eligible is not None:
        condition = condition & target.eligible()
    return condition


def _values(replace: Mapping[str, Replacement], dialect: str) -> dict[str, Any]:
    return {name: value(dialect) if callable(value) else value for name, value in replace.items()}


async def _apply(
    session: AsyncSession,
    retention: Retention,
    target: PurgeTarget,
    rule: rules.RetentionRule,
    condition: ColumnElement[bool],
    purge_id: UUID,
) -> int:
    """Rewrite or delete the matching records batch by batch; how many."""
    dialect = session.get_bind().dialect.name
    done = 0
    while True:
        found = (
            await session.execute(
                select(target.key, record_key(target)).where(condition).limit(retention.batch_size)
            )
        ).all()
        if not found:
            return done
        keys = [k for k, _ in found]
        if rule.action == "delete":
            for child, column in target.delete_first:
                await session.execute(delete(child).where(column.in_(keys)))
            await session.execute(delete(target.table).where(target.key.in_(keys)))
        else:
            now = utcnow()
            await session.execute(
                insert(retention.purged),
                [
                    {
                        "kind": target.kind,
                        "record_key": text,
                        "purge_id": purge_id,
                        "purged_at": now,
                    }
                    for _, text in found
                ],
            )
            await session.execute(
                update(target.table)
                .where(target.key.in_(keys))
                .values(**_values(target.replace, dialect))
            )
            for child, column, replace in target.replace_related:
                await session.execute(
                    update(child).where(column.in_(keys)).values(**_values(replace, dialect))
                )
        done += len(keys)


async def purge_kind(
    session: AsyncSession,
    retention: Retention,
    target: PurgeTarget,
    county_code: str,
    *,
    today: date,
    by: str,
    rule_set: Sequence[rules.RetentionRule],
) -> PurgeRecordColumns:
    """One kind in one county: the records it changed and the record saying so (not committed)."""
    rule = rules.in_force(rule_set, target.kind, county_code, today)
    record = retention.record(
        id=uuid4(), kind=target.kind, county_code=county_code, ran_by=by[:100], ran_at=utcnow()
    )
    if rule is None:
        record.rule_ref, record.count, record.held = NO_RULE, 0, 0
        session.add(record)
        return record
    cut = rules.cutoff(rule, today)
    condition = _expired(retention, target, county_code, cut)
    if rule.action == "pseudonymise":
        done = retention.purged
        condition = condition & record_key(target).not_in(
            select(done.record_key).where(done.kind == target.kind)
        )
    kept = await session.scalar(
        select(func.count()).select_from(target.table).where(condition & held(retention, target))
    )
    count = await _apply(
        session, retention, target, rule, condition & ~held(retention, target), record.id
    )
    record.rule_ref, record.rule_source = rule.ref[:120], rule.source
    record.cutoff, record.action, record.count, record.held = cut, rule.action, count, kept or 0
    session.add(record)
    return record


async def acquire(
    sessionmaker: async_sessionmaker[AsyncSession], retention: Retention, county: str, owner: str
) -> bool:
    """Take the county's purge lease (a fresh row, or one whose owner's time ran out)."""
    lease = retention.lease
    now = utcnow()
    until = now + timedelta(seconds=retention.lease_seconds)
    async with sessionmaker() as session:
        try:
            await session.execute(
                insert(lease).values(county_code=county, owner=owner, expires_at=until)
            )
            await session.commit()
            return True
        except IntegrityError:
            await session.rollback()
        taken = await session.execute(
            update(lease)
            .where(lease.county_code == county, lease.expires_at < now)
            .values(owner=owner, expires_at=until)
        )
        await session.commit()
        return bool(getattr(taken, "rowcount", 0) == 1)


async def release(
    sessionmaker: async_sessionmaker[AsyncSession], retention: Retention, county: str, owner: str
) -> None:
    lease = retention.lease
    async with sessionmaker() as session:
        await session.execute(
            delete(lease).where(lease.county_code == county, lease.owner == owner)
        )
        await session.commit()


async def run(
    sessionmaker: async_sessionmaker[AsyncSession],
    retention: Retention,
    county_code: str,
    *,
    by: str,
    today: date | None = None,
) -> list[PurgeRecordColumns]:
    """Purge every kind of one county now, under its lease; `PurgeRunning` when another holds it.
    Each kind commits with its record, so a failure leaves the kinds before it done."""
    owner = uuid4().hex
    if not await acquire(sessionmaker, retention, county_code, owner):
        raise purge_running(county_code)
    day = today or china_today()
    records: list[PurgeRecordColumns] = []
    try:
        for target in retention.targets:
            async with sessionmaker() as session:
                rule_set = await load_rules(session, retention)
                record = await purge_kind(
                    session, retention, target, county_code, today=day, by=by, rule_set=rule_set
                )
                await session.commit()
                records.append(record)
    finally:
        await release(sessionmaker, retention, county_code, owner)
    return records


async def counties(session: AsyncSession, retention: Retention) -> list[str]:
    """The counties holding records of any kind (the sweep visits each)."""
    found: set[str] = set()
    for target in retention.targets:
        found.update(
            c for c in (await session.scalars(select(target.county).distinct())).all() if c
        )
    return sorted(found)


async def sweep(
    sessionmaker: async_sessionmaker[AsyncSession],
    retention: Retention,
    *,
    today: date | None = None,
) -> int:
    """Every county once; a county another replica is purging is left to it. Records written."""
    async with sessionmaker() as session:
        codes = await counties(session, retention)
    written = 0
    for code in codes:
        try:
            written += len(await run(sessionmaker, retention, code, by=SWEEP_ACTOR, today=today))
        except PurgeRunning:
            continue
    return written


class Sweeper:
    """The scheduled purge on every replica: every `interval` seconds, after the first wait."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        retention: Retention,
        interval: float,
    ) -> None:
        self.sessionmaker, self.retention, self.interval = sessionmaker, retention, interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> Sweeper:
        self._task = asyncio.create_task(self._run(), name=f"{self.retention.service}-retention")
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                written = await sweep(self.sessionmaker, self.retention)
                log.info("retention.swept", extra={"records": written})
            except SQLAlchemyError as error:  # a busy database: the next round tries again
                log.warning("retention.sweep_failed", extra={"error": type(error).__name__})
            except Exception:  # the loop's boundary: log and go on
                log.exception("retention.sweep_failed")
