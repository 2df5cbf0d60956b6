"""Which enrollment sources this deployment asks, and with which pinned keys.

`ENROLLMENT_FACT_AGENCIES_FILE` names a JSON list, as assistance's agencies file:
`[{"code": "permit", "name": "公安 居住证", "base_url": "http://127.0.0.1:8212",
"public_key": "<raw Ed25519 public key, base64url>", "timeout_seconds": 2.0}]`; codes are the
protocol's (`junheng_kit.agency.facts.AGENCY_NAMES`): hukou, permit, estate, social.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ConfigDict, field_validator

from junheng_kit.agency.config import AgencyEndpointConfig, load_agency_file
from junheng_kit.agency.facts import AGENCY_NAMES
from junheng_kit.i18n import RuleError, t


class FactAgencyConfig(AgencyEndpointConfig):
    model_config = ConfigDict(extra="ignore")

    @field_validator("code")
    @classmethod
    def _known_agency(cls, value: str) -> str:
        if value not in AGENCY_NAMES:
            raise RuleError(
                "agency_known",
                t(
                    f"{value} 不是 {', '.join(AGENCY_NAMES)} 之一",
                    f"{value} is not one of {', '.join(AGENCY_NAMES)}",
                ),
            )
        return value


def load_fact_agencies(path: Path | None) -> list[FactAgencyConfig]:
    return load_agency_file(path, FactAgencyConfig)
