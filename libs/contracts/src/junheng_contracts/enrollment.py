"""Events the enrollment service publishes (stream ENROLLMENT ← `enrollment.>`)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from junheng_contracts.classification import Personal, Public
from junheng_contracts.envelope import CloudEvent, EventData

SchoolLevel = Literal["primary", "junior", "nine_year", "complete_secondary"]


class SchoolData(EventData):
    """学校登记信息: the registry's full state of one school after the change."""

    school_code: Annotated[str, Public] = Field(
        pattern=r"^\d{10}$", description="学校标识码, 10 digits"
    )
    name: Annotated[str, Public]
    levels: Annotated[list[SchoolLevel], Public]
    county_code: Annotated[str, Public] = Field(
        pattern=r"^\d{6}$", description="GB/T 2260 county code"
    )
    longitude: Annotated[float, Public]
    latitude: Annotated[float, Public]
    planned_capacity: Annotated[int, Public]
    version: int = Field(description="aggregate version; consumers skip stale events")
    school_type: Annotated[str | None, Public] = Field(
        None,
        pattern=r"^\d{3}$",
        description="办学类型 code (junheng_kit.school_codes), e.g. 312 九年一贯制学校; null = not "
        "recorded",
    )
    urban_rural_code: Annotated[str | None, Public] = Field(
        None,
        pattern=r"^\d{3}$",
        description="城乡分类代码 of the school's location: 111/112 城区, 121–123 镇区, "
        "210/220 乡村; null = not recorded",
    )
    division_code: Annotated[str | None, Public] = Field(
        None, pattern=r"^\d{12}$", description="12-digit 统计用区划代码 of the school's location"
    )
    ownership: Annotated[Literal["public", "private"] | None, Public] = Field(
        None, description="办学性质: public 公办, private 民办; null = not recorded"
    )


class SchoolRegistered(CloudEvent[SchoolData]):
    """学校登记: a school entered the enrollment registry."""

    source: Literal["junheng/enrollment"] = "junheng/enrollment"
    type: Literal["enrollment.school.registered"] = "enrollment.school.registered"


class SchoolUpdated(CloudEvent[SchoolData]):
    """学校信息变更: a school's registry entry changed."""

    source: Literal["junheng/enrollment"] = "junheng/enrollment"
    type: Literal["enrollment.school.updated"] = "enrollment.school.updated"


class AssignmentPublishedData(EventData):
    """电脑派位结果: counts only, no personal data; the run's GET has the full answer."""

    run_id: str
    seed: str
    mechanism: Literal["deferred_acceptance", "immediate_acceptance"]
    tie_breaking: Literal["single", "multiple"]
    input_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the instance")
    applicants: int
    placed: int
    admitted: dict[str, int] = Field(description="school code → applicants admitted")


class AssignmentPublished(CloudEvent[AssignmentPublishedData]):
    """电脑派位: an assignment run's result was published."""

    source: Literal["junheng/enrollment"] = "junheng/enrollment"
    type: Literal["enrollment.assignment.published"] = "enrollment.assignment.published"


class SchoolSeatsData(EventData):
    """学位计划: one school's entry-grade seat plan for a level and school year."""

    school_code: Annotated[str, Public] = Field(
        pattern=r"^\d{10}$", description="学校标识码, 10 digits"
    )
    county_code: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 county code")
    year: int = Field(description="school year by its start year: 2025 = 2025—2026学年")
    level: Literal["primary", "junior"]
    grade: int = Field(description="entry grade: 1 (primary) or 7 (junior)")
    planned_classes: Annotated[int, Public] = Field(ge=0)
    class_cap: Annotated[int, Public] = Field(ge=1, description="班额 cap in force (policy data)")
    seats: Annotated[int, Public] = Field(ge=0, description="planned_classes × class_cap")
    version: int = Field(description="per school, level and year; consumers skip stale events")


class SchoolSeatsChanged(CloudEvent[SchoolSeatsData]):
    """学位计划变更: a school's planned classes and seats for a level and year changed."""

    source: Literal["junheng/enrollment"] = "junheng/enrollment"
    type: Literal["enrollment.school_seats.changed"] = "enrollment.school_seats.changed"


class ApplicationSubmittedData(EventData):
    """入学申请提交: no citizen ID or name — the child is a pseudonymous key."""

    application_id: str
    county_code: str = Field(pattern=r"^\d{6}$")
    year: int = Field(description="school year by its start year")
    level: Literal["primary", "junior"]
    grade: int = Field(description="entry grade: 1 or 7")
    student_key: Annotated[str, Personal] = Field(
        description="pseudonymous student key (HMAC of the citizen ID)"
    )
    migrant: Annotated[bool, Personal] = Field(description="随迁子女: 户籍 outside the county")
    choices: list[str] = Field(description="ranked school codes")


class ApplicationSubmitted(CloudEvent[ApplicationSubmittedData]):
    """入学申请: a family submitted an application."""

    source: Literal["junheng/enrollment"] = "junheng/enrollment"
    type: Literal["enrollment.application.submitted"] = "enrollment.application.submitted"


class AdmissionConfirmedData(EventData):
    """录取确认: where a child will start school — no citizen ID or name."""

    application_id: str
    county_code: str = Field(pattern=r"^\d{6}$")
    year: int
    school_code: str = Field(pattern=r"^\d{10}$")
    level: Literal["primary", "junior"]
    grade: int
    student_key: Annotated[str, Personal] = Field(
        description="pseudonymous student key (HMAC of the citizen ID)"
    )
    route: Literal["assignment", "overflow"] = Field(
        description="assignment: 电脑派位/zone run; overflow: 统筹 placement by the bureau"
    )
    run_id: str | None = None
    student_number_key: Annotated[str | None, Personal] = Field(
        None,
        description="pseudonymous key of the child's 全国学籍号 (HMAC, as student_key; null: the "
        "application has none). Never the number: a G 学籍号 is G + the citizen ID",
    )


class AdmissionConfirmed(CloudEvent[AdmissionConfirmedData]):
    """录取确认: a child's admission to a school was confirmed."""

    source: Literal["junheng/enrollment"] = "junheng/enrollment"
    type: Literal["enrollment.admission.confirmed"] = "enrollment.admission.confirmed"


class ZoneMapPublishedData(EventData):
    """划片方案发布: one version of a county's attendance zones — school lists, no geometry."""

    zone_map_id: str
    county_code: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 county code")
    level: Literal["primary", "junior"]
    year: int = Field(description="school year by its start year")
    version: int = Field(description="map version within county, level and year (1, 2, …)")
    effective_from: date = Field(description="the day this version takes effect")
    zone_count: int = Field(ge=1)
    school_codes: list[str] = Field(description="every school the map's zones list, sorted")
    zones: dict[str, list[str]] = Field(description="zone code → its school codes")


class ZoneMapPublished(CloudEvent[ZoneMapPublishedData]):
    """划片方案: a zone map version was published (imported or its school lists changed)."""

    source: Literal["junheng/enrollment"] = "junheng/enrollment"
    type: Literal["enrollment.zone_map.published"] = "enrollment.zone_map.published"


EVENTS: tuple[type[CloudEvent], ...] = (  # type: ignore[type-arg]
    SchoolRegistered,
    SchoolUpdated,
    AssignmentPublished,
    SchoolSeatsChanged,
    ApplicationSubmitted,
    AdmissionConfirmed,
    ZoneMapPublished,
)
