"""If-Match names a row version; anything else is a 422 naming the header and the rule."""

import pytest

from junheng_kit.etags import etag, require_version, version_from_if_match
from junheng_kit.i18n import t
from junheng_kit.problems import InvalidInput, PreconditionFailed


@pytest.mark.parametrize(
    ("header", "version"),
    [(None, None), ("*", None), (' "7" ', 7), ('W/"12"', 12), ("3", 3), ('"8-pii"', 8)],
)
def test_if_match_names_a_version_or_any(header: str | None, version: int | None) -> None:
    assert version_from_if_match(header) == version


@pytest.mark.parametrize("header", ['"abc"', '"-1"', '"1.5"', "", '"-pii"', '"8-x"'])
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
    assert etag(7, unmasked=True) == '"7-pii"'  # the unmasked representation of version 7
    assert version_from_if_match(etag(41, unmasked=True)) == 41


class TestRequireVersion:
    def test_the_current_version_or_none_passes(self) -> None:
        require_version("school 2115060001", 3, 3)
        require_version("school 2115060001", 3, None)

    def test_another_version_is_412_naming_the_current_etag(self) -> None:
        with pytest.raises(PreconditionFailed) as raised:
            require_version("school 2115060001", 3, 2)
        assert raised.value.detail == t(
            "school 2115060001 当前版本为 3，不是 2", "school 2115060001 is at version 3, not 2"
        )
        [error] = raised.value.errors
        assert (error.field, error.rule) == ("header.if-match", "version_current")
        assert '"3"' in error.message
