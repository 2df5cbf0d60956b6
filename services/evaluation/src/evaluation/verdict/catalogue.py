"""县域优质均衡认定目录: the 15 government-assurance and 9 education-quality items, the social
recognition threshold, eligibility and the vetoes, as versioned, effective-dated, cited data.

Every threshold is PARAM (domain.md §5.4–§5.6); a past year re-runs under the catalogue in force
then. Items whose thresholds no official text confirms (`unconfirmed`) carry no default: only a
reviewer finding judges them.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

Part = Literal["government_assurance", "education_quality"]
PARTS: tuple[Part, ...] = ("government_assurance", "education_quality")
Comparator = Literal["at_least", "at_most"]  # 不低于 N: ≥ N; 不超过 N: ≤ N (domain.md, top)
RecognitionGroup = Literal["students", "parents", "teachers", "public"]
VetoKind = Literal["admission_by_exam", "illegal_school_choice", "key_schools_or_classes"]

NAT_2017 = "教督〔2017〕6号（NAT，SEC）"


class MeasureKind(StrEnum):
    QUALITATIVE = "qualitative"  # a reviewer finding, met or not met
    MEASURED = "measured"  # numbers against cited thresholds (a finding may stand in)
    FINDING_ONLY = "finding_only"  # thresholds unconfirmed: no default, a finding decides


@dataclass(frozen=True, slots=True)
class Criterion:
    """One comparison of an item: `numerator` (÷ `denominator` when given) against `threshold`.

    The names are the keys of the item's `measured` object. With `missing_unit`, a short ratio
    also reports the whole count to add: ceil(threshold × denominator) − numerator.
    """

    name: str
    numerator: str
    denominator: str | None
    comparator: Comparator
    threshold: Decimal
    unit: str  # of the value: "share", "pupils", "yuan"
    missing_unit: str | None = None  # "teachers", "schools", "children", "places", "yuan"
    whole: bool = False  # the missing amount is a whole count (rounded up)
    optional: bool = False  # judged only when measured (e.g. no nine-year school in the county)

    @property
    def fields(self) -> tuple[str, ...]:
        return (self.numerator,) if self.denominator is None else (self.numerator, self.denominator)


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """One item of 政府保障程度 or 教育质量, with how it is judged and where that comes from."""

    key: str
    part: Part
    number: int  # as in domain.md §5.4 / §5.5
    title_zh: str
    kind: MeasureKind
    source: str
    criteria: tuple[Criterion, ...] = ()
    standard: str = ""  # what a reviewer checks, for qualitative parts and sub-rules
    # what of the item's official basis no official text confirms yet, a flag (never text in
    # `source` or `standard`): "wording" (the item's exact words), "thresholds" (no default
    # value: a reviewer finding judges)
    unconfirmed: tuple[str, ...] = ()

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(name for criterion in self.criteria for name in criterion.fields)


@dataclass(frozen=True, slots=True)
class TrainingRule:
    """The requirement behind 教师5年360学时 (政府保障程度第9项): at least `required_hours` 学时 in
    the `window_years` years up to the day judged. Staffing's training counts measure the item
    only when counted under this very rule."""

    required_hours: int
    window_years: int


@dataclass(frozen=True, slots=True)
class VerdictCatalogue:
    """A cited, effective-dated set of the verdict's items, thresholds and vetoes."""

    version: str
    effective_from: date
    effective_to: date | None  # exclusive; None = still in force
    source: str
    items: tuple[ItemSpec, ...]
    recognition_threshold: Decimal  # 社会认可度 ≥ this share (national threshold, not a target)
    recognition_source: str
    eligibility_years: int  # basic-balance recognition ≥ this many years before the year assessed
    eligibility_source: str
    veto_kinds: tuple[VetoKind, ...]
    veto_source: str
    training_rule: TrainingRule | None = None  # None: no item measured on training records

    def item(self, key: str) -> ItemSpec:
        for spec in self.items:
            if spec.key == key:
                return spec
        raise KeyError(f"{key!r} is not an item of verdict catalogue {self.version}")

    def items_of(self, part: Part) -> tuple[ItemSpec, ...]:
        return tuple(spec for spec in self.items if spec.part == part)

    def is_in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)


def _share(name: str, numerator: str, denominator: str, threshold: str, missing: str) -> Criterion:
    return Criterion(
        name, numerator, denominator, "at_least", Decimal(threshold), "share", missing, whole=True
    )


def _value(
    name: str, comparator: Comparator, threshold: str, unit: str, *, optional: bool = False
) -> Criterion:
    return Criterion(name, name, None, comparator, Decimal(threshold), unit, optional=optional)


def _g(number: int, extra: str = "") -> str:
    return f"{NAT_2017} 政府保障程度第{number}项；domain.md §5.4" + (f"；{extra}" if extra else "")


def _q(number: int, extra: str = "") -> str:
    return f"{NAT_2017} 教育质量第{number}项；domain.md §5.5" + (f"；{extra}" if extra else "")


