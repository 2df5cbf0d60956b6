"""The school sheet's national codes against each other, column-wise (issue 19): each row's
办学类型 against its 学段 (`school_type_levels`) and its 统计用区划代码 under its county
(`division_code_in_county`) — the same rules the API applies (`junheng_kit.school_codes`)."""

from __future__ import annotations

import polars as pl

from junheng_kit.problems import FieldError
from junheng_kit.school_codes import registry_errors, type_level_errors
from junheng_kit.tabular import row_errors


def code_errors(frame: pl.DataFrame) -> list[FieldError]:
    """Each contradiction of a row (columns `row`, `school_type`, `levels`, `county_code`,
    `division_code`, values as they will be stored), named `rows[<sheet row>].<field>`.

    The type rule is decided once per distinct (type, levels) pair — a county's sheet has a
    handful — and the division rule by one comparison of the columns."""
    pair = pl.concat_str(pl.col("school_type"), pl.lit("#"), pl.col("levels").list.join("|"))
    pairs = frame.filter(pl.col("school_type").is_not_null()).select(
        pair.alias("pair"), "school_type", "levels"
    )
    contradicting = [
        key
        for key, school_type, levels in pairs.unique(subset="pair").iter_rows()
        if type_level_errors(school_type, levels)
    ]
    outside = pl.col("division_code").is_not_null() & (
        pl.col("division_code").str.slice(0, 6) != pl.col("county_code")
    )
    suspects = frame.filter((outside | pair.is_in(contradicting)).fill_null(False))
    errors: list[FieldError] = []
    for number, school_type, levels, county_code, division_code in (
        suspects.sort("row")
        .select("row", "school_type", "levels", "county_code", "division_code")
        .iter_rows()
    ):
        errors += row_errors(
            number,
            registry_errors(
                school_type=school_type,
                levels=levels,
                county_code=county_code,
                division_code=division_code,
            ),
        )
    return errors
