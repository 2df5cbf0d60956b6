"""The shared pieces of the services' column-wise sheet checks agree with the row-wise rules."""

import random
from datetime import date
from typing import Any

import polars as pl

from junheng_kit import sheet_frames
from junheng_kit.identifiers import citizen_id_check_character
from junheng_kit.tabular import SheetColumns


def test_text_frame_keeps_text_and_marks_rows_with_other_cells_odd() -> None:
    sheet = SheetColumns(
        rows=[2, 3, 5, 6],
        values={
            "name": ["甲", None, "丙", 7],  # a number where text belongs
            "score": ["1.5", 2.25, None, True],  # numbers read; a boolean is not one
        },
    )

    def cell_text(value: Any, field: str) -> str | None:
        if field == "score" and isinstance(value, float):
            return repr(value)
        return None

    frame = sheet_frames.text_frame(sheet, ["name", "score"], cell_text)
    assert frame.to_dicts() == [
        {"index": 0, "row": 2, "name": "甲", "score": "1.5", "odd": False},
        {"index": 1, "row": 3, "name": None, "score": "2.25", "odd": False},
        {"index": 2, "row": 5, "name": "丙", "score": None, "odd": False},
        {"index": 3, "row": 6, "name": None, "score": None, "odd": True},
    ]
    # without a reader every cell that is not text is for the schema
    plain = sheet_frames.text_frame(sheet, ["score"])
    assert plain["odd"].to_list() == [False, True, False, True]


def test_sheet_date_reads_what_bureaus_write_and_nothing_else() -> None:
    cells = ["2019-03-15", "2019/3/5", "2019.12.31", "2019-3-5", "2019-02-30", "0000-01-01",
             "15/3/2019", None]  # fmt: skip
    frame = pl.DataFrame({"d": cells}, schema={"d": pl.String})
    read = frame.select(sheet_frames.sheet_date("d"))["d"].to_list()
    assert read == [date(2019, 3, 15), date(2019, 3, 5), date(2019, 12, 31), None, None, None,
                    None, None]  # fmt: skip


def test_check_character_is_gb_11643s() -> None:
    rng = random.Random(11643)
    bodies = ["11010519491231002", "44030420010101701"] + [
        "".join(rng.choice("0123456789") for _ in range(17)) for _ in range(2000)
    ]
    frame = pl.DataFrame({"id": bodies})
    got = frame.select(sheet_frames.citizen_id_check_character(pl.col("id")))["id"].to_list()
    assert got == [citizen_id_check_character(b) for b in bodies]
    assert got[0] == "X"  # the standard's own example, 11010519491231002X
