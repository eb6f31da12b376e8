"""Fixtures of the scheduler tests: the bundled course, a send job on the parametrised
database (SQLite and PostgreSQL) with an in-memory backend, and confirmed subscribers.

Named instants the tests travel to (UTC):
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from course import load_course
from course.model import Course
from delivery.memory import MemoryBackend
from delivery.retry import RetryPolicy
from drip.db import transaction
from drip.settings import DEFAULT_COURSE, Settings, load_settings
from scheduler.job import SendJob
from scheduler.models import Delivery
from subscribers import Consent, Subscriber, add_confirmed

# Monday 2 March 2026, 09:00 UTC: the first tick of most tests.
MONDAY_9_UTC = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# The next day's 08:00 UTC tick: lesson 2 for subscribers at hour 8 in UTC.
TUESDAY_8_UTC = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
CONSENT = Consent(source="scheduler tests")
# Tests wait for nobody: retries back off by zero seconds, and say how long they would.
QUICK_RETRIES = RetryPolicy(tries=3, base_delay=0.01, max_delay=0.01, max_wait=5.0)


@pytest.fixture(scope="session")
def bundled_course() -> Course:
    return load_course(DEFAULT_COURSE)


@pytest.fixture
def db_settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        database_url=database_url,
        outbox_dir=tmp_path / "outbox",
        var_dir=tmp_path / "var",
        base_url="https://course.example.org",
        postal_address="Drip Test Ltd, 1 Test Street, Testville 12345",
    )


@dataclass
class Waits:
    """The retries' sleeps, recorded instead of slept."""

    seconds: list[float]

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


@pytest.fixture
def waits() -> Waits:
    return Waits([])


@pytest.fixture
def memory() -> MemoryBackend:
    return MemoryBackend()


@pytest.fixture
def job(
    db_settings: Settings, bundled_course: Course, memory: MemoryBackend, waits: Waits
) -> SendJob:
    job = SendJob.from_settings(db_settings, course=bundled_course, backend_factory=lambda: memory)
    job.retry = QUICK_RETRIES
    job.sleep = waits
    return job


AddSubscriber = Callable[..., Subscriber]


@pytest.fixture
def add(sessions: sessionmaker[Session], db_settings: Settings) -> AddSubscriber:
    """`add("ann@example.com", timezone=..., hour=...)`: an active subscriber, confirmed
    at `now` (default: MONDAY_9_UTC), whose welcome is due at once."""

    def make(
        email: str,
        *,
        name: str = "",
        timezone: str = "UTC",
        hour: int = 8,
        now: datetime = MONDAY_9_UTC,
    ) -> Subscriber:
        with transaction(sessions) as session:
            subscriber, _ = add_confirmed(
                session,
                db_settings,
                email,
                consent=CONSENT,
                name=name,
                timezone=timezone,
                send_hour=hour,
                now=now,
            )
        return subscriber

    return make


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


def deliveries(sessions: sessionmaker[Session]) -> list[Delivery]:
    with sessions() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def subscriber(sessions: sessionmaker[Session], email: str) -> Subscriber:
    with sessions() as session:
        found = session.scalar(select(Subscriber).where(Subscriber.email == email))
        assert found is not None
        return found
