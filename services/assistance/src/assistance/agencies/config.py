"""Which partner agencies this deployment talks to, and with which pinned keys.

`ASSISTANCE_AGENCIES_FILE` names a JSON list:
`[{"code": "mca", "name": "民政", "base_url": "http://127.0.0.1:8201", "public_key": "<raw
Ed25519 public key, base64url>", "categories": ["dibao", "tekun", …], "timeout_seconds": 2.0}]`.
The categories an agency answers for are configuration (domain.md §4.2: PARAM per province).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import field_validator

from assistance.categories import AGENCIES, CATEGORIES
from junheng_kit.agency.config import AgencyEndpointConfig, load_agency_file
from junheng_kit.i18n import RuleError, t


class AgencyConfig(AgencyEndpointConfig):
    categories: list[str]

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


def load_agencies(path: Path | None) -> list[AgencyConfig]:
    return load_agency_file(path, AgencyConfig)
