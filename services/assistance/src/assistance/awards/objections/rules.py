"""公示 objection rules: the states of an objection.

Pure: no I/O.
"""

from __future__ import annotations

from enum import StrEnum


class ObjectionStatus(StrEnum):
    OPEN = "open"  # raised during 公示: blocks the award's approval
    UPHELD = "upheld"  # the award is rejected (off the list)
    DISMISSED = "dismissed"  # approval may go ahead
