"""National codes of a school's registry entry (domain.md §1.2, §1.3; issue 19): 办学类型,
城乡分类代码, 统计用区划代码 and 办学性质 (公办 / 民办), as data citing where each value was read,
with the checks every service applies the same way.

Enrollment keeps them on its registry and announces them in `SchoolData`; staffing classifies a
school as urban, county-town or rural (`UrbanRuralClass.area`) and evaluation selects its scope by
type (`SchoolType.group`) from the same tables. Only the types that concern compulsory education
are listed: a senior-only, vocational, adult or higher-education code is unknown here.

A code or its Chinese label is accepted wherever a person types one (sheets, JSON) and stored as
the code (`school_type_code`, `urban_rural_class`, `ownership_of`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator

from junheng_kit.i18n import RuleError
from junheng_kit.i18n import t as tt
from junheng_kit.identifiers import PROVINCES
from junheng_kit.problems import FieldError

Area = Literal["urban", "county_town", "rural"]
Section = Literal["primary", "junior"]
TypeGroup = Literal["ordinary", "teaching_point", "attached_class", "special_education"]
Ownership = Literal["public", "private"]

# ---- 城乡分类代码 -------------------------------------------------------------------------------

URBAN_RURAL_SOURCE = (
    "城乡分类代码: 国家统计局《统计上划分城乡的规定》（国务院2008年7月批复，国函〔2008〕60号）与"
    "《统计用区划代码和城乡划分代码编制规则》。1 开头为城镇（11 城区：111 主城区、112 城乡结合区；"
    "12 镇区：121 镇中心区、122 镇乡结合区、123 特殊区域），"
    "2 开头为乡村（210 乡中心区、220 村庄）。"
    "Checked with the search tool: a district statistics bureau's answer (天津市河东区统计局, "
    "hedong.gov.cn/info/11192/140271.htm) lists the seven codes and cites 国函〔2008〕60号; "
    "GB/T 33782-2017 表5 as quoted by a third-party code table gives the same codes under the "
    "groups 11 城区, 12 镇区, 2 乡村 (SEC)."
)


@dataclass(frozen=True, slots=True)
class UrbanRuralClass:
    """One 城乡分类代码 and the statistics' area it belongs to: 城区 (11x) → urban, 镇区 (12x)
    → county_town, 乡村 (2xx) → rural — the three areas of staffing's quota and rotation rules."""

    code: str
    label: str
    area: Area


URBAN_RURAL_CLASSES: tuple[UrbanRuralClass, ...] = (
    UrbanRuralClass("111", "主城区", "urban"),
    UrbanRuralClass("112", "城乡结合区", "urban"),
    UrbanRuralClass("121", "镇中心区", "county_town"),
    UrbanRuralClass("122", "镇乡结合区", "county_town"),
    UrbanRuralClass("123", "特殊区域", "county_town"),
    UrbanRuralClass("210", "乡中心区", "rural"),
    UrbanRuralClass("220", "村庄", "rural"),
)

# ---- 办学类型 -----------------------------------------------------------------------------------

SCHOOL_TYPE_SOURCE = (
    "办学类型代码（教育统计 学校（机构）类别）: 211 小学、218 小学教学点、219 附设小学班、"
    "311 初级中学、"
    "312 九年一贯制学校、319 附设普通初中班、341 完全中学、345 十二年一贯制学校 — GB/T 33782-2017 "
    "表4 as quoted by a third-party code table (the standard's text not seen) and a school-system "
    "dictionary of 办学类型 codes (zpldongxie/api-server-fastify, "
    "models/dictionary/initData/bxlx.js) agree; 511 盲人学校、512 聋人学校、513 弱智学校、"
    "514 其他特殊教育学校、519 附设特教班 — that dictionary and three other public code lists "
    "agree, no quote of the standard found. domain.md §1.3 (SEC)."
)


