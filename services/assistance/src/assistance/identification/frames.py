"""One SELECT as a polars frame, columnar on both databases (the 应助尽助 job's loading path).

Used by the identification repository; benchmarks/assistance_identification.py compares it with
raw sqlite3 cursors and `pl.read_database` on a 1,000,000-student county.
"""

from __future__ import annotations

import io
from typing import Any

import polars as pl
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from assistance.identification import rules

UUID_COLUMNS = ("student_id", "list_ref", "award_id")


def canonical_uuid(column: str) -> pl.Expr:
    """A UUID read as text in its canonical 8-4-4-4-12 form (SQLite stores 32 hex digits)."""
    text = pl.col(column)
    return (
        pl.when(text.str.len_chars() == 32)
        .then(
            pl.concat_str(
                [
                    text.str.slice(0, 8),
                    text.str.slice(8, 4),
                    text.str.slice(12, 4),
                    text.str.slice(16, 4),
                    text.str.slice(20, 12),
                ],
                separator="-",
            )
        )
        .otherwise(text)
        .alias(column)
    )


SEPARATOR = "\x1f"  # ASCII unit separator: joins one column's values in the SQLite dump


async def frame(
    session: AsyncSession,
    statement: Select[*tuple[Any, ...]],
    schema: dict[str, pl.DataType | type[pl.DataType]],
) -> pl.DataFrame:
    """One SELECT as a polars frame with `schema` (columns in the SELECT's order); UUID
    columns in canonical text form on both databases.

    Columnar, on the session's own connection (so it sees its transaction), without a Python
    object per value: PostgreSQL streams the result as CSV (`COPY (…) TO STDOUT`, asyncpg's
    `copy_from_query`) into `pl.read_csv`; SQLite aggregates each column into one string
    (`group_concat(…, SEPARATOR)`) that polars splits. Values holding the separator (never in
    codes, IDs, dates or names the roster accepts) fall back to reading rows. The statement is
    rendered with literal values (codes, years and UUIDs the service produced). Measured on a
    1,000,000-student roster in benchmarks/assistance_identification.py.
    """
    connection = await session.connection()
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    driver = (await connection.get_raw_connection()).driver_connection
    names = list(schema)
    if connection.dialect.name == "postgresql":
        buffer = io.BytesIO()
        await driver.copy_from_query(sql, output=buffer, format="csv")  # type: ignore[union-attr]
        loaded = (
            pl.read_csv(
                buffer.getvalue(),
                has_header=False,
                new_columns=names,
                schema=schema,
            )
            if buffer.tell()
            else pl.DataFrame(schema=schema)
        ).lazy()
    elif connection.dialect.name == "sqlite":
        loaded = await _sqlite_columns(driver, sql, schema)
    else:
        result = await session.execute(statement)
        loaded = pl.DataFrame(result.all(), schema=schema, orient="row").lazy()
    uuids = [canonical_uuid(c) for c in UUID_COLUMNS if c in schema]
    # one collect: splitting, typing and the UUIDs' form run as one plan (per county and frame,
    # polars' fixed cost per collect is what a province's ~100 counties add up)
    return (loaded.with_columns(uuids) if uuids else loaded).collect(engine=rules.ENGINE)


async def _sqlite_columns(
    driver: Any, sql: str, schema: dict[str, pl.DataType | type[pl.DataType]]
) -> pl.LazyFrame:
    """SQLite: every column as one string joined by `SEPARATOR` (char 31; NULL as empty), split by
    polars.

    One row comes back instead of one per student, so no Python object per value (a column
    is limited to SQLITE_MAX_LENGTH, 10⁹ bytes: ~30 million pupils per county). The
    aggregates of one query see the rows in the same order, so the columns line up.
    """
    names = list(schema)
    labels = ", ".join(f"c{i}" for i in range(len(names)))
    # the separator as a literal: with `char(31)` or a bound parameter as its separator SQLite's
    # group_concat took half as long again (a 19,000-pupil roster: 18 ms, 12 ms with the literal)
    joined = ", ".join(
        f"group_concat(coalesce(CAST(c{i} AS TEXT), ''), '{SEPARATOR}')" for i in range(len(names))
    )
    rows = await driver.execute_fetchall(
        f"WITH q({labels}) AS ({sql}) SELECT count(*), {joined} FROM q"  # noqa: S608 - our own SELECT
    )
    count, *values = rows[0]
    if count == 0:
        return pl.LazyFrame(schema=schema)
    if any(value.count(SEPARATOR) != count - 1 for value in values):  # a value held it
        rows = await driver.execute_fetchall(sql)
        text = pl.LazyFrame(rows, schema=names, orient="row").with_columns(
            pl.col(name).cast(pl.String).fill_null("") for name in names
        )
    else:  # every column split in one plan
        text = (
            pl.LazyFrame(
                [
                    pl.Series(name, [value], dtype=pl.String)
                    for name, value in zip(names, values, strict=True)
                ]
            )
            .select(pl.all().str.split(SEPARATOR))
            .explode(names)
        )
    return text.select(_typed(name, kind) for name, kind in schema.items())


def _typed(name: str, kind: pl.DataType | type[pl.DataType]) -> pl.Expr:
    """A dumped text column back to its type; an empty value is NULL (no column of these
    frames holds an empty string)."""
    text = pl.when(pl.col(name) != "").then(pl.col(name))
    if kind == pl.Date:
        return text.str.to_date("%Y-%m-%d").alias(name)
    if kind == pl.String:
        return text.alias(name)
    return text.cast(kind).alias(name)
