"""Fixtures of the web tests: an app per test on its own database, clients, logins."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from admin.web.app import create_app
from admin.web.ratelimit import Limits
from admin.web.users import add_user
from drip.settings import Settings
from render.screenshots import CHROMIUM, CHROMIUM_ARGS
from tests.web.live import ARTIFACTS, bound_socket, live_server, url_of

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM_ANSWER = re.compile(r"responded with a status of (401|422|429)\b")


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


@pytest.fixture
def server_socket() -> Iterator[socket.socket]:
    """A port for this test's server, bound first so the app's links can name it."""
    sock = bound_socket()
    yield sock
    sock.close()


@pytest.fixture
def settings(settings: Settings, server_socket: socket.socket) -> Settings:
    """The shared settings, with links in emails leading to this test's server."""
    return settings.model_copy(update={"base_url": url_of(server_socket)})


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    app = create_app(settings, limits=Limits())
    yield app
    app.state.web.engine.dispose()  # for tests that never ran the app's lifespan


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


# The live preview re-checks every lesson as you type: on a busy 2-core machine that can
# take longer than Playwright's default 5 s, which would be a slow page, not a wrong one.
expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole session: the browser tests share it, each in a context."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_url(app: FastAPI, server_socket: socket.socket) -> Iterator[str]:
    with live_server(app, server_socket) as url:
        yield url


@pytest.fixture
def page(browser: Browser, live_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_url, viewport={"width": 1280, "height": 860})
    page = context.new_page()
    errors: list[str] = []

    def keep_errors(message: ConsoleMessage) -> None:
        # A CSP violation shows up here, among others; a form answered with its own
        # status (a refused save, a wrong password) is expected, not an error.
        if message.type == "error" and not FORM_ANSWER.search(message.text):
            errors.append(message.text)

    page.on("console", keep_errors)
    yield page
    context.close()
    assert not errors, f"the browser console reported errors: {errors}"


def screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    """Saves the page under test-artifacts/ (git-ignored) for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def outbox(settings: Settings) -> list[EmailMessage]:
    """The messages the outbox backend wrote, oldest first."""
    folder = Path(settings.outbox_dir)
    files = sorted(folder.glob("*.eml"), key=lambda path: path.stat().st_mtime_ns)
    return [
        message_from_bytes(path.read_bytes(), policy=default)  # type: ignore[misc]
        for path in files
    ]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the email has no text part"
    return str(part.get_content())  # type: ignore[attr-defined]


def link_in(message: EmailMessage, route: str) -> str:
    """The path of the first `/route/{token}` link in the email's text."""
    match = re.search(rf"https?://[^\s/]+(/{route}/[A-Za-z0-9_.\-]+)", text_of(message))
    assert match, f"no /{route}/ link in the email"
    return match.group(1)
