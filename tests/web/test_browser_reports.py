"""In a real browser: an admin reads a week of sending on the dashboard (the funnel, the
next sends, a failure they retry) and one subscriber's timeline."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from tests.web import history
from tests.web.conftest import PASSWORD, screenshot
from tests.web.live import ARTIFACTS

pytestmark = pytest.mark.browser


def test_an_admin_reads_the_dashboard_retries_a_failure_and_opens_a_timeline(
    page: Page, app: FastAPI, make_user: Callable[[str, str], None]
) -> None:
    make_user("ada", "admin")
    seeded = history.build(app)
    page.goto("/admin/login")
    page.get_by_label("Name").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Funnel per lesson")).to_be_visible()
    expect(page.locator("svg.funnel")).to_be_visible()
    failures = page.locator("#failures")
    expect(failures.get_by_text(history.REFUSED)).to_be_visible()
    screenshot(page, "dashboard-funnel")
    funnel_panel = page.locator("section", has=page.locator("svg.funnel"))
    funnel_panel.screenshot(path=str(ARTIFACTS / "dashboard-funnel-chart.png"))

    failures.get_by_role("button", name="Retry").click()
    expect(page.get_by_text("Queued 1 failed delivery again")).to_be_visible()
    expect(page.get_by_role("heading", name="Due now")).to_be_visible()

    page.goto(f"/admin/subscribers/{seeded.ann_id}")
    timeline = page.locator(".timeline")
    expect(timeline.get_by_text("Opened").first).to_be_visible()
    screenshot(page, "subscriber-timeline")
