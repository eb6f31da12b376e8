"""Failed deliveries: listed with their reasons, and queued again by hand."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from delivery.memory import MemoryBackend
from delivery.message import Outcome, PersonalEmail, Rejected
from drip.db import transaction
from scheduler.claims import retry_failed
from scheduler.job import SendJob
from scheduler.reports import recent_failures
from scheduler.run import send_due
from tests.scheduler.conftest import MONDAY_9_UTC, AddSubscriber, deliveries, subscriber

LATER = MONDAY_9_UTC + timedelta(minutes=5)


class Refusing(MemoryBackend):
    def deliver(self, email: PersonalEmail) -> Outcome:
        return Rejected(email.delivery_id, f"550 {email.to}: mailbox full")


def _fail_everyone(sessions: sessionmaker[Session], job: SendJob) -> None:
    job.backend_factory = Refusing
    assert send_due(sessions, job, at=MONDAY_9_UTC).failed == 2


def test_failures_are_listed_with_their_reasons(
    sessions: sessionmaker[Session], job: SendJob, add: AddSubscriber
) -> None:
    add("ann@example.com")
    add("bob@example.com")
    _fail_everyone(sessions, job)

    with sessions() as session:
        found = recent_failures(session)

    assert sorted((f.email, f.lesson, f.position, f.attempts) for f in found) == [
        ("ann@example.com", "welcome", 1, 1),
        ("bob@example.com", "welcome", 1, 1),
    ]
    assert {f.reason for f in found} == {
        "550 ann@example.com: mailbox full",
        "550 bob@example.com: mailbox full",
    }


def test_retrying_one_lesson_leaves_the_others_failed(
    sessions: sessionmaker[Session], job: SendJob, add: AddSubscriber
) -> None:
    add("ann@example.com")
    add("bob@example.com")
    _fail_everyone(sessions, job)

    with transaction(sessions) as session:
        assert retry_failed(session, lesson="no-such-lesson", now=LATER) == 0
        assert retry_failed(session, lesson="welcome", now=LATER) == 2
        assert retry_failed(session, now=LATER) == 0

    rows = deliveries(sessions)
    assert {(row.status, row.error, row.lease_until) for row in rows} == {("queued", None, None)}
    assert subscriber(sessions, "ann@example.com").next_due_at == LATER

    memory = MemoryBackend()
    job.backend_factory = lambda: memory
    assert send_due(sessions, job, at=LATER).sent == 2
    assert {row.attempts for row in deliveries(sessions)} == {2}
