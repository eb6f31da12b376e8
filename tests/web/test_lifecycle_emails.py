"""The web app's confirmation and goodbye emails leave after the commit; when the
provider is down, the sign-up or unsubscribe is kept and the failure is logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from admin.web.app import create_app
from admin.web.ratelimit import Limits
from drip.settings import Settings
from subscribers import Consent, Links, Status, add_confirmed, find
from tests.web.conftest import csrf_of


@pytest.fixture
def unreachable(settings: Settings) -> Settings:
    """SMTP on a port where nothing listens: every send fails."""
    return settings.model_copy(update={"backend": "smtp", "smtp_url": "smtp://127.0.0.1:9"})


@pytest.fixture
def down(unreachable: Settings) -> Iterator[tuple[FastAPI, TestClient]]:
    app = create_app(unreachable, limits=Limits())
    with TestClient(app, follow_redirects=False) as client:
        yield app, client


def test_a_sign_up_is_kept_when_its_confirmation_cannot_be_sent(
    down: tuple[FastAPI, TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    app, client = down
    token = csrf_of(client.get("/subscribe").text)
    form = {"email": "ann@example.com", "name": "Ann", "timezone": "UTC", "hour": "7"}
    with caplog.at_level(logging.ERROR, "drip.transactional"):
        response = client.post("/subscribe", data={**form, "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/subscribe/check-your-inbox"
    assert "1 confirmation email(s) not sent" in caplog.text
    with app.state.web.sessions() as session:
        ann = find(session, "ann@example.com")
    assert ann is not None
    assert ann.status is Status.PENDING


def test_an_unsubscribe_works_when_the_goodbye_cannot_be_sent(
    down: tuple[FastAPI, TestClient], unreachable: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app, client = down
    with app.state.web.transaction() as session:
        bea, _ = add_confirmed(session, unreachable, "bea@example.com", consent=Consent("test"))
    link = Links.from_settings(unreachable).unsubscribe(bea)
    path = link[link.index("/unsubscribe/") :]
    with caplog.at_level(logging.ERROR, "drip.transactional"):
        response = client.post(path, content=b"List-Unsubscribe=One-Click")
    assert response.status_code == 200
    assert response.text == "unsubscribed"
    assert "unsubscribed email(s) not sent" in caplog.text
    with app.state.web.sessions() as session:
        again = find(session, "bea@example.com")
    assert again is not None
    assert again.status is Status.UNSUBSCRIBED
