"""Cursor pagination helpers: one page cut from the rows read, the cursor after it, and every
cursor this API did not issue refused as 422 `cursor_invalid`."""

from dataclasses import dataclass
from uuid import UUID

import pytest

from junheng_kit.pagination import (
    cut_page,
    decode_cursor,
    decode_key_cursor,
    decode_uuid_cursor,
    encode_cursor,
    fetch_limit,
)
from junheng_kit.problems import InvalidInput

IDS = [UUID(int=n) for n in range(1, 6)]


@dataclass
class Plan:
    school_code: str
    level: str


def refused(call: object) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as raised:
        call()  # type: ignore[operator]
    return [(e.field, e.rule) for e in raised.value.errors]


class TestCutPage:
    def test_the_extra_row_read_gives_the_cursor_of_the_last_kept(self) -> None:
        rows = IDS[: fetch_limit(3)]  # four read for a page of three
        page, cursor = cut_page(rows, 3, key=lambda row: row)
        assert page == IDS[:3]
        assert cursor is not None
        assert decode_uuid_cursor(cursor) == IDS[2]

    def test_the_last_page_has_no_cursor(self) -> None:
        assert cut_page(IDS[:3], 3, key=lambda row: row) == (IDS[:3], None)
        assert cut_page([], 3, key=lambda row: row) == ([], None)

    def test_a_composite_key_round_trips(self) -> None:
        rows = [Plan("2115060001", "primary"), Plan("2115060001", "junior")]
        page, cursor = cut_page(rows, 1, key=lambda p: (p.school_code, p.level))
        assert page == rows[:1]
        assert decode_key_cursor(cursor, 2) == ("2115060001", "primary")


class TestRefusedCursors:
    def test_no_cursor_is_the_first_page(self) -> None:
        assert decode_uuid_cursor(None) is None
        assert decode_key_cursor(None, 2) is None

    @pytest.mark.parametrize("cursor", ["%%%", "not base64 ✓"])
    def test_not_base64(self, cursor: str) -> None:
        assert refused(lambda: decode_cursor(cursor)) == [("query.cursor", "cursor_invalid")]

    def test_base64_of_something_that_is_no_uuid(self) -> None:
        cursor = encode_cursor("2115060001")
        assert refused(lambda: decode_uuid_cursor(cursor)) == [("query.cursor", "cursor_invalid")]

    @pytest.mark.parametrize("key", ["2115060001", "2115060001/primary/x", "/primary"])
    def test_a_key_of_another_shape(self, key: str) -> None:
        cursor = encode_cursor(key)
        assert refused(lambda: decode_key_cursor(cursor, 2)) == [("query.cursor", "cursor_invalid")]
