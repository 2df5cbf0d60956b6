"""交流轮岗 plan: the optimised moves for one county and school year (domain.md §3.3, §5.2
indicators 1–3, §5.4 item 11), and the rules a bureau's fixed moves must meet. Pure.

The plan is a mixed-integer programme solved by HiGHS through `scipy.optimize.milp`
(`optimiser.model`):

- one variable x[t, r] per eligible teacher t and allowed receiving school r (same 学段 offered,
  direction urban → rural or stronger → weaker, within the distance limit, a declared subject
  need when needs are given);
- maximise Σ gain[t, r]·x[t, r], where gain is what the teacher adds to the receiving school's
  indicators 1–3, each as (100 ÷ pupils of that section) ÷ threshold, weighted by how far below
  the threshold the school is (gap = (threshold − value) ÷ threshold, at least 0) plus a small
  base weight (`BASE_WEIGHT`) so a school at the threshold still ranks by size;
- each teacher moves at most once; net arrivals at a school ≤ its free approved posts (编制);
  arrivals of a subject ≤ the school's declared need; exactly the target number of moves;
  backbone moves ≥ share × rotated (or × eligible);
- the count and backbone rules are hard when they can be met: their slack variables cost more
  than any gain (`penalty`), so a shortfall appears only when no plan meets them, and then the
  plan says why;
- who goes first (seed 000: principals and backbone teachers with `rotation_priority_years` at
  the school) is an order, not a constraint: of interchangeable teachers the priority ones move
  first, and the plan names each school where a non-priority principal or backbone teacher
  moves while a priority one stays (`priority_exceptions`, a warning, not a refusal).

Speed without giving up the optimum: interchangeable teachers share one integer variable per
school (`optimiser.instance`), and the MILP first considers each group's `CANDIDATE_SCHOOLS` best
receiving schools; its answer is accepted only when it is within `OPTIMALITY_GAP` of the full
model's LP bound, otherwise the candidates double until they cover every allowed school. The
plan reports the proven gap.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
from numpy.typing import NDArray

from junheng_kit.i18n import t as tt
from junheng_kit.problems import FieldError, RuleViolated
from staffing.rotation.optimiser.instance import (
    Groups,
    SchoolArrays,
    allowed_moves,
    fixed_groups,
    group_teachers,
    pooled_arrivals,
    school_arrays,
    subject_need,
)
from staffing.rotation.optimiser.model import CANDIDATE_SCHOOLS, Solution, build_model, optimise
from staffing.rotation.optimiser.plan import Chosen, Plan, explain_plan
from staffing.rotation.rules import (
    SECTIONS,
    FixedMove,
    RotationParameters,
    RotationSchool,
    RotationTeacher,
    ceil_share,
    eligible_pool,
)


def generate_plan(
    *,
    teachers: Sequence[RotationTeacher],
    schools: Sequence[RotationSchool],
    parameters: RotationParameters,
    on: date,
    subject_needs: Mapping[str, Mapping[str, int]] | None = None,
    fixed_moves: Sequence[FixedMove] = (),
    candidate_schools: int = CANDIDATE_SCHOOLS,
) -> Plan:
    """The rotation plan for one county and school year; see the module docstring."""
    pool = eligible_pool(teachers, parameters, on)
    eligible = list(pool.eligible)
    arrays = school_arrays(schools, parameters)
    check_fixed_moves(fixed_moves, eligible, teachers, arrays)
    required = ceil_share(parameters.min_share, len(eligible))
    target = max(required, parameters.target_count or 0)
    fixed_to = {m.teacher_id: m for m in fixed_moves}
    groups = group_teachers(
        eligible,
        arrays,
        by_subject=subject_needs is not None,
        fixed_to=fixed_to,
        priority=pool.priority,
    )
    need = None if subject_needs is None else subject_need(subject_needs, arrays, groups)
    fixed = fixed_groups(groups, fixed_to)
    allowed = allowed_moves(groups, arrays, parameters, need, fixed)
    model = build_model(
        groups=groups,
        arrays=arrays,
        allowed=allowed,
        need=need,
        fixed=fixed,
        pooled_in=pooled_arrivals(fixed_moves, arrays),
        target=target,
        parameters=parameters,
        eligible=len(eligible),
    )
    solution = optimise(model, candidate_schools)
    return explain_plan(
        pool=pool,
        arrays=arrays,
        chosen=chosen_teachers(solution, groups),
        fixed_to=fixed_to,
        parameters=parameters,
        required=required,
        target=target,
        reachable=reachable(groups, allowed, len(eligible)),
        objective=solution.objective,
        gap=solution.optimality_gap,
    )


def chosen_teachers(solution: Solution, groups: Groups) -> list[Chosen]:
    """The teachers behind the group counts: within a group, priority teachers first, then the
    longest at the school."""
    taken = [0] * len(groups.members)
    chosen: list[Chosen] = []
    pairs = solution.pairs
    for p in np.nonzero(solution.moved > 0)[0].tolist():
        g = int(pairs.group[p])
        for _ in range(int(solution.moved[p])):
            chosen.append((groups.members[g][taken[g]], int(pairs.school[p]), float(pairs.gain[p])))
            taken[g] += 1
    return chosen


def reachable(groups: Groups, allowed: NDArray[np.bool_], n_eligible: int) -> NDArray[np.bool_]:
    """Per eligible teacher: some receiving school is allowed."""
    out = np.zeros(n_eligible, dtype=bool)
    for g, group in enumerate(groups.members):
        out[group] = bool(allowed[g].any())
    return out


def check_fixed_moves(
    fixed_moves: Sequence[FixedMove],
    eligible: Sequence[RotationTeacher],
    teachers: Sequence[RotationTeacher],
    arrays: SchoolArrays,
) -> None:
    """The bureau's fixed moves: each teacher once, an eligible teacher of the county, to another
    school of the county that teaches their section, within its free posts unless 统筹 with the
    approval named (422 with every error)."""
    by_id = {t.teacher_id: t for t in eligible}
    known = {t.teacher_id for t in teachers}
    errors: list[FieldError] = []
    arrivals: Counter[str] = Counter()
    seen: set[str] = set()
    for i, move in enumerate(fixed_moves):
        where = f"fixed_moves[{i}]"
        teacher = by_id.get(move.teacher_id)
        if move.teacher_id in seen:
            errors.append(FieldError(f"{where}.teacher_id", "rotation_once_per_teacher"))
            continue
        seen.add(move.teacher_id)
        if move.teacher_id not in known:
            errors.append(
                FieldError(
                    f"{where}.teacher_id",
                    "teacher_in_county",
                    tt("本县没有此 id 的在职教师", "no active teacher of the county has this id"),
                )
            )
        elif teacher is None:
            errors.append(
                FieldError(
                    f"{where}.teacher_id",
                    "rotation_eligible",
                    tt("该教师不在可交流人员范围内", "the teacher is not in the eligible pool"),
                )
            )
        if move.to_school not in arrays.index:
            errors.append(
                FieldError(
                    f"{where}.to_school_code",
                    "school_in_county",
                    tt("不是本县的学校", "not a school of the county"),
                )
            )
            continue
        if teacher is not None:
            if teacher.school_code == move.to_school:
                errors.append(FieldError(f"{where}.to_school_code", "move_to_another_school"))
            elif arrays.pupils[arrays.index[move.to_school], SECTIONS.index(teacher.section)] <= 0:
                errors.append(
                    FieldError(
                        f"{where}.to_school_code",
                        "section_offered_by_school",
                        tt(
                            f"该学校没有 {teacher.section} 学生",
                            f"the school has no {teacher.section} pupils",
                        ),
                    )
                )
        if move.pooled and not move.pooling_reference:
            errors.append(
                FieldError(
                    f"{where}.pooling_reference",
                    "pooling_approval_required",
                    tt(
                        "统筹调配须注明所依据的批准文件",
                        "a 统筹 move names the approval it rests on",
                    ),
                )
            )
        if teacher is not None and not move.pooled:
            arrivals[move.to_school] += 1
    for code, count in arrivals.items():
        free = int(arrays.free[arrays.index[code]])
        if count > free:
            errors.append(
                FieldError(
                    "fixed_moves",
                    "staff_quota_headroom",
                    tt(
                        f"{count} 人调入 {code}，该校仅有 {free} 个空余核定编制；请标记为统筹并附"
                        "批准文件，或选择其他学校",
                        f"{count} move(s) into {code}, which has {free} free approved post(s); "
                        "mark them pooled (统筹) with the approval, or choose another school",
                    ),
                )
            )
    if errors:
        raise RuleViolated(
            tt("指定的交流人选不符合规则", "the named rotation candidates break a rule"), *errors
        )
