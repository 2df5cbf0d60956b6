"""Assistance's connector to 民政 / 残联 / 乡村振兴 / 农牧: the kit's protocol connector
(`junheng_kit.agency.connector`: signed calls, timeouts, retries, breaker) with the agencies and
key this deployment configures (`ASSISTANCE_AGENCIES_FILE`, `ASSISTANCE_AGENCY_SIGNING_KEY_FILE`).
"""

from __future__ import annotations

from fastapi import FastAPI

from assistance.agencies.config import AgencyConfig, load_agencies
from assistance.settings import AssistanceSettings
from junheng_kit.agency import connector as kit
from junheng_kit.agency.connector import AgencyKeyMissing, AgencyReply, bureau_signer

AgencyConnector = kit.AgencyConnector[AgencyConfig]

__all__ = [
    "AgencyConnector",
    "AgencyKeyMissing",
    "AgencyReply",
    "connector_from_settings",
    "install_connector",
]


def connector_from_settings(settings: AssistanceSettings) -> AgencyConnector:
    """The process's connector. With no agencies configured no key is needed (nothing is sent)."""
    agencies = load_agencies(settings.agencies_file)
    signer = None
    if agencies:
        signer = bureau_signer(
            settings.agency_signing_key_file,
            environment=settings.environment,
            setting="ASSISTANCE_AGENCY_SIGNING_KEY_FILE",
        )
    return AgencyConnector(
        agencies,
        signer,
        retries=settings.agency_retries,
        backoff_seconds=settings.agency_backoff_seconds,
        breaker_failures=settings.agency_breaker_failures,
        breaker_reset_seconds=settings.agency_breaker_reset_seconds,
    )


def install_connector(app: FastAPI, settings: AssistanceSettings) -> None:
    """Open the connector in the app's lifespan (`app.state.agency_connector`), close it after."""
    kit.install_connector(app, lambda: connector_from_settings(settings))
