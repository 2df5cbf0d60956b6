"""Integrity errors as problems: the request that loses a race for a key answers 409, never 500.

A service checks a natural key before it inserts one ("is this 学校标识码 registered?"), but two
requests — on two replicas, or in one process — may both pass the check before either commits;
the database's constraint then refuses the later one, at flush or at commit. That refusal
(`sqlalchemy.exc.IntegrityError`) becomes the answer the check gives when nothing races:

- **unique** (SQLite `UNIQUE constraint failed: t.a, t.b`, PostgreSQL SQLSTATE 23505 naming the
  constraint): 409 `Conflict`. The constraint's declaration — `info=on_violation(FieldError(…))`
  on the `UniqueConstraint` / `PrimaryKeyConstraint` in the service's models — names the field,
  rule and message, the ones its pre-check raises. A constraint nobody declared answers rule
  `unique_violation` on each of its columns.
- **foreign key** (SQLite `FOREIGN KEY constraint failed`, 23503): 409 too, rule
  `reference_conflict`. Services look a reference up before they write it (an unknown school is
  a 404 or 422 there), so a reference the database refuses was removed by a concurrent request,
  or a row being removed is still referred to by one: the state changed under the request, which
  may well be right on a retry.
- **check** (SQLite `CHECK constraint failed: name`, 23514): 422 `RuleViolated`, rule the check's
  own name (`ck_seat_plan_seats_non_negative` → `seats_non_negative`). A check tests the values of
  the row being written, which came from the request: it fails in whatever order requests arrive,
  so it is about the request, not a race, and must not read as one.
- **not null** and anything else: no problem (None); the caller re-raises and the client gets the
  500 with the request id. A null the schema let through is our defect, neither the client's input
  nor a race; a 4xx would hide it from the logs.

A row changed by a concurrent request between this one's read and its write (SQLAlchemy's
`StaleDataError`: the `version` column moved, or the row is gone) is the same kind of race:
`problem_for_concurrent_update` answers 409 `version_current`, as a stale `If-Match` is told
(there with 412, since the client asked for that version). Two transactions that lock the same
rows in opposite orders, one of which PostgreSQL rolls back (deadlock, SQLSTATE 40P01; or a
serialization failure, 40001), answer 409 `concurrent_transaction` with `Retry-After: 1`.

`problem_for_integrity_error` is the one mapping: the exception handlers call it (a flush inside an
endpoint, the commit `session_for_request` makes before the response), and so may anything that
runs its own transaction (group commits, the Idempotency-Key store, a CLI).

Values never reach an answer or a log: PostgreSQL's detail quotes the key (it may be a
公民身份号码); only the column names are read from it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
)
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.schema import ColumnCollectionConstraint

from junheng_kit.db import known_metadata
from junheng_kit.i18n import Message, t
from junheng_kit.problems import Conflict, DomainError, FieldError, RuleViolated

log = logging.getLogger("junheng.integrity")

VIOLATION_INFO = "junheng_on_violation"
"""The key of a constraint's `info` that holds its declared answer (`on_violation`)."""


@dataclass(frozen=True, slots=True)
class Declared:
    """What the violation of one constraint answers: its detail and field errors."""

    detail: Message
    errors: tuple[FieldError, ...]


def on_violation(*errors: FieldError, detail: Message = "") -> dict[str, Any]:
    """`info=` of a constraint: what a request that violates it is told.

    `UniqueConstraint("year", "child_key", info=on_violation(APPLICATION_UNIQUE))` — the same
    `FieldError` the service's pre-check raises, so a request that lost the race hears what a
    later one hears. `detail` defaults to a sentence of the kind of constraint."""
    if not errors:
        raise ValueError("declare at least one FieldError")
    return {VIOLATION_INFO: Declared(detail, errors)}


class Kind(StrEnum):
    UNIQUE = "unique"
    FOREIGN_KEY = "foreign_key"
    CHECK = "check"
    NOT_NULL = "not_null"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Violation:
    """What the database said was violated, as far as it said it."""

    kind: Kind
    table: str | None = None
    columns: tuple[str, ...] = ()
    constraint: str | None = None  # PostgreSQL names it; SQLite names checks and indexes only


_SQLITE_KINDS = {
    "SQLITE_CONSTRAINT_UNIQUE": Kind.UNIQUE,
    "SQLITE_CONSTRAINT_PRIMARYKEY": Kind.UNIQUE,
    "SQLITE_CONSTRAINT_FOREIGNKEY": Kind.FOREIGN_KEY,
    "SQLITE_CONSTRAINT_CHECK": Kind.CHECK,
    "SQLITE_CONSTRAINT_NOTNULL": Kind.NOT_NULL,
}
_SQLITE_PREFIXES = {
    "UNIQUE constraint failed": Kind.UNIQUE,
    "FOREIGN KEY constraint failed": Kind.FOREIGN_KEY,
    "CHECK constraint failed": Kind.CHECK,
    "NOT NULL constraint failed": Kind.NOT_NULL,
}
_POSTGRES_KINDS = {
    "23505": Kind.UNIQUE,
    "23503": Kind.FOREIGN_KEY,
    "23514": Kind.CHECK,
    "23502": Kind.NOT_NULL,
}
_SQLITE_INDEX = re.compile(r"^index '([^']+)'$")
_POSTGRES_KEY = re.compile(r"^Key \((.+?)\)=\(")  # the columns only; the values follow "=("
_POSTGRES_CONSTRAINT = re.compile(r'constraint "([^"]+)"')


