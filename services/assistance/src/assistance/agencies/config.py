"""Which partner agencies this deployment talks to, and with which pinned keys.

`ASSISTANCE_AGENCIES_FILE` names a JSON list:
`[{"code": "mca", "name": "民政", "base_url": "http://127.0.0.1:8201", "public_key": "<raw
Ed25519 public key, base64url>", "categories": ["dibao", "tekun", …], "timeout_seconds": 2.0}]`.
The categories an agency answers for are configuration (domain.md §4.2: PARAM per province).
"""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, Field, TypeAdapter, field_validator

from assistance.categories import AGENCIES, CATEGORIES
from junheng_kit.i18n import RuleError, t
from junheng_kit.signing import key_id, public_key_from_text


class AgencyConfig(BaseModel):
    code: str
    name: str
    base_url: str
    public_key: str
    categories: list[str]
    timeout_seconds: float = Field(2.0, gt=0, le=60)

    @field_validator("code")
    @classmethod
    def _known_agency(cls, value: str) -> str:
        if value not in AGENCIES:
            raise RuleError(
                "agency_known",
                t(
                    f"{value} 不是以下之一：{', '.join(AGENCIES)}",
                    f"{value} is not one of {', '.join(AGENCIES)}",
                ),
            )
        return value

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c not in CATEGORIES]
        if unknown:
            raise RuleError(
                "category_known",
                t(f"未知的类别：{', '.join(unknown)}", f"unknown categories: {', '.join(unknown)}"),
            )
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


_AGENCY_LIST = TypeAdapter(list[AgencyConfig])


def load_agencies(path: Path | None) -> list[AgencyConfig]:
    if path is None:
        return []
    agencies = _AGENCY_LIST.validate_python(json.loads(path.read_text(encoding="utf-8")))
    codes = [a.code for a in agencies]
    if len(set(codes)) != len(codes):
        raise ValueError(f"{path.name}: an agency is configured twice")
    return agencies
