"""Pictures of emails as a reader sees them: headless Chromium at 600 and 375 px.

Playwright drives Debian's chromium (`executable_path`; Playwright's own browser
download does not work offline). Each page is loaded from a file and may fetch
nothing else: emails carry no remote resources, and a preview must not phone home.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from render.errors import RenderError

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTHS = (600, 375)  # a desktop reading pane and a phone


@contextmanager
def _browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # a dev extra: the screenshots are for people previewing emails
        raise RenderError("screenshots need Playwright: pip install 'drip[dev]'") from None
    if not CHROMIUM.exists():
        raise RenderError(f"{CHROMIUM}: not found; install Debian's chromium (make install)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def screenshot_pages(pages: Iterable[Path], widths: Iterable[int] = WIDTHS) -> list[Path]:
    """A full-page PNG of each HTML file at each width, beside it: NAME-600.png, ..."""
    written: list[Path] = []
    with _browser() as browser:
        for width in widths:
            context = browser.new_context(viewport={"width": width, "height": 800})
            context.route("**/*", _only_files)
            page = context.new_page()
            for html in pages:
                page.goto(html.resolve().as_uri(), wait_until="load")
                png = html.with_name(f"{html.stem}-{width}.png")
                page.screenshot(path=str(png), full_page=True)
                written.append(png)
            context.close()
    return written


def _only_files(route: Any) -> None:
    if route.request.url.startswith("file://"):
        route.continue_()
    else:
        route.abort()
