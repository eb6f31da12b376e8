"""What the console shows of the send ledger: the dashboard's funnel and recent failures,
a subscriber's timeline, and their personal data with the delivery history."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from drip.settings import Settings
from scheduler.models import DeliveryStatus
from subscribers import Consent, add_confirmed, lesson_sent
from tests.scheduler.ledger_rows import MONDAY_7_UTC, MONDAY_8_UTC, add_delivery, add_event

MINUTE = timedelta(minutes=1)


@pytest.fixture
def settings(settings: Settings, database_url: str) -> Settings:
    return settings.model_copy(update={"database_url": database_url})


@pytest.fixture
def ann_id(app: FastAPI) -> int:
    """Ann got the welcome, opened it and clicked; Bob's welcome was refused."""
    with app.state.web.transaction() as session:
        settings = app.state.web.settings
        ann, _ = add_confirmed(
            session, settings, "ann@example.com", consent=Consent("sheet"), now=MONDAY_7_UTC
        )
        bob, _ = add_confirmed(
            session, settings, "bob@example.com", consent=Consent("sheet"), now=MONDAY_7_UTC
        )
        welcome = add_delivery(session, ann, "welcome", 1, message_id="Xm5u")
        lesson_sent(session, ann, sent_at=MONDAY_8_UTC, lessons_in_course=6)
        add_event(session, welcome, "delivered", MONDAY_8_UTC + MINUTE)
        add_event(session, welcome, "open", MONDAY_8_UTC + 9 * MINUTE)
        add_event(session, welcome, "click", MONDAY_8_UTC + 10 * MINUTE, "https://a.example/<b>")
        add_delivery(
            session,
            bob,
            "welcome",
            1,
            status=DeliveryStatus.FAILED,
            sent=MONDAY_8_UTC + MINUTE,
            error="Bob's mailbox <full>",
        )
        return ann.id


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_dashboard_draws_the_funnel_and_lists_failures(admin: TestClient, ann_id: int) -> None:
    page = admin.get("/admin").text
    assert '<svg class="funnel"' in page
    assert "<title>opened: 1</title>" in page
    assert "<title>sent: 1</title>" in page
    text = _text(page)
    assert "bob@example.com" in text
    assert "Bob&#39;s mailbox &lt;full&gt;" in page  # escaped
    assert "No failed sends." not in text


def test_before_any_send_the_dashboard_says_what_will_come(admin: TestClient) -> None:
    page = admin.get("/admin").text
    assert '<svg class="funnel"' not in page
    assert "The funnel appears once the first lesson is sent" in page
    assert "No failed sends." in page


def test_the_timeline_shows_deliveries_and_events_newest_first(
    admin: TestClient, ann_id: int
) -> None:
    text = _text(admin.get(f"/admin/subscribers/{ann_id}").text)
    order = [
        "Clicked · welcome — https://a.example/&lt;b&gt;",
        "Opened · welcome",
        "Delivered · welcome",
        "Sent · welcome",
        "Queued · welcome — lesson 1",
        "Subscribed — sheet (confirmed by an admin)",
    ]
    places = [text.find(line) for line in order]
    assert -1 not in places, text
    assert places == sorted(places)


def test_the_personal_data_export_carries_the_delivery_history(
    admin: TestClient, ann_id: int
) -> None:
    response = admin.get(f"/admin/subscribers/{ann_id}/personal-data")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    document = json.loads(response.text)
    assert document["subscriber"]["email"] == "ann@example.com"
    [welcome] = document["deliveries"]
    assert (welcome["lesson"], welcome["status"]) == ("welcome", "sent")
    assert [event["type"] for event in welcome["events"]] == ["delivered", "open", "click"]
    assert admin.get("/admin/subscribers/98765/personal-data").status_code == 404


def test_a_marketer_cannot_export_personal_data(marketer: TestClient, ann_id: int) -> None:
    assert marketer.get(f"/admin/subscribers/{ann_id}/personal-data").status_code == 403
