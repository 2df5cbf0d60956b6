"""Conditional GET (junheng_kit.conditional): 304 for a matching If-None-Match, on a real
service's versioned resource (an enrollment school answers with its ETag)."""

import pytest

from junheng_kit.conditional import matches


class TestMatches:
    @pytest.mark.parametrize(
        ("if_none_match", "etag", "expected"),
        [
            (b'"3"', b'"3"', True),
            (b'W/"3"', b'"3"', True),  # weak comparison (RFC 9110 §13.1.2)
            (b'"3"', b'W/"3"', True),
            (b'"2", "3"', b'"3"', True),
            (b"*", b'"9"', True),
            (b'"2"', b'"3"', False),
            (b'"33"', b'"3"', False),
            (b"", b'"3"', False),
        ],
    )
    def test_weak_comparison_of_the_listed_tags(
        self, if_none_match: bytes, etag: bytes, expected: bool
    ) -> None:
        assert matches(if_none_match, etag) is expected