def _sqlite_violation(orig: BaseException) -> Violation:
    message = str(orig)
    name = getattr(orig, "sqlite_errorname", None)
    kind = _SQLITE_KINDS.get(str(name)) if name else None
    prefix, _, rest = message.partition(": ")
    kind = kind or _SQLITE_PREFIXES.get(prefix, Kind.OTHER)
    rest = rest.strip()
    if kind == Kind.CHECK:
        return Violation(kind, constraint=rest or None)
    if kind not in (Kind.UNIQUE, Kind.NOT_NULL) or not rest:
        return Violation(kind)
    index = _SQLITE_INDEX.match(rest)
    if index:
        return Violation(kind, constraint=index.group(1))
    qualified = [part.strip() for part in rest.split(",")]
    tables = {part.rpartition(".")[0] for part in qualified}
    return Violation(
        kind,
        table=tables.pop() if len(tables) == 1 else None,
        columns=tuple(part.rpartition(".")[2] for part in qualified),
    )


def _postgres_violation(orig: BaseException, sqlstate: str) -> Violation:
    kind = _POSTGRES_KINDS.get(sqlstate, Kind.OTHER)
    # asyncpg's own error is the adapted one's cause; psycopg keeps the fields in `diag`
    source = orig.__cause__ if orig.__cause__ is not None else orig
    diag = getattr(orig, "diag", None)

    def field(asyncpg_name: str, psycopg_name: str) -> str | None:
        value = getattr(source, asyncpg_name, None) or getattr(diag, psycopg_name, None)
        return str(value) if value else None

    constraint = field("constraint_name", "constraint_name")
    if constraint is None:
        named = _POSTGRES_CONSTRAINT.search(str(orig))
        constraint = named.group(1) if named else None
    columns: tuple[str, ...] = ()
    key = _POSTGRES_KEY.match(field("detail", "message_detail") or "")
    if key:
        columns = tuple(c.strip().strip('"') for c in key.group(1).split(","))
    elif kind == Kind.NOT_NULL and (column := field("column_name", "column_name")):
        columns = (column,)
    return Violation(
        kind, table=field("table_name", "table_name"), columns=columns, constraint=constraint
    )


def violation_of(error: BaseException) -> Violation | None:
    """The constraint an `IntegrityError` reports, on SQLite or PostgreSQL; None for any other
    error."""
    if not isinstance(error, IntegrityError) or not isinstance(error.orig, BaseException):
        return None
    orig = error.orig
    if getattr(orig, "sqlite_errorname", None) is not None or type(orig).__module__ == "sqlite3":
        return _sqlite_violation(orig)
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate:
        return _postgres_violation(orig, str(sqlstate))
    return Violation(Kind.OTHER)


_KINDS_OF: dict[Kind, tuple[type[Any], ...]] = {
    Kind.UNIQUE: (UniqueConstraint, PrimaryKeyConstraint, Index),
    Kind.FOREIGN_KEY: (ForeignKeyConstraint,),
    Kind.CHECK: (CheckConstraint,),
}


def _constraints(table: Table) -> Iterator[Any]:
    yield from table.constraints
    for column in table.columns:  # a check written on the column stays there
        yield from column.constraints
    yield from (index for index in table.indexes if index.unique)


def _columns(constraint: Any) -> tuple[str, ...]:
    if isinstance(constraint, (ColumnCollectionConstraint, Index)):
        return tuple(str(column.name) for column in constraint.columns)
    return ()


@dataclass(frozen=True, slots=True)
class _Found:
    table: Table
    constraint: Any

    @property
    def declared(self) -> Declared | None:
        declared = self.constraint.info.get(VIOLATION_INFO)
        return declared if isinstance(declared, Declared) else None


def _find(violation: Violation) -> _Found | None:
    """The constraint in this process's models (`junheng_kit.db.known_metadata`): by name where
    the database gave one, else by table and columns. Several services may have a table of one
    name (their read models of schools); the one with a declaration wins."""
    kinds = _KINDS_OF.get(violation.kind)
    if kinds is None or (violation.constraint is None and not violation.columns):
        return None
    wanted = set(violation.columns)
    found: list[_Found] = []
    for metadata in known_metadata():
        for table in metadata.tables.values():
            if violation.table is not None and table.name != violation.table:
                continue
            for constraint in _constraints(table):
                if not isinstance(constraint, kinds):
                    continue
                if violation.constraint is not None:
                    matches = constraint.name == violation.constraint
                else:
                    matches = violation.table is not None and set(_columns(constraint)) == wanted
                if matches:
                    found.append(_Found(table, constraint))
    if not found and violation.constraint is not None and violation.columns:
        # a database whose constraint got another name (an older migration): by its columns
        return _find(Violation(violation.kind, violation.table, violation.columns))
    found.sort(key=lambda f: f.declared is None)
    return found[0] if found else None


