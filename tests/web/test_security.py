"""Security headers, the content security policy the pages keep, and the health check."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from admin.web.access_log import redact_path
from admin.web.app import create_app
from admin.web.ratelimit import RateLimiter
from admin.web.security import PAGE_POLICY
from drip.db import make_engine
from drip.settings import Settings, load_settings

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+=", re.IGNORECASE)


def assert_keeps_the_policy(html: str) -> None:
    """What the page policy would block: inline scripts, styles and event handlers."""
    assert not INLINE_SCRIPT.search(html), "an inline <script>"
    assert not INLINE_STYLE.search(html), "an inline style"
    assert not EVENT_HANDLER.search(html), "an inline event handler"


def test_pages_carry_the_security_headers(admin: TestClient) -> None:
    response = admin.get("/admin")
    headers = response.headers
    assert headers["content-security-policy"] == PAGE_POLICY
    assert "'unsafe-inline'" not in PAGE_POLICY
    assert "script-src 'self'" in PAGE_POLICY
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in headers  # only behind https
    assert_keeps_the_policy(response.text)


@pytest.mark.parametrize("path", ["/admin", "/admin/settings", "/admin/login", "/nowhere"])
def test_every_page_keeps_the_policy(admin: TestClient, path: str) -> None:
    assert_keeps_the_policy(admin.get(path).text)


def test_https_deployments_get_strict_transport_security(settings: Settings) -> None:
    secure = load_settings(
        database_url=settings.database_url, base_url="https://course.example.com"
    )
    with TestClient(create_app(secure)) as client:
        response = client.get("/healthz")
    assert response.headers["strict-transport-security"] == "max-age=31536000"


def test_static_files_are_served_with_the_headers(client: TestClient) -> None:
    for name, kind in [("drip.css", "text/css"), ("drip.js", "javascript")]:
        response = client.get(f"/static/{name}")
        assert response.status_code == 200
        assert kind in response.headers["content-type"]
        assert response.headers["x-content-type-options"] == "nosniff"


def test_the_health_check_answers_when_the_database_does(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_the_health_check_fails_when_the_database_does_not(app: FastAPI) -> None:
    app.state.web.engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with TestClient(app) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_the_console_has_no_api_docs(client: TestClient) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404


def test_server_errors_show_a_page_without_details(app: FastAPI) -> None:
    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert "secret internals" not in response.text


def test_tokens_are_kept_out_of_the_access_log() -> None:
    assert redact_path("/unsubscribe/abc.def-ghi") == "/unsubscribe/[token]"
    assert redact_path("/view/abc?x=1") == "/view/[token]?x=1"
    assert redact_path("/admin/subscribers/12") == "/admin/subscribers/12"


def test_the_rate_limiter_forgets_after_its_window() -> None:
    now = [1000.0]
    limiter = RateLimiter(limit=2, window=60, clock=lambda: now[0])
    limiter.record("a")
    limiter.record("a")
    assert limiter.retry_after("a") == 60
    assert limiter.retry_after("b") == 0
    now[0] += 59.5
    assert limiter.retry_after("a") == 1
    now[0] += 1
    assert limiter.retry_after("a") == 0
    limiter.record("a")
    limiter.reset("a")
    assert limiter.retry_after("a") == 0
