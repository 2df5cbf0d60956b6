"""Cursor pagination: `?limit=&cursor=`, the cursor an opaque token for the last key seen.

A list endpoint reads one row more than the page (`fetch_limit`) after the decoded cursor,
then `cut_page` keeps the page and makes the next cursor from its last row's key (None when
that extra row was not there: the last page):

    rows = await repository.page(after=decode_uuid_cursor(cursor), limit=fetch_limit(limit))
    rows, next_cursor = cut_page(rows, limit, key=lambda row: row.id)
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import Query

from junheng_kit.i18n import t
from junheng_kit.problems import FieldError, InvalidInput

LimitQuery = Annotated[int, Query(ge=1, le=500, description="page size")]
CursorQuery = Annotated[str | None, Query(max_length=200, description="from `next_cursor`")]

Row = TypeVar("Row")
KEY_SEPARATOR = "/"  # between the parts of a composite key (codes and levels hold none)


def _invalid() -> InvalidInput:
    return InvalidInput(
        t("游标不是本接口签发的", "cursor is not one this API issued"),
        FieldError("query.cursor", "cursor_invalid"),
    )


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    padded = cursor + "=" * (-len(cursor) % 4)
    try:  # validated: characters outside the URL-safe alphabet are refused, not skipped
        key = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise _invalid() from exc
    if not key:
        raise _invalid()
    return key


def decode_uuid_cursor(cursor: str | None) -> UUID | None:
    """The id a cursor of a list ordered by UUID holds; 422 `cursor_invalid` for anything else."""
    value = decode_cursor(cursor)
    if not value:
        return None
    try:
        return UUID(value)
    except ValueError as exc:
        raise _invalid() from exc


def decode_key_cursor(cursor: str | None, parts: int) -> tuple[str, ...] | None:
    """The composite key (`parts` strings) a cursor holds; 422 `cursor_invalid` otherwise."""
    value = decode_cursor(cursor)
    if not value:
        return None
    key = tuple(value.split(KEY_SEPARATOR))
    if len(key) != parts or not all(key):
        raise _invalid()
    return key


def fetch_limit(limit: int) -> int:
    """Rows to read for a page of `limit`: one more, which tells whether a next page exists."""
    return limit + 1


def cut_page(
    rows: Sequence[Row], limit: int, *, key: Callable[[Row], Any]
) -> tuple[list[Row], str | None]:
    """The page (the first `limit` rows of `fetch_limit(limit)` read) and the cursor after its
    last row — None on the last page. `key` gives the row's key: a string, a UUID or a tuple of
    strings (joined with `/`)."""
    page = list(rows[:limit])
    if len(rows) <= limit or not page:
        return page, None
    value = key(page[-1])
    text = KEY_SEPARATOR.join(value) if isinstance(value, tuple) else str(value)
    return page, encode_cursor(text)