_DETAILS = {
    Kind.UNIQUE: t(
        "已存在相同的记录：该键已先被保存，可能来自并发请求",
        "the same key was stored first, possibly by a concurrent request",
    ),
    Kind.FOREIGN_KEY: t(
        "关联记录已变更：本请求引用的记录已被删除，或要删除的记录仍被引用；请重新读取后重试",
        "a record this request refers to was removed meanwhile, or one it removes is still "
        "referred to; reload and retry",
    ),
    Kind.CHECK: t(
        "数值不符合规则：某个值违反了已存记录必须遵守的规则",
        "a value breaks a rule the stored record must keep",
    ),
}


def _undeclared(violation: Violation, found: _Found | None) -> tuple[FieldError, ...]:
    columns = _columns(found.constraint) if found is not None else violation.columns
    if violation.kind == Kind.UNIQUE:
        message = t("已被占用", "already taken")
        return tuple(FieldError(c, "unique_violation", message) for c in columns) or (
            FieldError("body", "unique_violation", message),
        )
    if violation.kind == Kind.FOREIGN_KEY:
        message = t("引用的记录已不存在或仍被引用", "the referenced record changed")
        return tuple(FieldError(c, "reference_conflict", message) for c in columns) or (
            FieldError("body", "reference_conflict", message),
        )
    name = str(found.constraint.name) if found is not None else (violation.constraint or "check")
    if found is not None and name.startswith(f"ck_{found.table.name}_"):
        name = name[len(f"ck_{found.table.name}_") :]
    return (FieldError("body", name, t("不符合规则", "breaks this rule")),)


def problem_for_integrity_error(error: BaseException) -> DomainError | None:
    """The problem an `IntegrityError` answers (see the module docstring): a 409 `Conflict` for
    a unique or foreign-key violation, a 422 `RuleViolated` for a check; None for a not-null
    violation, another kind or another error — re-raise those (a 500).

    The transaction that raised it is finished: roll it back before anything else."""
    violation = violation_of(error)
    if violation is None or violation.kind not in _KINDS_OF:
        return None
    found = _find(violation)
    declared = found.declared if found is not None else None
    log.info(
        "integrity.violation_answered",
        extra={
            "kind": violation.kind.value,
            "table": found.table.name if found is not None else violation.table,
            "constraint": str(found.constraint.name) if found is not None else violation.constraint,
            "declared": declared is not None,
        },
    )
    errors = declared.errors if declared is not None else _undeclared(violation, found)
    detail = (declared.detail if declared is not None else "") or _DETAILS[violation.kind]
    problem_type = RuleViolated if violation.kind == Kind.CHECK else Conflict
    return problem_type(detail, *errors)


CONCURRENT_UPDATE = FieldError(
    "header.if-match",
    "version_current",
    t(
        "并发修改：读取后已被另一个请求修改，请重新读取后重试",
        "changed by a concurrent request after this one read it; reload it and retry",
    ),
)


CONCURRENT_TRANSACTION = FieldError(
    "body",
    "concurrent_transaction",
    t(
        "并发冲突：另一个请求同时写入了相同的记录，本请求未保存任何内容，请重试",
        "a concurrent request wrote the same records at the same time; nothing of this request "
        "was saved: retry it",
    ),
)
# PostgreSQL gives up on one of two transactions waiting on each other (deadlock_detected) or,
# under stricter isolation, on one that read what the other wrote (serialization_failure)
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def problem_for_concurrent_update(error: BaseException) -> DomainError | None:
    """A 409 for a row a concurrent request changed or removed between this request's read and
    its write (`StaleDataError`), or for a transaction PostgreSQL rolled back because it and a
    concurrent one waited on each other (with `Retry-After: 1`: the retry is safe, nothing was
    written); None for any other error."""
    if isinstance(error, StaleDataError):
        log.info("integrity.concurrent_update_answered")
        return Conflict(
            t("记录已被另一个请求修改", "the record was changed by a concurrent request"),
            CONCURRENT_UPDATE,
        )
    if is_retryable_conflict(error):
        log.info("integrity.concurrent_transaction_answered")
        return Conflict(
            t(
                "另一个请求同时写入了相同的记录，请重试",
                "a concurrent request wrote the same records; retry",
            ),
            CONCURRENT_TRANSACTION,
            headers={"Retry-After": "1"},
        )
    return None


def is_retryable_conflict(error: BaseException) -> bool:
    """A deadlock or serialization failure PostgreSQL reported (the transaction is rolled back;
    running it again is safe)."""
    if not isinstance(error, DBAPIError) or isinstance(error, IntegrityError):
        return False
    orig = error.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return str(sqlstate) in RETRYABLE_SQLSTATES
