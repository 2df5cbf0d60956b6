"""If-Match names a row version; anything else is a 422 naming the header and the rule."""

import pytest

from junheng_kit.etags import etag, version_from_if_match
from junheng_kit.problems import InvalidInput


@pytest.mark.parametrize(
    ("header", "version"),
    [(None, None), ("*", None), (' "7" ', 7), ('W/"12"', 12), ("3", 3)],
)
def test_if_match_names_a_version_or_any(header: str | None, version: int | None) -> None:
    assert version_from_if_match(header) == version


@pytest.mark.parametrize("header", ['"abc"', '"-1"', '"1.5"', ""])
def test_a_foreign_etag_is_refused(header: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        version_from_if_match(header)
    assert (refused.value.errors[0].field, refused.value.errors[0].rule) == (
        "header.if-match",
        "etag_format",
    )


def test_the_etag_round_trips() -> None:
    assert etag(7) == '"7"'
    assert version_from_if_match(etag(41)) == 41
