"""The plan the optimiser answers with: its moves, why each was chosen (in the figures a bureau
checks), the share rules it meets or misses, who of the priority teachers move. Pure."""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from numpy.typing import NDArray

from staffing.rotation.optimiser.instance import SchoolArrays
from staffing.rotation.rules import (
    INDICATORS,
    SECTIONS,
    FixedMove,
    Pool,
    RotationParameters,
    RotationTeacher,
    Section,
    Shortfall,
    ceil_share,
    is_priority_category,
)

Chosen = tuple[int, int, float]  # (eligible teacher, receiving school, gain)


@dataclass(frozen=True, slots=True)
class IndicatorChange:
    key: str
    threshold: Decimal
    before: Decimal
    after: Decimal


@dataclass(frozen=True, slots=True)
class MoveWhy:
    """Why the optimiser chose the move, in the figures a bureau checks."""

    gain: float  # the objective's term for this move
    adds: tuple[str, ...]  # indicators the teacher counts for
    receiving_indicators: tuple[IndicatorChange, ...]  # receiving section, whole plan applied
    sending_indicators: tuple[IndicatorChange, ...]
    direction: str  # "urban→rural", "stronger→weaker", or "fixed by the bureau"
    sending_strength: Decimal
    receiving_strength: Decimal
    distance_km: Decimal


@dataclass(frozen=True, slots=True)
class PlannedMove:
    teacher_id: str
    from_school: str
    to_school: str
    section: Section
    subject: str
    is_backbone: bool
    fixed: bool
    pooled: bool
    pooling_reference: str | None
    why: MoveWhy
    leadership_post: str | None = None
    is_priority: bool = False  # a priority candidate (seed 000: rotates first)


@dataclass(frozen=True, slots=True)
class PriorityException:
    """A school where a principal or backbone teacher without the priority years moves while a
    priority one stays (seed 000: those "应优先进行交流轮岗"): a warning, not a refusal."""

    school_code: str
    moved: tuple[str, ...]  # non-priority principals / backbone teachers who move
    staying: tuple[str, ...]  # priority teachers of the school who stay


@dataclass(frozen=True, slots=True)
class Plan:
    moves: tuple[PlannedMove, ...]
    eligible: int
    excluded: Mapping[str, int]
    required_rotated: int
    target_rotated: int
    required_backbone: int
    rotated: int
    backbone_rotated: int
    shortfalls: tuple[Shortfall, ...]
    candidates_with_destination: int
    objective: float
    optimality_gap: float  # proven bound: (LP bound − objective) ÷ |LP bound|, penalties included
    free_posts: Mapping[str, int]
    priority_pool: int = 0  # priority candidates among the eligible
    priority_moved: int = 0
    priority_exceptions: tuple[PriorityException, ...] = ()


def explain_plan(
    *,
    pool: Pool,
    arrays: SchoolArrays,
    chosen: Sequence[Chosen],
    fixed_to: Mapping[str, FixedMove],
    parameters: RotationParameters,
    required: int,
    target: int,
    reachable: NDArray[np.bool_],
    objective: float,
    gap: float,
) -> Plan:
    """The chosen moves with their reasons, sorted by receiving school, and the share rules."""
    eligible = pool.eligible
    after = counts_after(eligible, arrays, chosen)
    moves = [
        planned_move(
            eligible[t],
            s,
            g,
            fixed_to.get(eligible[t].teacher_id),
            arrays,
            after,
            parameters,
            is_priority=eligible[t].teacher_id in pool.priority,
        )
        for t, s, g in chosen
    ]
    moves.sort(key=lambda m: (m.to_school, m.from_school, m.teacher_id))
    rotated = len(moves)
    backbone_rotated = sum(m.is_backbone for m in moves)
    if parameters.backbone_denominator == "rotated":
        required_backbone = ceil_share(parameters.backbone_min_share, rotated)
    else:
        required_backbone = ceil_share(parameters.backbone_min_share, len(eligible))
    return Plan(
        moves=tuple(moves),
        eligible=len(eligible),
        excluded=pool.excluded,
        required_rotated=required,
        target_rotated=target,
        required_backbone=required_backbone,
        rotated=rotated,
        backbone_rotated=backbone_rotated,
        shortfalls=shortfalls(
            eligible=eligible,
            arrays=arrays,
            parameters=parameters,
            reachable=reachable,
            required=required,
            rotated=rotated,
            required_backbone=required_backbone,
            backbone_rotated=backbone_rotated,
        ),
        candidates_with_destination=int(reachable.sum()),
        objective=round(objective, 6),
        optimality_gap=round(gap, 6),
        free_posts={code: int(arrays.free[i]) for i, code in enumerate(arrays.codes)},
        priority_pool=len(pool.priority),
        priority_moved=sum(m.is_priority for m in moves),
        priority_exceptions=priority_exceptions(eligible, moves, pool.priority),
    )


