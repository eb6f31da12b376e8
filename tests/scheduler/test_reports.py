"""The reports over the ledger: a week's deliveries and events made at named instants."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from admin.cli import app
from course.model import Course
from drip.db import transaction
from drip.settings import Settings, get_settings
from scheduler.models import DeliveryStatus
from scheduler.reports import (
    PERSONAL_DATA_SECTIONS,
    FailedDelivery,
    LessonFunnel,
    TimelineEntry,
    delivery_history,
    funnel,
    recent_failures,
    timeline,
)
from subscribers import (
    Confirmation,
    Goodbye,
    Status,
    Subscriber,
    SuppressionReason,
    confirm,
    lesson_sent,
    pause,
    personal_data,
    subscribe,
    suppress,
    unsubscribe,
)
from tests.scheduler.ledger_rows import (
    CONSENT,
    MONDAY_7_UTC,
    MONDAY_8_UTC,
    TUESDAY_8_UTC,
    add_delivery,
    add_event,
    add_subscriber,
)

MINUTE = timedelta(minutes=1)
TUESDAY_9_UTC = TUESDAY_8_UTC + timedelta(hours=1)


@dataclass
class Week:
    """Who is who in the week below, by subscriber id."""

    ids: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def week(sessions: sessionmaker[Session], db_settings: Settings) -> Week:
    """Monday's welcome to five people and Tuesday's second lesson to Ann:

    - Ann: welcome delivered, opened twice, clicked; lesson 2 delivered and opened, then
      she unsubscribes by our link (and SendGrid reports an unsubscribe as well);
    - Bob: welcome bounced (hard); Cid: welcome delivered, then a spam report;
    - Dee: welcome refused by the provider; Eve: welcome still queued;
    - Fay: a soft bounce (blocked) only, and a delivery of another course.
    """
    week = Week()
    with transaction(sessions) as session:
        people = {
            name: add_subscriber(session, db_settings, f"{name}@example.com")
            for name in ("ann", "bob", "cid", "dee", "eve", "fay")
        }
        week.ids = {name: subscriber.id for name, subscriber in people.items()}
        ann = add_delivery(session, people["ann"], "welcome", 1)
        add_event(session, ann, "delivered", MONDAY_8_UTC + MINUTE)
        add_event(session, ann, "open", MONDAY_8_UTC + 10 * MINUTE)
        add_event(session, ann, "open", MONDAY_8_UTC + 60 * MINUTE)
        add_event(session, ann, "click", MONDAY_8_UTC + 61 * MINUTE, "https://a.example/1")
        lesson_sent(session, people["ann"], sent_at=MONDAY_8_UTC, lessons_in_course=6)
        bob = add_delivery(session, people["bob"], "welcome", 1)
        add_event(session, bob, "bounce", MONDAY_8_UTC + MINUTE, "550 no such user")
        cid = add_delivery(session, people["cid"], "welcome", 1)
        add_event(session, cid, "delivered", MONDAY_8_UTC + MINUTE)
        add_event(session, cid, "spamreport", MONDAY_8_UTC + 30 * MINUTE)
        add_delivery(
            session,
            people["dee"],
            "welcome",
            1,
            status=DeliveryStatus.FAILED,
            sent=MONDAY_8_UTC + MINUTE / 2,
            error="does not accept mail (550 5.1.1)",
        )
        add_delivery(session, people["eve"], "welcome", 1, status=DeliveryStatus.QUEUED, sent=None)
        fay = add_delivery(session, people["fay"], "welcome", 1)
        add_event(session, fay, "blocked", MONDAY_8_UTC + MINUTE, "554 IP on a blocklist")
        other = add_delivery(session, people["fay"], "welcome", 1, course="another-course")
        add_event(session, other, "delivered", MONDAY_8_UTC + MINUTE)

        second = add_delivery(
            session, people["ann"], "deficiency-signs", 2, queued=TUESDAY_8_UTC, sent=TUESDAY_8_UTC
        )
        add_event(session, second, "delivered", TUESDAY_8_UTC + MINUTE)
        add_event(session, second, "open", TUESDAY_8_UTC + 5 * MINUTE)
        lesson_sent(session, people["ann"], sent_at=TUESDAY_8_UTC, lessons_in_course=6)
        add_event(session, second, "unsubscribe", TUESDAY_9_UTC)
        unsubscribe(session, db_settings, people["ann"], now=TUESDAY_9_UTC)
        suppress(
            session,
            db_settings,
            "bob@example.com",
            SuppressionReason.BOUNCED,
            now=MONDAY_8_UTC + MINUTE,
        )
        suppress(
            session,
            db_settings,
            "cid@example.com",
            SuppressionReason.COMPLAINED,
            now=MONDAY_8_UTC + 30 * MINUTE,
        )
    return week


def test_the_funnel_counts_unique_subscribers_per_lesson_and_stage(
    week: Week, sessions: sessionmaker[Session], bundled_course: Course
) -> None:
    with sessions() as session:
        rows = funnel(session, bundled_course)
    assert [row.slug for row in rows] == [lesson.slug for lesson in bundled_course.lessons]
    welcome, second, *rest = rows
    # Ann, Bob, Cid and Fay were sent it; Ann's two opens are one; Cid left by a spam
    # report at the welcome; Ann left at lesson 2 (by our link and SendGrid's: once).
    assert welcome == LessonFunnel(
        1, "welcome", sent=4, delivered=2, opened=1, clicked=1, unsubscribed=1, bounced=1
    )
    assert second == LessonFunnel(
        2, "deficiency-signs", sent=1, delivered=1, opened=1, clicked=0, unsubscribed=1, bounced=0
    )
    assert rest == [
        LessonFunnel(lesson.position, lesson.slug) for lesson in bundled_course.lessons[2:]
    ]


def test_recent_failures_say_who_which_lesson_why_and_when(
    week: Week, sessions: sessionmaker[Session], db_settings: Settings
) -> None:
    with transaction(sessions) as session:
        eve = session.get(Subscriber, week.ids["eve"])
        assert eve is not None
        add_delivery(
            session,
            eve,
            "deficiency-signs",
            2,
            status=DeliveryStatus.FAILED,
            queued=TUESDAY_8_UTC,
            sent=TUESDAY_8_UTC + MINUTE,
            error=None,
        )
    with sessions() as session:
        failures = recent_failures(session)
        latest = recent_failures(session, limit=1)
    assert [(f.email, f.lesson, f.reason, f.at) for f in failures] == [
        ("eve@example.com", "deficiency-signs", "no reason recorded", TUESDAY_8_UTC + MINUTE),
        (
            "dee@example.com",
            "welcome",
            "does not accept mail (550 5.1.1)",
            MONDAY_8_UTC + MINUTE / 2,
        ),
    ]
    assert latest == failures[:1]
    assert isinstance(latest[0], FailedDelivery)
    assert latest[0].subscriber_id == week.ids["eve"]


def test_a_timeline_tells_the_story_oldest_first(
    week: Week, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session:
        entries = timeline(session, week.ids["ann"])
    assert entries == [
        TimelineEntry(MONDAY_7_UTC, "subscribed", None, "ledger tests (confirmed by an admin)"),
        TimelineEntry(MONDAY_8_UTC, "queued", "welcome", "lesson 1"),
        TimelineEntry(MONDAY_8_UTC, "sent", "welcome"),
        TimelineEntry(MONDAY_8_UTC + MINUTE, "delivered", "welcome"),
        TimelineEntry(MONDAY_8_UTC + 10 * MINUTE, "open", "welcome"),
        TimelineEntry(MONDAY_8_UTC + 60 * MINUTE, "open", "welcome"),
        TimelineEntry(MONDAY_8_UTC + 61 * MINUTE, "click", "welcome", "https://a.example/1"),
        TimelineEntry(TUESDAY_8_UTC, "queued", "deficiency-signs", "lesson 2"),
        TimelineEntry(TUESDAY_8_UTC, "sent", "deficiency-signs"),
        TimelineEntry(TUESDAY_8_UTC + MINUTE, "delivered", "deficiency-signs"),
        TimelineEntry(TUESDAY_8_UTC + 5 * MINUTE, "open", "deficiency-signs"),
        TimelineEntry(TUESDAY_9_UTC, "unsubscribe", "deficiency-signs"),
        TimelineEntry(TUESDAY_9_UTC, "unsubscribed", None, "no more mail"),
    ]
    with sessions() as session:
        assert timeline(session, 987654) == []
        dee = timeline(session, week.ids["dee"])
    assert dee[-1] == TimelineEntry(
        MONDAY_8_UTC + MINUTE / 2, "failed", "welcome", "does not accept mail (550 5.1.1)"
    )


class _Keep:
    def __init__(self) -> None:
        self.confirmations: list[Confirmation] = []

    def send_confirmation(self, confirmation: Confirmation) -> None:
        self.confirmations.append(confirmation)

    def send_goodbye(self, goodbye: Goodbye) -> None:
        raise AssertionError("no goodbye here")


def test_a_double_opt_in_shows_the_confirmation_and_a_pause(
    sessions: sessionmaker[Session], db_settings: Settings
) -> None:
    keep = _Keep()
    with transaction(sessions) as session:
        subscribe(session, db_settings, keep, "gus@example.com", consent=CONSENT, now=MONDAY_7_UTC)
    token = keep.confirmations[0].confirm_url.rsplit("/", 1)[1]
    with transaction(sessions) as session:
        gus = confirm(session, db_settings, token, now=MONDAY_7_UTC + 5 * MINUTE)
        pause(session, gus, now=TUESDAY_9_UTC)
        gus_id = gus.id
    with sessions() as session:
        kinds = [(entry.kind, entry.at) for entry in timeline(session, gus_id)]
    assert kinds == [
        ("subscribed", MONDAY_7_UTC),
        ("confirmation_sent", MONDAY_7_UTC),
        ("confirmed", MONDAY_7_UTC + 5 * MINUTE),
        ("paused", TUESDAY_9_UTC),
    ]


def test_the_delivery_history_is_json_ready_and_part_of_the_personal_data(
    week: Week, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session:
        history = delivery_history(session, week.ids["ann"])
        ann = session.get(Subscriber, week.ids["ann"])
        assert ann is not None
        document = personal_data(session, ann, extra_sections=PERSONAL_DATA_SECTIONS)
    assert json.loads(json.dumps(history)) == history
    assert [(h["lesson"], h["status"], h["sent_at"]) for h in history] == [
        ("welcome", "sent", MONDAY_8_UTC.isoformat()),
        ("deficiency-signs", "sent", TUESDAY_8_UTC.isoformat()),
    ]
    assert [e["type"] for e in history[0]["events"]] == ["delivered", "open", "open", "click"]
    assert history[0]["events"][3] == {
        "type": "click",
        "at": (MONDAY_8_UTC + 61 * MINUTE).isoformat(),
        "detail": "https://a.example/1",
    }
    assert document["deliveries"] == history
    assert document["subscriber"]["status"] == Status.UNSUBSCRIBED.value


def test_drip_subscribers_show_includes_the_delivery_history(
    week: Week, db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRIP_DATABASE_URL", db_settings.database_url)
    monkeypatch.setenv("DRIP_VAR_DIR", str(db_settings.var_dir))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        shown = runner.invoke(app, ["subscribers", "show", "ann@example.com", "--json"])
        plain = runner.invoke(app, ["subscribers", "show", "bob@example.com"])
    finally:
        get_settings.cache_clear()
    assert shown.exit_code == 0, shown.output
    deliveries = json.loads(shown.stdout)["deliveries"]
    assert [d["lesson"] for d in deliveries] == ["welcome", "deficiency-signs"]
    assert plain.exit_code == 0, plain.output
    assert (
        f" 1. welcome                  sent     {MONDAY_8_UTC.isoformat()}  bounce" in plain.stdout
    )
