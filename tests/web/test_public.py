"""The public pages over HTTP: sign-up, confirm, unsubscribe (one-click too), preferences,
view in the browser."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from admin.web.security import EMAIL_POLICY
from drip.settings import Settings
from subscribers import Consent, Links, Status, Subscriber, add_confirmed, find
from tests.web.conftest import csrf_of, link_in, outbox
from tests.web.test_security import assert_keeps_the_policy


def _sign_up(client: TestClient, **fields: str) -> httpx.Response:
    token = csrf_of(client.get("/subscribe").text)
    data = {"email": "ann@example.com", "name": "Ann", "timezone": "Europe/Berlin", "hour": "7"}
    return client.post("/subscribe", data={**data, **fields, "csrf_token": token})


def _subscriber(app: FastAPI, email: str = "ann@example.com") -> Subscriber:
    with app.state.web.sessions() as session:
        found = find(session, email)
    assert found is not None
    return found


@pytest.fixture
def member(app: FastAPI) -> Subscriber:
    """Bea, an active subscriber who confirmed elsewhere."""
    with app.state.web.transaction() as session:
        subscriber, _new = add_confirmed(
            session,
            app.state.web.settings,
            "bea@example.com",
            consent=Consent(source="test"),
            name="Bea",
            timezone="Asia/Kolkata",
            send_hour=9,
        )
    return subscriber


def _path(url: str) -> str:
    return urlsplit(url).path


def test_the_sign_up_form_shows_the_consent_it_records(client: TestClient) -> None:
    page = client.get("/subscribe")
    assert page.status_code == 200
    assert "By starting the course you agree to receive 6 daily lesson emails" in page.text
    assert 'data-timezone-guess="UTC"' in page.text  # the browser fills in its own zone
    assert '<option value="8" selected>' in page.text  # DRIP_SEND_HOUR
    assert_keeps_the_policy(page.text)


def test_signing_up_sends_one_confirmation_and_records_the_consent(
    client: TestClient, app: FastAPI, settings: Settings
) -> None:
    response = _sign_up(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/subscribe/check-your-inbox"
    assert (
        "We sent a confirmation link to <strong>ann@example.com</strong>"
        in client.get("/subscribe/check-your-inbox").text
    )
    subscriber = _subscriber(app)
    assert subscriber.status is Status.PENDING
    assert (subscriber.timezone, subscriber.send_hour) == ("Europe/Berlin", 7)
    assert subscriber.name == "Ann"
    assert subscriber.consent_source == "web form"
    assert subscriber.consent_form == "/subscribe"
    assert subscriber.consent_text.startswith("By starting the course you agree")
    assert subscriber.consent_ip == "testclient"
    [confirmation] = outbox(settings)
    assert confirmation["To"] == "Ann <ann@example.com>"
    assert link_in(confirmation, "confirm")


def test_the_answer_is_the_same_for_a_known_address(
    client: TestClient, member: Subscriber, settings: Settings
) -> None:
    fresh = _sign_up(client, email="new@example.com")
    known = _sign_up(client, email=member.email)
    assert fresh.status_code == known.status_code == 303
    assert fresh.headers["location"] == known.headers["location"]
    assert [m["To"] for m in outbox(settings)] == ["Ann <new@example.com>"]  # none to Bea


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-address", "not-an-address"),
        ("timezone", "Mars/Olympus", "unknown time zone"),
        ("hour", "25", "bad hour"),
    ],
)
def test_bad_input_is_shown_next_to_its_field(
    client: TestClient, settings: Settings, field: str, value: str, message: str
) -> None:
    response = _sign_up(client, **{field: value})
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    assert message in response.text
    assert 'value="Ann"' in response.text  # what was typed stays
    assert outbox(settings) == []


def test_sign_ups_are_rate_limited_per_address(client: TestClient) -> None:
    for index in range(5):
        assert _sign_up(client, email=f"r{index}@example.com").status_code == 303
    limited = _sign_up(client, email="r6@example.com")
    assert limited.status_code == 429
    assert "Too many sign-ups" in limited.text


def test_signing_up_needs_the_form_token(client: TestClient) -> None:
    response = client.post("/subscribe", data={"email": "ann@example.com"})
    assert response.status_code == 403


def test_the_confirmation_link_starts_the_course(
    client: TestClient, app: FastAPI, settings: Settings
) -> None:
    _sign_up(client)
    link = link_in(outbox(settings)[0], "confirm")
    page = client.get(link)
    assert page.status_code == 200
    assert "You're in, Ann!" in page.text
    assert "7:00 am (Europe/Berlin)" in page.text
    subscriber = _subscriber(app)
    assert subscriber.status is Status.ACTIVE
    assert subscriber.next_due_at is not None  # the welcome is due at once
    assert client.get(link).status_code == 200  # a second click changes nothing


def test_a_tampered_link_gets_a_clear_page(client: TestClient) -> None:
    for route in ("confirm", "unsubscribe", "preferences", "view"):
        page = client.get(f"/{route}/not-a-token")
        assert page.status_code == 400
        assert "This link does not work" in page.text


def test_unsubscribe_asks_first_and_changes_nothing_on_get(
    client: TestClient, app: FastAPI, member: Subscriber, settings: Settings
) -> None:
    path = _path(Links.from_settings(settings).unsubscribe(member))
    page = client.get(path)
    assert page.status_code == 200
    assert f'<form method="post" action="{path}">' in page.text
    assert _subscriber(app, member.email).status is Status.ACTIVE
    done = client.post(path)
    assert done.status_code == 200
    assert "You're unsubscribed" in done.text
    assert _subscriber(app, member.email).status is Status.UNSUBSCRIBED
    [goodbye] = outbox(settings)
    assert goodbye["To"] == "Bea <bea@example.com>"
    assert "You're unsubscribed" in client.get(path).text  # the link still answers


def test_one_click_unsubscribe_needs_no_cookie_and_no_form_token(
    app: FastAPI, member: Subscriber, settings: Settings
) -> None:
    path = _path(Links.from_settings(settings).unsubscribe(member))
    with TestClient(app) as mail_client:  # a mail provider: no session, no cookies
        response = mail_client.post(
            path,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 200
        assert response.text == "unsubscribed"
        assert "set-cookie" not in response.headers
        again = mail_client.post(path, content=b"List-Unsubscribe=One-Click")
        assert again.status_code == 200
        forged = mail_client.post("/unsubscribe/forged", content=b"List-Unsubscribe=One-Click")
        assert forged.status_code == 400
    assert _subscriber(app, member.email).status is Status.UNSUBSCRIBED
    assert len(outbox(settings)) == 1  # one goodbye, however often they click


def test_preferences_change_the_hour_zone_and_pause(
    client: TestClient, app: FastAPI, member: Subscriber, settings: Settings
) -> None:
    path = _path(Links.from_settings(settings).preferences(member))
    page = client.get(path)
    assert page.status_code == 200
    assert 'value="Asia/Kolkata"' in page.text
    token = csrf_of(page.text)
    new_time = {"timezone": "america/new_york", "hour": "6", "csrf_token": token}
    saved = client.post(path, data=new_time)
    assert saved.status_code == 303
    assert "Saved: lessons arrive at 6:00 am (America/New_York)." in client.get(path).text
    changed = _subscriber(app, member.email)
    assert (changed.timezone, changed.send_hour) == ("America/New_York", 6)
    client.post(path, data={"action": "pause", "csrf_token": token})
    assert _subscriber(app, member.email).status is Status.PAUSED
    assert "Resume the course" in client.get(path).text
    client.post(path, data={"action": "resume", "csrf_token": token})
    assert _subscriber(app, member.email).status is Status.ACTIVE
    bad = client.post(path, data={"timezone": "Nowhere/Land", "hour": "6", "csrf_token": token})
    assert bad.status_code == 422
    assert "unknown time zone" in bad.text
    assert client.post(path, data={"action": "pause"}).status_code == 403  # no form token


def test_view_in_browser_shows_the_lesson_for_its_reader(
    client: TestClient, member: Subscriber, settings: Settings
) -> None:
    response = client.get(_path(Links.from_settings(settings).view(member, "diet")))
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == EMAIL_POLICY
    assert "Hi Bea," in response.text
    assert "/unsubscribe/" in response.text
