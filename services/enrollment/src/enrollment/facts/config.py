"""Which enrollment sources this deployment asks, and with which pinned keys.

`ENROLLMENT_FACT_AGENCIES_FILE` names a JSON list, as assistance's agencies file:
`[{"code": "permit", "name": "公安 居住证", "base_url": "http://127.0.0.1:8212",
"public_key": "<raw Ed25519 public key, base64url>", "timeout_seconds": 2.0}]`; codes are the
protocol's (`junheng_kit.agency.facts.AGENCY_NAMES`): hukou, permit, estate, social.
"""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from junheng_kit.agency.facts import AGENCY_NAMES
from junheng_kit.signing import key_id, public_key_from_text


class FactAgencyConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: str
    name: str
    base_url: str
    public_key: str
    timeout_seconds: float = Field(2.0, gt=0, le=60)

    @field_validator("code")
    @classmethod
    def _known_agency(cls, value: str) -> str:
        if value not in AGENCY_NAMES:
            raise ValueError(f"agency_known: {value} is not one of {', '.join(AGENCY_NAMES)}")
        return value

    @field_validator("public_key")
    @classmethod
    def _valid_key(cls, value: str) -> str:
        public_key_from_text(value)
        return value

    @property
    def key(self) -> Ed25519PublicKey:
        return public_key_from_text(self.public_key)

    @property
    def key_id(self) -> str:
        return key_id(self.key)


_LIST = TypeAdapter(list[FactAgencyConfig])


def load_fact_agencies(path: Path | None) -> list[FactAgencyConfig]:
    if path is None:
        return []
    agencies = _LIST.validate_python(json.loads(path.read_text(encoding="utf-8")))
    codes = [a.code for a in agencies]
    if len(set(codes)) != len(codes):
        raise ValueError(f"{path.name}: an agency is configured twice")
    return agencies
