"""The sends page: a test send of any email to any address."""

from __future__ import annotations

from fastapi.testclient import TestClient

from drip.settings import Settings
from tests.web.conftest import csrf_of, outbox, text_of


def test_an_admin_sends_a_test_of_a_lesson(admin: TestClient, settings: Settings) -> None:
    token = csrf_of(admin.get("/admin/sends").text)
    response = admin.post(
        "/admin/sends/test",
        data={"email": "diet", "to": "Me@Example.com", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Sent a test of" in response.text
    [sent] = outbox(settings)
    assert sent["To"] == "ada <Me@example.com>"
    assert sent["Subject"].startswith("[Test] ")
    assert "Hi ada," in text_of(sent)


def test_a_bad_address_is_refused(admin: TestClient, settings: Settings) -> None:
    token = csrf_of(admin.get("/admin/sends").text)
    response = admin.post(
        "/admin/sends/test",
        data={"email": "diet", "to": "nobody", "csrf_token": token},
        follow_redirects=True,
    )
    assert "flash-error" in response.text
    assert outbox(settings) == []


def test_sends_are_for_admins(marketer: TestClient) -> None:
    assert marketer.get("/admin/sends").status_code == 403
