"""The county as the optimiser sees it: schools as arrays, eligible teachers in groups of
interchangeable ones, the moves the rules allow and what each move gains. Pure (numpy only).

Interchangeable teachers (same school, section, indicator contributions and, when needs are
given, subject) form one group with an integer variable per receiving school, bounded by the
group's size: the same optimum without the symmetry that slows branch and bound; within a group
the priority teachers (seed 000: principals and backbone teachers with `rotation_priority_years`
at the school) move first, then those longest at the school.
"""

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from staffing.rotation.rules import (
    AREA_RANK,
    INDICATORS,
    SECTIONS,
    FixedMove,
    RotationParameters,
    RotationSchool,
    RotationTeacher,
)

BASE_WEIGHT = 0.01
EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True, slots=True)
class SchoolArrays:
    codes: list[str]
    index: dict[str, int]
    pupils: NDArray[np.float64]  # S × 2
    counts: NDArray[np.float64]  # S × 2 × 3
    thresholds: NDArray[np.float64]  # 2 × 3
    strength: NDArray[np.float64]  # S × 2
    area: NDArray[np.int64]  # S
    free: NDArray[np.int64]  # S
    distance: NDArray[np.float64]  # S × S, km


def haversine_km(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
    """Great-circle distances between every pair of points, km (mean Earth radius)."""
    phi, lam = np.radians(lat), np.radians(lon)
    dphi = phi[:, None] - phi[None, :]
    dlam = lam[:, None] - lam[None, :]
    a = np.sin(dphi / 2) ** 2 + np.cos(phi)[:, None] * np.cos(phi)[None, :] * np.sin(dlam / 2) ** 2
    distances: NDArray[np.float64] = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
    return distances


def school_arrays(
    schools: Sequence[RotationSchool], parameters: RotationParameters
) -> SchoolArrays:
    codes = [s.school_code for s in schools]
    pupils = np.zeros((len(schools), 2))
    counts = np.zeros((len(schools), 2, 3))
    for i, school in enumerate(schools):
        for j, section in enumerate(SECTIONS):
            state = school.sections.get(section)
            if state is not None and state.pupils > 0:
                pupils[i, j] = state.pupils
                counts[i, j] = state.counts
    thresholds = np.array(
        [[float(parameters.thresholds[(k, s)]) for k in INDICATORS] for s in SECTIONS]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(pupils[..., None] > 0, counts * 100 / pupils[..., None], 0.0)
    strength = (values / thresholds[None]).mean(axis=2)
    return SchoolArrays(
        codes=codes,
        index={c: i for i, c in enumerate(codes)},
        pupils=pupils,
        counts=counts,
        thresholds=thresholds,
        strength=strength,
        area=np.array([AREA_RANK[s.area] for s in schools], dtype=np.int64),
        free=np.array([max(s.free_posts, 0) for s in schools], dtype=np.int64),
        distance=haversine_km(
            np.array([s.longitude for s in schools], dtype=np.float64),
            np.array([s.latitude for s in schools], dtype=np.float64),
        ),
    )


@dataclass(frozen=True, slots=True)
class Groups:
    """Groups of interchangeable eligible teachers; one row per group in every array."""

    members: list[list[int]]  # indices into the eligible teachers: priority, then longest first
    first: list[RotationTeacher]  # a group's first member stands for the group
    size: NDArray[np.float64]
    home: NDArray[np.int64]  # school index
    section: NDArray[np.int64]  # index into SECTIONS
    adds: NDArray[np.float64]  # G × 3 indicator contributions
    backbone: NDArray[np.bool_]
    subjects: list[str]  # the groups' subjects, sorted
    subject_of: NDArray[np.int64]  # index into subjects


def group_teachers(
    eligible: Sequence[RotationTeacher],
    arrays: SchoolArrays,
    *,
    by_subject: bool,
    fixed_to: Mapping[str, FixedMove],
    priority: AbstractSet[str] = frozenset(),
) -> Groups:
    """Interchangeable teachers in one group (a fixed move's teacher is a group of its own);
    the group's moves take its `priority` teachers first, then the longest at the school."""
    members: dict[tuple[object, ...], list[int]] = {}
    for i, t in enumerate(eligible):
        key: tuple[object, ...] = (
            t.school_code,
            t.section,
            t.contributes,
            t.subject if by_subject else "",
            t.teacher_id if t.teacher_id in fixed_to else "",
        )
        members.setdefault(key, []).append(i)
    groups = list(members.values())
    for group in groups:
        group.sort(
            key=lambda i: (
                eligible[i].teacher_id not in priority,
                eligible[i].school_joined_on,
                eligible[i].teacher_id,
            )
        )
    first = [eligible[g[0]] for g in groups]
    subjects = sorted({t.subject for t in first})
    return Groups(
        members=groups,
        first=first,
        size=np.array([len(g) for g in groups], dtype=np.float64),
        home=np.array([arrays.index[t.school_code] for t in first], dtype=np.int64),
        section=np.array([SECTIONS.index(t.section) for t in first], dtype=np.int64),
        adds=np.array([t.contributes for t in first], dtype=np.float64).reshape(len(groups), 3),
        backbone=np.array([t.is_backbone for t in first], dtype=bool),
        subjects=subjects,
        subject_of=np.array([subjects.index(t.subject) for t in first], dtype=np.int64),
    )


def subject_need(
    subject_needs: Mapping[str, Mapping[str, int]], arrays: SchoolArrays, groups: Groups
) -> NDArray[np.int64]:
    """Schools × the groups' subjects: teachers of the subject the school asks for (0 else)."""
    need = np.zeros((len(arrays.codes), max(len(groups.subjects), 1)), dtype=np.int64)
    for code, by_subject in subject_needs.items():
        if code in arrays.index:
            for subject, count in by_subject.items():
                if subject in groups.subjects:
                    need[arrays.index[code], groups.subjects.index(subject)] = count
    return need


def fixed_groups(groups: Groups, fixed_to: Mapping[str, FixedMove]) -> dict[int, FixedMove]:
    """The group of each fixed move's teacher (a group of one) → the move."""
    fixed: dict[int, FixedMove] = {}
    for g, t in enumerate(groups.first):
        move = fixed_to.get(t.teacher_id)
        if move is not None:
            fixed[g] = move
    return fixed


def allowed_moves(
    groups: Groups,
    arrays: SchoolArrays,
    parameters: RotationParameters,
    need: NDArray[np.int64] | None,
    fixed: Mapping[int, FixedMove],
) -> NDArray[np.bool_]:
    """Groups × schools: the receiving school teaches the group's section, is another school,
    the direction is urban → rural or stronger → weaker, within the distance limit, and (when
    needs are given) asks for the subject; a fixed move's group may go only where it is fixed."""
    section, home = groups.section, groups.home
    offers = arrays.pupils[:, section].T > 0  # receiving school has the teacher's section
    not_home = home[:, None] != np.arange(len(arrays.codes))[None, :]
    sending_strength = arrays.strength[home, section]
    receiving_strength = arrays.strength[:, section].T
    urban_to_rural = arrays.area[home][:, None] > arrays.area[None, :]
    stronger = sending_strength[:, None] > receiving_strength + 1e-12
    allowed: NDArray[np.bool_] = offers & not_home & (urban_to_rural | stronger)
    if parameters.max_distance_km is not None:
        allowed &= arrays.distance[home] <= float(parameters.max_distance_km)
    if need is not None:
        allowed &= need[:, groups.subject_of].T > 0
    for g, move in fixed.items():
        allowed[g] = False
        allowed[g, arrays.index[move.to_school]] = True
    return allowed


def gains(groups: Groups, arrays: SchoolArrays) -> NDArray[np.float64]:
    """Groups × schools: a teacher's gain at the school, per indicator they count for
    (100 ÷ the section's pupils) ÷ threshold × (BASE_WEIGHT + gap below the threshold)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(
            arrays.pupils[..., None] > 0, arrays.counts * 100 / arrays.pupils[..., None], 0.0
        )
        gap = np.clip((arrays.thresholds[None] - values) / arrays.thresholds[None], 0.0, None)
        unit = np.where(arrays.pupils > 0, 100 / arrays.pupils, 0.0)  # S × 2
    weight = unit[..., None] / arrays.thresholds[None] * (BASE_WEIGHT + gap)  # S × 2 × 3
    gain: NDArray[np.float64] = (
        groups.adds[:, None, :] * weight[:, groups.section, :].transpose(1, 0, 2)
    ).sum(axis=2)
    return gain


def pooled_arrivals(fixed_moves: Sequence[FixedMove], arrays: SchoolArrays) -> NDArray[np.float64]:
    """Per school, the approved 统筹 moves into it (they may exceed its free posts)."""
    pooled_in = np.zeros(len(arrays.codes))
    for move in fixed_moves:
        if move.pooled:
            pooled_in[arrays.index[move.to_school]] += 1
    return pooled_in
