"""The assessment API contract (exact: integrators and auditors depend on these keys)."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from junheng_kit.identifiers import CountyCode, SchoolCode

Level = Literal["primary", "junior"]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
Amount = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]


class SchoolSectionIn(BaseModel):
    """One school section's resources for the year (a nine-year school sends two sections)."""

    model_config = ConfigDict(extra="forbid")

    school_code: SchoolCode
    name: str = Field(min_length=1, max_length=100)
    level: Level
    students: int = Field(gt=0, le=100_000, description="在校生数")
    teachers_above_required_degree: Count = Field(
        description="高于规定学历教师数 (primary: 专科 and above; junior: 本科 and above)"
    )
    backbone_teachers: Count = Field(description="县级及以上骨干教师数")
    pe_arts_teachers: Count = Field(description="体育、艺术（美术、音乐）专任教师数")
    teaching_auxiliary_area_m2: Amount = Field(description="教学及辅助用房面积 m²")
    sports_venue_area_m2: Amount = Field(description="体育运动场馆面积 m²")
    equipment_value_yuan: Amount = Field(description="教学仪器设备值 (原值), 元")
    multimedia_classrooms: Count = Field(description="网络多媒体教室数")


class AssessmentSectionIn(SchoolSectionIn):
    """A section sent to `POST /v1/assessments`: a stored section's fields, and optionally
    whether it is a teaching point (for the county's scope rule)."""

    teaching_point: bool | None = Field(
        None,
        description="教学点: left out when under the county's `min_pupils_teaching_point` "
        "(only when the county has set it); not part of `inputs_sha256`",
    )
    special_education: bool | None = Field(
        None,
        description="特殊教育学校: never in the 资源配置 assessment, which takes ordinary primary, "
        "junior and nine-year/complete schools (domain.md §5.1); listed in `excluded`; not "
        "part of `inputs_sha256`",
    )


class ResourceSectionIn(SchoolSectionIn):
    """A section of a county's stored resource data (API, CSV or XLSX upload): its numbers, and
    whether it is a teaching point, so the county's scope rule can leave it out."""

    teaching_point: bool = Field(
        False,
        description="教学点 (CSV/XLSX column 教学点: 是/否, blank = 否): left out of assessments "
        "when under the county's `min_pupils_teaching_point` (only when the county has set it)",
    )
    special_education: bool = Field(
        False,
        description="特殊教育学校 (CSV/XLSX column 特殊教育学校: 是/否, blank = 否): never in the "
        "资源配置 assessment (domain.md §5.1), kept for its own items",
    )


class SharedResourcesIn(BaseModel):
    """A combined school's shared area and equipment, split between its parts by the county's
    pupil weights (domain.md §5.1; refused when the county has set none)."""

    model_config = ConfigDict(extra="forbid")

    school_code: SchoolCode
    kind: Literal["nine_year", "complete_secondary", "twelve_year"] = Field(
        description="九年一贯制 / 完全中学 / 十二年一贯制"
    )
    senior_students: int = Field(
        0, ge=0, le=100_000, description="高中在校生数 (weighs in the split; not assessed)"
    )
    teaching_auxiliary_area_m2: Amount = 0.0
    sports_venue_area_m2: Amount = 0.0
    equipment_value_yuan: Amount = 0.0


class AssessmentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "county_code": "150602",
                    "year": 2025,
                    "schools": [
                        {
                            "school_code": "2115060001",
                            "name": "东胜区第一小学",
                            "level": "primary",
                            "students": 1200,
                            "teachers_above_required_degree": 60,
                            "backbone_teachers": 14,
                            "pe_arts_teachers": 12,
                            "teaching_auxiliary_area_m2": 6000,
                            "sports_venue_area_m2": 9600,
                            "equipment_value_yuan": 2600000,
                            "multimedia_classrooms": 30,
                        }
                    ],
                }
            ]
        },
    )

    county_code: CountyCode
    year: int = Field(ge=2000, le=2100, description="school year by its start year")
    schools: list[AssessmentSectionIn] | None = Field(
        None,
        min_length=1,
        max_length=20_000,
        description="the sections to assess; omit to assess the county's stored data",
    )
    shared_resources: list[SharedResourcesIn] | None = Field(
        None,
        max_length=5_000,
        description="combined schools' shared resources, split by the county's pupil weights",
    )


