"""教师培训记录 API shapes. Hours travel as decimal strings ("72.0"); numbers are accepted."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from junheng_kit.identifiers import CitizenId
from junheng_kit.tabular import sheet_date_text
from staffing.training.rules import MAX_RECORD_HOURS

if TYPE_CHECKING:
    from staffing.training.models import TrainingRecord

TENTH = Decimal("0.1")

Hours = Annotated[
    Decimal,
    Field(
        gt=0,
        le=MAX_RECORD_HOURS,
        max_digits=5,
        decimal_places=1,
        allow_inf_nan=False,
        description=f"学时 of the training, > 0 and at most {MAX_RECORD_HOURS}, to 0.1",
        examples=["72"],
    ),
    AfterValidator(lambda hours: hours.quantize(TENTH)),  # checked first; 72 is kept as 72.0
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _text(value: Any) -> Any:
    """A sheet cell typed as a whole number (a certificate number) is its digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


class TrainingRecordCreate(BaseModel):
    """教师培训记录: a completed training and its 学时, credited on `completed_on`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "programme": "国培计划（2024）乡村教师能力提升培训",
                    "provider": "内蒙古师范大学",
                    "started_on": "2024-07-08",
                    "completed_on": "2024-07-19",
                    "hours": "72",
                    "certificate_reference": "GP2024-150602-0031",
                }
            ]
        },
    )

    programme: Text = Field(description="培训项目 name")
    provider: Text | None = Field(None, description="培训机构; null = not recorded")
    started_on: date | None = Field(None, description="开始日期; null = a completion date only")
    completed_on: date = Field(description="完成日期 (结业日期): the day the hours are credited")
    hours: Hours
    certificate_reference: Reference | None = Field(
        None, description="培训证书编号 or another reference, as written; null = none"
    )


class TrainingRecordRead(BaseModel):
    id: UUID
    teacher_id: UUID
    programme: str
    provider: str | None
    started_on: date | None
    completed_on: date
    hours: Decimal
    certificate_reference: str | None
    recorded_by: str
    recorded_at: datetime
    import_id: UUID | None = Field(description="the training sheet that brought it; null: the API")
    in_window: bool | None = Field(
        None, description="in a teacher's list: whether its hours count in the window shown"
    )

    @classmethod
    def of(cls, record: TrainingRecord, *, in_window: bool | None = None) -> TrainingRecordRead:
        read = cls.model_validate(record, from_attributes=True)
        return read.model_copy(update={"in_window": in_window})


class TrainingHoursRead(BaseModel):
    """教师5年360学时 for one teacher on a date (政府保障程度第9项)."""

    on: date = Field(description="the last day of the window")
    window_from: date = Field(description="the first day of the window")
    window_years: int
    required_hours: int
    hours_in_window: Decimal = Field(description="学时 completed from window_from to on")
    meets_requirement: bool = Field(description="hours_in_window ≥ required_hours")
    missing_hours: Decimal = Field(description="学时 still to complete; 0 when met")
    source: str = Field(description="the policy rows' citation")


class TeacherTrainingRead(BaseModel):
    teacher_id: UUID
    records: list[TrainingRecordRead] = Field(description="every record, newest completion first")
    hours: TrainingHoursRead | None = Field(
        description="null: no training requirement is in force for the teacher's county on `on`"
    )


class TrainingSheetRow(TrainingRecordCreate):
    """One row of a 教师培训记录表: the teacher by 公民身份号码 (and 姓名, checked when given);
    dates may be written 2024/7/19 or 2024.07.19."""

    citizen_id: CitizenId
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _cells(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for field in ("started_on", "completed_on"):
                if field in data:
                    data[field] = sheet_date_text(data[field])
            for field in ("certificate_reference", "citizen_id", "programme", "provider"):
                if field in data:
                    data[field] = _text(data[field])
        return data


class TrainingImportRead(BaseModel):
    id: UUID
    content_sha256: str
    media_type: str
    rows: int
    added: int = Field(description="records new to the registry")
    updated: int = Field(description="records already there (same teacher, programme, date)")
    imported_by: str
    imported_at: datetime


class StatsRecountRead(BaseModel):
    county_code: str
    as_of: date = Field(description="the registry date the published counts describe")
    schools: int = Field(description="schools of the county recounted")
    published: int = Field(description="schools whose counts were published again")
