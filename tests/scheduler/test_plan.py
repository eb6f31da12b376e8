"""What is due, read without writing: the dry run's plan, the next sends, the --at check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from drip.db import transaction
from drip.settings import Settings
from scheduler.errors import InstantInThePast
from scheduler.job import SendJob
from scheduler.plan import DueLesson, Upcoming, check_instant, due_recipients, due_summary, upcoming
from scheduler.run import send_due
from subscribers import Subscriber, pause
from tests.scheduler.conftest import MONDAY_9_UTC, TUESDAY_8_UTC, AddSubscriber, subscriber


def test_due_summary_counts_who_gets_which_lesson(
    sessions: sessionmaker[Session], job: SendJob, add: AddSubscriber, db_settings: Settings
) -> None:
    add("ann@example.com")
    add("bob@example.com")
    paused = add("pat@example.com")
    add("new@example.com", now=MONDAY_9_UTC + timedelta(hours=1))
    send_due(sessions, job, at=MONDAY_9_UTC)  # ann, bob, pat: welcome
    with transaction(sessions) as session:
        pause(session, session.get_one(Subscriber, paused.id), now=MONDAY_9_UTC)
    second = job.course.lessons[1]

    with sessions() as session:
        assert due_summary(session, job.course, TUESDAY_8_UTC) == [
            DueLesson(1, "welcome", job.course.lessons[0].subject, 1),
            DueLesson(2, second.slug, second.subject, 2),
        ]
        assert due_recipients(session, job.course, TUESDAY_8_UTC) == [
            ("new@example.com", "welcome"),
            ("ann@example.com", second.slug),
            ("bob@example.com", second.slug),
        ]
        assert due_summary(session, job.course, MONDAY_9_UTC) == []


def test_upcoming_lists_the_next_sends_soonest_first(
    sessions: sessionmaker[Session], job: SendJob, add: AddSubscriber
) -> None:
    add("ann@example.com", hour=10)
    add("bob@example.com", hour=8)
    send_due(sessions, job, at=MONDAY_9_UTC)
    second = job.course.lessons[1]

    with sessions() as session:
        found = upcoming(session, job.course, MONDAY_9_UTC, limit=5)

    assert found == [
        Upcoming("bob@example.com", 2, second.slug, TUESDAY_8_UTC),
        Upcoming("ann@example.com", 2, second.slug, TUESDAY_8_UTC + timedelta(hours=2)),
    ]
    ann = subscriber(sessions, "ann@example.com")
    assert (found[1].subscriber_id, found[1].timezone) == (ann.id, "UTC")


def test_completed_subscribers_are_not_due_even_if_lessons_are_missing(
    sessions: sessionmaker[Session], job: SendJob, add: AddSubscriber
) -> None:
    ann = add("ann@example.com")
    with transaction(sessions) as session:
        session.execute(update(Subscriber).where(Subscriber.id == ann.id).values(lessons_sent=99))
    with sessions() as session:
        assert due_summary(session, job.course, MONDAY_9_UTC) == []


def test_check_instant_refuses_going_back_before_the_last_send(
    sessions: sessionmaker[Session], job: SendJob, add: AddSubscriber
) -> None:
    add("ann@example.com")
    with sessions() as session:
        check_instant(session, MONDAY_9_UTC - timedelta(days=365))  # nothing sent yet: fine
    send_due(sessions, job, at=MONDAY_9_UTC)

    with sessions() as session:
        check_instant(session, MONDAY_9_UTC)
        with pytest.raises(InstantInThePast, match=r"2026-03-02T09:00:00\+00:00"):
            check_instant(session, MONDAY_9_UTC - timedelta(seconds=1))
