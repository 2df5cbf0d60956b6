"""Shared identifiers (domain.md §1): formats every service validates the same way."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_SCHOOL_CODE = re.compile(r"^\d{10}$")
_DIVISION_CODE = re.compile(r"^\d{6}$")

# 学校标识码 category digits (domain.md §1.3)
SCHOOL_CATEGORIES = {
    "11",
    "21",
    "22",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "41",
    "42",
    "51",
    "91",
    "92",
    "93",
}


# GB/T 2260 province-level prefixes; finer sub-ranges are not validated (domain.md §1.2)
PROVINCES = {
    "11",
    "12",
    "13",
    "14",
    "15",
    "21",
    "22",
    "23",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "41",
    "42",
    "43",
    "44",
    "45",
    "46",
    "50",
    "51",
    "52",
    "53",
    "54",
    "61",
    "62",
    "63",
    "64",
    "65",
    "71",
    "81",
    "82",
}


def check_school_code(value: str) -> str:
    """学校标识码: 10 digits = category (2) + province (2) + sequence (6)."""
    if not _SCHOOL_CODE.match(value):
        raise ValueError(
            "school_code_format: 学校标识码 is 10 digits (category 2 + province 2 + sequence 6)"
        )
    if value[:2] not in SCHOOL_CATEGORIES:
        raise ValueError(f"school_code_category: {value[:2]} is not a 学校标识码 category")
    return value


def check_division_code(value: str) -> str:
    """GB/T 2260 code: 6 digits, province (2) + prefecture (2) + county (2).

    Only the shape and the province are checked; a city-run school carries the city's code.
    """
    if not _DIVISION_CODE.match(value):
        raise ValueError("division_code_format: a GB/T 2260 county code is 6 digits")
    if value[:2] not in PROVINCES:
        raise ValueError(f"division_code_province: {value[:2]} is not a GB/T 2260 province code")
    return value


SchoolCode = Annotated[str, AfterValidator(check_school_code)]
CountyCode = Annotated[str, AfterValidator(check_division_code)]
