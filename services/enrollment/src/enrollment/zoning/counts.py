"""Counts by zone that the seat forecast reads: 户籍 children by birth cohort or grade
(学龄人口) and the resident population (常住人口) the 学位配置标准 is based on. Each is imported
for a county and base year as JSON, CSV or XLSX, checked against the zone maps of that year, and
replaces the year's earlier import; one bad row stores nothing. Nothing here commits; the
request does."""

import hashlib
from collections.abc import Sequence
from typing import TypeVar

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.seats.policy import Level
from enrollment.zoning.models import CohortImport, ResidentPopulationImport
from enrollment.zoning.repository import (
    CohortRepository,
    ResidentPopulationRepository,
    ZoneMapRepository,
)
from enrollment.zoning.schemas import CohortRow, ResidentRow
from enrollment.zoning.service import zone_index
from enrollment.zoning.tables import raise_row_errors
from junheng_kit.auth import Principal
from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, NotFound, RuleViolated, validation_field_errors

T = TypeVar("T")

COHORT_ROW = TypeAdapter(CohortRow)
RESIDENT_ROW = TypeAdapter(ResidentRow)


def parse_rows(
    records: Sequence[tuple[int, dict[str, object]]], adapter: TypeAdapter[T]
) -> list[tuple[int, T]]:
    """CSV records validated by the row schema; every bad cell as `rows[<line>].<field>`."""
    rows: list[tuple[int, T]] = []
    errors: list[FieldError] = []
    for line, record in records:
        try:
            rows.append((line, adapter.validate_python(record)))
        except ValidationError as exc:
            errors += [
                FieldError(
                    f"rows[{line}].{e.field}" if e.field != "body" else f"rows[{line}]",
                    e.rule,
                    e.message,
                )
                for e in validation_field_errors(exc.errors())
            ]
    if errors:
        raise_row_errors(errors)
    return rows


async def _zone_codes(
    session: AsyncSession, county_code: str, year: int
) -> dict[Level, set[str] | None]:
    """The zone codes of the newest primary and junior map of the year (None: no such map)."""
    out: dict[Level, set[str] | None] = {}
    for level in ("primary", "junior"):
        zone_map = await ZoneMapRepository(session).newest(county_code, level, year)
        out[level] = (
            None
            if zone_map is None
            else {z.zone_code for z in (await zone_index(session, zone_map)).zones}
        )
    return out


def _zone_error(
    label: str, zone_code: str, level: Level, known: set[str] | None, county_code: str, year: int
) -> FieldError | None:
    if known is None:
        return FieldError(
            f"{label}.zone_code",
            "zone_map_exists",
            t(
                f"没有 {county_code} {year} 年的 {level} 学区图",
                f"no {level} zone map of {county_code} for {year}",
            ),
        )
    if zone_code not in known:
        return FieldError(
            f"{label}.zone_code",
            "zone_in_map",
            t(
                f"{zone_code} 不是 {year} 年的 {level} 学区",
                f"{zone_code} is not a {level} zone of {year}",
            ),
        )
    return None


# ---- child counts (学龄人口) ---------------------------------------------------------------


async def replace_cohorts(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    year: int,
    rows: Sequence[tuple[int, CohortRow]],
    source: str,
    content: bytes,
) -> CohortImport:
    """学龄人口: replace the county's counts for base year `year`. Birth-year rows belong to the
    newest primary zone map of that year, grade rows to the newest junior one."""
    principal.require_jurisdiction(county_code, field="county_code")
    codes = await _zone_codes(session, county_code, year)
    errors: list[FieldError] = []
    seen: dict[tuple[object, ...], int] = {}
    whole_year: dict[tuple[str, int], bool] = {}
    for position, row in rows:
        label = f"rows[{position}]"
        level: Level = "primary" if row.birth_year is not None else "junior"
        zone_error = _zone_error(label, row.zone_code, level, codes[level], county_code, year)
        if zone_error is not None:
            errors.append(zone_error)
        if row.birth_year is not None and row.birth_year > year:
            errors.append(
                FieldError(
                    f"{label}.birth_year",
                    "birth_year_not_after_base_year",
                    t(f"儿童人数统计于 {year} 年", f"children are counted in {year}"),
                )
            )
        key = (row.zone_code, row.birth_year, row.birth_month, row.grade)
        if key in seen:
            errors.append(
                FieldError(
                    label,
                    "row_unique",
                    t(
                        f"学区和出生年份与 rows[{seen[key]}] 相同",
                        f"same zone and cohort as rows[{seen[key]}]",
                    ),
                )
            )
        seen.setdefault(key, position)
        if row.birth_year is not None:
            by_month = row.birth_month is not None
            if whole_year.setdefault((row.zone_code, row.birth_year), by_month) != by_month:
                errors.append(
                    FieldError(
                        f"{label}.birth_month",
                        "birth_month_consistent",
                        t(
                            f"{row.zone_code} {row.birth_year} 请按月或按全年统计，不能两者都有",
                            f"count {row.zone_code} {row.birth_year} by month or for the whole "
                            "year, not both",
                        ),
                    )
                )
    if errors:
        raise RuleViolated(
            t(
                "人数与学区图不一致，未存储任何内容",
                "the counts are not consistent with the zone maps; nothing was stored",
            ),
            *errors[:100],
        )
    record = CohortImport(
        county_code=county_code,
        year=year,
        source=source,
        rows=len(rows),
        content_sha256=hashlib.sha256(content).hexdigest(),
        imported_by=principal.client_id,
    )
    await CohortRepository(session).replace(
        record,
        [
            {**row.model_dump(), "level": "primary" if row.birth_year is not None else "junior"}
            for _, row in rows
        ],
    )
    return record


