"""Shared identifiers (domain.md §1): formats every service validates the same way."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator

from junheng_kit.i18n import RuleError, t

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
        raise RuleError(
            "school_code_format",
            t(
                "学校标识码为 10 位数字（类别 2 位 + 省份 2 位 + 序号 6 位）",
                "a 学校标识码 (school identification code) is 10 digits (category 2 + province "
                "2 + sequence 6)",
            ),
        )
    if value[:2] not in SCHOOL_CATEGORIES:
        raise RuleError(
            "school_code_category",
            t(
                f"{value[:2]} 不是学校标识码的类别",
                f"{value[:2]} is not a 学校标识码 (school identification code) category",
            ),
        )
    return value


def check_division_code(value: str) -> str:
    """GB/T 2260 code: 6 digits, province (2) + prefecture (2) + county (2).

    Only the shape and the province are checked; a city-run school carries the city's code.
    """
    if not _DIVISION_CODE.match(value):
        raise RuleError(
            "division_code_format",
            t("GB/T 2260 区县代码为 6 位数字", "a GB/T 2260 county code is 6 digits"),
        )
    if value[:2] not in PROVINCES:
        raise RuleError(
            "division_code_province",
            t(
                f"{value[:2]} 不是 GB/T 2260 省级代码",
                f"{value[:2]} is not a GB/T 2260 province code",
            ),
        )
    return value


_SCOPE_CODE = re.compile(r"^(\d{2}|\d{4}|\d{6})$")


def check_scope_code(value: str) -> str:
    """The GB/T 2260 prefix a policy value applies in (domain.md §0, parameter model): 2 digits
    a province (`15` Inner Mongolia), 4 a prefecture (`1506` Ordos), 6 a county (`150602`)."""
    if not _SCOPE_CODE.match(value):
        raise RuleError(
            "scope_code_format",
            t(
                "GB/T 2260 代码前缀为 2 位（省）、4 位（地市）或 6 位（区县）数字",
                "a GB/T 2260 prefix of 2 (province), 4 (prefecture) or 6 (county) digits",
            ),
        )
    if value[:2] not in PROVINCES:
        raise RuleError(
            "scope_code_province",
            t(
                f"{value[:2]} 不是 GB/T 2260 省级代码",
                f"{value[:2]} is not a GB/T 2260 province code",
            ),
        )
    return value


def scopes_covering(division_code: str) -> tuple[str, ...]:
    """The scope codes that cover a county: its province (2), prefecture (4) and itself (6)."""
    return tuple(division_code[:n] for n in (2, 4, 6) if len(division_code) >= n)


SchoolCode = Annotated[str, AfterValidator(check_school_code)]
CountyCode = Annotated[str, AfterValidator(check_division_code)]
ScopeCode = Annotated[str, AfterValidator(check_scope_code)]


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
        raise RuleError(
            "citizen_id_format",
            t(
                "公民身份号码的本体码为 17 位数字",
                "the body of a 公民身份号码 (citizen ID) is 17 digits",
            ),
        )
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
        raise RuleError(
            "citizen_id_birth_date",
            t(
                "公民身份号码第 7–14 位不是有效日期",
                "positions 7–14 of a 公民身份号码 (citizen ID) are not a real date",
            ),
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
        raise RuleError(
            "citizen_id_format",
            t(
                "公民身份号码为 17 位数字加一位校验码（数字或 X）",
                "a 公民身份号码 (citizen ID) is 17 digits and a check character (digit or X)",
            ),
        )
    citizen_id_birth_date(value)
    if citizen_id_check_character(value[:17]) != value[17]:
        raise RuleError(
            "citizen_id_check_digit",
            t(
                "校验码不符合 GB 11643-1999 MOD 11-2",
                "the check character does not match GB 11643-1999 MOD 11-2",
            ),
        )
    return value


CitizenId = Annotated[str, AfterValidator(check_citizen_id)]


def student_key(pseudonym_key: bytes, citizen_id: str) -> str:
    """The pseudonymous student key events carry: HMAC-SHA256 of the citizen ID, 32 hex.

    Every service computes it with the one shared `JUNHENG_PSEUDONYM_KEY`, so the same child has
    the same key in enrollment and assistance while no event ever carries the ID itself."""
    digest = hmac.new(pseudonym_key, b"student:" + citizen_id.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


# 全国学籍号 (domain.md §1.4): a prefix letter and an 18-character body, 19 characters in all
_STUDENT_NUMBER = re.compile(r"^(?:[GJ][0-9]{17}[0-9X]|L[0-9]{18})$")


def check_student_number(value: str) -> str:
    """全国中小学生学籍号 (全国中小学生学籍信息管理系统): upper-cased, one of three forms.

    - **G** (正式): ``G`` + the pupil's 18-character 公民身份号码, checked as `check_citizen_id`
      checks it (a real birth date in positions 7–14, the GB 11643 MOD 11-2 check character).
      It is normally the pupil's current ID but may differ after the ID changed, so the number
      and the ID are both stored.
    - **J** (正式, a pupil with no citizen ID or whose ID cannot be used): ``J`` + 18 characters
      built by the citizen-ID rule — school-location division code (6), birth date (8), sequence
      (3), MOD 11-2 check character (1) — checked like a citizen ID.
    - **L** (临时, issued at first registration, before the national duplicate and population-
      register check): ``L`` + division code (6), birth date (8) and 4 random digits; it has no
      check character, so only its shape and its birth date are checked.

    Sources (none read in full; SEC): MOE, 《中小学生学籍管理办法》 (教基一〔2013〕7号), as its
    2013 press summaries and the provincial rules restating it give it — one number per pupil,
    for life, generated from the citizen ID; MOE, 《中小学生学籍管理常见问题及解答》 (published
    2016-08-31, as reported by 人民日报 on 2016-09-01) — the G / L / J prefixes, "G + 身份证号"
    that may differ after an ID change, L numbers made by the citizen-ID rule yet not
    corresponding to an ID, J numbers for pupils without a usable ID, coded as a citizen ID is;
    the digit layouts of J and L (6 + 8 + 3 + 1 and 6 + 8 + 4) and the length of 19 from agreeing
    secondary sources (domain.md §1.4). The MOE coding rule itself was not seen, so no other form
    (16-digit provincial numbers, Shanghai's 19-digit 学籍副号) is accepted.

    Worked example (J): body ``15060220190315001`` — 150602 (东胜区), born 2019-03-15, sequence
    001. Products with the weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2:
    7 45 0 30 0 8 4 0 6 27 0 27 10 25 0 0 2, sum 191; 191 mod 11 = 4 → check character 8,
    so ``J150602201903150018`` (and ``G150602201903150018`` for a pupil with that ID).
    """
    value = value.strip().upper()
    if not _STUDENT_NUMBER.match(value):
        raise RuleError(
            "student_number_format",
            t(
                "学籍号为 G 或 J 加 17 位数字和一位校验码（数字或 X），或 L 加 18 位数字，共 19 位",
                "a 学籍号 (student number) is G or J and 17 digits and a check character (digit "
                "or X), or L and 18 digits — 19 characters",
            ),
        )
    body = value[1:]
    try:
        citizen_id_birth_date(body)
    except ValueError:
        raise RuleError(
            "student_number_birth_date",
            t(
                f"{value[0]} 字头学籍号第 8–15 位不是有效日期",
                f"positions 8–15 of a {value[0]} 学籍号 (student number) are not a real date",
            ),
        ) from None
    if value[0] != "L" and citizen_id_check_character(body[:17]) != body[17]:
        raise RuleError(
            "student_number_check_character",
            t(
                f"{value[0]} 字头学籍号的最后一位是其前 17 位数字的 GB 11643 MOD 11-2 校验码",
                f"the last character of a {value[0]} 学籍号 (student number) is the GB 11643 MOD "
                "11-2 check character of the 17 digits before it",
            ),
        )
    return value


def student_number_citizen_id(value: str) -> str | None:
    """The 公民身份号码 a G 学籍号 carries; None for the J and L forms (no citizen ID in them)."""
    return value[1:] if value[:1] == "G" else None


StudentNumber = Annotated[str, AfterValidator(check_student_number)]


def student_number_key(pseudonym_key: bytes, student_number: str) -> str:
    """A pseudonymous key of a 学籍号 for events (HMAC-SHA256, 32 hex), as `student_key` is of
    the citizen ID: a G number holds the citizen ID, so events never carry the number itself.
    The 学籍号 is kept for life while the ID may change, so this key follows the pupil across an
    ID change that changes `student_key`."""
    digest = hmac.new(pseudonym_key, b"student_number:" + student_number.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]
