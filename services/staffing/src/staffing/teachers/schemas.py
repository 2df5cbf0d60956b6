"""Teacher registry API shapes. Codes accept the stored code or the Chinese label (体育 = pe)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from junheng_contracts.staffing import SectionTeacherStats, TrainingRequirement
from junheng_kit.classification import Personal
from junheng_kit.i18n import RuleError, t
from junheng_kit.identifiers import CitizenId, SchoolCode, citizen_id_gender
from staffing.teachers import rules
from staffing.teachers.codes import (
    BACKBONE_CODES,
    DEGREE_CODES,
    LABELS,
    SUBJECT_CODES,
    TITLE_CODES,
    Gender,
    LeadershipPost,
    PostType,
    Section,
    StaffingStatus,
    TeacherStatus,
)
from staffing.teachers.qualifications import (
    NUMBER_MAX_LENGTH,
    QUALIFICATION_LABEL,
    QUALIFICATION_TYPE_CODES,
)
from staffing.teachers.rules import TeacherFlag
from staffing.training.rules import window_from

if TYPE_CHECKING:
    from staffing.teachers.models import SchoolTeacherStats, Teacher


def _code(lookup: dict[str, str], rule: str, what: str) -> Callable[[Any], Any]:
    def normalise(value: Any) -> Any:
        if value is None:
            return None
        key = str(value).strip()
        if key in lookup:
            return lookup[key]
        raise ValueError(f"{rule}: '{key}' is not a known {what} code or label")

    return normalise


def _label(enum: type[StrEnum]) -> Callable[[Any], Any]:
    labels = LABELS[enum]

    def normalise(value: Any) -> Any:
        return labels.get(value.strip(), value.strip()) if isinstance(value, str) else value

    return normalise


_SUBJECT = _code(SUBJECT_CODES, "subject_code", "subject")
_SEPARATORS = re.compile(r"[、,，;；/\s]+")


def _subjects(value: Any) -> Any:
    if isinstance(value, str):
        value = [part for part in _SEPARATORS.split(value) if part]
    if isinstance(value, list):
        return list(dict.fromkeys(_SUBJECT(v) for v in value))  # main first, no repeats
    return value


SubjectList = Annotated[list[str], BeforeValidator(_subjects)]
TitleCode = Annotated[str, BeforeValidator(_code(TITLE_CODES, "title_code", "职称"))]
DegreeCode = Annotated[str, BeforeValidator(_code(DEGREE_CODES, "degree_code", "学历"))]
BackboneCode = Annotated[str, BeforeValidator(_code(BACKBONE_CODES, "backbone_code", "骨干级别"))]
GenderField = Annotated[Gender, BeforeValidator(_label(Gender))]
SectionField = Annotated[Section, BeforeValidator(_label(Section))]
PostTypeField = Annotated[PostType, BeforeValidator(_label(PostType))]
StaffingField = Annotated[StaffingStatus, BeforeValidator(_label(StaffingStatus))]
StatusField = Annotated[TeacherStatus, BeforeValidator(_label(TeacherStatus))]
Name = Annotated[str, Field(min_length=1, max_length=50)]
LEADERSHIP_POST_CODES = {**{m.value: m.value for m in LeadershipPost}, **LABELS[LeadershipPost]}


def _leadership_post(value: Any) -> Any:
    if value is None:
        return None
    key = str(value).strip()
    if key in LEADERSHIP_POST_CODES:
        return LEADERSHIP_POST_CODES[key]
    raise RuleError(
        "leadership_post_code",
        t(
            f"'{key}' 不是校级领导职务：校长（principal）或副校长（vice_principal）；无职务请留空",
            f"'{key}' is not a 校级领导职务 (school leadership post): 校长 (principal) or 副校长 "
            "(vice_principal); leave it empty for none",
        ),
    )


def _qualification_type(value: Any) -> Any:
    if value is None:
        raise RuleError(
            "teacher_qualification_type_required",
            t(
                "教师资格证须同时登记其种类（教师资格种类）",
                "a 教师资格证 (teacher qualification certificate) is recorded with its kind "
                "(教师资格种类)",
            ),
        )
    key = str(value).strip()
    if key in QUALIFICATION_TYPE_CODES:
        return QUALIFICATION_TYPE_CODES[key]
    kinds = "、".join(QUALIFICATION_LABEL.values())
    raise RuleError(
        "teacher_qualification_type_code",
        t(
            f"'{key}' 不是教师资格种类（教师资格条例第四条：{kinds}；或其代码）",
            f"'{key}' is not a kind of 教师资格 (teacher qualification; 教师资格条例 Art. 4: "
            f"{kinds}; or their codes)",
        ),
    )


LeadershipPostField = Annotated[LeadershipPost, BeforeValidator(_leadership_post)]
QualificationTypeCode = Annotated[str, BeforeValidator(_qualification_type)]
SubjectCode = Annotated[str, BeforeValidator(_SUBJECT)]
CertificateNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NUMBER_MAX_LENGTH),
    # a sheet cell typed as a whole number is the number's digits
    BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v),
]


class TeacherQualification(BaseModel):
    """教师资格证: the kind (教师资格条例 Art. 4), the certificate number and the 任教学科 on it."""

    model_config = ConfigDict(extra="forbid")

    type: QualificationTypeCode = Field(
        description="kind, code or label: kindergarten 幼儿园, primary_school 小学, "
        "junior_secondary 初级中学, senior_secondary 高级中学, secondary_vocational_school "
        "中等职业学校, vocational_practice_instructor 中等职业学校实习指导, "
        "higher_education 高等学校"
    )
    number: Annotated[CertificateNumber | None, Personal] = Field(
        None,
        description="教师资格证书编号 as written on the certificate (no shape enforced); it names "
        "one teacher: personal data",
    )
    subject: SubjectCode | None = Field(
        None, description="任教学科 on the certificate: a subject code or its Chinese name"
    )


class RuralPeriod(BaseModel):
    """乡村学校任教经历 before the registry (end exclusive)."""

    model_config = ConfigDict(extra="forbid")

    school_name: str | None = Field(None, max_length=100)
    started_on: date
    ended_on: date

    @field_validator("ended_on")
    @classmethod
    def _after_start(cls, value: date, info: ValidationInfo) -> date:
        started = info.data.get("started_on")
        if started is not None and value <= started:
            raise RuleError(
                "period_order", t("期间的结束应晚于开始", "a period ends after it starts")
            )
        return value


class TeacherCreate(BaseModel):
    """教师登记. Gender may be left out: position 17 of the ID gives it."""

    model_config = ConfigDict(extra="forbid")

    citizen_id: Annotated[CitizenId, Personal] = Field(
        description="公民身份号码 (GB 11643-1999, MOD 11-2 checked)"
    )
    name: Annotated[Name, Personal]
    gender: Annotated[GenderField | None, Personal] = None
    birth_date: Annotated[date, Personal]
    school_code: SchoolCode
    section: SectionField = Field(description="学段 taught: primary | junior")
    school_joined_on: date = Field(description="调入本校日期: start of the current posting")
    post_type: PostTypeField = Field(description="full_time 专任 | auxiliary 教辅 | support 工勤")
    subjects: SubjectList = Field(default_factory=list, description="main subject first")
    title: TitleCode | None = Field(None, description="职称 code or label; null = none")
    degree: DegreeCode = Field(description="最高学历 code or label")
    backbone_level: BackboneCode | None = Field(None, description="骨干教师 level; null = none")
    staffing_status: StaffingField = Field(
        description="in_quota 在编 | seconded 借调 | temporary 临聘"
    )
    hire_date: date = Field(description="参加工作日期")
    status: StatusField = TeacherStatus.ACTIVE
    leadership_post: LeadershipPostField | None = Field(
        None, description="校级领导职务: principal 校长 | vice_principal 副校长; null = none"
    )
    teacher_qualification: TeacherQualification | None = Field(
        None,
        description="教师资格证; null = none recorded (a 专任教师 without one is flagged, not "
        "refused)",
    )
    rural_service: list[RuralPeriod] = Field(
        default_factory=list, description="earlier rural service (before this registry)"
    )

    @field_validator("birth_date")
    @classmethod
    def _birth_date_of_id(cls, value: date, info: ValidationInfo) -> date:
        citizen_id = info.data.get("citizen_id")
        if citizen_id is not None:
            for error in rules.identity_errors(citizen_id, value, None):
                raise RuleError(error.rule, error.message)
        return value

    @field_validator("gender")
    @classmethod
    def _gender_of_id(cls, value: Gender | None, info: ValidationInfo) -> Gender | None:
        citizen_id = info.data.get("citizen_id")
        if citizen_id is not None and value is not None and citizen_id_gender(citizen_id) != value:
            raise RuleError(
                "gender_matches_citizen_id",
                t(
                    "公民身份号码第 17 位男性为奇数、女性为偶数",
                    "position 17 of the 公民身份号码 (citizen ID) is odd for men and even for "
                    "women",
                ),
            )
        return value

    @field_validator("school_joined_on")
    @classmethod
    def _joined_after_birth(cls, value: date, info: ValidationInfo) -> date:
        born = info.data.get("birth_date")
        if born is not None and value <= born:
            raise RuleError(
                "joined_school_after_birth",
                t(
                    "调入本校日期早于出生日期",
                    "the date of joining this school (调入本校日期) precedes the birth date",
                ),
            )
        return value


class TeacherUpdate(BaseModel):
    """教师信息变更: every field optional; the school changes only by a move."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Name | None, Personal] = None
    section: SectionField | None = None
    post_type: PostTypeField | None = None
    subjects: SubjectList | None = None
    title: TitleCode | None = None
    degree: DegreeCode | None = None
    backbone_level: BackboneCode | None = None
    staffing_status: StaffingField | None = None
    hire_date: date | None = None
    status: StatusField | None = None
    leadership_post: LeadershipPostField | None = Field(None, description="null clears it")
    teacher_qualification: TeacherQualification | None = Field(
        None, description="replaces the certificate recorded; null clears it"
    )


