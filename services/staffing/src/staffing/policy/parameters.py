"""编制、交流轮岗与职称的政策参数: staffing policy as effective-dated, scoped, cited rows.

domain.md §0 parameter model: each row is (key, qualifier, value, unit, scope code,
effective_from, effective_to, source, evidence). The most specific scope in force on the date
wins (a county's own row beats the province's, which beats the national one); within one scope,
a row with a more specific qualifier wins, then the latest `effective_from`.

Values tagged UNCONF in domain.md (class–staff ratio, boarding and special-education extras, the
retirement window, the distance limit) have **no row here**: a county sets them through
`POST /v1/counties/{county}/policy-parameters`, and a computation that needs one without it
answers 422 naming the key. So has the rotation pool's years at one school
(`rotation_trigger_years`): the sources give 6 years (seed 000; Anhui, Shaanxi) or 9 (Sichuan) as
the years after which principals and backbone teachers rotate *first* — a priority,
`rotation_priority_years` — while who is eligible at all follows the county's own conditions.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Literal

Evidence = Literal["OFF", "SEC", "UNCONF", "DERIVED"]
ValueKind = Literal["decimal", "integer", "choice", "ratio"]


@dataclass(frozen=True, slots=True)
class ParameterSpec:
    """What a key means, the unit of its value and which qualifiers it takes."""

    key: str
    kind: ValueKind
    unit: str
    description: str
    qualifiers: frozenset[str] = frozenset({""})
    choices: frozenset[str] = frozenset()


LEVELS = ("primary", "junior", "senior")
AREAS = ("urban", "county_town", "rural")
INDICATORS = (
    "senior_degree_teachers_per_100",
    "backbone_teachers_per_100",
    "pe_arts_teachers_per_100",
)

SPECS: Mapping[str, ParameterSpec] = {
    spec.key: spec
    for spec in (
        ParameterSpec(
            "pupil_staff_ratio",
            "decimal",
            "pupils per staff post",
            "生师比: pupils per post by level (and by area for the 2001 standard)",
            frozenset(LEVELS) | frozenset(f"{lv}:{area}" for lv in LEVELS for area in AREAS),
        ),
        ParameterSpec(
            "class_staff_ratio",
            "decimal",
            "staff posts per class",
            "班师比: posts per class by level (no official value: the county sets it)",
            frozenset(LEVELS),
        ),
        ParameterSpec(
            "quota_method",
            "choice",
            "",
            "how the pupil and class bases combine: ratio_only, mean (÷ 2) or max (a county under "
            "a province that asks for both — Inner Mongolia, seed 000 — chooses mean or max)",
            choices=frozenset({"ratio_only", "mean", "max"}),
        ),
        ParameterSpec(
            "quota_rounding",
            "choice",
            "",
            "rounding to whole posts: ceil_per_school, ceil_per_component, half_up_per_school",
            choices=frozenset({"ceil_per_school", "ceil_per_component", "half_up_per_school"}),
        ),
        ParameterSpec(
            "small_school_pupils",
            "integer",
            "pupils",
            "a rural school (village school, teaching point) under this size is a small school: "
            "first to receive posts in 统筹 (seed 004) and funded (公用经费) as this size; its "
            "编制 follows its real pupils",
        ),
        ParameterSpec(
            "boarding_pupils_per_extra_post",
            "decimal",
            "boarders per extra post",
            "寄宿制学校: one extra post per this many boarders (no official value: the county "
            "sets it)",
        ),
        ParameterSpec(
            "special_education_pupils_per_post",
            "decimal",
            "pupils per post",
            "特殊教育: pupils of special classes or schools per post",
        ),
        ParameterSpec(
            "indicator_threshold",
            "decimal",
            "teachers per 100 pupils",
            "evaluation indicators 1–3 thresholds (domain.md §5.2) by indicator and level",
            frozenset(f"{ind}:{lv}" for ind in INDICATORS for lv in ("primary", "junior")),
        ),
        ParameterSpec(
            "rotation_min_share",
            "decimal",
            "share of eligible",
            "交流轮岗: rotated ≥ this share of eligible teachers",
        ),
        ParameterSpec(
            "rotation_backbone_min_share",
            "decimal",
            "share",
            "交流轮岗: backbone teachers ≥ this share of the denominator",
        ),
        ParameterSpec(
            "rotation_backbone_denominator",
            "choice",
            "",
            "what the backbone share is of: rotated (national) or eligible (Anhui)",
            choices=frozenset({"rotated", "eligible"}),
        ),
        ParameterSpec(
            "rotation_trigger_years",
            "integer",
            "years",
            "符合交流条件: consecutive years at one school from which a teacher is in the rotation "
            "pool (the 10 % base) — the county's own condition; no source gives a value, so the "
            "county sets it (the 6 / 9 years of the sources are `rotation_priority_years`)",
        ),
        ParameterSpec(
            "rotation_priority_years",
            "integer",
            "years",
            "优先交流: principals (校长) and excellent backbone teachers (优秀骨干教师) of the "
            "pool with at least this many consecutive years at their school rotate first (seed "
            "000: 6); an order among the eligible, not an eligibility condition",
        ),
        ParameterSpec(
            "rotation_retirement_window_years",
            "integer",
            "years",
            "teachers with fewer than this many years to retirement are not in the pool",
        ),
        ParameterSpec(
            "rotation_max_distance_km",
            "decimal",
            "km",
            "longest straight-line distance between sending and receiving school",
        ),
        ParameterSpec(
            "senior_title_rural_years",
            "decimal",
            "years",
            "rural or weak-school service required before applying for a senior title",
        ),
        ParameterSpec(
            "principal_priority_rural_years",
            "decimal",
            "years",
            "rural or weak-school service that gives priority in principal selection",
        ),
        ParameterSpec(
            "post_structure_ratio",
            "ratio",
            "senior:intermediate:junior",
            "岗位结构比例: target title ratio by level, e.g. 3:4:3",
            frozenset(LEVELS),
        ),
        ParameterSpec(
            "quota_turnover_pool_posts",
            "integer",
            "staff posts",
            "编制周转池: posts the county holds for urgent loans to schools (LOCAL seed 003, no "
            "value in any source; the county sets its own)",
        ),
        ParameterSpec(
            "training_required_hours",
            "integer",
            "学时",
            "教师5年360学时: training hours a teacher completes within `training_window_years` "
            "(政府保障程度第9项: 360)",
        ),
        ParameterSpec(
            "training_window_years",
            "integer",
            "years",
            "the years up to a date in which a teacher's training hours count (政府保障程度第9项: "
            "5; a rolling window ending on the date)",
        ),
        ParameterSpec(
            "retirement_age",
            "integer",
            "years of age",
            "retirement age by gender, used when the registry holds no retirement date",
            frozenset({"male", "female"}),
        ),
    )
}


@dataclass(frozen=True, slots=True)
class PolicyRow:
    """One parameter value with its scope, validity and citation (domain.md §0)."""

    key: str
    qualifier: str
    value: str  # decimal text, integer text, a choice word or a ratio "3:4:3"
    scope_code: str  # "" national, "15" Inner Mongolia, "150602" Dongsheng
    effective_from: date
    effective_to: date | None  # exclusive; None = still in force
    source: str  # names the document; what of the citation is unconfirmed is `unconfirmed`
    evidence: Evidence
    # what of the citation no official text confirms yet ("document_number": the source names
    # the document, its number is unconfirmed), a flag and never text in `source`
    unconfirmed: tuple[str, ...] = ()

    def is_in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)

    def covers(self, division_code: str) -> bool:
        return division_code.startswith(self.scope_code)

    @property
    def decimal(self) -> Decimal:
        return Decimal(self.value)

    @property
    def ratio(self) -> tuple[Decimal, ...]:
        return tuple(Decimal(part) for part in self.value.split(":"))


def check_value(key: str, qualifier: str, value: str) -> str | None:
    """Why `value` is not a valid value of `key`/`qualifier`, or None when it is."""
    spec = SPECS.get(key)
    if spec is None:
        return f"unknown_parameter: {key!r} is not a staffing parameter"
    if qualifier not in spec.qualifiers:
        allowed = ", ".join(sorted(q or '""' for q in spec.qualifiers))
        return f"unknown_qualifier: {key} takes one of {allowed}"
    try:
        if spec.kind == "choice":
            if value not in spec.choices:
                return f"parameter_choice: {key} is one of {', '.join(sorted(spec.choices))}"
        elif spec.kind == "ratio":
            parts = [Decimal(p) for p in value.split(":")]
            if len(parts) != 3 or any(not p.is_finite() or p < 0 for p in parts):
                return f"parameter_ratio: {key} is three non-negative numbers like 3:4:3"
            if sum(parts) <= 0:
                return f"parameter_ratio: {key} must not be 0:0:0"
        else:
            number = Decimal(value)
            if not number.is_finite() or number <= 0:
                return f"parameter_positive: {key} is a positive number"
            if spec.kind == "integer" and number != number.to_integral_value():
                return f"parameter_integer: {key} is a whole number"
    except InvalidOperation:
        return f"parameter_number: {value!r} is not a number"
    return None


_NAT_2014 = (
    "中央编办、教育部、财政部《关于统一城乡中小学教职工编制标准的通知》（2014），"
    "城乡统一：高中1:12.5、初中1:13.5、小学1:19；domain.md §3.1（NAT，SEC）"
)
_NUMBER_UNCONFIRMED = ("document_number",)  # the 2014 notice's 文号 (domain.md §3.1)
_NAT_2001 = (
    "国办发〔2001〕74号转发《关于制定中小学教职工编制标准的意见》，城市/县镇/农村分设；"
    "仅用于历史数据。domain.md §3.1（NAT，SEC）"
)
_GOVT_6 = (
    "教督〔2017〕6号 政府保障程度第6项：不足100名学生的村小学和教学点按100名学生核定公用经费"
    "（经费规则，不核增编制）；seed 001 通政办发〔2018〕55号。domain.md §3.1、§5.4（NAT，SEC）"
)
_GOVT_11 = (
    "教督〔2017〕6号 政府保障程度第11项：每年交流轮岗教师不低于符合交流条件教师总数的10%，"
    "其中骨干教师不低于交流轮岗教师总数的20%。domain.md §3.3、§5.4（NAT，SEC）"
)
_INDICATORS = "教督〔2017〕6号 资源配置指标1–3。domain.md §5.2（NAT，SEC）"
_GOVT_9 = (
    "教督〔2017〕6号 政府保障程度第9项：教师5年360学时培训完成率达到100%。"
    "domain.md §3.4、§5.4（NAT，SEC）"
)
_SEED_000 = (
    "内蒙古自治区教育厅《构建优质均衡的基本公共教育服务体系》任务分工（seed 000，"
    "2023-09-26 上传，无文号；生效日取上传日）。domain.md §3.3（PROV-NM）"
)
_SEED_000_PRIORITY = (
    "内蒙古自治区教育厅《构建优质均衡的基本公共教育服务体系》任务分工（seed 000）："
    "原则上在同一学校连续任教达到6年的校长和优秀骨干教师应优先进行交流轮岗（优先顺序，"
    "非交流条件）。domain.md §3.3（PROV-NM）"
)
_SEED_000_QUOTA = (
    "内蒙古自治区教育厅《构建优质均衡的基本公共教育服务体系》任务分工（seed 000）："
    "按照生师比与班师比相结合的方式核定教职工基本编制数；班师比数值与结合方式由旗县区设定。"
    "domain.md §3.1（PROV-NM）"
)
_SEED_003 = (
    "东胜区教育现代化规划 2019–2022（东党办发〔2019〕43号，seed 003）："
    "同学段城乡学校高级:中级:初级 3:4:3，高中 4:4:2。domain.md §3.4（LOCAL）"
)

COMBINED = "combined"  # quota_method of a province asking for 生师比 with 班师比, method unset

NAT_2014_FROM = date(2014, 11, 13)
NAT_2001_FROM = date(2001, 10, 11)
NAT_2017_FROM = date(2017, 4, 26)
SEED_000_FROM = date(2023, 9, 26)


def _row(
    key: str,
    value: str,
    source: str,
    *,
    qualifier: str = "",
    scope: str = "",
    since: date,
    until: date | None = None,
    evidence: Evidence = "SEC",
    unconfirmed: tuple[str, ...] = (),
) -> PolicyRow:
    return PolicyRow(key, qualifier, value, scope, since, until, source, evidence, unconfirmed)


BUILT_IN: tuple[PolicyRow, ...] = (
    # 2014 unified urban–rural ratios (domain.md §3.1)
    *(
        _row(
            "pupil_staff_ratio",
            value,
            _NAT_2014,
            qualifier=level,
            since=NAT_2014_FROM,
            unconfirmed=_NUMBER_UNCONFIRMED,
        )
        for level, value in (("senior", "12.5"), ("junior", "13.5"), ("primary", "19"))
    ),
    # the 2001 standard, historical dates only (junior and primary: the ones domain.md cites)
    *(
        _row(
            "pupil_staff_ratio",
            value,
            _NAT_2001,
            qualifier=f"{level}:{area}",
            since=NAT_2001_FROM,
            until=NAT_2014_FROM,
        )
        for level, area, value in (
            ("junior", "urban", "13.5"),
            ("junior", "county_town", "16"),
            ("junior", "rural", "18"),
            ("primary", "urban", "19"),
            ("primary", "county_town", "21"),
            ("primary", "rural", "23"),
        )
    ),
    _row(
        "quota_method",
        "ratio_only",
        _NAT_2014,
        since=NAT_2001_FROM,
        evidence="DERIVED",
        unconfirmed=_NUMBER_UNCONFIRMED,
    ),
    # Inner Mongolia: both bases, combined as the county says (mean or max) with its own 班师比;
    # "combined" is no method a county may choose: until it chooses, quotas answer 422
    _row(
        "quota_method",
        COMBINED,
        _SEED_000_QUOTA,
        scope="15",
        since=SEED_000_FROM,
        evidence="OFF",
    ),
    _row(
        "quota_rounding",
        "ceil_per_school",
        "Junheng default: a school's exact quota rounded up once (domain.md §3.1: rounding PARAM)",
        since=NAT_2001_FROM,
        evidence="DERIVED",
    ),
    _row("small_school_pupils", "100", _GOVT_6, since=NAT_2017_FROM),
    _row(
        "special_education_pupils_per_post",
        "4",
        "安徽省 2009 特殊教育学校编制 1:4（SEC）。domain.md §3.1",
        scope="34",
        since=date(2009, 1, 1),
    ),
    *(
        _row(
            "indicator_threshold",
            value,
            _INDICATORS,
            qualifier=f"{indicator}:{level}",
            since=NAT_2017_FROM,
        )
        for indicator, level, value in (
            ("senior_degree_teachers_per_100", "primary", "4.2"),
            ("senior_degree_teachers_per_100", "junior", "5.3"),
            ("backbone_teachers_per_100", "primary", "1"),
            ("backbone_teachers_per_100", "junior", "1"),
            ("pe_arts_teachers_per_100", "primary", "0.9"),
            ("pe_arts_teachers_per_100", "junior", "0.9"),
        )
    ),
    _row("training_required_hours", "360", _GOVT_9, since=NAT_2017_FROM),
    _row("training_window_years", "5", _GOVT_9, since=NAT_2017_FROM),
    _row("rotation_min_share", "0.10", _GOVT_11, since=NAT_2017_FROM),
    _row("rotation_backbone_min_share", "0.20", _GOVT_11, since=NAT_2017_FROM),
    _row("rotation_backbone_denominator", "rotated", _GOVT_11, since=NAT_2017_FROM),
    _row(
        "rotation_backbone_denominator",
        "eligible",
        "安徽：骨干教师比例以符合交流条件教师为基数（SEC）。domain.md §3.3",
        scope="34",
        since=NAT_2017_FROM,
    ),
    # who rotates first, not who may rotate (domain.md §3.3 "Trigger … rotate first"): national
    # UNCONF, so only the provinces domain.md names. Eligibility (rotation_trigger_years) has no
    # built-in row: it is the county's own condition
    _row("rotation_priority_years", "6", _SEED_000_PRIORITY, scope="15", since=SEED_000_FROM,
         evidence="OFF"),
    _row("rotation_priority_years", "6", "安徽 6 年（SEC）。domain.md §3.3", scope="34",
         since=NAT_2017_FROM),
    _row("rotation_priority_years", "6", "陕西 6 年（SEC）。domain.md §3.3", scope="61",
         since=NAT_2017_FROM),
    _row("rotation_priority_years", "9", "四川 9 年（三届）（SEC）。domain.md §3.3", scope="51",
         since=NAT_2017_FROM),
    _row("senior_title_rural_years", "1", _SEED_000, scope="15", since=SEED_000_FROM,
         evidence="OFF"),
    _row("principal_priority_rural_years", "3", _SEED_000, scope="15", since=SEED_000_FROM,
         evidence="OFF"),
    _row("post_structure_ratio", "3:4:3", _SEED_003, qualifier="primary", scope="150602",
         since=date(2019, 1, 1), evidence="OFF"),
    _row("post_structure_ratio", "3:4:3", _SEED_003, qualifier="junior", scope="150602",
         since=date(2019, 1, 1), evidence="OFF"),
    _row("post_structure_ratio", "4:4:2", _SEED_003, qualifier="senior", scope="150602",
         since=date(2019, 1, 1), evidence="OFF"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PolicyBook:
    """Every row that may apply (built-in and county-set), answering 'what is in force'."""

    rows: Sequence[PolicyRow]

    @classmethod
    def with_overrides(cls, overrides: Iterable[PolicyRow] = ()) -> "PolicyBook":
        return cls((*BUILT_IN, *overrides))

    def find(
        self, key: str, division_code: str, on: date, qualifiers: Sequence[str] = ("",)
    ) -> PolicyRow | None:
        """The row in force for `division_code` on `on`: most specific scope first, then the
        earliest qualifier of `qualifiers` (most specific first), then the newest row."""
        best: tuple[int, int, date] | None = None
        found: PolicyRow | None = None
        for row in self.rows:
            if row.key != key or row.qualifier not in qualifiers:
                continue
            if not (row.covers(division_code) and row.is_in_force(on)):
                continue
            rank = (len(row.scope_code), -qualifiers.index(row.qualifier), row.effective_from)
            if best is None or rank > best:
                best, found = rank, row
        return found
