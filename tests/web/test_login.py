"""The console's door: login, logout, roles, rate limits and redirects after login."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete

from admin.web.app import SESSION_COOKIE
from admin.web.auth import safe_next
from admin.web.users import User
from tests.web.conftest import PASSWORD, csrf_of


def _attempt(client: TestClient, name: str, password: str, next: str = "/admin") -> httpx.Response:
    token = csrf_of(client.get("/admin/login").text)
    return client.post(
        "/admin/login",
        data={"name": name, "password": password, "next": next, "csrf_token": token},
    )


def test_an_anonymous_visitor_is_sent_to_the_login_form_and_back(
    client: TestClient, make_user: Callable[[str, str], None]
) -> None:
    response = client.get("/admin/settings?tab=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/login?next=/admin/settings%3Ftab%3D1"
    form = client.get(response.headers["location"])
    assert 'name="next" value="/admin/settings?tab=1"' in form.text
    make_user("ada", "admin")
    answer = _attempt(client, "ada", PASSWORD, next="/admin/settings?tab=1")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/settings?tab=1"
    assert client.get("/admin/settings").status_code == 200


def test_a_wrong_password_is_refused_and_says_so(
    client: TestClient, make_user: Callable[[str, str], None]
) -> None:
    make_user("ada", "admin")
    response = _attempt(client, "ada", "not the password")
    assert response.status_code == 401
    assert "That name and password do not match." in response.text
    assert client.get("/admin").status_code == 303


def test_an_unknown_name_gets_the_same_answer_as_a_wrong_password(client: TestClient) -> None:
    response = _attempt(client, "nobody", PASSWORD)
    assert response.status_code == 401
    assert "That name and password do not match." in response.text


def test_login_attempts_are_rate_limited_per_name(
    client: TestClient, make_user: Callable[[str, str], None]
) -> None:
    make_user("ada", "admin")
    for _ in range(5):
        assert _attempt(client, "ada", "guess").status_code == 401
    blocked = _attempt(client, "ada", PASSWORD)  # even the right password waits now
    assert blocked.status_code == 429
    assert "Too many attempts. Try again in 15 minutes." in blocked.text
    assert client.get("/admin").status_code == 303


def test_login_without_the_csrf_token_is_refused(
    client: TestClient, make_user: Callable[[str, str], None]
) -> None:
    make_user("ada", "admin")
    client.get("/admin/login")
    response = client.post("/admin/login", data={"name": "ada", "password": PASSWORD})
    assert response.status_code == 403
    assert "This form has expired" in response.text
    forged = client.post(
        "/admin/login", data={"name": "ada", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert forged.status_code == 403


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/admin",
        "//evil.example/admin",
        "/\\evil.example",
        "/subscribe",
        "admin",
        "/admin.evil",
        "javascript:alert(1)",
        "/admin/\r\nSet-Cookie: x=1",
    ],
)
def test_no_open_redirect_after_login(
    client: TestClient, make_user: Callable[[str, str], None], target: str
) -> None:
    make_user("ada", "admin")
    response = _attempt(client, "ada", PASSWORD, next=target)
    assert response.headers["location"] == "/admin"


def test_safe_next_keeps_console_paths_with_their_query() -> None:
    assert safe_next("/admin/subscribers?q=ann") == "/admin/subscribers?q=ann"
    assert safe_next("/admin") == "/admin"
    assert safe_next(None) == "/admin"


def test_logging_out_ends_the_session(admin: TestClient) -> None:
    token = csrf_of(admin.get("/admin").text)
    response = admin.post("/admin/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert admin.get("/admin").status_code == 303
    assert "You have logged out." in admin.get("/admin/login").text


def test_a_marketer_is_kept_out_of_admin_pages(marketer: TestClient) -> None:
    page = marketer.get("/admin")
    assert page.status_code == 200
    assert 'href="/admin/settings"' not in page.text  # not offered in the navigation
    assert 'href="/admin/templates"' in page.text
    refused = marketer.get("/admin/settings")
    assert refused.status_code == 403
    assert "This page is for admins." in refused.text


def test_the_session_cookie_is_signed_http_only_and_same_site(
    client: TestClient, make_user: Callable[[str, str], None]
) -> None:
    make_user("ada", "admin")
    response = _attempt(client, "ada", PASSWORD)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    value = client.cookies[SESSION_COOKIE]
    client.cookies.set(SESSION_COOKIE, value[:-3] + ("AAA" if value[-3:] != "AAA" else "BBB"))
    assert client.get("/admin").status_code == 303  # a tampered cookie is no session


def test_a_session_does_not_outlive_its_user(admin: TestClient, app: FastAPI) -> None:
    with app.state.web.transaction() as session:
        session.execute(delete(User))
    assert admin.get("/admin").status_code == 303


def test_a_logged_in_user_visiting_the_login_form_goes_on(admin: TestClient) -> None:
    response = admin.get("/admin/login?next=/admin/settings")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/settings"
