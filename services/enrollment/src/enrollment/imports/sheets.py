"""What every enrollment sheet shares: flat sheet rows validated by the API's own schemas in one
pass, cell errors named `rows[<sheet row>].<column field>`, code lists in one cell, Chinese labels
for coded values, and the import record."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.imports.models import SheetImport
from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.problems import BadRequest, FieldError, Forbidden, validation_field_errors
from junheng_kit.tabular import SheetRecord, reject_rows, row_errors

T = TypeVar("T")
_SEPARATORS = re.compile(r"[|、;；,，\s]+")
_DATE = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")


def split_codes(value: Any) -> Any:
    """`2115000001|2115000002` (or separated by 、 ; , or spaces) → a list; other values as is."""
    if isinstance(value, str):
        return [part for part in _SEPARATORS.split(value) if part]
    return value


def join_codes(codes: Sequence[str]) -> str:
    return "|".join(codes)


def from_label(value: Any, labels: Mapping[str, Any]) -> Any:
    """A Chinese label (父亲, 小学, …) → its code; a code or anything else is left to the schema."""
    return labels.get(value, value) if isinstance(value, str) else value


def sheet_date(value: Any) -> Any:
    """2019/3/15 and 2019.03.15 as ISO dates; XLSX dates (datetime) as their date."""
    if hasattr(value, "date") and callable(value.date):
        return value.date()
    if isinstance(value, str):
        match = _DATE.match(value)
        if match:
            year, month, day = match.groups()
            return f"{year}-{int(month):02d}-{int(day):02d}"
    return value


def validated(
    adapter: TypeAdapter[list[T]],
    records: Sequence[SheetRecord],
    shape: Callable[[dict[str, Any]], dict[str, Any]],
    column_of: Callable[[str], str],
) -> list[T]:
    """Every row through the API schema in one pass; each bad cell as
    `rows[<sheet row>].<column field>` (`column_of` maps the schema's path to the column)."""
    if not records:
        raise BadRequest(
            t("表格没有数据行", "the sheet has no data rows"), FieldError("body", "rows_required")
        )
    try:
        return adapter.validate_python([shape(dict(r.values)) for r in records])
    except ValidationError as exc:
        errors: list[FieldError] = []
        for error in validation_field_errors(exc.errors(include_input=False)):
            index, _, path = error.field.partition(".")
            errors += row_errors(
                records[int(index)].row, [FieldError(column_of(path), error.rule, error.message)]
            )
        reject_rows(errors)
        raise  # unreachable: reject_rows raised


def require_counties(principal: Principal, counties: Sequence[tuple[int, str, str]]) -> None:
    """403 naming every row whose county (sheet row, field, code) the client may not write."""
    outside = [
        FieldError(
            f"rows[{row}].{field}",
            "jurisdiction",
            t(f"{code} 不在此客户端的管辖区域内", f"{code} is outside this client's jurisdiction"),
        )
        for row, field, code in counties
        if not principal.jurisdiction.covers_code(code)
    ]
    if outside:
        raise Forbidden(
            t("部分行不在此客户端的管辖区域内", "some rows are outside this client's jurisdiction"),
            *outside[:1000],
        )


def content_sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


async def earlier_import(
    session: AsyncSession, *, kind: str, county_code: str, sha256: str
) -> SheetImport | None:
    """The same sheet already imported for this county, if any."""
    return await session.scalar(
        select(SheetImport)
        .where(
            SheetImport.kind == kind,
            SheetImport.content_sha256 == sha256,
            SheetImport.county_code == county_code,
        )
        .order_by(SheetImport.imported_at)
        .limit(1)
    )


async def record_import(
    session: AsyncSession,
    principal: Principal,
    *,
    kind: str,
    county_code: str | None,
    content: bytes,
    media_type: str,
    rows: int,
    created: int,
    updated: int = 0,
    unchanged: int = 0,
    detail: dict[str, Any] | None = None,
) -> SheetImport:
    record = SheetImport(
        kind=kind,
        county_code=county_code,
        content_sha256=content_sha256(content),
        media_type=media_type,
        rows=rows,
        created=created,
        updated=updated,
        unchanged=unchanged,
        detail=detail or {},
        imported_by=principal.client_id,
    )
    session.add(record)
    await session.flush()
    return record
