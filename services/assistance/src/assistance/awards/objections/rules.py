"""公示 objection rules: the states of an objection.

Pure: no I/O.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from junheng_kit.i18n import t
from junheng_kit.problems import Conflict, FieldError, RuleViolated


class ObjectionStatus(StrEnum):
    OPEN = "open"  # raised during 公示: blocks the award's approval
    UPHELD = "upheld"  # the award is rejected (off the list)
    DISMISSED = "dismissed"  # approval may go ahead


def check_objection(*, on_list: bool, received_on: date, starts_on: date, ends_on: date) -> None:
    """An objection names an award on this 公示 list (422 `award_on_list`) and was received
    while the list was shown, both ends included (422 `objection_during_publicity`)."""
    if not on_list:
        raise RuleViolated(
            t("the award is not on this 公示 (public notice) list", "该资助不在此公示名单"),
            FieldError(
                "award_id",
                "award_on_list",
                t("该资助不在此公示名单中", "the award is not on this 公示 list"),
            ),
        )
    if not starts_on <= received_on <= ends_on:
        raise RuleViolated(
            t(
                "an objection is raised during the 公示 (public notice) period",
                "异议须在公示期内提出",
            ),
            FieldError(
                "received_on",
                "objection_during_publicity",
                t(
                    f"公示期为 {starts_on}..{ends_on}",
                    f"公示 (public notice) ran {starts_on}..{ends_on}",
                ),
            ),
        )


def require_open(status: str) -> None:
    """An objection is resolved once (409 `objection_open`)."""
    if status != ObjectionStatus.OPEN:
        raise Conflict(
            t("异议已处理", "the objection is already settled"),
            FieldError(
                "objection_id", "objection_open", t(f"其状态为 {status}", f"it is {status}")
            ),
        )
