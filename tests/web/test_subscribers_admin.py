"""The admin's subscribers pages: search, detail, lifecycle actions, import, export."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from drip.settings import Settings
from subscribers import Consent, Status, Subscriber, add_confirmed, find
from tests.web.conftest import csrf_of, outbox


@pytest.fixture
def settings(settings: Settings, database_url: str) -> Settings:
    """These run on SQLite and on PostgreSQL."""
    return settings.model_copy(update={"database_url": database_url})


def _add(app: FastAPI, email: str, name: str = "") -> Subscriber:
    with app.state.web.transaction() as session:
        subscriber, _new = add_confirmed(
            session,
            app.state.web.settings,
            email,
            consent=Consent(source="webinar sheet", form="paper", text="Yes, send me the course"),
            name=name,
        )
    return subscriber


def _status(app: FastAPI, email: str) -> Status | None:
    with app.state.web.sessions() as session:
        found = find(session, email)
    return None if found is None else found.status


@pytest.fixture
def people(app: FastAPI) -> list[Subscriber]:
    return [_add(app, "ann@example.com", "Ann"), _add(app, "bob@example.org", "Bob 50%")]


def test_search_finds_by_address_or_name(admin: TestClient, people: list[Subscriber]) -> None:
    everyone = admin.get("/admin/subscribers").text
    assert "ann@example.com" in everyone
    assert "bob@example.org" in everyone
    by_name = admin.get("/admin/subscribers?q=ANN").text
    assert "ann@example.com" in by_name
    assert "bob@example.org" not in by_name
    literal = admin.get("/admin/subscribers?q=50%25").text  # % is a character, not a wildcard
    assert "bob@example.org" in literal
    assert "ann@example.com" not in literal
    none = admin.get("/admin/subscribers?status=paused").text
    assert "No subscriber matches." in none


def test_the_detail_shows_the_consent_record(admin: TestClient, people: list[Subscriber]) -> None:
    page = admin.get(f"/admin/subscribers/{people[0].id}")
    assert page.status_code == 200
    for shown in ("webinar sheet", "paper", "Yes, send me the course", "attested opt-in"):
        assert shown in page.text
    assert "/admin/lessons/1?as=ann%40example.com" in page.text
    assert admin.get("/admin/subscribers/9999").status_code == 404


def test_pause_resume_unsubscribe_and_erase(
    admin: TestClient, app: FastAPI, people: list[Subscriber]
) -> None:
    path = f"/admin/subscribers/{people[0].id}"
    token = csrf_of(admin.get(path).text)
    admin.post(f"{path}/pause", data={"csrf_token": token})
    assert _status(app, "ann@example.com") is Status.PAUSED
    admin.post(f"{path}/resume", data={"csrf_token": token})
    assert _status(app, "ann@example.com") is Status.ACTIVE
    admin.post(f"{path}/unsubscribe", data={"csrf_token": token})
    assert _status(app, "ann@example.com") is Status.UNSUBSCRIBED
    refused = admin.post(f"{path}/pause", data={"csrf_token": token}, follow_redirects=True)
    assert "pausing needs an active subscriber" in refused.text
    erased = admin.post(f"{path}/erase", data={"csrf_token": token}, follow_redirects=True)
    assert "Erased" in erased.text
    assert _status(app, "ann@example.com") is None


def test_subscribers_are_for_admins_only(marketer: TestClient) -> None:
    assert marketer.get("/admin/subscribers").status_code == 403
    assert marketer.get("/admin/subscribers/export").status_code == 403


def test_export_downloads_the_list_as_csv(admin: TestClient, people: list[Subscriber]) -> None:
    response = admin.get("/admin/subscribers/export")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["email"] for row in rows] == ["ann@example.com", "bob@example.org"]


CSV = (
    "email,name,timezone,hour,shoe_size\n"
    "cat@example.com,Cat,Europe/Paris,7,38\n"
    "not an address,X,,,\n"
    "dan@example.com,Dan,Mars/Base,9,\n"
    "cat@example.com,Cat again,,,\n"
)


def _import(admin: TestClient, **fields: str) -> str:
    token = csrf_of(admin.get("/admin/subscribers/import").text)
    files = {"file": ("leads.csv", CSV.encode(), "text/csv")}
    response = admin.post(
        "/admin/subscribers/import", data={**fields, "csrf_token": token}, files=files
    )
    assert response.status_code == 200, response.text
    return response.text


def test_a_confirmed_import_reports_every_rejected_row(admin: TestClient, app: FastAPI) -> None:
    page = _import(admin, confirmed="true", source="webinar March")
    added = '<span class="stat-label">Added</span>'
    added += '<span class="stat-value report-ok">1</span>'
    assert added in page
    for row in ('<td class="num">3</td>', '<td class="num">4</td>', '<td class="num">5</td>'):
        assert row in page
    assert "Unknown time zone" in page
    assert "Duplicate in file" in page
    assert "Ignored columns: shoe_size." in page
    assert _status(app, "cat@example.com") is Status.ACTIVE


def test_an_unconfirmed_import_sends_confirmations(admin: TestClient, app: FastAPI) -> None:
    page = _import(admin)
    assert "Confirmation emails" in page
    assert _status(app, "cat@example.com") is Status.PENDING
    assert [m["To"] for m in outbox(app.state.web.settings)] == ["Cat <cat@example.com>"]


def test_a_confirmed_import_needs_its_source(admin: TestClient) -> None:
    token = csrf_of(admin.get("/admin/subscribers/import").text)
    files = {"file": ("leads.csv", CSV.encode(), "text/csv")}
    response = admin.post(
        "/admin/subscribers/import",
        data={"confirmed": "true", "csrf_token": token},
        files=files,
        follow_redirects=True,
    )
    assert "Say where these people gave their consent" in response.text


def test_the_dashboard_counts_subscribers_and_lists_the_next_sends(
    admin: TestClient, people: list[Subscriber]
) -> None:
    page = admin.get("/admin").text
    assert '<span class="stat-label">Active</span>\n    <span class="stat-value">2</span>' in page
    assert "2 emails are due now" in page  # both are due their welcome
    assert "2 × lesson 1" in page
    assert 'href="/admin/sends">Review and send</a>' in page


def test_an_admin_previews_a_lesson_as_a_subscriber(
    admin: TestClient, people: list[Subscriber]
) -> None:
    page = admin.get("/admin/lessons/2?as=ann@example.com").text
    assert "Shown as <strong>ann@example.com</strong>" in page
    email = admin.get("/admin/lessons/2/email.html?as=ann@example.com").text
    assert "Hi Ann," in email
    unknown = admin.get("/admin/lessons/2?as=nobody@example.com").text
    assert "no subscriber has the address" in unknown


def test_a_marketer_cannot_preview_as_a_subscriber(
    marketer: TestClient, people: list[Subscriber]
) -> None:
    email = marketer.get("/admin/lessons/2/email.html?as=ann@example.com").text
    assert "Hi Alex Morgan," in email
    assert "ann@example.com" not in email


def test_what_subscribers_typed_is_escaped_everywhere(admin: TestClient, app: FastAPI) -> None:
    hostile = _add(app, "eve@example.com", '<script>alert("x")</script>')
    for path in ("/admin/subscribers", f"/admin/subscribers/{hostile.id}"):
        page = admin.get(path).text
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
