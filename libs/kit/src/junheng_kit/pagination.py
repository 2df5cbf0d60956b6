"""Cursor pagination: `?limit=&cursor=`, the cursor an opaque token for the last key seen."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Query

from junheng_kit.problems import FieldError, InvalidInput

LimitQuery = Annotated[int, Query(ge=1, le=500, description="page size")]
CursorQuery = Annotated[str | None, Query(max_length=200, description="from `next_cursor`")]


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(
            "cursor is not one this API issued", FieldError("query.cursor", "cursor_invalid")
        ) from exc
