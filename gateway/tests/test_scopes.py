"""Scopes a client may hold: read/write per service, `assistance:pii`, `enrollment:pii` and
`staffing:pii` for personal data, and `audit:read` for every service's audit trail."""

import pytest

from gateway.auth.rules import known_scopes, validate_scopes
from junheng_kit.problems import InvalidInput

SERVICES = ("enrollment", "staffing", "assistance", "evaluation")


def test_every_service_has_read_and_write_and_the_three_holding_personal_data_have_pii() -> None:
    scopes = known_scopes(SERVICES)
    assert len(scopes) == 12  # 4 services × read/write, 3 × pii, audit:read
    assert "audit:read" in scopes
    assert {s for s in scopes if s.endswith(":pii")} == {
        "assistance:pii",
        "enrollment:pii",
        "staffing:pii",
    }
    assert validate_scopes(["assistance:pii", "assistance:read"], SERVICES) == [
        "assistance:pii",
        "assistance:read",
    ]


def test_a_pii_scope_for_another_service_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_scopes(["evaluation:pii"], SERVICES)
    assert refused.value.errors[0].rule == "scope_known"
