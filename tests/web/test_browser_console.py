"""In a real browser: an admin logs in and looks after subscribers, on a desktop and a phone."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from subscribers import Consent, add_confirmed, subscribe
from tests.web.conftest import PASSWORD, screenshot

pytestmark = pytest.mark.browser


class NoMail:
    def send_confirmation(self, confirmation: object) -> None:
        pass

    def send_goodbye(self, goodbye: object) -> None:
        pass


def _seed(app: FastAPI) -> None:
    settings = app.state.web.settings
    people = [
        ("ann@example.com", "Ann Lee", "Europe/Berlin", 7),
        ("bob@example.org", "Bob Stone", "America/New_York", 8),
        ("chidi@example.net", "Chidi", "Africa/Lagos", 6),
    ]
    with app.state.web.transaction() as session:
        for email, name, zone, hour in people:
            add_confirmed(
                session,
                settings,
                email,
                consent=Consent(source="webinar sign-up sheet"),
                name=name,
                timezone=zone,
                send_hour=hour,
            )
        consent = Consent(source="web form", form="/subscribe", text="By starting the course…")
        subscribe(session, settings, NoMail(), "dee@example.com", consent=consent, name="Dee")


def test_an_admin_logs_in_and_looks_after_subscribers(
    page: Page, app: FastAPI, make_user: Callable[[str, str], None]
) -> None:
    make_user("ada", "admin")
    _seed(app)
    page.goto("/admin/subscribers")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    screenshot(page, "login")
    page.get_by_label("Name").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Subscribers")).to_be_visible()
    screenshot(page, "subscribers")

    page.get_by_role("link", name="ann@example.com").click()
    expect(page.get_by_text("webinar sign-up sheet", exact=True)).to_be_visible()
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_text("Paused: ann@example.com.")).to_be_visible()
    screenshot(page, "subscriber")

    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_text("Awaiting confirmation")).to_be_visible()
    screenshot(page, "dashboard")
    page.get_by_role("link", name="Settings").click()
    screenshot(page, "settings")
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="Subscribers").click()
    screenshot(page, "subscribers-phone")
