"""Enrollment's connector to 公安 (户籍, 居住证), 不动产登记 and 人社: the kit's protocol
connector with the sources and key this deployment configures (`app.state.fact_connector`)."""

from __future__ import annotations

from fastapi import FastAPI

from enrollment.facts.config import FactAgencyConfig, load_fact_agencies
from enrollment.settings import EnrollmentSettings
from junheng_kit.agency import connector as kit
from junheng_kit.agency.connector import bureau_signer

FactConnector = kit.AgencyConnector[FactAgencyConfig]
STATE_NAME = "fact_connector"


def connector_from_settings(settings: EnrollmentSettings) -> FactConnector:
    """The process's connector. With no source configured no key is needed (nothing is sent)."""
    agencies = load_fact_agencies(settings.fact_agencies_file)
    signer = None
    if agencies:
        signer = bureau_signer(
            settings.fact_signing_key_file,
            environment=settings.environment,
            setting="ENROLLMENT_FACT_SIGNING_KEY_FILE",
        )
    return FactConnector(
        agencies,
        signer,
        requester="junheng-enrollment",
        retries=settings.fact_retries,
        backoff_seconds=settings.fact_backoff_seconds,
        breaker_failures=settings.fact_breaker_failures,
        breaker_reset_seconds=settings.fact_breaker_reset_seconds,
    )


def install_fact_connector(app: FastAPI, settings: EnrollmentSettings) -> None:
    kit.install_connector(app, lambda: connector_from_settings(settings), name=STATE_NAME)