class TeacherRead(BaseModel):
    id: UUID
    citizen_id: Annotated[str, Personal] = Field(
        description="full in a single teacher's view with staffing:pii; masked in lists and "
        "without the scope"
    )
    name: Annotated[str, Personal("shown")]
    gender: Annotated[Gender, Personal("shown")]
    birth_date: Annotated[date, Personal("shown")]
    school_code: str
    county_code: str
    section: Section
    school_joined_on: date
    post_type: PostType
    main_subject: str | None
    subjects: list[str]
    title: str | None
    degree: str
    backbone_level: str | None
    staffing_status: StaffingStatus
    hire_date: date
    status: TeacherStatus
    leadership_post: LeadershipPost | None = None
    teacher_qualification: TeacherQualification | None = None
    flags: list[TeacherFlag] = Field(
        default_factory=list,
        description="no_teacher_qualification: a 专任教师 in post without a 教师资格证; "
        "teacher_qualification_below_section: the certificate's level is below the 学段 taught "
        "(seed 000 持证上岗; 教师资格条例 Art. 5). Flags, not refusals",
    )
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, teacher: Teacher) -> TeacherRead:
        """The teacher as read: the stored columns, the certificate as one object, the flags."""
        read = cls.model_validate(teacher, from_attributes=True)
        qualification = (
            None
            if teacher.teacher_qualification_type is None
            else TeacherQualification(
                type=teacher.teacher_qualification_type,
                number=teacher.teacher_qualification_number,
                subject=teacher.teacher_qualification_subject,
            )
        )
        flags = rules.registry_flags(
            post_type=teacher.post_type,
            staffing_status=teacher.staffing_status,
            status=teacher.status,
            section=teacher.section,
            qualification_type=teacher.teacher_qualification_type,
        )
        return read.model_copy(update={"teacher_qualification": qualification, "flags": flags})


