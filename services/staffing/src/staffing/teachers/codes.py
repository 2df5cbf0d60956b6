"""Registry codes as data (domain.md §3.2, §5.2): subjects, titles, degrees, backbone levels.

Each code has an English identifier stored in the database and the Chinese label bureaus write
in their sheets; imports and the API accept either. Enumerations fixed by the registry itself
(gender, post type, 编制 status, status, 学段, 校长/副校长) are StrEnums; the catalogues a province
may extend (subjects, titles, degrees, backbone levels) are tables of frozen rows here. The
statutory kinds of 教师资格 are in `teachers.qualifications`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


class Section(StrEnum):
    """学段 a teacher teaches in; a nine-year school has both."""

    PRIMARY = "primary"
    JUNIOR = "junior"


class PostType(StrEnum):
    """岗位类别: 专任教师 / 教辅人员 / 工勤人员."""

    FULL_TIME = "full_time"
    AUXILIARY = "auxiliary"
    SUPPORT = "support"


class StaffingStatus(StrEnum):
    """编制 status: 在编, 借调 (seconded out of the school), 临聘 (contract or substitute)."""

    IN_QUOTA = "in_quota"
    SECONDED = "seconded"
    TEMPORARY = "temporary"


class TeacherStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"
    LEFT = "left"


class LeadershipPost(StrEnum):
    """校级领导职务: 校长 (principal) or 副校长 (vice-principal); seed 000's rotation priority
    names 校长 (rotation.rules.priority_ids)."""

    PRINCIPAL = "principal"
    VICE_PRINCIPAL = "vice_principal"


LABELS: dict[type[StrEnum], dict[str, str]] = {
    Gender: {"男": "male", "女": "female"},
    Section: {"小学": "primary", "初中": "junior"},
    PostType: {
        "专任": "full_time",
        "专任教师": "full_time",
        "教辅": "auxiliary",
        "工勤": "support",
    },
    StaffingStatus: {"在编": "in_quota", "借调": "seconded", "临聘": "temporary"},
    TeacherStatus: {"在职": "active", "退休": "retired", "离职": "left", "调出": "left"},
    LeadershipPost: {"校长": "principal", "副校长": "vice_principal"},
}


def enum_label(value: StrEnum) -> str:
    """The first Chinese label of an enum value (what an export writes)."""
    for label, code in LABELS[type(value)].items():
        if code == value.value:
            return label
    return value.value


@dataclass(frozen=True, slots=True)
class Subject:
    code: str
    label: str
    is_pe_arts: bool = False  # 体育、音乐、美术: indicator 3 (domain.md §5.2)
    aliases: tuple[str, ...] = ()


SUBJECTS: tuple[Subject, ...] = (
    Subject("chinese", "语文"),
    Subject("mathematics", "数学"),
    Subject("english", "英语", aliases=("外语",)),
    Subject("morality_law", "道德与法治", aliases=("思想品德", "品德与社会")),
    Subject("science", "科学"),
    Subject("physics", "物理"),
    Subject("chemistry", "化学"),
    Subject("biology", "生物"),
    Subject("history", "历史"),
    Subject("geography", "地理"),
    Subject("pe", "体育", is_pe_arts=True, aliases=("体育与健康",)),
    Subject("music", "音乐", is_pe_arts=True),
    Subject("art", "美术", is_pe_arts=True),
    Subject("information_technology", "信息科技", aliases=("信息技术",)),
    Subject("labour", "劳动"),
    Subject("comprehensive_practice", "综合实践活动", aliases=("综合实践",)),
    Subject("mental_health", "心理健康"),
    Subject("mongolian", "蒙古语文"),
    Subject("other", "其他"),
)


@dataclass(frozen=True, slots=True)
class Title:
    """职称 and its 3:4:3 post-structure band (domain.md §3.4: 高级 : 中级 : 初级)."""

    code: str
    label: str
    band: str  # "senior" | "intermediate" | "junior"
    aliases: tuple[str, ...] = ()


TITLES: tuple[Title, ...] = (
    Title("senior_full", "正高级", "senior", aliases=("正高", "正高级教师")),
    Title("senior", "高级", "senior", aliases=("高级教师", "副高")),
    Title("first", "一级", "intermediate", aliases=("一级教师",)),
    Title("second", "二级", "junior", aliases=("二级教师",)),
    Title("third", "三级", "junior", aliases=("三级教师",)),
)
TITLE_BANDS = {"senior": "高级", "intermediate": "中级", "junior": "初级"}


@dataclass(frozen=True, slots=True)
class Degree:
    code: str
    label: str
    rank: int  # ordered: a higher rank is a higher qualification
    aliases: tuple[str, ...] = ()


DEGREES: tuple[Degree, ...] = (
    Degree("high_school_or_below", "高中及以下", 1, aliases=("高中", "初中及以下")),
    Degree("secondary_vocational", "中专", 2, aliases=("中师",)),
    Degree("junior_college", "专科", 3, aliases=("大专",)),
    Degree("bachelor", "本科", 4, aliases=("大学本科",)),
    Degree("master", "硕士研究生", 5, aliases=("硕士", "研究生")),
    Degree("doctorate", "博士研究生", 6, aliases=("博士",)),
)


@dataclass(frozen=True, slots=True)
class BackboneLevel:
    code: str
    label: str
    counts_for_indicator: bool  # 县级及以上 (indicator 2)
    aliases: tuple[str, ...] = ()


BACKBONE_LEVELS: tuple[BackboneLevel, ...] = (
    BackboneLevel("school", "校级", False, aliases=("校级骨干",)),
    BackboneLevel("county", "县级", True, aliases=("县级骨干", "旗县级", "区级")),
    BackboneLevel("city", "市级", True, aliases=("市级骨干", "盟市级")),
    BackboneLevel("province", "省级", True, aliases=("省级骨干", "自治区级")),
    BackboneLevel("national", "国家级", True, aliases=("国家级骨干",)),
)


@dataclass(frozen=True, slots=True)
class RequiredDegree:
    """规定学历 per 学段 for indicator 1 (domain.md §5.2; 教督〔2017〕6号, NAT, SEC).

    A teacher counts when the highest degree's rank is at least `minimum`'s.
    """

    section: Section
    minimum: str  # degree code
    effective_from: date
    effective_to: date | None
    source: str


_FRAMEWORK = (
    "教督〔2017〕6号, indicator 1 (NAT, SEC): primary 专科 and above, junior 本科 and above"
)
REQUIRED_DEGREES: tuple[RequiredDegree, ...] = (
    # REVIEW(staffing-registry): effective from the framework's year; its day of issue is not
    # verified in domain.md, so the row starts on 1 January 2017
    RequiredDegree(Section.PRIMARY, "junior_college", date(2017, 1, 1), None, _FRAMEWORK),
    RequiredDegree(Section.JUNIOR, "bachelor", date(2017, 1, 1), None, _FRAMEWORK),
)


def _lookup(rows: tuple[Subject | Title | Degree | BackboneLevel, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in rows:
        for key in (row.code, row.label, *row.aliases):
            out[key] = row.code
    return out


SUBJECT_CODES = _lookup(SUBJECTS)
TITLE_CODES = _lookup(TITLES)
DEGREE_CODES = _lookup(DEGREES)
BACKBONE_CODES = _lookup(BACKBONE_LEVELS)
PE_ARTS_SUBJECTS = frozenset(s.code for s in SUBJECTS if s.is_pe_arts)
INDICATOR_BACKBONE_LEVELS = frozenset(b.code for b in BACKBONE_LEVELS if b.counts_for_indicator)
DEGREE_RANK = {d.code: d.rank for d in DEGREES}
LABEL_OF = {
    **{s.code: s.label for s in SUBJECTS},
    **{t.code: t.label for t in TITLES},
    **{d.code: d.label for d in DEGREES},
    **{b.code: b.label for b in BACKBONE_LEVELS},
}


def required_degree(section: Section, on: date) -> RequiredDegree:
    """The 规定学历 row in force for the section on the date."""
    for row in REQUIRED_DEGREES:
        if (
            row.section == section
            and row.effective_from <= on
            and (row.effective_to is None or on < row.effective_to)
        ):
            return row
    raise LookupError(f"no required-degree rule for {section} on {on}")


def degrees_at_or_above(minimum: str) -> frozenset[str]:
    return frozenset(code for code, rank in DEGREE_RANK.items() if rank >= DEGREE_RANK[minimum])
