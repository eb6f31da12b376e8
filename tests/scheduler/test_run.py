"""send_due end to end on the memory backend: what goes out, what is recorded, never twice."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from delivery.memory import MemoryBackend
from delivery.message import Outcome, PersonalEmail, Rejected
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


class RefusingMemory(MemoryBackend):
    """Refuses one address for good, like a mailbox that does not exist."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused

    def deliver(self, email: PersonalEmail) -> Outcome:
        if email.to == self.refused:
            return Rejected(email.delivery_id, "550 no such mailbox")
        return super().deliver(email)


def test_the_report_counts_every_outcome_per_lesson(
    sessions: sessionmaker[Session], job: SendJob, add: AddSubscriber
) -> None:
    add("ann@example.com")
    send_due(sessions, job, at=MONDAY_9_UTC)  # Ann's welcome; lesson 2 due on Tuesday
    add("bob@example.com", now=TUESDAY_8_UTC)
    add("cy@example.com", now=TUESDAY_8_UTC)
    refusing = RefusingMemory("cy@example.com")
    job.backend_factory = lambda: refusing

    report = send_due(sessions, job, at=TUESDAY_8_UTC)

    second = job.course.lessons[1].slug
    assert report.per_lesson == {
        "welcome": {"sent": 1, "failed": 1, "deferred": 0, "skipped": 0},
        second: {"sent": 1, "failed": 0, "deferred": 0, "skipped": 0},
    }
    assert (report.sent, report.failed) == (2, 1)
    assert report.as_json()["per_lesson"]["welcome"]["failed"] == 1