GOVERNMENT_ASSURANCE = (
    ItemSpec(
        "school_network_plan",
        "government_assurance",
        1,
        "学校布局规划合理",
        MeasureKind.QUALITATIVE,
        _g(1),
    ),
    ItemSpec(
        "uniform_urban_rural_standards",
        "government_assurance",
        2,
        "城乡学校建设、编制、生均公用经费、装备配置标准统一",
        MeasureKind.QUALITATIVE,
        _g(2),
        unconfirmed=("wording",),
    ),
    ItemSpec(
        "music_art_rooms",
        "government_assurance",
        3,
        "音乐、美术专用教室",
        MeasureKind.MEASURED,
        _g(3),
        (
            _share(
                "schools_meeting_standard", "schools_meeting_standard", "schools", "1", "schools"
            ),
        ),
        "每 12 个班各 1 间（ceil(班数/12)）；音乐教室 ≥ 96 m²，美术教室 ≥ 90 m²；逐校核查后计数",
    ),
    ItemSpec(
        "school_size",
        "government_assurance",
        4,
        "学校规模",
        MeasureKind.MEASURED,
        _g(4),
        (
            _value("largest_school_pupils", "at_most", "2000", "pupils"),
            _value(
                "largest_nine_or_twelve_year_school_pupils",
                "at_most",
                "2500",
                "pupils",
                optional=True,
            ),
        ),
        "小学、初中 ≤ 2000 人；九年一贯制、十二年一贯制 ≤ 2500 人（以最大一校计）",
    ),
    ItemSpec(
        "class_size",
        "government_assurance",
        5,
        "班额",
        MeasureKind.MEASURED,
        _g(5),
        (
            _value("largest_primary_class", "at_most", "45", "pupils"),
            _value("largest_junior_class", "at_most", "50", "pupils"),
        ),
        "所有班级：小学 ≤ 45 人，初中 ≤ 50 人（以最大一班计）",
    ),
    ItemSpec(
        "small_school_funding_floor",
        "government_assurance",
        6,
        "不足 100 名学生的村小学和教学点按 100 名学生核定公用经费",
        MeasureKind.MEASURED,
        _g(6, "seed 001"),
        (_share("funded_as_100", "small_schools_funded_as_100", "small_schools", "1", "schools"),),
    ),
    ItemSpec(
        "special_school_funds_per_pupil",
        "government_assurance",
        7,
        "特殊教育学校生均公用经费不低于 6000 元",
        MeasureKind.MEASURED,
        _g(7, "seed 001"),
        (_value("special_school_funds_per_pupil_yuan", "at_least", "6000", "yuan"),),
    ),
    ItemSpec(
        "teacher_pay_vs_civil_servants",
        "government_assurance",
        8,
        "教师平均工资收入水平不低于当地公务员平均工资收入水平",
        MeasureKind.MEASURED,
        _g(8),
        (
            Criterion(
                "pay_ratio",
                "teacher_average_pay_yuan",
                "civil_servant_average_pay_yuan",
                "at_least",
                Decimal("1"),
                "share",
                "yuan",
            ),
        ),
    ),
    ItemSpec(
        "training_hours",
        "government_assurance",
        9,
        "教师5年360学时培训完成率达到100%",
        MeasureKind.MEASURED,
        _g(9),
        (_share("completion", "teachers_completed_360_hours", "teachers", "1", "teachers"),),
    ),
    ItemSpec(
        "quota_and_posts_shared",
        "government_assurance",
        10,
        "县级统筹调配编制和岗位",
        MeasureKind.QUALITATIVE,
        _g(10, "content as seed 004"),
        unconfirmed=("wording",),
    ),
    ItemSpec(
        "rotation_share",
        "government_assurance",
        11,
        "教师交流轮岗",
        MeasureKind.MEASURED,
        _g(11),
        (
            _share("rotated_share", "rotated_teachers", "eligible_teachers", "0.10", "teachers"),
            _share("backbone_share", "backbone_rotated", "rotated_teachers", "0.20", "teachers"),
        ),
        "交流轮岗教师 ≥ 符合交流条件教师的 10%；骨干教师 ≥ 交流轮岗教师的 20%",
    ),
    ItemSpec(
        "teaching_certificates",
        "government_assurance",
        12,
        "专任教师持有教师资格证上岗率达到100%",
        MeasureKind.MEASURED,
        _g(12),
        (_share("certified", "certified_teachers", "teachers", "1", "teachers"),),
    ),
    ItemSpec(
        "zoned_admission",
        "government_assurance",
        13,
        "就近划片入学比例",
        MeasureKind.MEASURED,
        _g(13),
        (
            _value("primary_zoned_share", "at_least", "1.00", "share"),
            _value("junior_zoned_share", "at_least", "0.95", "share"),
        ),
        "小学 100%，初中 ≥ 95%",
    ),
    ItemSpec(
        "senior_high_quota_share",
        "government_assurance",
        14,
        "优质高中招生名额分配到初中比例不低于50%，并向农村学校倾斜",
        MeasureKind.MEASURED,
        _g(14, "seed 001"),
        (_share("allocated", "quota_places", "quality_senior_high_places", "0.50", "places"),),
        "向农村初中倾斜由审核人在证据中说明",
    ),
    ItemSpec(
        "left_behind_and_migrant_care",
        "government_assurance",
        15,
        "留守儿童关爱体系健全；随迁子女在公办学校和政府购买学位就读比例不低于85%",
        MeasureKind.MEASURED,
        _g(15),
        (
            _share(
                "in_public_places",
                "migrant_children_in_public_or_purchased_places",
                "migrant_children",
                "0.85",
                "children",
            ),
        ),
        "留守儿童关爱体系由审核人在证据中说明",
    ),
)

