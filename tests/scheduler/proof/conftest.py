"""The proof of issue 5: the course reaches people day by day as SPEC says, across DST
changes, downtime, an appended lesson, crashes and several workers.

The in-process proofs drive `send_due(at=...)` tick by tick with the clock frozen at each
tick's instant (time-machine), on SQLite, into an in-memory backend; `Course` reads who
got which lesson when from the ledger and the backend.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from time_machine import TimeMachineFixture

from delivery.memory import MemoryBackend
from drip.db import transaction
from drip.settings import DEFAULT_COURSE, Settings, load_settings
from scheduler.job import SendJob
from scheduler.models import Delivery, DeliveryStatus
from scheduler.run import RunReport, send_due
from subscribers import Consent, Status, Subscriber, add_confirmed
from tests.support.database import migrated_database

TICK = timedelta(minutes=30)  # meets every whole hour of every zone here (Kolkata is +5:30)
MIN_GAP = timedelta(hours=20)
POSTAL = "Drip Test Ltd, 1 Test Street, Testville 12345"


def proof_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": f"sqlite:///{tmp_path / 'drip.db'}",
        "outbox_dir": tmp_path / "outbox",
        "var_dir": tmp_path / "var",
        "postal_address": POSTAL,
        "base_url": "https://course.example.org",
        "course": DEFAULT_COURSE,
    }
    return load_settings(**(values | overrides))


@pytest.fixture
def settings_sqlite(tmp_path: Path) -> Settings:
    return proof_settings(tmp_path)


@pytest.fixture
def db(settings_sqlite: Settings) -> Iterator[sessionmaker[Session]]:
    with migrated_database(settings_sqlite.database_url) as sessions:
        yield sessions


@pytest.fixture
def inbox() -> MemoryBackend:
    return MemoryBackend()


@pytest.fixture
def course_job(settings_sqlite: Settings, inbox: MemoryBackend) -> SendJob:
    """The bundled six-lesson course, sent into `inbox`."""
    return SendJob.from_settings(settings_sqlite, backend_factory=lambda: inbox)


Enrol = Callable[[str, str, int, datetime], None]


@pytest.fixture
def enrol(db: sessionmaker[Session], settings_sqlite: Settings) -> Enrol:
    """`enrol(email, zone, hour, at)`: a confirmed subscriber whose welcome is due at `at`."""

    def add(email: str, timezone: str, hour: int, at: datetime) -> None:
        with transaction(db) as session:
            add_confirmed(
                session,
                settings_sqlite,
                email,
                consent=Consent(source="proof tests"),
                timezone=timezone,
                send_hour=hour,
                now=at,
            )

    return add


class Clock:
    """Ticks of the scheduler at named instants, with the clock frozen at each."""

    def __init__(self, traveller: TimeMachineFixture) -> None:
        self.traveller = traveller

    def tick(self, sessions: sessionmaker[Session], job: SendJob, at: datetime) -> RunReport:
        self.traveller.move_to(at, tick=False)
        return send_due(sessions, job, at=at)

    def run(
        self, sessions: sessionmaker[Session], job: SendJob, start: datetime, end: datetime
    ) -> list[RunReport]:
        """A tick every half hour from `start` up to (not including) `end`."""
        reports = []
        at = start
        while at < end:
            reports.append(self.tick(sessions, job, at))
            at += TICK
        return reports


@pytest.fixture
def clock(time_machine: TimeMachineFixture) -> Clock:
    return Clock(time_machine)


@dataclass(frozen=True)
class Sent:
    position: int
    lesson: str
    at: datetime  # UTC


def sent_by_subscriber(sessions: sessionmaker[Session]) -> dict[str, list[Sent]]:
    """Every delivery the ledger recorded as sent, by address, in the order sent."""
    query = (
        select(Subscriber.email, Delivery.position, Delivery.lesson, Delivery.sent_at)
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(Delivery.status == DeliveryStatus.SENT.value)
        .order_by(Delivery.sent_at, Delivery.id)
    )
    found: dict[str, list[Sent]] = defaultdict(list)
    with sessions() as session:
        for email, position, lesson, sent_at in session.execute(query):
            found[email].append(Sent(position, lesson, sent_at))
    return dict(found)


def received(inbox: MemoryBackend) -> dict[str, list[str]]:
    """The subjects each address received, in order (what the backend really got)."""
    found: dict[str, list[str]] = defaultdict(list)
    for email in inbox.outbox:
        found[email.to].append(email.subject)
    return dict(found)


def status_of(sessions: sessionmaker[Session], email: str) -> tuple[Status, int]:
    with sessions() as session:
        row = session.execute(
            select(Subscriber.status, Subscriber.lessons_sent).where(Subscriber.email == email)
        ).one()
    return row[0], row[1]


def local(at: datetime, timezone: str) -> datetime:
    return at.astimezone(ZoneInfo(timezone))


def assert_daily_rhythm(sends: list[Sent], timezone: str, hour: int) -> None:
    """Lessons 2.. arrive at the local send hour on consecutive local days, never two
    within 20 hours, none skipped (positions 1, 2, 3, ... each once)."""
    assert [sent.position for sent in sends] == list(range(1, len(sends) + 1))
    assert never_two_within_20_hours(sent.at for sent in sends)
    later = sends[1:]
    for sent in later:
        wall = local(sent.at, timezone)
        assert (wall.hour, wall.minute) == (hour, 0), f"lesson {sent.position} at {wall}"
    days = [local(sent.at, timezone).date() for sent in later]
    assert days == [days[0] + timedelta(days=n) for n in range(len(days))], days


def never_two_within_20_hours(instants: Iterable[datetime]) -> bool:
    return all(after - before >= MIN_GAP for before, after in pairwise(instants))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]
