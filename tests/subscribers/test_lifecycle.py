"""Pause, resume, delivery time, restart, unsubscribe and suppression, at named instants,
on SQLite and PostgreSQL. The due query is the scheduler's: status active, next_due_at
not after now."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from drip.settings import Settings
from subscribers import (
    Consent,
    Links,
    Status,
    Subscriber,
    Suppression,
    SuppressionReason,
    add_confirmed,
    change_schedule,
    get,
    lesson_sent,
    pause,
    restart,
    resume,
    suppress,
    unsubscribe,
    unsubscribe_with_token,
)
from subscribers.addresses import address_hash
from subscribers.errors import InvalidToken, InvalidTransition
from subscribers.suppression import suppression_reason
from tests.subscribers.conftest import RecordingNotifier, Step

CONFIRMED = datetime(2026, 3, 2, 14, 10, tzinfo=UTC)  # 19:40 in Kolkata
LESSON_2_SENT = datetime(2026, 3, 4, 2, 30, tzinfo=UTC)  # 08:00 IST on the 4th
LESSON_3_DUE = datetime(2026, 3, 5, 2, 30, tzinfo=UTC)  # 08:00 IST on the 5th
PAUSED = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def _due(session: Session, at: datetime) -> list[str]:
    """What the scheduler would claim at `at`."""
    query = select(Subscriber.email).where(
        Subscriber.status == Status.ACTIVE, Subscriber.next_due_at <= at
    )
    return list(session.scalars(query))


@pytest.fixture
def ann(step: Step, db_settings: Settings) -> str:
    """Ann in Kolkata at 08:00, confirmed on the 2nd, lesson 2 sent on the 4th."""
    with time_machine.travel(CONFIRMED, tick=False), step() as session:
        subscriber, _ = add_confirmed(
            session,
            db_settings,
            "ann@example.com",
            name="Ann",
            timezone="Asia/Kolkata",
            send_hour=8,
            consent=Consent("test"),
        )
        # what the scheduler records after sending lesson 2
        subscriber.lessons_sent, subscriber.last_sent_at = 2, LESSON_2_SENT
        subscriber.next_due_at = LESSON_3_DUE
    return "ann@example.com"


def test_pausing_stops_the_course_until_resumed(step: Step, ann: str) -> None:
    with time_machine.travel(PAUSED, tick=False), step() as session:
        pause(session, get(session, ann))
    with step() as session:
        paused = get(session, ann)
        assert (paused.status, paused.next_due_at, paused.paused_at) == (
            Status.PAUSED,
            None,
            PAUSED,
        )
        assert _due(session, datetime(2026, 12, 31, tzinfo=UTC)) == []
    with (
        time_machine.travel(datetime(2026, 3, 4, 12, 0, tzinfo=UTC), tick=False),
        step() as session,
    ):
        resume(session, get(session, ann))
    with step() as session:
        resumed = get(session, ann)
        assert (resumed.status, resumed.paused_at) == (Status.ACTIVE, None)
        assert resumed.next_due_at == LESSON_3_DUE  # the planner's rule, as before the pause
        assert _due(session, LESSON_3_DUE) == [ann]


def test_resuming_after_a_long_pause_sends_the_next_lesson_at_once(step: Step, ann: str) -> None:
    with step() as session:
        pause(session, get(session, ann))
    back = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)
    with time_machine.travel(back, tick=False), step() as session:
        resume(session, get(session, ann))
        assert _due(session, back) == [ann]  # overdue: the next tick sends lesson 3, once


def test_pause_and_resume_are_idempotent(step: Step, ann: str) -> None:
    with time_machine.travel(PAUSED, tick=False), step() as session:
        pause(session, get(session, ann))
        pause(session, get(session, ann))
        assert get(session, ann).paused_at == PAUSED
        resume(session, get(session, ann))
        resume(session, get(session, ann))
        assert get(session, ann).next_due_at == LESSON_3_DUE


def test_a_new_send_hour_moves_the_next_lesson(step: Step, ann: str) -> None:
    with step() as session:
        change_schedule(session, get(session, ann), send_hour=19)
    with step() as session:
        moved = get(session, ann)
        assert moved.send_hour == 19
        # 19:00 IST on the 4th is only 11 h after lesson 2: the 5th it is
        assert moved.next_due_at == datetime(2026, 3, 5, 13, 30, tzinfo=UTC)


def test_a_new_time_zone_moves_the_next_lesson(step: Step, ann: str) -> None:
    with step() as session:
        change_schedule(session, get(session, ann), timezone="america/new_york")
    with step() as session:
        moved = get(session, ann)
        assert moved.timezone == "America/New_York"
        # 20 h after 02:30 UTC is 17:30 EST on the 4th; 08:00 EST on the 5th is next
        assert moved.next_due_at == datetime(2026, 3, 5, 13, 0, tzinfo=UTC)


def test_a_new_hour_before_the_welcome_keeps_the_welcome_due(
    step: Step, db_settings: Settings
) -> None:
    with time_machine.travel(CONFIRMED, tick=False), step() as session:
        bob, _ = add_confirmed(session, db_settings, "bob@example.com", consent=Consent("t"))
        change_schedule(session, bob, send_hour=20, timezone="Europe/London")
        assert bob.next_due_at == CONFIRMED


def test_a_paused_subscriber_can_change_hour_and_stays_paused(step: Step, ann: str) -> None:
    with step() as session:
        subscriber = pause(session, get(session, ann))
        change_schedule(session, subscriber, send_hour=6)
        assert (subscriber.status, subscriber.next_due_at, subscriber.send_hour) == (
            Status.PAUSED,
            None,
            6,
        )


def test_restarting_sends_the_welcome_again_at_once(step: Step, ann: str) -> None:
    again = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
    with step() as session:
        get(session, ann).status = Status.COMPLETED  # as the scheduler marks the end
    with time_machine.travel(again, tick=False), step() as session:
        restart(session, get(session, ann))
    with step() as session:
        restarted = get(session, ann)
        assert (restarted.status, restarted.lessons_sent, restarted.last_sent_at) == (
            Status.ACTIVE,
            0,
            None,
        )
        assert restarted.next_due_at == again


def test_restarting_a_paused_course_waits_for_resume(step: Step, ann: str) -> None:
    with step() as session:
        subscriber = restart(session, pause(session, get(session, ann)))
        assert (subscriber.status, subscriber.lessons_sent, subscriber.next_due_at) == (
            Status.PAUSED,
            0,
            None,
        )
    resumed_at = datetime(2026, 3, 7, 9, 0, tzinfo=UTC)
    with time_machine.travel(resumed_at, tick=False), step() as session:
        assert resume(session, get(session, ann)).next_due_at == resumed_at  # the welcome


@pytest.mark.parametrize(
    ("status", "step_name", "says"),
    [
        (Status.PENDING, "pause", "is pending; pausing needs an active subscriber"),
        (Status.COMPLETED, "pause", "is completed; pausing needs an active subscriber"),
        (Status.UNSUBSCRIBED, "resume", "is unsubscribed; resuming needs a paused subscriber"),
        (Status.BOUNCED, "restart", "is bounced; restarting needs a confirmed subscriber"),
        (Status.PENDING, "restart", "is pending; restarting needs a confirmed subscriber"),
    ],
)
def test_steps_that_do_not_fit_the_status_are_refused(
    step: Step, ann: str, status: Status, step_name: str, says: str
) -> None:
    steps = {"pause": pause, "resume": resume, "restart": restart}
    with step() as session:
        get(session, ann).status = status
    with pytest.raises(InvalidTransition, match=f"ann@example.com {says}"), step() as session:
        steps[step_name](session, get(session, ann))


def test_unsubscribing_stops_the_next_send_and_suppresses_the_address(
    step: Step, db_settings: Settings, ann: str, notifier: RecordingNotifier
) -> None:
    left = datetime(2026, 3, 4, 20, 0, tzinfo=UTC)
    with time_machine.travel(left, tick=False), step() as session:
        unsubscribe(session, db_settings, get(session, ann), notifier=notifier)
    with step() as session:
        gone = get(session, ann)
        assert (gone.status, gone.next_due_at, gone.suppressed_at) == (
            Status.UNSUBSCRIBED,
            None,
            left,
        )
        assert _due(session, LESSON_3_DUE) == []
        secret = db_settings.secret()
        assert (
            suppression_reason(session, secret, "ann@example.com") is SuppressionReason.UNSUBSCRIBED
        )
        # the list holds the keyed hash, not the address
        assert [s.address_hash for s in session.scalars(select(Suppression))] == [
            address_hash(secret, "ann@example.com")
        ]
    assert [g.email for g in notifier.goodbyes] == [ann]


def test_unsubscribing_twice_changes_nothing_and_says_goodbye_once(
    step: Step, db_settings: Settings, ann: str, notifier: RecordingNotifier
) -> None:
    with time_machine.travel(PAUSED, tick=False), step() as session:
        unsubscribe(session, db_settings, get(session, ann), notifier=notifier)
    with step() as session:
        again = unsubscribe(session, db_settings, get(session, ann), notifier=notifier)
        assert (again.status, again.suppressed_at) == (Status.UNSUBSCRIBED, PAUSED)
    assert len(notifier.goodbyes) == 1


def test_one_click_unsubscribe_by_token(step: Step, db_settings: Settings, ann: str) -> None:
    with step() as session:
        link = Links.from_settings(db_settings).unsubscribe(get(session, ann))
    token = link.rsplit("/", 1)[1]
    for _ in range(2):  # mail clients may post twice
        with step() as session:
            assert unsubscribe_with_token(session, db_settings, token).status is Status.UNSUBSCRIBED


@pytest.mark.parametrize("token_for", ["preferences", "view"])
def test_only_an_unsubscribe_token_unsubscribes(
    step: Step, db_settings: Settings, ann: str, token_for: str
) -> None:
    links = Links.from_settings(db_settings)
    with step() as session:
        subscriber = get(session, ann)
        link = (
            links.preferences(subscriber)
            if token_for == "preferences"
            else links.view(subscriber, "welcome")
        )
    with pytest.raises(InvalidToken), step() as session:
        unsubscribe_with_token(session, db_settings, link.rsplit("/", 1)[1])


def test_a_bounce_then_a_complaint_end_mail_with_the_strongest_reason(
    step: Step, db_settings: Settings, ann: str
) -> None:
    with step() as session:
        suppress(session, db_settings, "ANN@example.com", SuppressionReason.BOUNCED)
        assert get(session, ann).status is Status.BOUNCED
        assert _due(session, LESSON_3_DUE) == []
    with step() as session:
        suppress(session, db_settings, ann, SuppressionReason.COMPLAINED)
        suppress(session, db_settings, ann, SuppressionReason.BOUNCED)  # a late bounce
        suppress(session, db_settings, ann, SuppressionReason.UNSUBSCRIBED)
    with step() as session:
        assert get(session, ann).status is Status.COMPLAINED
        reason = suppression_reason(session, db_settings.secret(), ann)
        assert reason is SuppressionReason.COMPLAINED


def test_an_unknown_address_is_suppressed_all_the_same(step: Step, db_settings: Settings) -> None:
    with step() as session:
        assert (
            suppress(session, db_settings, "test-send@example.net", SuppressionReason.BOUNCED)
            is None
        )
    with step() as session:
        reason = suppression_reason(session, db_settings.secret(), "test-send@example.net")
        assert reason is SuppressionReason.BOUNCED


def test_erasing_is_not_a_suppression_reason(step: Step, db_settings: Settings) -> None:
    with pytest.raises(ValueError, match="erase"), step() as session:
        suppress(session, db_settings, "ann@example.com", SuppressionReason.ERASED)


def test_each_lesson_sent_schedules_the_next_and_the_last_completes(step: Step, ann: str) -> None:
    lesson_3_sent = datetime(2026, 3, 5, 2, 31, tzinfo=UTC)
    with step() as session:
        subscriber = lesson_sent(
            session, get(session, ann), sent_at=lesson_3_sent, lessons_in_course=4
        )
        assert (subscriber.lessons_sent, subscriber.last_sent_at) == (3, lesson_3_sent)
        assert subscriber.next_due_at == datetime(2026, 3, 6, 2, 30, tzinfo=UTC)  # 08:00 IST
        assert _due(session, datetime(2026, 3, 6, 2, 30, tzinfo=UTC)) == [ann]
    lesson_4_sent = datetime(2026, 3, 6, 2, 30, 5, tzinfo=UTC)
    with step() as session:
        lesson_sent(session, get(session, ann), sent_at=lesson_4_sent, lessons_in_course=4)
    with step() as session:
        done = get(session, ann)
        assert (done.status, done.lessons_sent, done.next_due_at) == (Status.COMPLETED, 4, None)
        assert _due(session, datetime(2026, 12, 31, tzinfo=UTC)) == []
        with pytest.raises(InvalidTransition, match="is completed; sending a lesson needs"):
            lesson_sent(session, done, sent_at=lesson_4_sent, lessons_in_course=5)