@dataclass(frozen=True, slots=True)
class SchoolType:
    """One 办学类型 and the compulsory sections (学段) a school of it offers.

    `sections`: the sections it may offer; `fixed`: it offers every one of them (a 九年一贯制学校
    has primary and junior), otherwise any non-empty part (a special school teaches the sections
    its pupils need); `forms`: the registry's combined-school levels (`nine_year`,
    `complete_secondary`) that name this type's form."""

    code: str
    label: str
    group: TypeGroup
    sections: frozenset[Section]
    fixed: bool = True
    forms: frozenset[str] = frozenset()


_PRIMARY: frozenset[Section] = frozenset({"primary"})
_JUNIOR: frozenset[Section] = frozenset({"junior"})
_BOTH: frozenset[Section] = frozenset({"primary", "junior"})

SCHOOL_TYPES: tuple[SchoolType, ...] = (
    SchoolType("211", "小学", "ordinary", _PRIMARY),
    SchoolType("218", "小学教学点", "teaching_point", _PRIMARY),
    SchoolType("219", "附设小学班", "attached_class", _PRIMARY),
    SchoolType("311", "初级中学", "ordinary", _JUNIOR),
    SchoolType("312", "九年一贯制学校", "ordinary", _BOTH, forms=frozenset({"nine_year"})),
    SchoolType("319", "附设普通初中班", "attached_class", _JUNIOR),
    # and a senior section, outside the registry's compulsory levels
    SchoolType("341", "完全中学", "ordinary", _JUNIOR, forms=frozenset({"complete_secondary"})),
    SchoolType(
        "345",
        "十二年一贯制学校",
        "ordinary",
        _BOTH,
        forms=frozenset({"nine_year", "complete_secondary"}),
    ),
    SchoolType(
        "511", "盲人学校", "special_education", _BOTH, fixed=False, forms=frozenset({"nine_year"})
    ),
    SchoolType(
        "512", "聋人学校", "special_education", _BOTH, fixed=False, forms=frozenset({"nine_year"})
    ),
    SchoolType(
        "513", "弱智学校", "special_education", _BOTH, fixed=False, forms=frozenset({"nine_year"})
    ),
    SchoolType(
        "514",
        "其他特殊教育学校",
        "special_education",
        _BOTH,
        fixed=False,
        forms=frozenset({"nine_year"}),
    ),
    SchoolType("519", "附设特教班", "special_education", _BOTH, fixed=False),
)

# the registry's levels (学段, `junheng_contracts.enrollment.SchoolLevel`) → sections they offer
LEVEL_SECTIONS: Mapping[str, frozenset[Section]] = MappingProxyType(
    {
        "primary": _PRIMARY,
        "junior": _JUNIOR,
        "nine_year": _BOTH,  # 九年一贯制
        "complete_secondary": _JUNIOR,  # 完全中学: junior and senior sections
    }
)
_FORMS = frozenset({"nine_year", "complete_secondary"})
LEVEL_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "primary": "小学",
        "junior": "初中",
        "nine_year": "九年一贯制",
        "complete_secondary": "完全中学",
    }
)

# ---- 办学性质 -----------------------------------------------------------------------------------

OWNERSHIP_SOURCE = (
    "办学性质: 公办 (public) or 民办 (private) — the two kinds seed 000 names "
    "(公办民办学校同步招生; "
    "严格控制县域内民办义务教育在校生占比). The statistics' 学校办别 list also has 民办公助 and "
    "others (a school-system dictionary, xxbb.js beside the 办学类型 list); the registry keeps the "
    "seed's two."
)
OWNERSHIP_LABELS: Mapping[str, str] = MappingProxyType({"public": "公办", "private": "民办"})

# ---- lookups ------------------------------------------------------------------------------------

