"""Column-wise bulk INSERT for set-based use-cases (imports of tens of thousands of rows).

`connection.execute(insert(table), rows)` builds a parameter dict per row and runs every bind
processor per row through SQLAlchemy's compiled-parameter machinery. Here the statement is
compiled once for the connection's dialect, each column's bind processor (the same one
SQLAlchemy would use: UUID, date, JSON, enum, UtcDateTime) runs over its column in one pass, and
the driver gets one `executemany` per chunk of tuples. Values are what the ORM columns accept,
except the columns named `encoded`: those hold what the driver takes (JSON already serialised
column-wise, e.g. by polars) and skip the bind processor. With `replace_on` (the primary key or a
unique key) a row whose key exists replaces it: `INSERT … ON CONFLICT (key) DO UPDATE SET` every
other column to the new value (PostgreSQL and SQLite alike).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

CHUNK = 5000


def _processed(processor: Callable[[Any], Any], values: Sequence[Any]) -> list[Any]:
    """The processor over a column, once per distinct value when values repeat (dates, codes,
    timestamps of one import); unhashable values (JSON lists) one by one."""
    try:
        distinct = dict.fromkeys(values)
    except TypeError:
        return [processor(v) for v in values]
    if len(distinct) * 2 > len(values):
        return [processor(v) for v in values]
    done = {v: processor(v) for v in distinct}
    return [done[v] for v in values]


_COMPILED: dict[tuple[Table, str, tuple[str, ...], tuple[str, ...]], tuple[str, list[str]]] = {}


def _statement(table: Table, dialect: Dialect, names: tuple[str, ...], key: tuple[str, ...]) -> Any:
    if not key:
        return insert(table)
    statement: postgresql.Insert | sqlite.Insert
    if dialect.name == "postgresql":
        statement = postgresql.insert(table)
    elif dialect.name == "sqlite":
        statement = sqlite.insert(table)
    else:
        raise NotImplementedError(f"{dialect.name}: no INSERT … ON CONFLICT here")
    return statement.on_conflict_do_update(
        index_elements=list(key),
        set_={name: statement.excluded[name] for name in names if name not in key},
    )


def _compiled(
    table: Table, dialect: Dialect, names: tuple[str, ...], key: tuple[str, ...] = ()
) -> tuple[str, list[str]]:
    """The INSERT (or upsert on `key`) for these columns in the dialect's SQL, and its bind
    names in the driver's order — compiled once per process (a small batch of rows cost less
    than the compile)."""
    cached = (table, dialect.name, names, key)
    if cached not in _COMPILED:
        statement = _statement(table, dialect, names, key)
        compiled = statement.compile(dialect=dialect, column_keys=list(names))
        order = compiled.positiontup  # bind names (= column keys) in the driver's order
        if order is None or set(order) != set(names):
            raise NotImplementedError(f"{dialect.name}: positional parameters per column expected")
        _COMPILED[cached] = (compiled.string, list(order))
    return _COMPILED[cached]


async def insert_columns(
    connection: AsyncConnection,
    table: Table,
    columns: Mapping[str, Sequence[Any]],
    *,
    encoded: Collection[str] = (),
    replace_on: Sequence[str] = (),
) -> int:
    """Insert len(any column) rows given as equal-length columns; returns the row count.

    `encoded`: columns given in the driver's form (a JSON column as its JSON text), inserted as
    they are. `replace_on`: the key columns (given among `columns`) whose existing row the new
    one replaces."""
    names = list(columns)
    lengths = {len(columns[name]) for name in names}
    if len(lengths) != 1:
        raise ValueError(f"columns of unequal length for {table.name}: {sorted(lengths)}")
    count = lengths.pop()
    if count == 0:
        return 0
    dialect = connection.dialect
    missing = [name for name in replace_on if name not in columns]
    if missing:
        raise ValueError(f"replace_on names columns not given for {table.name}: {missing}")
    statement, order = _compiled(table, dialect, tuple(names), tuple(replace_on))
    ordered = []
    for name in order:
        processor = None if name in encoded else table.c[name].type._cached_bind_processor(dialect)
        values = columns[name]
        ordered.append(values if processor is None else _processed(processor, values))
    rows = list(zip(*ordered, strict=True))
    for start in range(0, count, CHUNK):
        await connection.exec_driver_sql(statement, rows[start : start + CHUNK])
    return count
