"""A configured partner agency: where it answers and the public key its answers are pinned to.

Each service's agencies file is a JSON list of these (assistance adds the categories an aid
agency answers for; enrollment names one of its four sources); `load_agency_file` reads one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, Field, TypeAdapter, field_validator

from junheng_kit.signing import PublicKey, key_id, public_key_from_text


class AgencyEndpointConfig(BaseModel):
    code: str
    name: str
    base_url: str
    public_key: str  # raw public key (Ed25519; SM2 under 国密), base64url (agency-protocol.md)
    timeout_seconds: float = Field(2.0, gt=0, le=60)

    @field_validator("public_key")
    @classmethod
    def _valid_key(cls, value: str) -> str:
        public_key_from_text(value)
        return value

    @property
    def key(self) -> PublicKey:
        return public_key_from_text(self.public_key)

    @property
    def key_id(self) -> str:
        return key_id(self.key)


Config = TypeVar("Config", bound=AgencyEndpointConfig)


def load_agency_file(path: Path | None, config: type[Config]) -> list[Config]:
    """The agencies a JSON file lists (none without a file); an agency listed twice is refused."""
    if path is None:
        return []
    adapter: TypeAdapter[list[Config]] = TypeAdapter(list[config])  # type: ignore[valid-type]
    agencies = adapter.validate_python(json.loads(path.read_text(encoding="utf-8")))
    codes = [a.code for a in agencies]
    if len(set(codes)) != len(codes):
        raise ValueError(f"{path.name}: an agency is configured twice")
    return agencies