class TeacherPage(BaseModel):
    items: list[TeacherRead]
    next_cursor: str | None


class MoveCreate(BaseModel):
    """调动: close the current posting and open one at another school."""

    model_config = ConfigDict(extra="forbid")

    to_school_code: SchoolCode
    moved_on: date
    reason: str = Field(min_length=1, max_length=200, examples=["交流轮岗"])
    section: SectionField | None = Field(
        None, description="学段 at the new school; default: the current one if offered there"
    )
    plan_reference: str | None = Field(None, max_length=100, description="e.g. a rotation plan")


class AssignmentRead(BaseModel):
    sequence: int
    school_code: str
    county_code: str
    section: Section
    started_on: date
    ended_on: date | None = Field(description="the next posting's start; null = current")
    reason: str
    plan_reference: str | None
    is_rural: bool
    recorded_at: datetime


class TeacherHistory(BaseModel):
    teacher_id: UUID
    assignments: list[AssignmentRead]
    earlier_rural_service: list[RuralPeriod]
    rural_service_days: int = Field(description="imported periods + postings at rural schools")


class RuralityPut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    is_rural: bool


class RuralityRead(BaseModel):
    school_code: str
    is_rural: bool
    set_by: str
    set_at: datetime


class SchoolTeacherStatsRead(BaseModel):
    school_code: str
    county_code: str
    as_of: date
    sections: list[SectionTeacherStats]
    version: int
    training_requirement: TrainingRequirement | None = Field(
        None, description="the requirement the training counts used; null: none in force"
    )

    @classmethod
    def of(cls, entry: SchoolTeacherStats) -> SchoolTeacherStatsRead:
        """The counts as last published, the requirement with its window ending on `as_of`."""
        return cls(
            school_code=entry.school_code,
            county_code=entry.county_code,
            as_of=entry.as_of,
            sections=[SectionTeacherStats.model_validate(s) for s in entry.sections],
            version=entry.version,
            training_requirement=None
            if entry.training_requirement is None
            else TrainingRequirement(
                **entry.training_requirement,
                window_from=window_from(entry.as_of, entry.training_requirement["window_years"]),
            ),
        )


class TeacherImportRead(BaseModel):
    id: UUID
    content_sha256: str
    media_type: str
    rows: int
    registered: int
    updated: int
    moved: int
    imported_by: str
    imported_at: datetime


ExportFormat = Literal["xlsx", "csv"]