async def stored_cohorts(
    session: AsyncSession, principal: Principal, *, county_code: str, year: int
) -> tuple[CohortImport, list[CohortRow]]:
    principal.require_jurisdiction(county_code, field="county_code")
    repository = CohortRepository(session)
    record = await repository.latest(county_code, year)
    if record is None:
        raise NotFound(
            t(
                f"{county_code} 在 {year} 年没有适龄儿童数",
                f"no child counts for county {county_code} in {year}",
            ),
            FieldError("year", "cohorts_imported"),
        )
    counts = await repository.counts(county_code, year)
    return record, [
        CohortRow(
            zone_code=c.zone_code,
            birth_year=c.birth_year,
            birth_month=c.birth_month,
            grade=c.grade,
            children=c.children,
        )
        for c in counts
    ]


# ---- resident population (常住人口) --------------------------------------------------------


async def replace_residents(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    year: int,
    rows: Sequence[tuple[int, ResidentRow]],
    source: str,
    content: bytes,
) -> ResidentPopulationImport:
    """常住人口: replace the county's resident population by zone for base year `year`. Each row
    names the zone map (`level`) its zone belongs to: the newest one of that level and year.
    Seed 002 bases the 学位配置标准 on resident population; the standard applies to 城镇 (urban
    and town) seats, so a bureau gives the zones it applies to and the others show none."""
    principal.require_jurisdiction(county_code, field="county_code")
    codes = await _zone_codes(session, county_code, year)
    errors: list[FieldError] = []
    seen: dict[tuple[str, str], int] = {}
    for position, row in rows:
        label = f"rows[{position}]"
        zone_error = _zone_error(
            label, row.zone_code, row.level, codes[row.level], county_code, year
        )
        if zone_error is not None:
            errors.append(zone_error)
        key = (row.level, row.zone_code)
        if key in seen:
            errors.append(
                FieldError(
                    label,
                    "row_unique",
                    t(f"学区与 rows[{seen[key]}] 相同", f"same zone as rows[{seen[key]}]"),
                )
            )
        seen.setdefault(key, position)
    if errors:
        raise RuleViolated(
            t(
                "常住人口与学区图不一致，未存储任何内容",
                "the resident population is not consistent with the zone maps; nothing was stored",
            ),
            *errors[:100],
        )
    record = ResidentPopulationImport(
        county_code=county_code,
        year=year,
        source=source,
        rows=len(rows),
        content_sha256=hashlib.sha256(content).hexdigest(),
        imported_by=principal.client_id,
    )
    await ResidentPopulationRepository(session).replace(
        record, [row.model_dump() for _, row in rows]
    )
    return record


async def stored_residents(
    session: AsyncSession, principal: Principal, *, county_code: str, year: int
) -> tuple[ResidentPopulationImport, list[ResidentRow]]:
    principal.require_jurisdiction(county_code, field="county_code")
    repository = ResidentPopulationRepository(session)
    record = await repository.latest(county_code, year)
    if record is None:
        raise NotFound(
            t(
                f"{county_code} 在 {year} 年没有常住人口数",
                f"no resident population for county {county_code} in {year}",
            ),
            FieldError("year", "resident_population_imported"),
        )
    return record, [
        ResidentRow(
            zone_code=r.zone_code,
            level="primary" if r.level == "primary" else "junior",
            residents=r.residents,
        )
        for r in await repository.rows(county_code, year)
    ]
