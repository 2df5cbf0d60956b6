"""Encrypted columns beyond `fieldcrypt.Encrypted`, and a service's rotation in one call.

- `EncryptedJSON`: a JSON document personal as a whole (a guardian: name, relation, phone),
  stored as one encrypted value of its JSON text.
- `JSONWithEncryptedFields`: a document whose personal leaves (a 户籍 address, a permit number)
  are encrypted strings inside otherwise plain JSON, so code reading its other fields as stored
  text needs no key.
- `reencrypt_all`: what `python -m <service> reencrypt` runs — every `Encrypted`/`EncryptedJSON`
  column (`fieldcrypt.reencrypt`), every document's leaves (`reencrypt_fields`) and every blind
  index declared on a column with `info=blind_index_of(...)` (`fieldcrypt.reindex`, needed after
  a profile switch).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import MetaData, Table, bindparam, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.types import JSON, Text, TypeDecorator

from junheng_kit.fieldcrypt import (
    Encrypted,
    IndexOf,
    Keyring,
    decrypt,
    encrypt,
    is_current,
    keyring,
    reencrypt,
    reindex,
)

BLIND_INDEX = "blind_index"  # the column info key naming how an index column is made


def blind_index_of(
    column: str,
    associated: str,
    kind: str,
    normalise: Callable[..., str],
    *,
    also: tuple[tuple[str, str], ...] = (),
) -> dict[str, Any]:
    """`info` of a blind-index column: made from `column` (stored under `associated`), normalised
    by `normalise`, keyed with `kind` — what `reencrypt_all` recomputes. `also`: more encrypted
    columns (name, associated data) the value is made of, passed to `normalise` after the
    first (`normalise(name, citizen_id)`)."""
    return {BLIND_INDEX: IndexOf(column, associated, kind, normalise, also)}


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document stored encrypted as one value (its compact JSON text, then as `Encrypted`):
    for a document that is personal as a whole (a guardian's name, relation and phone). A bulk
    insert that gives the column "encoded" passes `encrypt(json_text, column)` itself."""

    impl = Text
    cache_ok = True

    def __init__(self, column: str) -> None:
        super().__init__()
        self.column = column

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")), self.column)

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        return None if value is None else json.loads(decrypt(value, self.column))


Path_ = tuple[str, ...]  # the keys to a leaf of a document


class JSONWithEncryptedFields(TypeDecorator[Any]):
    """A JSON document whose personal leaves (`paths`, e.g. ("hukou", "address")) are stored as
    encrypted strings, each with `<column>.<path>` as associated data; the rest stays plain JSON,
    so code that reads the document's other fields as stored text need not decrypt. A bulk
    insert that gives the column "encoded" seals those leaves itself (`field_name`)."""

    impl = JSON
    cache_ok = True

    def __init__(self, column: str, paths: tuple[Path_, ...]) -> None:
        super().__init__()
        self.column = column
        self.paths = paths

    def field_name(self, path: Path_) -> str:
        return f"{self.column}.{'.'.join(path)}"

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return None if value is None else self.rewritten(value, encrypt)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else self.rewritten(value, decrypt)

    def rewritten(self, document: Any, change: Any) -> Any:
        """A copy of `document` with each string leaf at `paths` passed through
        `change(value, associated name)` (the containers on the way copied, the rest shared)."""
        out = dict(document)
        for path in self.paths:
            node: dict[str, Any] | None = out
            for step in path[:-1]:
                child = node.get(step) if node is not None else None
                if not isinstance(child, dict):
                    node = None
                    break
                node[step] = node = dict(child)
            if node is not None and isinstance(node.get(path[-1]), str):
                node[path[-1]] = change(node[path[-1]], self.field_name(path))
        return out


def encrypted_columns(metadata: MetaData) -> dict[Table, dict[str, str]]:
    """Every table of `metadata` with encrypted columns: column name → its associated-data name
    (what `reencrypt` rewrites)."""
    found: dict[Table, dict[str, str]] = {}
    for table in metadata.sorted_tables:
        columns = {
            c.name: c.type.column
            for c in table.columns
            if isinstance(c.type, Encrypted | EncryptedJSON)
        }
        if columns:
            found[table] = columns
    return found


async def reencrypt_all(
    sessionmaker: async_sessionmaker[AsyncSession], metadata: MetaData, *, batch: int = 1000
) -> dict[str, int]:
    """`reencrypt` over every encrypted column of a service's tables (each walked by its one
    primary-key column): rows rewritten by table, by `<table> blind indexes` for the indexes
    recomputed and by `<table>.<column>` for the documents with encrypted leaves (each a pass
    over the same rows)."""
    done: dict[str, int] = {}
    for table, columns in encrypted_columns(metadata).items():
        (key,) = table.primary_key.columns.keys()
        done[table.name] = await reencrypt(sessionmaker, table, columns, key=key, batch=batch)
    for table in metadata.sorted_tables:
        indexes = {c.name: c.info[BLIND_INDEX] for c in table.columns if BLIND_INDEX in c.info}
        if indexes:
            (key,) = table.primary_key.columns.keys()
            done[f"{table.name} blind indexes"] = await reindex(
                sessionmaker, table, indexes, key=key, batch=batch
            )
        for column in table.columns:
            if isinstance(column.type, JSONWithEncryptedFields):
                done[f"{table.name}.{column.name}"] = await reencrypt_fields(
                    sessionmaker, table, column.name, batch=batch
                )
    return done


async def reencrypt_fields(
    sessionmaker: async_sessionmaker[AsyncSession], table: Table, name: str, *, batch: int = 1000
) -> int:
    """`reencrypt` for a `JSONWithEncryptedFields` column: every document read in batches (the
    stale leaves cannot be found by SQL), the ones with a leaf not under the current key and
    algorithm rewritten; the number of rows rewritten."""
    ring = keyring()
    kind = table.c[name].type
    assert isinstance(kind, JSONWithEncryptedFields)
    (key,) = table.primary_key.columns.keys()
    raw = type_coerce(table.c[name], JSON)  # the document as stored, leaves still sealed
    done, after = 0, None
    while True:
        query = select(table.c[key], raw).where(table.c[name].is_not(None))
        if after is not None:
            query = query.where(table.c[key] > after)
        async with sessionmaker() as session, session.begin():
            rows = (await session.execute(query.order_by(table.c[key]).limit(batch))).all()
            if not rows:
                return done
            stale = [
                {"row_key": row[0], "document": kind.rewritten(row[1], _current(ring))}
                for row in rows
                if kind.rewritten(row[1], lambda v, _: v if is_current(v, ring) else "") != row[1]
            ]
            if stale:
                await session.execute(
                    update(table)
                    .where(table.c[key] == bindparam("row_key"))
                    .values({name: bindparam("document", type_=JSON)}),
                    stale,
                    execution_options={"synchronize_session": False},
                )
        done += len(stale)
        after = rows[-1][0]


def _current(ring: Keyring) -> Any:
    def change(stored: str, associated: str) -> str:
        if is_current(stored, ring):
            return stored
        return encrypt(decrypt(stored, associated, ring), associated, ring)

    return change
