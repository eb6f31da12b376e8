"""Fixtures for the delivery tests: settings that send through the SendGrid stand-in."""

from __future__ import annotations

import pytest

from delivery.sendgrid import SendGridBackend
from drip.settings import Settings, load_settings
from tests.support.sendgrid_standin import SendGridStandIn


@pytest.fixture
def sendgrid_settings(sendgrid_standin: SendGridStandIn) -> Settings:
    return load_settings(**sendgrid_standin.settings_overrides())


@pytest.fixture
def sendgrid(sendgrid_settings: Settings) -> SendGridBackend:
    """The real sendgrid client, against the stand-in, with a short timeout."""
    return SendGridBackend(sendgrid_settings, timeout=5)
