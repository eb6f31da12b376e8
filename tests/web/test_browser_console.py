"""In a real browser: logging in to the console, on a desktop and on a phone."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import PASSWORD, screenshot

pytestmark = pytest.mark.browser


def test_an_admin_logs_in_and_finds_the_console(
    page: Page, make_user: Callable[[str, str], None]
) -> None:
    make_user("ada", "admin")
    page.goto("/admin/settings")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    screenshot(page, "login")
    page.get_by_label("Name").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    screenshot(page, "settings")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "settings-phone")
