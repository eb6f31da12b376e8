"""In a real browser: a marketer edits the lesson template with a live preview."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from render import load_templates
from tests.web.conftest import PASSWORD, screenshot

pytestmark = pytest.mark.browser

LESSON = load_templates()["lesson.html"]


def _log_in(page: Page, name: str, path: str) -> None:
    page.goto(path)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_marketer_edits_the_lesson_template_and_watches_the_preview(
    page: Page, make_user: Callable[[str, str], None]
) -> None:
    make_user("mia", "marketer")
    _log_in(page, "mia", "/admin/lessons")
    expect(page.get_by_role("heading", name="Lessons")).to_be_visible()
    screenshot(page, "lessons")
    page.get_by_role("link", name="Preview").nth(1).click()
    for frame in ("first", "last"):  # desktop and phone
        email = getattr(page.frame_locator("iframe.device-frame"), frame)
        expect(email.get_by_text("Until tomorrow,")).to_be_visible()
    screenshot(page, "lesson-preview")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "lesson-preview-phone", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 860})

    page.get_by_role("link", name="Edit template").click()
    preview = page.frame_locator("iframe[name=preview-frame]")
    expect(preview.get_by_text("Until tomorrow,")).to_be_visible()
    page.get_by_label("Template source").fill(
        LESSON.replace("Until tomorrow,", "See you tomorrow, same time,")
    )
    expect(preview.get_by_text("See you tomorrow, same time,")).to_be_visible()
    expect(page.get_by_role("status").first).to_have_text("Every email passes its checks")
    screenshot(page, "template-editor")
    page.get_by_role("button", name="Save version").click()
    expect(page.get_by_text("Saved lesson.html as version 1.")).to_be_visible()
    expect(page.get_by_text("Version 1, saved by mia")).to_be_visible()


def test_a_broken_edit_is_refused_with_its_line_number(
    page: Page, make_user: Callable[[str, str], None]
) -> None:
    make_user("mia", "marketer")
    _log_in(page, "mia", "/admin/templates/lesson.html")
    line = LESSON.splitlines().index("{% endif %}") + 1
    page.get_by_label("Template source").fill(LESSON.replace("{% endif %}", "{% endfi %}"))
    problems = page.locator("[data-editor-problems]")
    expect(problems).to_contain_text(f"lesson.html:{line}")
    expect(
        page.frame_locator("iframe[name=preview-frame]").get_by_text(
            "This email cannot be rendered"
        )
    ).to_be_visible()
    page.get_by_role("button", name="Save version").click()
    expect(page.get_by_role("status").first).to_have_text("1 problem: not saved")
    expect(problems.get_by_role("button", name=f"lesson.html:{line}")).to_be_visible()
    expect(page.locator(".gutter .bad")).to_have_text(str(line))
    in_force = page.frame_locator("iframe[name=preview-frame]").get_by_text("Until tomorrow,")
    expect(in_force).to_be_visible()  # the preview shows the template as still in force
    screenshot(page, "template-editor-refused")
