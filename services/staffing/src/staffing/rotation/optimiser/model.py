"""The rotation MILP, built and solved by HiGHS through `scipy.optimize.milp`. Pure.

Variables: one integer per allowed (group, receiving school) pair — how many of the group's
teachers move there — then a count slack and a backbone slack. Objective: minimise −Σ gain plus
`penalty` per unit of slack, where the penalty is more than any plan's total gain, so the share
rules are hard whenever they can be met. Constraints, one function each: every teacher moves at
most once, net arrivals within free posts, subject needs, exactly the target number of moves,
the backbone share.

`optimise` first solves the LP relaxation of the whole model (a bound on the optimum), then the
MILP over each group's `CANDIDATE_SCHOOLS` best schools, doubling them until the answer is
proven within `OPTIMALITY_GAP` of the bound or covers every allowed school.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, RuleViolated
from staffing.rotation.optimiser.instance import Groups, SchoolArrays, gains
from staffing.rotation.rules import FixedMove, RotationParameters, ceil_share

SOLVER_SECONDS = 60.0
CANDIDATE_SCHOOLS = 8  # receiving schools per group in the first MILP, doubled as needed
OPTIMALITY_GAP = 0.001  # accepted distance of a plan's objective from the LP bound


@dataclass(frozen=True, slots=True)
class Model:
    """Everything the MILP is built from; arrays are groups × schools unless noted."""

    groups: Groups
    allowed: NDArray[np.bool_]
    gain: NDArray[np.float64]
    distance: NDArray[np.float64]  # km from the group's school (ties go to the nearer school)
    arrival_caps: NDArray[np.float64]  # per school: free posts + approved pooled moves into it
    need: NDArray[np.int64] | None  # schools × subjects; None: no subject needs given
    fixed: Mapping[int, int]  # a fixed move's group → its receiving school
    target: int  # moves wanted
    penalty: float  # per unit of count or backbone slack
    parameters: RotationParameters
    eligible: int


def build_model(
    *,
    groups: Groups,
    arrays: SchoolArrays,
    allowed: NDArray[np.bool_],
    need: NDArray[np.int64] | None,
    fixed: Mapping[int, FixedMove],
    pooled_in: NDArray[np.float64],
    target: int,
    parameters: RotationParameters,
    eligible: int,
) -> Model:
    gain = gains(groups, arrays)
    return Model(
        groups=groups,
        allowed=allowed,
        gain=gain,
        distance=arrays.distance[groups.home],
        arrival_caps=arrays.free + pooled_in,
        need=need,
        fixed={g: arrays.index[move.to_school] for g, move in fixed.items()},
        target=target,
        penalty=float(np.where(allowed, gain, 0.0).max(initial=0.0)) * (target + 1) + 1.0,
        parameters=parameters,
        eligible=eligible,
    )


@dataclass(frozen=True, slots=True)
class Pairs:
    """The variables' (group, school) pairs of one solve."""

    group: NDArray[np.int64]
    school: NDArray[np.int64]
    gain: NDArray[np.float64]
    index: NDArray[np.int64]  # the pair's variable

    def __len__(self) -> int:
        return len(self.group)


@dataclass(slots=True)
class Constraints:
    """Constraint rows in coordinate form, with their lower and upper bounds."""

    rows: list[NDArray[np.int64]] = field(default_factory=list)
    cols: list[NDArray[np.int64]] = field(default_factory=list)
    vals: list[NDArray[np.float64]] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)

    def add(
        self,
        row: NDArray[np.int64],
        col: NDArray[np.int64],
        value: NDArray[np.float64],
        lo: Sequence[float],
        hi: Sequence[float],
    ) -> None:
        self.rows.append(row + len(self.lower))
        self.cols.append(col)
        self.vals.append(value)
        self.lower.extend(lo)
        self.upper.extend(hi)

    def linear(self, n_vars: int) -> LinearConstraint:
        matrix = coo_matrix(
            (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(len(self.lower), n_vars),
        ).tocsr()
        return LinearConstraint(matrix, np.array(self.lower), np.array(self.upper))


def each_teacher_once(rows: Constraints, model: Model, pairs: Pairs) -> None:
    """A group's moves ≤ its size."""
    n_pairs = len(pairs)
    rows.add(
        pairs.group,
        pairs.index,
        np.ones(n_pairs),
        [0.0] * len(model.groups.members),
        model.groups.size.tolist(),
    )


def net_arrivals_within_posts(rows: Constraints, model: Model, pairs: Pairs) -> None:
    """Arrivals − departures ≤ free posts (+ approved pooled fixed moves into the school)."""
    n_pairs = len(pairs)
    rows.add(
        np.concatenate([pairs.school, model.groups.home[pairs.group]]),
        np.concatenate([pairs.index, pairs.index]),
        np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)]),
        [-np.inf] * len(model.arrival_caps),
        model.arrival_caps.tolist(),
    )


def within_subject_needs(
    rows: Constraints, need: NDArray[np.int64], model: Model, pairs: Pairs
) -> None:
    """Arrivals of a subject at a school ≤ its declared need; a fixed move counts within it."""
    n_subjects = need.shape[1]  # the groups' subjects (at least one column)
    key = pairs.school * n_subjects + model.groups.subject_of[pairs.group]
    used_keys, row_of = np.unique(key, return_inverse=True)
    caps = need.reshape(-1)[used_keys].astype(np.float64)
    for g, school in model.fixed.items():
        fixed_key = school * n_subjects + model.groups.subject_of[g]
        caps[used_keys == fixed_key] = np.maximum(caps[used_keys == fixed_key], 1.0)
    rows.add(
        row_of.astype(np.int64),
        pairs.index,
        np.ones(len(pairs)),
        [-np.inf] * len(used_keys),
        caps.tolist(),
    )


