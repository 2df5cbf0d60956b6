"""The 学籍号 column of the application sheet (学籍号 / 全国学籍号, optional), on SQLite and
PostgreSQL: checked as `POST /v1/applications` checks it, stored, exported and read back."""

from typing import Any

from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from enrollment.admission import sheet
from enrollment.admission.models import Application
from junheng_kit.tabular import XLSX

from .test_application_sheets_api import (
    LOCAL_Z1,
    LOCAL_Z2,
    MIGRANT_Z2,
    as_csv,
    as_xlsx,
    cid,
    county,
    exported,
    row,
    stored,
    upload,
)

__all__ = ["county"]  # a fixture, used by name

G_Z1 = "G" + cid("15060220190315001")  # LOCAL_Z1's ID
J = "J150602201903150018"


def titled(rows: list[dict[str, Any]], title: str) -> bytes:
    """The CSV with the 学籍号 column under another of its titles."""
    text = as_csv(rows).decode("utf-8-sig")
    head, rest = text.split("\r\n", 1)
    return ("\r\n".join([head.replace("学籍号", title, 1), rest])).encode("utf-8-sig")


async def test_the_column_is_optional_and_named_in_the_template() -> None:
    column = next(c for c in sheet.COLUMNS if c.field == "student_number")
    assert (column.titles, column.required) == (("学籍号", "全国学籍号"), False)


async def test_numbers_are_stored_upper_cased_and_exported(
    client: AsyncClient, session: AsyncSession, county: None, writer: dict[str, str],
    pii_writer: dict[str, str],
) -> None:  # fmt: skip
    rows = [
        {**LOCAL_Z1, "student_number": G_Z1.lower()},  # the column-wise path
        {**LOCAL_Z2, "student_number": J},  # through the schema
        MIGRANT_Z2,  # none
    ]
    response = await upload(client, writer, titled(rows, "全国学籍号"))
    assert response.status_code == 201, response.text
    numbers = dict(
        (await session.execute(select(Application.citizen_id, Application.student_number))).all()
    )
    assert numbers == {
        cid("15060220190315001"): G_Z1,
        cid("15060220190401002"): J,
        cid("13010220181120003"): None,
    }
    back = {
        a["child"]["citizen_id"]: a["child"]["student_number"]
        for a in await exported(client, pii_writer)
    }
    assert back == numbers


async def test_an_xlsx_workbook_takes_the_column_too(
    client: AsyncClient, session: AsyncSession, county: None, writer: dict[str, str]
) -> None:
    response = await upload(client, writer, as_xlsx([{**LOCAL_Z1, "student_number": G_Z1}]), XLSX)
    assert response.status_code == 201, response.text
    assert await session.scalar(select(Application.student_number)) == G_Z1


async def test_bad_numbers_are_named_by_row_and_nothing_is_imported(
    client: AsyncClient, session: AsyncSession, county: None, writer: dict[str, str]
) -> None:
    rows = [
        {**LOCAL_Z1, "student_number": "G" + cid("15060220190401002")},  # LOCAL_Z2's ID
        {**LOCAL_Z2, "student_number": "J150602201903150019"},
        row("15060220190315003", student_number="X" + cid("15060220190315003")),
    ]
    response = await upload(client, writer, as_csv(rows))
    assert response.status_code == 422, response.text
    assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
        ("rows[3].student_number", "student_number_check_character"),
        ("rows[4].student_number", "student_number_format"),
    ]  # cell checks first
    response = await upload(client, writer, as_csv(rows[:1]))
    assert response.status_code == 422, response.text
    assert [(e["field"], e["rule"]) for e in response.json()["errors"]] == [
        ("rows[2].student_number", "student_number_matches_citizen_id"),
    ]
    assert await stored(session) == (0, 0, 0)
