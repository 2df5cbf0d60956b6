"""CloudEvents 1.0 JSON envelope shared by every Junheng event.

The subject `<service>.<aggregate>.<past tense>` is also the CloudEvents `type`. `jurisdiction`
is a CloudEvents extension attribute: the GB/T 2260 code the event belongs to. `data` never holds
a citizen ID.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from junheng_contracts.classification import stamp_default

DataT = TypeVar("DataT", bound=BaseModel)


def _uuid7() -> str:
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | ((rand >> 62) & 0xFFF) << 64
    value |= 0x2 << 62 | rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def _now() -> datetime:
    return datetime.now(UTC)


class EventData(BaseModel):
    """Base of every event payload: frozen, additive only (consumers ignore unknown fields)."""

    model_config = ConfigDict(frozen=True, extra="ignore", json_schema_extra=stamp_default)


class CloudEvent(BaseModel, Generic[DataT]):
    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=stamp_default)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=_uuid7, description="UUIDv7; also the Nats-Msg-Id")
    source: str
    type: str
    subject: str = Field(description="aggregate id, e.g. the school code")
    time: datetime = Field(default_factory=_now)
    datacontenttype: Literal["application/json"] = "application/json"
    jurisdiction: str = Field(description="GB/T 2260 code the event belongs to")
    data: DataT

    event_type: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        field = cls.model_fields.get("type")
        if field is not None and isinstance(field.default, str):
            cls.event_type = field.default

    @classmethod
    def of(cls, *, subject: str, jurisdiction: str, data: Any) -> Self:
        return cls(subject=subject, jurisdiction=jurisdiction, data=data)  # type: ignore[call-arg]