SCHOOL_TYPE_BY_CODE: Mapping[str, SchoolType] = MappingProxyType({t.code: t for t in SCHOOL_TYPES})
URBAN_RURAL_BY_CODE: Mapping[str, UrbanRuralClass] = MappingProxyType(
    {c.code: c for c in URBAN_RURAL_CLASSES}
)
# code or label → code, for readers of sheets and JSON (column-wise readers use these too)
SCHOOL_TYPE_LOOKUP: Mapping[str, str] = MappingProxyType(
    {**{t.label: t.code for t in SCHOOL_TYPES}, **{t.code: t.code for t in SCHOOL_TYPES}}
)
URBAN_RURAL_LOOKUP: Mapping[str, str] = MappingProxyType(
    {
        **{c.label: c.code for c in URBAN_RURAL_CLASSES},
        **{c.code: c.code for c in URBAN_RURAL_CLASSES},
    }
)
OWNERSHIP_LOOKUP: Mapping[str, str] = MappingProxyType(
    {
        **{label: code for code, label in OWNERSHIP_LABELS.items()},
        **{code: code for code in OWNERSHIP_LABELS},
    }
)

_STATISTICAL_CODE = re.compile(r"^[0-9]{12}$")


def school_type_code(value: str) -> str:
    """办学类型: a code of `SCHOOL_TYPES` or its label (九年一贯制学校) → the code."""
    code = SCHOOL_TYPE_LOOKUP.get(value.strip())
    if code is None:
        raise RuleError(
            "school_type_known",
            tt(
                f"{value} 不是义务教育的办学类型代码或名称（211 小学、218 小学教学点、311 "
                "初级中学、312 九年一贯制学校、341 完全中学、345 十二年一贯制学校、511–514 "
                "特殊教育学校……）",
                f"{value} is not a compulsory-education 办学类型 (school type) code or label "
                "(211 小学, 218 小学教学点, 311 初级中学, 312 九年一贯制学校, 341 完全中学, 345 "
                "十二年一贯制学校, 511–514 特殊教育学校, …)",
            ),
        )
    return code


def urban_rural_class(value: str) -> str:
    """城乡分类代码: one of the seven codes or its label (村庄) → the code."""
    code = URBAN_RURAL_LOOKUP.get(value.strip())
    if code is None:
        raise RuleError(
            "urban_rural_code_known",
            tt(
                f"{value} 不是城乡分类代码（111 主城区、112 城乡结合区、121 镇中心区、122 "
                "镇乡结合区、123 特殊区域、210 乡中心区、220 村庄）",
                f"{value} is not a 城乡分类代码 (urban–rural classification code: 111 主城区, "
                "112 城乡结合区, 121 镇中心区, 122 镇乡结合区, 123 特殊区域, 210 乡中心区, 220 "
                "村庄)",
            ),
        )
    return code


def ownership_of(value: object) -> object:
    """办学性质: public / private or 公办 / 民办 → public / private."""
    if isinstance(value, str) and value.strip() in OWNERSHIP_LOOKUP:
        return OWNERSHIP_LOOKUP[value.strip()]
    raise RuleError(
        "ownership_known",
        tt("办学性质为公办或民办", "ownership is public (公办) or private (民办)"),
    )


def check_statistical_division_code(value: str) -> str:
    """统计用区划代码: 12 digits — the county's GB/T 2260 code (6), township (3), village (3)."""
    if not _STATISTICAL_CODE.match(value):
        raise RuleError(
            "division_code_format",
            tt(
                "统计用区划代码为 12 位数字（区县 6 位 + 乡镇 3 位 + 村 3 位）",
                "a 统计用区划代码 (statistical division code) is 12 digits (county 6 + township "
                "3 + village 3)",
            ),
        )
    if value[:2] not in PROVINCES:
        raise RuleError(
            "division_code_province",
            tt(
                f"{value[:2]} 不是 GB/T 2260 省级代码",
                f"{value[:2]} is not a GB/T 2260 province code",
            ),
        )
    return value