EDUCATION_QUALITY = (
    ItemSpec(
        "junior_retention",
        "education_quality",
        1,
        "初中三年巩固率达到95%以上",
        MeasureKind.MEASURED,
        _q(1),
        (_value("junior_retention_rate", "at_least", "0.95", "share"),),
        "巩固率 = (毕业生 − 转入 + 转出) ÷ (三年前七年级入学人数 − 死亡)",
    ),
    ItemSpec(
        "disabled_enrollment",
        "education_quality",
        2,
        "残疾儿童少年入学率达到95%以上",
        MeasureKind.MEASURED,
        _q(2, "seed 001, seed 003"),
        (
            _share(
                "enrolled", "disabled_children_enrolled", "disabled_children", "0.95", "children"
            ),
        ),
        "随班就读、送教上门、特殊教育学校就读均计入",
    ),
    ItemSpec(
        "school_charter_and_digital_management",
        "education_quality",
        3,
        "学校制定章程，实现学校管理与教学信息化",
        MeasureKind.QUALITATIVE,
        _q(3),
    ),
    ItemSpec(
        "training_funds_share",
        "education_quality",
        4,
        "教师培训经费占公用经费预算不低于5%",
        MeasureKind.MEASURED,
        _q(4),
        (
            Criterion(
                "funds_share",
                "training_funds_yuan",
                "operating_funds_budget_yuan",
                "at_least",
                Decimal("0.05"),
                "share",
                "yuan",
            ),
        ),
    ),
    ItemSpec(
        "ict_in_use",
        "education_quality",
        5,
        "教师能熟练运用信息化手段组织教学",
        MeasureKind.QUALITATIVE,
        _q(5),
    ),
    ItemSpec(
        "moral_education",
        "education_quality",
        6,
        "德育工作、校园文化建设水平达到良好以上",
        MeasureKind.QUALITATIVE,
        _q(6),
    ),
    ItemSpec(
        "full_curriculum",
        "education_quality",
        7,
        "按照国家要求开齐开足课程",
        MeasureKind.QUALITATIVE,
        _q(7),
    ),
    ItemSpec(
        "homework_burden",
        "education_quality",
        8,
        "无过重课业负担",
        MeasureKind.QUALITATIVE,
        _q(8),
    ),
    ItemSpec(
        "quality_monitoring",
        "education_quality",
        9,
        "国家义务教育质量监测结果",
        MeasureKind.FINDING_ONLY,
        _q(9),
        standard="国家义务教育质量监测结果：相关科目学生学业水平及校际差异，由审核人认定",
        unconfirmed=("thresholds",),
    ),
)

NATIONAL_2017 = VerdictCatalogue(
    version="教督〔2017〕6号/2017-04-26",
    effective_from=date(2017, 4, 26),
    effective_to=None,
    source=(
        "教育部《县域义务教育优质均衡发展督导评估办法》（教督〔2017〕6号，2017-04-26 印发），"
        "第三章政府保障程度15项、第四章教育质量9项、第五章社会认可度；domain.md §5.4–§5.6"
    ),
    items=GOVERNMENT_ASSURANCE + EDUCATION_QUALITY,
    recognition_threshold=Decimal("0.85"),
    recognition_source=f"{NAT_2017} 社会认可度 ≥ 85%；OFF via seed 002；domain.md §5.6",
    eligibility_years=3,
    eligibility_source="seed 002（教基厅函〔2021〕43号，OFF）；Hebei（SEC）；domain.md §5.6",
    veto_kinds=("admission_by_exam", "illegal_school_choice", "key_schools_or_classes"),
    veto_source=(
        # further vetoes (falsification, major accidents, 有编不补) have no official text yet
        # (domain.md §5.6): they are no veto kinds until one is found
        "一票否决（SEC）：考试招生、违规择校、重点校或重点班、社会认可度低于 85%（派生）；"
        "domain.md §5.6"
    ),
    # item 9's own words, "教师5年360学时" (domain.md §3.4, §5.4)
    training_rule=TrainingRule(required_hours=360, window_years=5),
)

CATALOGUES: tuple[VerdictCatalogue, ...] = (NATIONAL_2017,)


def catalogue_in_force(
    on: date, catalogues: Sequence[VerdictCatalogue] = CATALOGUES
) -> VerdictCatalogue:
    """The verdict catalogue in force on a date; the latest-starting one if several overlap."""
    in_force = [catalogue for catalogue in catalogues if catalogue.is_in_force(on)]
    if not in_force:
        raise LookupError(f"no verdict catalogue is in force on {on.isoformat()}")
    return max(in_force, key=lambda catalogue: catalogue.effective_from)
