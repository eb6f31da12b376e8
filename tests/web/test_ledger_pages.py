"""What the console shows of the send ledger: the dashboard's funnel and recent failures,
a subscriber's timeline, and their personal data with the delivery history."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from drip.settings import Settings
from scheduler.models import DeliveryStatus
from subscribers import Consent, Subscriber, add_confirmed, lesson_sent
from tests.scheduler.ledger_rows import (
    MONDAY_7_UTC,
    MONDAY_8_UTC,
    TUESDAY_8_UTC,
    add_delivery,
    add_event,
)
from tests.web.conftest import csrf_of, log_in

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
    welcome = "Lesson 1: Welcome to your magnesium course"
    order = [
        f"Clicked {welcome} 08:10 https://a.example/&lt;b&gt;",
        f"Opened {welcome} 08:09",
        f"Delivered {welcome} 08:01",
        f"Sent {welcome} 08:00",
        "Subscribed 07:00 sheet (confirmed by an admin)",
    ]
    places = [text.find(line) for line in order]
    assert -1 not in places, text
    assert places == sorted(places)
    assert "MONDAY 02 MARCH 2026" in text.upper()
    assert "Queued" not in text  # the welcome went out: its queueing is not news


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


def test_the_dashboard_lists_what_is_due_now_and_the_next_sends_at_local_time(
    client: TestClient, make_user: Callable[[str, str], None], app: FastAPI, ann_id: int
) -> None:
    with app.state.web.transaction() as session:
        add_confirmed(
            session,
            app.state.web.settings,
            "cy@example.com",
            consent=Consent("sheet"),
            timezone="Asia/Kolkata",
            now=MONDAY_8_UTC,
        )
        bob = session.scalar(select(Subscriber).where(Subscriber.email == "bob@example.com"))
        assert bob is not None
        bob.next_due_at = None  # held by his failed welcome, as the scheduler holds him
    make_user("ada", "admin")
    with time_machine.travel(MONDAY_8_UTC + 4 * 60 * MINUTE, tick=True):
        log_in(client, "ada")  # at the instant travelled to: the cookie is signed then
        text = _text(client.get("/admin").text)

    assert "1 email is due now" in text  # Cy's welcome
    assert "1 × lesson 1" in text
    # Ann's lesson 2: Tuesday 08:00 UTC, her own hour in her zone (UTC).
    assert "ann@example.com Lesson 2. The signs of low magnesium" in text
    assert "03 Mar, 08:00 UTC Tue 08:00 UTC" in text


def test_failures_can_be_retried_from_the_dashboard(
    admin: TestClient, app: FastAPI, ann_id: int
) -> None:
    page = admin.get("/admin").text
    assert 'action="/admin/sends/retry-failed"' in page
    assert admin.post("/admin/sends/retry-failed").status_code == 403  # no CSRF token

    response = admin.post(
        "/admin/sends/retry-failed", data={"csrf_token": csrf_of(page)}, follow_redirects=True
    )

    assert "Queued 1 failed delivery again" in response.text
    assert "No failed sends." in admin.get("/admin").text


def test_a_marketer_sees_the_funnel_but_nobody_s_address(marketer: TestClient, ann_id: int) -> None:
    page = marketer.get("/admin").text
    assert '<svg class="funnel"' in page
    assert "ann@example.com" not in page
    assert "bob@example.com" not in page
    assert "retry-failed" not in page


def test_a_lesson_waiting_in_the_queue_shows_on_the_timeline_and_a_failure_says_why(
    admin: TestClient, app: FastAPI, ann_id: int
) -> None:
    with app.state.web.transaction() as session:
        ann = session.get(Subscriber, ann_id)
        assert ann is not None
        add_delivery(session, ann, "deficiency-signs", 2, queued=TUESDAY_8_UTC, sent=None,
                     status=DeliveryStatus.QUEUED)  # fmt: skip
        bob = session.scalar(select(Subscriber).where(Subscriber.email == "bob@example.com"))
        assert bob is not None
        bob_id = bob.id

    ann_page = _text(admin.get(f"/admin/subscribers/{ann_id}").text)
    bob_page = admin.get(f"/admin/subscribers/{bob_id}").text

    assert "Queued, waiting for the next send Lesson 2: The signs of low magnesium" in ann_page
    assert "Tuesday 03 March 2026" in ann_page
    assert '<li class="moment tone-bad">' in bob_page
    assert "Bob&#39;s mailbox &lt;full&gt;" in bob_page
