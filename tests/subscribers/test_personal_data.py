"""The export of one subscriber's data: JSON with the consent record, open to the
sections other parts add (the scheduler's delivery history)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy.orm import Session

from drip.settings import Settings
from subscribers import Subscriber, confirm, get, personal_data, subscribe
from tests.subscribers.conftest import WEB_FORM, RecordingNotifier, Step

SIGNED_UP = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CLICKED = SIGNED_UP + timedelta(minutes=7)


def test_the_export_carries_the_consent_record(
    step: Step, db_settings: Settings, notifier: RecordingNotifier
) -> None:
    with time_machine.travel(SIGNED_UP, tick=False), step() as session:
        subscribe(
            session,
            db_settings,
            notifier,
            "ann@example.com",
            name="Ann",
            timezone="Asia/Kolkata",
            consent=WEB_FORM,
        )
    with time_machine.travel(CLICKED, tick=False), step() as session:
        confirm(session, db_settings, notifier.token())
        document = json.loads(json.dumps(personal_data(session, get(session, "ann@example.com"))))
    assert document["format"] == "drip.personal-data/1"
    assert document["exported_at"] == CLICKED.isoformat()
    assert document["subscriber"] == {
        "email": "ann@example.com",
        "name": "Ann",
        "timezone": "Asia/Kolkata",
        "send_hour": 8,
        "status": "active",
        "created_at": SIGNED_UP.isoformat(),
    }
    assert document["consent"] == {
        "opt_in": "double",
        "source": "web form",
        "form": "/subscribe",
        "text": WEB_FORM.text,
        "ip": WEB_FORM.ip,
        "user_agent": WEB_FORM.user_agent,
        "subscribed_at": SIGNED_UP.isoformat(),
        "confirmation_sent_at": SIGNED_UP.isoformat(),
        "confirmed_at": CLICKED.isoformat(),
    }
    assert document["course"] == {
        "lessons_sent": 0,
        "last_sent_at": None,
        "next_due_at": CLICKED.isoformat(),
        "paused_at": None,
        "mail_ended_at": None,
    }


def test_other_parts_add_their_sections(
    step: Step, db_settings: Settings, notifier: RecordingNotifier
) -> None:
    def deliveries(session: Session, subscriber: Subscriber) -> list[dict[str, str]]:
        return [{"lesson": "welcome", "for": subscriber.email}]

    with step() as session:
        subscribe(session, db_settings, notifier, "ann@example.com", consent=WEB_FORM)
        ann = get(session, "ann@example.com")
        document = personal_data(session, ann, extra_sections={"deliveries": deliveries})
        assert list(document)[-1] == "deliveries"
        assert document["deliveries"] == [{"lesson": "welcome", "for": "ann@example.com"}]
        with pytest.raises(ValueError, match="'consent' is already part"):
            personal_data(session, ann, extra_sections={"consent": deliveries})