def target_moves(rows: Constraints, model: Model, pairs: Pairs) -> None:
    """Exactly `target` moves, or as many as possible (moves + count slack ≥ target)."""
    n_pairs = len(pairs)
    rows.add(
        np.zeros(n_pairs + 1, dtype=np.int64),
        np.append(pairs.index, n_pairs),
        np.ones(n_pairs + 1),
        [float(model.target)],
        [np.inf],
    )
    rows.add(
        np.zeros(n_pairs, dtype=np.int64),
        pairs.index,
        np.ones(n_pairs),
        [-np.inf],
        [float(model.target)],
    )


def backbone_share(rows: Constraints, model: Model, pairs: Pairs) -> None:
    """Backbone moves ≥ share × rotated (or × eligible), exact in integers:
    q·backbone − p·rotated + q·slack ≥ 0 for share = p/q."""
    n_pairs = len(pairs)
    parameters = model.parameters
    share = Fraction(parameters.backbone_min_share)
    is_bb = model.groups.backbone[pairs.group].astype(np.float64)
    if parameters.backbone_denominator == "rotated":
        coefficient = share.denominator * is_bb - share.numerator
        floor = 0.0
        slack = float(share.denominator)
    else:
        coefficient = is_bb
        floor = float(ceil_share(parameters.backbone_min_share, model.eligible))
        slack = 1.0
    rows.add(
        np.zeros(n_pairs + 1, dtype=np.int64),
        np.append(pairs.index, n_pairs + 1),
        np.append(coefficient, slack),
        [floor],
        [np.inf],
    )


def solve(model: Model, mask: NDArray[np.bool_], *, integral: bool) -> tuple[Any, Pairs]:
    """The model over the pairs in `mask`: the MILP, or its LP relaxation."""
    pair_g, pair_s = np.nonzero(mask)
    pairs = Pairs(
        pair_g, pair_s, model.gain[pair_g, pair_s], np.arange(len(pair_g), dtype=np.int64)
    )
    n_pairs = len(pairs)
    n_vars = n_pairs + 2  # pairs, then count slack, backbone slack
    rows = Constraints()
    each_teacher_once(rows, model, pairs)
    net_arrivals_within_posts(rows, model, pairs)
    if model.need is not None:
        within_subject_needs(rows, model.need, model, pairs)
    target_moves(rows, model, pairs)
    backbone_share(rows, model, pairs)
    lower_bounds = np.zeros(n_vars)
    upper_bounds = np.concatenate([model.groups.size[pair_g], [np.inf, np.inf]])
    for g in model.fixed:
        lower_bounds[np.nonzero(pair_g == g)[0]] = 1.0
    result = milp(
        np.concatenate([-pairs.gain, [model.penalty, model.penalty]]),
        integrality=np.concatenate([np.ones(n_pairs), [0, 0]]) if integral else None,
        bounds=Bounds(lower_bounds, upper_bounds),
        constraints=rows.linear(n_vars),
        options={"time_limit": SOLVER_SECONDS},
    )
    return result, pairs


def best_schools(model: Model, width: int) -> NDArray[np.bool_]:
    """Each group's `width` allowed schools of highest gain (the nearer first on a tie)."""
    score = np.where(model.allowed, model.gain - 1e-9 * model.distance, -np.inf)
    keep = np.zeros_like(model.allowed)
    np.put_along_axis(keep, np.argsort(-score, axis=1, kind="stable")[:, :width], True, axis=1)
    narrowed: NDArray[np.bool_] = model.allowed & keep
    return narrowed


def relative_gap(result: Any, bound: Any) -> float:
    """How far a MILP answer may be from the optimum: (answer − LP bound) ÷ |bound|, minimising."""
    if result.fun is None or bound.fun is None:
        return float("inf")
    return max(float(result.fun) - float(bound.fun), 0.0) / max(abs(float(bound.fun)), 1.0)


@dataclass(frozen=True, slots=True)
class Solution:
    pairs: Pairs
    moved: NDArray[np.int64]  # per pair: the group's teachers who move to the school
    objective: float  # Σ gain of the moves, penalties included
    optimality_gap: float


def optimise(model: Model, candidate_schools: int = CANDIDATE_SCHOOLS) -> Solution:
    """The full LP relaxation bounds the optimum; the MILP runs on each group's best `width`
    receiving schools, widened until its answer is proven within OPTIMALITY_GAP of the bound
    (or covers every allowed school)."""
    bound, _ = solve(model, model.allowed, integral=False)
    width = max(candidate_schools, 1)
    while True:
        whole = width >= model.allowed.shape[1]
        mask = model.allowed if whole else best_schools(model, width)
        result, pairs = solve(model, mask, integral=True)
        if whole:  # the whole model: HiGHS's own proven gap
            proven_gap = float(getattr(result, "mip_gap", None) or 0.0)
            break
        proven_gap = relative_gap(result, bound)
        if proven_gap <= OPTIMALITY_GAP:
            break
        width *= 2
    if result.x is None:
        raise RuleViolated(
            t("the rotation plan (交流轮岗方案) has no solution", "交流轮岗方案无解"),
            FieldError("fixed_moves", "rotation_plan_solvable", str(result.message)),
        )
    n_pairs = len(pairs)
    return Solution(
        pairs=pairs,
        moved=np.rint(result.x[:n_pairs]).astype(np.int64),
        objective=float(-result.fun if n_pairs else 0),
        optimality_gap=proven_gap,
    )
