"""学位配置标准 use-cases: the seats per 1,000 resident population a region or county sets for a
level, stored effective-dated with its citation, and the one in force for a county and year.

Seed 000: "自治区制定城镇义务教育学位配置标准" (the region sets it); seed 002 (教基厅函〔2021〕
43号): "出台以常住人口为基数的城镇义务教育学位配置标准" (resident population as the base). No
source gives the value (domain.md §2.5), so nothing is built in: the forecast shows no standard
seats until a region or county stores one. Nothing here commits; the request does.
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.seats.models import SeatStandard
from enrollment.seats.policy import Level, SeatStandardPolicy, in_force, school_year_start
from enrollment.seats.repository import SeatStandardRepository
from enrollment.seats.schemas import SeatStandardList, SeatStandardPut, SeatStandardRead
from junheng_kit.auth import Principal
from junheng_kit.etags import require_version
from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, InvalidInput, NotFound, PreconditionFailed
from junheng_kit.timeutil import utcnow


def exact(value: Decimal) -> str:
    """The stored text of a value: no exponent, no trailing zeros (95.0 → "95", 47.50 → "47.5")."""
    return format(value.normalize(), "f")


def as_policy(row: SeatStandard) -> SeatStandardPolicy:
    level: Level = "primary" if row.level == "primary" else "junior"
    return SeatStandardPolicy(
        version=f"{row.scope_code}/{row.level}/{row.effective_from}#{row.version}",
        scope=row.scope_code,
        effective_from=row.effective_from,
        effective_to=row.effective_to,
        source=row.source,
        level=level,
        seats_per_1000=Decimal(row.seats_per_1000),
    )


def standard_read(row: SeatStandard) -> SeatStandardRead:
    return SeatStandardRead(
        scope_code=row.scope_code,
        level=as_policy(row).level,
        effective_from=row.effective_from,
        effective_to=row.effective_to,
        seats_per_1000=Decimal(row.seats_per_1000),
        source=row.source,
        evidence=row.evidence,
        version=row.version,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
    )


def standard_in_force(
    rows: Sequence[SeatStandard], *, county_code: str, level: str, year: int
) -> SeatStandard | None:
    """The row in force on 1 September of school year `year` for the county and level: the most
    specific scope (county over prefecture over region), then the latest start."""
    by_version = {as_policy(r).version: r for r in rows if r.level == level}
    chosen = in_force(
        [as_policy(r) for r in by_version.values()],
        county_code=county_code,
        on=school_year_start(year),
    )
    return None if chosen is None else by_version[chosen.version]


def visible(principal: Principal, scope_code: str) -> bool:
    """A standard is seen by callers inside its scope (a county reads its region's) and by
    callers above it (the region reads its counties')."""
    return any(
        p.startswith(scope_code) or scope_code.startswith(p)
        for p in principal.jurisdiction.prefixes
    )


async def put_standard(
    session: AsyncSession,
    principal: Principal,
    *,
    scope_code: str,
    level: Level,
    effective_from: date,
    request: SeatStandardPut,
    if_match: int | None,
) -> tuple[SeatStandard, bool]:
    """学位配置标准: store or correct the standard of a scope and level from `effective_from` on.
    The caller's jurisdiction must cover the scope: a county sets its own, the region its
    region's. Returns (row, created); the same values again change nothing."""
    principal.require_jurisdiction(scope_code, field="scope_code")
    if request.effective_to is not None and request.effective_to <= effective_from:
        raise InvalidInput(
            t("标准的结束日期早于开始日期", "the standard ends before it starts"),
            FieldError(
                "effective_to",
                "effective_dates_order",
                t(
                    "effective_to 必须晚于 effective_from",
                    "effective_to must be after effective_from",
                ),
            ),
        )
    values = {
        "seats_per_1000": exact(request.seats_per_1000),
        "effective_to": request.effective_to,
        "source": request.source,
        "evidence": request.evidence,
    }
    repository = SeatStandardRepository(session)
    row = await repository.find(scope_code, level, effective_from)
    if row is None:
        if if_match is not None:
            raise PreconditionFailed(
                t(
                    f"没有可匹配的 {scope_code} 自 {effective_from} 起的 {level} 学位标准",
                    f"no {level} seat standard of {scope_code} from {effective_from} to match",
                ),
                FieldError(
                    "header.if-match",
                    "version_current",
                    t("创建时请不要发送 If-Match", "omit If-Match to create"),
                ),
            )
        row = SeatStandard(
            scope_code=scope_code,
            level=level,
            effective_from=effective_from,
            updated_by=principal.client_id,
            **values,
        )
        repository.add(row)
        await session.flush()
        return row, True
    require_version(t("学位标准", "the seat standard"), row.version, if_match)
    if all(getattr(row, key) == value for key, value in values.items()):
        return row, False
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_by = principal.client_id
    row.updated_at = utcnow()
    await session.flush()  # version incremented
    return row, False


async def get_standard(
    session: AsyncSession,
    principal: Principal,
    *,
    scope_code: str,
    level: str,
    effective_from: date,
) -> SeatStandard:
    row = await SeatStandardRepository(session).find(scope_code, level, effective_from)
    if row is None or not visible(principal, scope_code):  # outside: "not found" too
        raise NotFound(
            t(
                f"没有 {scope_code} 自 {effective_from} 起的 {level} 学位标准",
                f"no {level} seat standard of {scope_code} from {effective_from}",
            )
        )
    return row


async def standard_list(
    session: AsyncSession,
    principal: Principal,
    *,
    county_code: str,
    level: Level | None,
    year: int | None,
) -> SeatStandardList:
    """Every standard covering the county (its region's, prefecture's and its own) and, for a
    school year, the one in force per level."""
    principal.require_jurisdiction(county_code, field="county_code")
    rows = await SeatStandardRepository(session).covering(county_code, level)
    levels: tuple[Level, ...] = (level,) if level else ("primary", "junior")
    chosen = (
        [standard_in_force(rows, county_code=county_code, level=lv, year=year) for lv in levels]
        if year is not None
        else []
    )
    return SeatStandardList(
        county_code=county_code,
        year=year,
        items=[standard_read(r) for r in rows],
        in_force=[standard_read(r) for r in chosen if r is not None],
    )
