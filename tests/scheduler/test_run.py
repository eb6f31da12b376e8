"""send_due end to end on the memory backend: what goes out, what is recorded, never twice."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from delivery.memory import MemoryBackend
from scheduler.job import SendJob
from scheduler.run import send_due
from tests.scheduler.conftest import (
    MONDAY_9_UTC,
    TUESDAY_8_UTC,
    AddSubscriber,
    deliveries,
    subscriber,
)


def test_the_welcome_goes_to_every_new_subscriber_once(
    sessions: sessionmaker[Session], job: SendJob, memory: MemoryBackend, add: AddSubscriber
) -> None:
    add("ann@example.com", name="Ann")
    add("bob@example.com", name="Bob", timezone="Asia/Kolkata", hour=7)

    report = send_due(sessions, job, at=MONDAY_9_UTC)

    assert (report.sent, report.failed, report.deferred, report.skipped) == (2, 0, 0, 0)
    assert report.by_lesson == {"welcome": 2}
    assert sorted(email.to for email in memory.outbox) == ["ann@example.com", "bob@example.com"]
    assert {row.status for row in deliveries(sessions)} == {"sent"}
    ann = subscriber(sessions, "ann@example.com")
    assert ann.lessons_sent == 1
    assert ann.last_sent_at == MONDAY_9_UTC
    assert ann.next_due_at == TUESDAY_8_UTC

    again = send_due(sessions, job, at=MONDAY_9_UTC)

    assert again.sent == 0
    assert len(memory.outbox) == 2
