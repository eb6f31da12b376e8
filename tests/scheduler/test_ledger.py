"""The ledger's steps on SQLite and PostgreSQL: queueing, claiming under a lease, skipping."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from course.model import Course
from drip.db import transaction
from drip.settings import Settings
from scheduler import ledger
from scheduler.models import Delivery
from subscribers import Subscriber, pause, unsubscribe
from tests.scheduler.conftest import MONDAY_9_UTC, AddSubscriber, deliveries

LATER = MONDAY_9_UTC + timedelta(minutes=1)


def _queue(sessions: sessionmaker[Session], course: Course, at: datetime = MONDAY_9_UTC) -> int:
    with transaction(sessions) as session:
        return ledger.queue_due(session, course, at=at, now=at)


def _claim(
    sessions: sessionmaker[Session],
    course: Course,
    position: int = 1,
    *,
    now: datetime = MONDAY_9_UTC,
    worker: str = "w1",
    limit: int = 1000,
    after_id: int = 0,
) -> ledger.Claim:
    with transaction(sessions) as session:
        return ledger.claim(
            session,
            course,
            course.lessons[position - 1],
            at=now,
            now=now,
            worker=worker,
            limit=limit,
            after_id=after_id,
        )


def test_queueing_adds_one_row_per_due_subscriber_and_a_second_tick_adds_none(
    sessions: sessionmaker[Session], bundled_course: Course, add: AddSubscriber
) -> None:
    add("ann@example.com")
    add("bob@example.com")
    add("later@example.com", now=LATER)  # confirmed after the tick: not due at it

    assert _queue(sessions, bundled_course) == 2
    assert _queue(sessions, bundled_course) == 0

    rows = deliveries(sessions)
    assert [(row.lesson, row.position, row.status) for row in rows] == [
        ("welcome", 1, "queued")
    ] * 2
    assert {row.due_at for row in rows} == {MONDAY_9_UTC}


def test_the_lesson_queued_follows_each_subscribers_progress(
    sessions: sessionmaker[Session], bundled_course: Course, add: AddSubscriber
) -> None:
    ann = add("ann@example.com")
    add("bob@example.com")
    with transaction(sessions) as session:
        session.execute(update(Subscriber).where(Subscriber.id == ann.id).values(lessons_sent=3))

    _queue(sessions, bundled_course)

    assert sorted((row.position, row.lesson) for row in deliveries(sessions)) == [
        (1, "welcome"),
        (4, bundled_course.lessons[3].slug),
    ]


def test_only_active_subscribers_are_queued(
    sessions: sessionmaker[Session],
    bundled_course: Course,
    add: AddSubscriber,
    db_settings: Settings,
) -> None:
    paused, left = add("paused@example.com"), add("left@example.com")
    add("ann@example.com")
    with transaction(sessions) as session:
        pause(session, session.get_one(Subscriber, paused.id), now=MONDAY_9_UTC)
        unsubscribe(session, db_settings, session.get_one(Subscriber, left.id), now=MONDAY_9_UTC)

    assert _queue(sessions, bundled_course) == 1


def test_a_claim_leases_rows_of_one_lesson_in_batches(
    sessions: sessionmaker[Session], bundled_course: Course, add: AddSubscriber
) -> None:
    for n in range(5):
        add(f"reader{n}@example.com")
    _queue(sessions, bundled_course)

    with time_machine.travel(MONDAY_9_UTC, tick=False):
        first = _claim(sessions, bundled_course, limit=3)
        second = _claim(sessions, bundled_course, limit=3, after_id=first.last_id)
        third = _claim(sessions, bundled_course, limit=3, after_id=second.last_id)

    assert (len(first.rows), len(second.rows), third.empty) == (3, 2, True)
    assert {row.email for row in first.rows + second.rows} == {
        f"reader{n}@example.com" for n in range(5)
    }
    rows = deliveries(sessions)
    assert {row.status for row in rows} == {"sending"}
    assert {row.lease_until for row in rows} == {MONDAY_9_UTC + ledger.LEASE}
    assert {row.attempts for row in rows} == {1}


def test_a_leased_row_is_not_claimed_again_until_its_lease_runs_out(
    sessions: sessionmaker[Session], bundled_course: Course, add: AddSubscriber
) -> None:
    add("ann@example.com")
    _queue(sessions, bundled_course)
    assert len(_claim(sessions, bundled_course, worker="dead").rows) == 1

    assert _claim(sessions, bundled_course, now=MONDAY_9_UTC + timedelta(minutes=14)).empty
    retaken = _claim(sessions, bundled_course, now=MONDAY_9_UTC + timedelta(minutes=16))

    assert [row.email for row in retaken.rows] == ["ann@example.com"]
    (row,) = deliveries(sessions)
    assert (row.worker, row.attempts) == ("w1", 2)


def test_a_subscriber_who_left_or_paused_after_queueing_is_skipped_and_the_row_dropped(
    sessions: sessionmaker[Session],
    bundled_course: Course,
    add: AddSubscriber,
    db_settings: Settings,
) -> None:
    ann, bob = add("ann@example.com"), add("bob@example.com")
    add("cy@example.com")
    _queue(sessions, bundled_course)
    with transaction(sessions) as session:
        unsubscribe(session, db_settings, session.get_one(Subscriber, ann.id), now=LATER)
        pause(session, session.get_one(Subscriber, bob.id), now=LATER)

    claim = _claim(sessions, bundled_course, now=LATER)

    assert [row.email for row in claim.rows] == ["cy@example.com"]
    assert claim.skipped == 2
    assert [row.subscriber_id for row in deliveries(sessions)] == [claim.rows[0].subscriber_id]


def test_release_puts_claimed_rows_back_as_they_were(
    sessions: sessionmaker[Session], bundled_course: Course, add: AddSubscriber
) -> None:
    add("ann@example.com")
    _queue(sessions, bundled_course)
    claim = _claim(sessions, bundled_course)

    with transaction(sessions) as session:
        ledger.release(session, [row.delivery_id for row in claim.rows], now=MONDAY_9_UTC)

    (row,) = deliveries(sessions)
    assert (row.status, row.lease_until, row.worker, row.attempts) == ("queued", None, None, 0)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_concurrent_claims_on_postgresql_take_disjoint_rows_without_waiting(
    sessions: sessionmaker[Session], bundled_course: Course, add: AddSubscriber
) -> None:
    for n in range(6):
        add(f"reader{n}@example.com")
    _queue(sessions, bundled_course)
    lesson = bundled_course.lessons[0]

    with sessions() as first, sessions() as second, first.begin():  # two workers at once
        mine = ledger.claim(
            first,
            bundled_course,
            lesson,
            at=MONDAY_9_UTC,
            now=MONDAY_9_UTC,
            worker="a",
            limit=4,
        )
        with second.begin():
            second.execute(select(1))
            theirs = ledger.claim(
                second, bundled_course, lesson, at=MONDAY_9_UTC, now=MONDAY_9_UTC, worker="b"
            )

    assert len(mine.rows) == 4
    assert len(theirs.rows) == 2
    assert not {r.delivery_id for r in mine.rows} & {r.delivery_id for r in theirs.rows}
    assert sorted(row.worker or "" for row in deliveries(sessions)) == ["a"] * 4 + ["b"] * 2


def test_claimable_lessons_counts_what_waits_per_lesson(
    sessions: sessionmaker[Session], bundled_course: Course, add: AddSubscriber
) -> None:
    add("ann@example.com")
    add("bob@example.com")
    _queue(sessions, bundled_course)
    with sessions() as session:
        waiting = ledger.claimable_lessons(
            session, bundled_course, at=MONDAY_9_UTC, now=MONDAY_9_UTC
        )
        assert waiting == {"welcome": 2}
        assert session.scalar(select(Delivery.course).limit(1)) == bundled_course.slug
