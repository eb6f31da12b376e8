"""In a real browser: an admin dry-runs the send that is due, confirms it and reads the report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from drip.columns import utc_now
from drip.settings import Settings
from scheduler.run import send_due
from subscribers import Consent, add_confirmed
from tests.web.conftest import PASSWORD, outbox, screenshot

pytestmark = pytest.mark.browser

NEWCOMERS = [
    ("ann@example.com", "Ann Lee", "Europe/Berlin", 7),
    ("bob@example.org", "Bob Stone", "America/New_York", 8),
    ("chidi@example.net", "Chidi", "Africa/Lagos", 6),
]
# Subscribed yesterday: their welcome went out then, and lesson 2 fell due at their
# hour, within the last two hours (after this morning's tick).
REGULARS = [
    ("dee@example.com", "Dee", "UTC", 0),
    ("eve@example.com", "Eve", "Asia/Kolkata", 0),
    ("fay@example.com", "Fay Wong", "Australia/Sydney", 0),
]
# Subscribed this morning: welcomed, lesson 2 comes tomorrow.
EARLY_BIRDS = [
    ("gus@example.com", "Gus", "Europe/Lisbon", 7),
    ("hana@example.jp", "Hana", "Asia/Tokyo", 8),
]


def welcomed(app: FastAPI, people: list[tuple[str, str, str, int]], ago: timedelta) -> None:
    """Subscribe `people` `ago` and send their welcome then (through the outbox)."""
    context = app.state.web
    then = utc_now() - ago
    with context.transaction() as session:
        for email, name, zone, hour in people:
            consent = Consent(source="webinar sign-up sheet")
            add_confirmed(
                session,
                context.settings,
                email,
                consent=consent,
                name=name,
                timezone=zone,
                send_hour=hour,
                now=then,
            )
    send_due(context.sessions, context.send_job(), at=then)


def an_hour_ago_at(zone: str) -> int:
    return (utc_now() - timedelta(hours=1)).astimezone(ZoneInfo(zone)).hour


def seed(app: FastAPI) -> None:
    regulars = [(email, name, zone, an_hour_ago_at(zone)) for email, name, zone, _ in REGULARS]
    welcomed(app, regulars, timedelta(hours=26))
    welcomed(app, EARLY_BIRDS, timedelta(hours=3))
    with app.state.web.transaction() as session:
        for email, name, zone, hour in NEWCOMERS:
            add_confirmed(
                session,
                app.state.web.settings,
                email,
                consent=Consent(source="web form"),
                name=name,
                timezone=zone,
                send_hour=hour,
            )


def test_an_admin_dry_runs_and_triggers_a_send(
    page: Page, app: FastAPI, settings: Settings, make_user: Callable[[str, str], None]
) -> None:
    make_user("ada", "admin")
    seed(app)
    sent_before = len(outbox(settings))
    page.goto("/admin/login?next=/admin/sends")
    page.get_by_label("Name").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Due now")).to_be_visible()
    button = page.get_by_role("button", name="Send 6 emails now")
    expect(button).to_be_visible()
    screenshot(page, "sends-dry-run")
    assert len(outbox(settings)) == sent_before  # the dry run sent nothing

    button.click()
    expect(page.get_by_role("heading", name="Send finished")).to_be_visible()
    report = page.locator("#report")
    expect(report.locator(".outcome-sent .stat-value")).to_have_text("6")
    expect(report.get_by_role("row")).to_have_count(3)  # the header and two lessons
    expect(page.get_by_text("Nothing is due right now")).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")  # the redirect went to #report
    screenshot(page, "sends-report")
    assert len(outbox(settings)) == sent_before + 6

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    screenshot(page, "sends-phone")
