"""Student roster API shapes (学生名册). Sheet cells may use the Chinese labels (男, 小学, 是)."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from assistance.awards.awards.schemas import AwardRead
from junheng_kit.classification import Personal, Sensitive
from junheng_kit.i18n import RuleError, t
from junheng_kit.identifiers import (
    CitizenId,
    SchoolCode,
    StudentNumber,
    citizen_id_birth_date,
    citizen_id_gender,
    student_number_citizen_id,
)


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


class Level(StrEnum):
    """学段 of compulsory education the roster covers."""

    PRIMARY = "primary"
    JUNIOR = "junior"


class StudentStatus(StrEnum):
    ENROLLED = "enrolled"
    TRANSFERRED_OUT = "transferred_out"
    LEFT = "left"


class StudentSource(StrEnum):
    IMPORT = "import"
    ENROLLMENT = "enrollment"  # placement from enrollment.admission.confirmed


class StudentFlag(StrEnum):
    """Findings on a roster row for the bureau to review; none refuses the row."""

    # a boarder in a primary grade below the boarding rule's (seed 000, scope 15: grades 1–3)
    YOUNG_BOARDER = "young_boarder"


GENDER_LABELS = {"男": "male", "女": "female", "男性": "male", "女性": "female"}
LEVEL_LABELS = {"小学": "primary", "初中": "junior", "初级中学": "junior"}
YES_NO = {"是": True, "否": False, "Y": True, "N": False, "1": True, "0": False}
_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_JUNIOR_GRADES = {"初一": 7, "初二": 8, "初三": 9, "七年级": 7, "八年级": 8, "九年级": 9}


def _labelled(labels: dict[str, Any]) -> Any:
    def normalise(value: Any) -> Any:
        return labels.get(value.strip(), value.strip()) if isinstance(value, str) else value

    return normalise


def _grade(value: Any) -> Any:
    """年级 as 3, "3", "三年级", "初一" (= 7): grades are numbered 1–9 across 义务教育."""
    if isinstance(value, str):
        text = value.strip()
        if text in _JUNIOR_GRADES:
            return _JUNIOR_GRADES[text]
        match = re.fullmatch(r"([一二三四五六七八九])年级", text)
        if match:
            return _CHINESE_DIGITS[match.group(1)]
        return text.removesuffix("年级")
    return value


def _date(value: Any) -> Any:
    """出生日期 may be written 2015/9/1, 2015.09.01, 20150901 or as a spreadsheet date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d{8}", text):
            return f"{text[:4]}-{text[4:6]}-{text[6:]}"
        if re.fullmatch(r"\d{4}[/.]\d{1,2}[/.]\d{1,2}", text):
            year, month, day = re.split(r"[/.]", text)
            return f"{year}-{int(month):02d}-{int(day):02d}"
    return value


GenderField = Annotated[Gender, BeforeValidator(_labelled(GENDER_LABELS))]
LevelField = Annotated[Level, BeforeValidator(_labelled(LEVEL_LABELS))]
Grade = Annotated[int, BeforeValidator(_grade), Field(ge=1, le=9)]
Boarding = Annotated[bool, BeforeValidator(_labelled(YES_NO))]
BirthDate = Annotated[date, BeforeValidator(_date)]
Name = Annotated[str, Field(min_length=1, max_length=50)]


