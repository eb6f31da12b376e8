"""Fixtures of the web tests: an app per test on its own database, clients, logins."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from admin.web.app import create_app
from admin.web.ratelimit import Limits
from admin.web.users import add_user
from drip.db import Base, make_engine
from drip.settings import Settings
from tests.web.live import ARTIFACTS, live_server

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)  # TEMPORARY: until 0002_web can follow 0001_subscribers
    engine.dispose()
    return create_app(settings, limits=Limits())


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


@pytest.fixture
def make_user(app: FastAPI) -> Callable[[str, str], None]:
    def make(name: str, role: str) -> None:
        with app.state.web.transaction() as session:
            add_user(session, name, role, PASSWORD)

    return make


def log_in(client: TestClient, name: str, password: str = PASSWORD, next: str = "/admin") -> None:
    token = csrf_of(client.get("/admin/login").text)
    response = client.post(
        "/admin/login",
        data={"name": name, "password": password, "next": next, "csrf_token": token},
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def admin(client: TestClient, make_user: Callable[[str, str], None]) -> TestClient:
    make_user("ada", "admin")
    log_in(client, "ada")
    return client


@pytest.fixture
def marketer(client: TestClient, make_user: Callable[[str, str], None]) -> TestClient:
    make_user("mia", "marketer")
    log_in(client, "mia")
    return client


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole session: the browser tests share it, each in a context."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def live_url(app: FastAPI) -> Iterator[str]:
    with live_server(app) as url:
        yield url


@pytest.fixture
def page(browser: Browser, live_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_url, viewport={"width": 1280, "height": 860})
    page = context.new_page()
    errors: list[str] = []

    def keep_errors(message: ConsoleMessage) -> None:
        if message.type == "error":  # a CSP violation shows up here, among others
            errors.append(message.text)

    page.on("console", keep_errors)
    yield page
    context.close()
    assert not errors, f"the browser console reported errors: {errors}"


def screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    """Saves the page under test-artifacts/ (git-ignored) for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)
