"""Shared identifiers (domain.md §1): formats every service validates the same way."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date
from typing import Annotated, Any, Literal

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


# 公民身份号码, GB 11643-1999 (domain.md §1.1): ISO 7064 MOD 11-2 over positions 1–17
_CITIZEN_ID = re.compile(r"^\d{17}[\dX]$")
CITIZEN_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CITIZEN_ID_CHECK_CHARACTERS = "10X98765432"  # indexed by R = Σ(digit·weight) mod 11


def citizen_id_check_character(body: str) -> str:
    """The MOD 11-2 check character of the 17-digit body of a 公民身份号码.

    R = Σ(digit·weight) mod 11 with weights 2^(i−1) mod 11 (i counted from the right,
    the check character at i = 1); R = 0…10 maps to 1 0 X 9 8 7 6 5 4 3 2.
    """
    if len(body) != 17 or not body.isascii() or not body.isdigit():
        raise ValueError("citizen_id_format: the body of a 公民身份号码 is 17 digits")
    remainder = sum(int(d) * w for d, w in zip(body, CITIZEN_ID_WEIGHTS, strict=True)) % 11
    return CITIZEN_ID_CHECK_CHARACTERS[remainder]


def citizen_id_from_body(body: str) -> str:
    """The whole 公民身份号码 of a 17-digit body: the body and its check character."""
    return body + citizen_id_check_character(body)


def citizen_id_birth_date(value: str) -> date:
    """Birth date held in positions 7–14 (YYYYMMDD) of an 18-character 公民身份号码."""
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValueError(
            "citizen_id_birth_date: positions 7–14 of a 公民身份号码 are not a real date"
        ) from None


def citizen_id_gender(value: str) -> Literal["male", "female"]:
    """Position 17 of a 公民身份号码: odd = male, even = female."""
    return "male" if int(value[16]) % 2 else "female"


def citizen_id_gender_expr(citizen_id: Any = "citizen_id") -> Any:
    """`citizen_id_gender` for a polars column of 公民身份号码 (a column name or an
    expression), for sheets read column-wise: "male" where position 17 is odd, else "female"."""
    import polars as pl  # only the column-wise readers need it

    column = pl.col(citizen_id) if isinstance(citizen_id, str) else citizen_id
    odd = column.str.slice(16, 1).cast(pl.Int64, strict=False) % 2 == 1
    return pl.when(odd).then(pl.lit("male")).otherwise(pl.lit("female"))


def check_citizen_id(value: str) -> str:
    """公民身份号码 (GB 11643-1999): 18 characters, a real birth date, MOD 11-2 check.

    A lower-case x is accepted and normalised to X; 15-digit 1989 IDs are refused (upgrade
    them first: insert "19" after position 6 and append the check character).
    """
    value = value.strip().upper()
    if not _CITIZEN_ID.match(value):
        raise ValueError(
            "citizen_id_format: a 公民身份号码 is 17 digits and a check character (digit or X)"
        )
    citizen_id_birth_date(value)
    if citizen_id_check_character(value[:17]) != value[17]:
        raise ValueError(
            "citizen_id_check_digit: the check character does not match GB 11643-1999 MOD 11-2"
        )
    return value


CitizenId = Annotated[str, AfterValidator(check_citizen_id)]


def student_key(pseudonym_key: bytes, citizen_id: str) -> str:
    """The pseudonymous student key events carry: HMAC-SHA256 of the citizen ID, 32 hex.

    Every service computes it with the one shared `JUNHENG_PSEUDONYM_KEY`, so the same child has
    the same key in enrollment and assistance while no event ever carries the ID itself."""
    digest = hmac.new(pseudonym_key, b"student:" + citizen_id.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]