class StudentCreate(BaseModel):
    """One child for the roster. Gender and birth date, when given, must agree with the ID."""

    model_config = ConfigDict(extra="forbid")

    citizen_id: Annotated[CitizenId, Sensitive] = Field(description="公民身份号码 (GB 11643-1999)")
    student_number: Annotated[StudentNumber | None, Sensitive] = Field(
        None,
        description="全国学籍号 (optional; unique on the roster): G + the citizen ID above, J + 18 "
        "characters by the citizen-ID rule (MOD 11-2), or a temporary L number; upper-cased",
        examples=["G150602201509010017"],
    )
    name: Annotated[Name, Sensitive] = Field(description="姓名")
    gender: Annotated[GenderField | None, Sensitive] = Field(
        None, description="性别; from the ID when omitted"
    )
    birth_date: Annotated[BirthDate | None, Sensitive] = Field(
        None, description="出生日期; from the ID when omitted"
    )
    school_code: SchoolCode = Field(description="学校标识码 of the current school")
    level: LevelField = Field(description="学段: primary | junior (小学 | 初中)")
    grade: Grade = Field(description="年级 1–9 (初一 = 7)")
    boarding: Boarding = Field(False, description="是否寄宿生")

    @field_validator("student_number")
    @classmethod
    def _student_number_matches_id(cls, value: str | None, info: ValidationInfo) -> str | None:
        """A G 学籍号 is "G + 身份证号" (domain.md §1.4): it must carry the ID of the row."""
        citizen_id = info.data.get("citizen_id")
        carried = student_number_citizen_id(value) if value else None
        if carried is not None and citizen_id and carried != citizen_id:
            raise RuleError(
                "student_number_matches_citizen_id",
                t(
                    "G 字头学籍号 = G + 公民身份号码；此学籍号包含的是另一个号码",
                    "a G 学籍号 (student number) is G and the 公民身份号码 (citizen ID); this "
                    "one carries another ID",
                ),
            )
        return value

    @field_validator("gender")
    @classmethod
    def _gender_matches_id(cls, value: Gender | None, info: ValidationInfo) -> Gender | None:
        citizen_id = info.data.get("citizen_id")
        if value is not None and citizen_id and citizen_id_gender(citizen_id) != value:
            raise RuleError(
                "gender_matches_citizen_id",
                t(
                    f"公民身份号码第 17 位表示 {citizen_id_gender(citizen_id)}",
                    "position 17 of the 公民身份号码 (citizen ID) gives "
                    f"{citizen_id_gender(citizen_id)}",
                ),
            )
        return value

    @field_validator("birth_date")
    @classmethod
    def _birth_date_matches_id(cls, value: date | None, info: ValidationInfo) -> date | None:
        citizen_id = info.data.get("citizen_id")
        if value is not None and citizen_id and citizen_id_birth_date(citizen_id) != value:
            raise RuleError(
                "birth_date_matches_citizen_id",
                t(
                    f"公民身份号码第 7–14 位为 {citizen_id_birth_date(citizen_id).isoformat()}",
                    "positions 7–14 of the 公民身份号码 (citizen ID) give "
                    f"{citizen_id_birth_date(citizen_id).isoformat()}",
                ),
            )
        return value

    @field_validator("grade")
    @classmethod
    def _grade_in_level(cls, value: int, info: ValidationInfo) -> int:
        level = info.data.get("level")
        if (level == Level.PRIMARY and value > 6) or (level == Level.JUNIOR and value < 7):
            raise RuleError(
                "grade_in_level",
                t(
                    "本名册中小学为 1–6 年级，初中为 7–9 年级（初一 = 7）",
                    "小学 (primary) is grades 1–6 and 初中 (junior secondary) grades 7–9 (初一 "
                    "= 7) on this roster",
                ),
            )
        return value


class StudentRead(BaseModel):
    """A roster row. Without `assistance:pii` the name is `张*`, the ID `150602********123X` and
    the 学籍号 `G150602********123X`."""

    id: UUID
    citizen_id: Annotated[str, Sensitive]
    student_number: Annotated[str | None, Sensitive] = Field(
        description="全国学籍号; masked without assistance:pii"
    )
    student_key: Annotated[str, Personal("shown")] = Field(
        description="pseudonymous key events carry (HMAC of the ID)"
    )
    name: Annotated[str, Sensitive]
    gender: Annotated[Gender, Sensitive("shown")]
    birth_date: Annotated[date | None, Sensitive] = Field(
        description="omitted (null) without assistance:pii"
    )
    county_code: str
    school_code: str
    level: Level
    grade: int
    boarding: bool
    status: StudentStatus
    source: StudentSource
    flags: list[StudentFlag] = Field(
        default_factory=list,
        description="young_boarder: an enrolled primary boarder below the boarding rule's grade "
        "in force for the county today (seed 000, Inner Mongolia: 原则上小学3年级及以下学生不寄宿 "
        "— a finding, not a refusal; counties without a rule have no flag)",
    )
    version: int
    created_at: datetime
    updated_at: datetime


class StudentPage(BaseModel):
    items: list[StudentRead]
    next_cursor: str | None


class BoardingRuleRead(BaseModel):
    scope_code: str = Field(description='GB/T 2260 prefix the rule applies in ("15" 内蒙古)')
    boarding_min_grade: int = Field(description="the lowest primary grade that may board")
    effective_from: date
    effective_to: date | None
    source: str
    evidence: str = Field(description="OFF official text, SEC secondary sources")


class CountyRosterRead(BaseModel):
    county_code: str
    enrolled: int = Field(description="enrolled pupils on the roster")
    boarders: int = Field(description="enrolled boarders (寄宿生)")
    young_boarders: int | None = Field(
        description="enrolled primary boarders below the rule's grade (young_boarder); null: no "
        "boarding rule in force for the county (none is invented)"
    )
    boarding_rule: BoardingRuleRead | None


class RosterSummaryRead(BaseModel):
    on: date = Field(description="the day the rules in force are taken from (today, China)")
    counties: list[CountyRosterRead] = Field(description="counties with enrolled pupils, sorted")


class StudentImportRead(BaseModel):
    """Outcome of one roster import: every row or none."""

    rows: int
    created: int
    updated: int
    placements_applied: int = Field(
        description="pending placements from enrollment.admission.confirmed applied to new rows"
    )


class StudentAidSearch(BaseModel):
    """A child's roster row and aid by 公民身份号码 (POST: the ID stays out of URLs and logs)."""

    model_config = ConfigDict(extra="forbid")

    citizen_id: Annotated[CitizenId, Sensitive]


class StudentAidRead(BaseModel):
    student: StudentRead | None = Field(
        description="the roster row in the caller's jurisdiction; null: not on its roster"
    )
    awards: list[AwardRead] = Field(description="the child's awards the caller may see")