SchoolTypeCode = Annotated[str, AfterValidator(school_type_code)]
UrbanRuralCode = Annotated[str, AfterValidator(urban_rural_class)]
StatisticalDivisionCode = Annotated[str, AfterValidator(check_statistical_division_code)]
OwnershipCode = Annotated[Ownership, BeforeValidator(ownership_of)]


def school_type_label(code: str | None) -> str | None:
    kind = SCHOOL_TYPE_BY_CODE.get(code) if code is not None else None
    return kind.label if kind is not None else None


def urban_rural_label(code: str | None) -> str | None:
    found = URBAN_RURAL_BY_CODE.get(code) if code is not None else None
    return found.label if found is not None else None


def urban_rural_area(code: str | None) -> Area | None:
    """城区 → urban, 镇区 → county_town, 乡村 → rural; None for no (or an unknown) code."""
    found = URBAN_RURAL_BY_CODE.get(code) if code is not None else None
    return found.area if found is not None else None


def ownership_label(ownership: str | None) -> str | None:
    return OWNERSHIP_LABELS.get(ownership) if ownership is not None else None


NINE_YEAR_SCHOOL_TYPE = "312"  # 九年一贯制学校 (SCHOOL_TYPE_SOURCE)


def is_nine_year_school(levels: Iterable[str], school_type: str | None) -> bool:
    """九年一贯制学校: the registry names its level `nine_year`, or its 办学类型 is 312. A school
    registered without a type is judged by its levels alone; a 十二年一贯制学校 (345) counts only
    when its levels say `nine_year`."""
    return school_type == NINE_YEAR_SCHOOL_TYPE or "nine_year" in levels


# ---- consistency of one registry entry ---------------------------------------------------------


def type_level_errors(school_type: str, levels: Iterable[str]) -> list[str]:
    """What contradicts between a 办学类型 and the registry's levels (学段), in words; empty
    when they agree. A 小学 offers primary only; a 九年一贯制学校 offers primary and junior;
    `nine_year` / `complete_secondary` name a form only the matching types have."""
    kind = SCHOOL_TYPE_BY_CODE[school_type]
    levels = list(levels)
    name = f"{kind.label} ({kind.code})"
    misfits = [
        level
        for level in levels
        if not LEVEL_SECTIONS.get(level, frozenset()) <= kind.sections
        or (level in _FORMS and level not in kind.forms)
    ]
    problems = [
        f"{name} 不设{LEVEL_LABELS.get(level, level)}学段 / a {name} has no level {level}"
        for level in misfits
    ]
    offered = frozenset().union(*(LEVEL_SECTIONS.get(level, frozenset()) for level in levels))
    if kind.fixed:
        problems += [
            f"{name} 应有{LEVEL_LABELS[section]}学段 / a {name} has a {section} section"
            for section in sorted(kind.sections - offered)
        ]
    return problems


def registry_errors(
    *,
    school_type: str | None,
    levels: Sequence[str],
    county_code: str,
    division_code: str | None,
    prefix: str = "",
) -> list[FieldError]:
    """A registry entry's codes against each other: the type against the levels
    (`school_type_levels`), the 统计用区划代码 under the county (`division_code_in_county`).
    Fields are named `<prefix><field>` (a sheet names its row)."""
    errors: list[FieldError] = []
    if school_type is not None:
        problems = type_level_errors(school_type, levels)
        if problems:
            errors.append(
                FieldError(f"{prefix}school_type", "school_type_levels", "; ".join(problems))
            )
    if division_code is not None and division_code[:6] != county_code:
        errors.append(
            FieldError(
                f"{prefix}division_code",
                "division_code_in_county",
                tt(
                    f"统计用区划代码 {division_code} 的前6位不是所在区县 {county_code}",
                    "the first 6 digits of the 统计用区划代码 (statistical division code) are "
                    f"not the school's county {county_code}",
                ),
            )
        )
    return errors
