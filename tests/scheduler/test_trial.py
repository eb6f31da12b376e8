"""Test sends: any lesson to any address, marked [Test], never in the ledger."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from delivery.memory import MemoryBackend
from delivery.message import Accepted
from drip.settings import Settings
from scheduler.errors import UnknownLesson
from scheduler.job import SendJob
from scheduler.trial import send_trial
from subscribers import Links
from tests.scheduler.conftest import AddSubscriber, deliveries, subscriber


def test_a_test_send_goes_to_any_address_and_is_not_recorded(
    sessions: sessionmaker[Session], job: SendJob, memory: MemoryBackend, add: AddSubscriber
) -> None:
    add("ann@example.com")
    lesson = job.course.lessons[2]

    outcome = send_trial(job, "3", "marketer@example.com")

    assert isinstance(outcome, Accepted)
    (email,) = memory.outbox
    assert email.to == "marketer@example.com"
    assert email.subject == f"[Test] {lesson.subject}"
    assert email.category == lesson.slug
    assert deliveries(sessions) == []
    assert subscriber(sessions, "ann@example.com").lessons_sent == 0


def test_a_test_send_as_a_subscriber_carries_their_links(
    sessions: sessionmaker[Session],
    job: SendJob,
    memory: MemoryBackend,
    add: AddSubscriber,
    db_settings: Settings,
) -> None:
    ann = add("ann@example.com", name="Ann")

    send_trial(job, "welcome", "marketer@example.com", subscriber=ann)

    (email,) = memory.outbox
    links = Links.from_settings(db_settings)
    assert "Hi Ann," in email.html
    assert links.unsubscribe(ann) in email.html
    assert links.view(ann, "welcome") in email.html
    assert email.to == "marketer@example.com"


def test_an_unknown_lesson_is_named(job: SendJob) -> None:
    with pytest.raises(UnknownLesson, match=r"no lesson 'nope'.*\(1-6\)"):
        send_trial(job, "nope", "marketer@example.com")