class IndicatorOut(BaseModel):
    value: float = Field(description="unrounded")
    threshold: float
    met: bool
    within_85: bool


class SchoolOut(BaseModel):
    school_code: str
    level: Level
    indicators: dict[str, IndicatorOut]
    met_count: int
    passed: bool


class CvOut(BaseModel):
    value: float = Field(description="pupil-weighted coefficient of variation, unrounded")
    limit: float
    passed: bool


class FailingSchool(BaseModel):
    school_code: str
    level: Level


class FailingCv(BaseModel):
    level: Level
    indicator: str


class ResourceAllocationOut(BaseModel):
    passed: bool
    failing_schools: list[FailingSchool]
    failing_cv: list[FailingCv]


class ExcludedSection(BaseModel):
    school_code: str
    level: Level
    name: str
    students: int
    rule: str
    reason: str


class ScopeRuleApplied(BaseModel):
    key: str
    value: dict[str, Any]
    effective_from: str
    effective_to: str | None
    citation: str


class SharedSplit(BaseModel):
    school_code: str
    kind: str
    shares: dict[str, float] = Field(description="part → share of each shared amount")


class ScopeOut(BaseModel):
    rules: list[ScopeRuleApplied]
    shared_splits: list[SharedSplit]


class AssessmentRead(BaseModel):
    id: str
    county_code: str
    year: int
    schools: list[SchoolOut]
    cv: dict[Level, dict[str, CvOut]]
    resource_allocation: ResourceAllocationOut
    inputs_sha256: str = Field(
        description="SHA-256 of the canonical inputs (see the service README): anyone holding "
        "the inputs can check which data an assessment used"
    )
    catalogue_version: str
    excluded: list[ExcludedSection] | None = Field(
        None,
        description="only when the county has scope rules in force: sections left out, "
        "with the reason (domain.md §5.1)",
    )
    scope: ScopeOut | None = Field(
        None, description="only when the county has scope rules in force: the rules applied"
    )


class UploadRead(BaseModel):
    content_sha256: str
    source: Literal["api", "csv", "xlsx"]
    imported_by: str
    imported_at: datetime


class SharedAmount(BaseModel):
    own: float = Field(description="the section's own amount, as sent or uploaded")
    shared: float = Field(description="the combined school's shared amount split")
    added: float = Field(description="this section's share of it: shared × share")


class SharedShare(BaseModel):
    """A combined school's section that took a share of its shared area and equipment
    (domain.md §5.1): which county rule split it, with which weights."""

    rule: Literal["combined_school_weights"]
    kind: str = Field(description="nine_year | complete_secondary | twelve_year")
    effective_from: str = Field(description="the rule version in force for the school year")
    citation: str
    weights: dict[str, str] = Field(description="part → pupil weight (e.g. primary 1, junior 1.1)")
    pupils: dict[str, int] = Field(description="part → pupils (senior: senior_students sent)")
    share: float = Field(description="this part's pupils × weight ÷ Σ pupils × weight")
    amounts: dict[str, SharedAmount] = Field(
        description="per shared field: own + added = the assessed number"
    )
    source: str = Field(description="what the field's source string appends after ' + '")


class SectionSources(BaseModel):
    school_code: str
    level: Level
    sources: dict[str, str] = Field(
        description='per number: "request", "upload <content_sha256>" or '
        '"staffing event <id> v<version> at <time>"; a number that took a share of its '
        "combined school's shared resources appends \" + <share> of <school>'s "
        'shared_resources (<rule> <kind> <weights>, from <date>)"'
    )
    shared: SharedShare | None = Field(
        None, description="only for a combined school's section that took a shared split"
    )


class AssessmentSourcesRead(BaseModel):
    """Where every number of an assessment came from (not part of the assessment contract)."""

    assessment_id: str
    county_code: str
    year: int
    inputs_sha256: str
    origin: Literal["request", "stored", "unrecorded"] = Field(
        description="sent in the request, the county's stored data, or assessed before sources "
        "were recorded"
    )
    upload: UploadRead | None = Field(description="the upload in force (origin stored)")
    sections: list[SectionSources]