def priority_exceptions(
    eligible: Sequence[RotationTeacher],
    moves: Sequence[PlannedMove],
    priority: frozenset[str],
) -> tuple[PriorityException, ...]:
    """Per school, the non-priority principals and backbone teachers who move while priority
    teachers of the same school stay; one pass over the pool and one over the moves."""
    moving = {m.teacher_id for m in moves}
    staying: defaultdict[str, list[str]] = defaultdict(list)
    for teacher in eligible:
        if teacher.teacher_id in priority and teacher.teacher_id not in moving:
            staying[teacher.school_code].append(teacher.teacher_id)
    by_id = {t.teacher_id: t for t in eligible} if staying else {}
    early: defaultdict[str, list[str]] = defaultdict(list)
    for move in moves:
        if move.is_priority or move.from_school not in staying:
            continue
        if is_priority_category(by_id[move.teacher_id]):
            early[move.from_school].append(move.teacher_id)
    return tuple(
        PriorityException(code, tuple(sorted(early[code])), tuple(sorted(staying[code])))
        for code in sorted(early)
    )


def counts_after(
    eligible: Sequence[RotationTeacher], arrays: SchoolArrays, chosen: Sequence[Chosen]
) -> NDArray[np.float64]:
    """Schools × sections × indicators: the counts with every move of the plan applied."""
    after = arrays.counts.copy()
    for t, s, _ in chosen:
        teacher = eligible[t]
        j = SECTIONS.index(teacher.section)
        delta = np.array(teacher.contributes, dtype=np.float64)
        after[s, j] += delta
        after[arrays.index[teacher.school_code], j] -= delta
    return after


def planned_move(
    teacher: RotationTeacher,
    s: int,
    gain: float,
    fixed: FixedMove | None,
    arrays: SchoolArrays,
    after: NDArray[np.float64],
    parameters: RotationParameters,
    *,
    is_priority: bool = False,
) -> PlannedMove:
    j = SECTIONS.index(teacher.section)
    h = arrays.index[teacher.school_code]
    if fixed is not None:
        direction = "fixed by the bureau"
    elif arrays.area[h] > arrays.area[s]:
        direction = "urban→rural"
    else:
        direction = "stronger→weaker"
    return PlannedMove(
        teacher_id=teacher.teacher_id,
        from_school=teacher.school_code,
        to_school=arrays.codes[s],
        section=teacher.section,
        subject=teacher.subject,
        is_backbone=teacher.is_backbone,
        fixed=fixed is not None,
        pooled=bool(fixed and fixed.pooled),
        pooling_reference=fixed.pooling_reference if fixed else None,
        leadership_post=teacher.leadership_post,
        is_priority=is_priority,
        why=MoveWhy(
            gain=round(gain, 6),
            adds=tuple(k for k, a in zip(INDICATORS, teacher.contributes, strict=True) if a),
            receiving_indicators=indicator_changes(arrays, after, parameters, s, j),
            sending_indicators=indicator_changes(arrays, after, parameters, h, j),
            direction=direction,
            sending_strength=_round4(arrays.strength[h, j]),
            receiving_strength=_round4(arrays.strength[s, j]),
            distance_km=_round4(arrays.distance[h, s]),
        ),
    )


def indicator_changes(
    arrays: SchoolArrays,
    after: NDArray[np.float64],
    parameters: RotationParameters,
    s: int,
    j: int,
) -> tuple[IndicatorChange, ...]:
    """School `s`, section `j`: each indicator per 100 pupils before and after the plan."""
    pupils = float(arrays.pupils[s, j])
    return tuple(
        IndicatorChange(
            key=key,
            threshold=parameters.thresholds[(key, SECTIONS[j])],
            before=_per_100(float(arrays.counts[s, j, k]), pupils),
            after=_per_100(float(after[s, j, k]), pupils),
        )
        for k, key in enumerate(INDICATORS)
    )


def shortfalls(
    *,
    eligible: Sequence[RotationTeacher],
    arrays: SchoolArrays,
    parameters: RotationParameters,
    reachable: NDArray[np.bool_],
    required: int,
    rotated: int,
    required_backbone: int,
    backbone_rotated: int,
) -> tuple[Shortfall, ...]:
    """The share rules the plan misses, each with why no plan meets it."""
    with_destination = int(reachable.sum())
    missed = []
    if rotated < required:
        missed.append(
            Shortfall(
                "rotation_min_share",
                required,
                rotated,
                f"{len(eligible)} eligible teachers need ≥ {required} moves "
                f"({parameters.min_share} × eligible, rounded up); only {with_destination} have "
                "a receiving school allowed by direction, distance, subject need and section, "
                f"and receiving schools have {int(arrays.free.sum())} free approved posts",
            )
        )
    if backbone_rotated < required_backbone:
        available = sum(
            t.is_backbone for t, ok in zip(eligible, reachable.tolist(), strict=True) if ok
        )
        missed.append(
            Shortfall(
                "rotation_backbone_min_share",
                required_backbone,
                backbone_rotated,
                f"backbone moves must be ≥ {parameters.backbone_min_share} × "
                f"{parameters.backbone_denominator}; {available} eligible backbone teachers have "
                "an allowed receiving school",
            )
        )
    return tuple(missed)


def _per_100(count: float, pupils: float) -> Decimal:
    if pupils <= 0:
        return Decimal(0)
    exact = Decimal(round(count)) * 100 / Decimal(int(pupils))
    return exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _round4(value: float | np.floating) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
