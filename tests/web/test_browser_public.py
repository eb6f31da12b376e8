"""In a real browser: a visitor subscribes, confirms from the email, and leaves."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from drip.settings import Settings
from tests.web.conftest import link_in, outbox, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def visitor(browser: Browser, live_url: str) -> Page:
    """A phone in New York: the sign-up form should guess its time zone."""
    context = browser.new_context(
        base_url=live_url,
        viewport={"width": 390, "height": 844},
        timezone_id="America/New_York",
        is_mobile=True,
        has_touch=True,
    )
    return context.new_page()


def test_a_visitor_subscribes_confirms_and_unsubscribes_with_one_click(
    visitor: Page, browser: Browser, settings: Settings
) -> None:
    page = visitor
    page.goto("/subscribe")
    expect(page.get_by_label("Time zone")).to_have_value("America/New_York")
    screenshot(page, "subscribe-phone")
    page.get_by_label("Email address").fill("ann@example.com")
    page.get_by_label("First name").fill("Ann")
    page.get_by_label("Send at").select_option("7")
    page.get_by_role("button", name="Start the course").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    screenshot(page, "check-inbox-phone")

    [confirmation] = outbox(settings)
    page.goto(link_in(confirmation, "confirm"))
    expect(page.get_by_role("heading", name="You're in, Ann!")).to_be_visible()
    expect(page.get_by_text("7:00 am (America/New_York)")).to_be_visible()
    screenshot(page, "confirmed-phone")

    # Later: from their preferences, to the unsubscribe link, which only asks...
    page.get_by_role("link", name="Change the hour or time zone").click()
    expect(page.get_by_role("heading", name="Your preferences")).to_be_visible()
    screenshot(page, "preferences-phone")
    page.get_by_role("link", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="Unsubscribe?")).to_be_visible()
    screenshot(page, "unsubscribe-phone")
    # ...and their mail app's one-click unsubscribe (RFC 8058): no cookie, no form token.
    mail_provider = browser.new_context()
    answer = mail_provider.request.post(
        page.url,
        data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (answer.status, answer.text()) == (200, "unsubscribed")
    mail_provider.close()
    page.reload()
    expect(page.get_by_role("heading", name="You're unsubscribed")).to_be_visible()
    screenshot(page, "unsubscribed-phone")
    page.context.close()
