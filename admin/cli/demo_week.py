"""The demo's world: a fresh database, outbox and gallery under var/demo/, six people in
six time zones, and a simulated week of scheduler ticks (`send_due(at=...)`).

It never touches the user's database or outbox, and starts from nothing each time, so
`drip demo` can be rerun at will. The ticks come every half hour (the scheduler ticks
every minute; half hours are enough to meet every send hour, Kolkata's UTC+5:30 too).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import subscribers
from drip.db import transaction
from drip.settings import Settings, load_settings
from scheduler.job import SendJob
from scheduler.models import Delivery, DeliveryStatus
from scheduler.run import send_due
from subscribers import Consent, Subscriber

TICK = timedelta(minutes=30)
DAYS = 7
EVENT_HOUR = 20  # people pause, resume and leave in the evening, their time
CONSENT = Consent(source="drip demo (invented people)")


@dataclass(frozen=True)
class DemoPerson:
    name: str
    email: str
    timezone: str
    hour: int
    # Days of the week (1 = the first) on whose evening they pause, resume or leave.
    pauses_on: int | None = None
    resumes_on: int | None = None
    unsubscribes_on: int | None = None

    def changes(self) -> Iterator[tuple[int, str]]:
        for day, what in (
            (self.pauses_on, "paused"),
            (self.resumes_on, "resumed"),
            (self.unsubscribes_on, "unsubscribed"),
        ):
            if day is not None:
                yield day, what


PEOPLE = (
    DemoPerson("Asha", "asha@example.com", "Asia/Kolkata", 7),
    DemoPerson("Ben", "ben@example.com", "America/New_York", 8),
    DemoPerson("Chloé", "chloe@example.com", "Europe/London", 9),
    DemoPerson("Dan", "dan@example.com", "Australia/Sydney", 6),
    DemoPerson("Eva", "eva@example.com", "Europe/Berlin", 8, unsubscribes_on=3),
    DemoPerson("Finn", "finn@example.com", "America/Los_Angeles", 7, pauses_on=2, resumes_on=5),
)


@dataclass(frozen=True)
class Happening:
    """One line of the demo's diary: a lesson sent, or a subscriber's own step."""

    at: datetime  # UTC
    person: DemoPerson
    what: str  # "lesson" or "paused" / "resumed" / "unsubscribed"
    position: int = 0  # of the lesson
    slug: str = ""

    @property
    def local(self) -> datetime:
        return self.at.astimezone(ZoneInfo(self.person.timezone))


@dataclass(frozen=True)
class DemoWorld:
    root: Path
    settings: Settings

    @property
    def outbox(self) -> Path:
        return self.settings.outbox_dir

    @property
    def gallery(self) -> Path:
        return self.root / "gallery"

    @property
    def database(self) -> Path:
        return self.root / "drip.db"


def fresh_world(var_dir: Path) -> DemoWorld:
    """var/demo/ emptied and settings pointing into it (the outbox backend, always)."""
    root = (var_dir / "demo").resolve()
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    settings = load_settings(
        database_url=f"sqlite:///{root / 'drip.db'}",
        outbox_dir=root / "outbox",
        backend="outbox",
        var_dir=root,
        env="development",
    )
    return DemoWorld(root, settings)


def week_start(now: datetime) -> datetime:
    """The demo's week starts at midnight UTC of today."""
    return datetime.combine(now.astimezone(UTC).date(), time(0), tzinfo=UTC)


def _change_instant(person: DemoPerson, start: datetime, day: int) -> datetime:
    local_day: date = start.date() + timedelta(days=day - 1)
    zone = ZoneInfo(person.timezone)
    return datetime.combine(local_day, time(EVENT_HOUR), tzinfo=zone).astimezone(UTC)


def changes_by_instant(start: datetime) -> list[tuple[datetime, DemoPerson, str]]:
    found = [
        (_change_instant(person, start, day), person, what)
        for person in PEOPLE
        for day, what in person.changes()
    ]
    return sorted(found, key=lambda change: change[0])


def sign_up(sessions: sessionmaker[Session], settings: Settings, at: datetime) -> None:
    with transaction(sessions) as session:
        for person in PEOPLE:
            subscribers.add_confirmed(
                session,
                settings,
                person.email,
                consent=CONSENT,
                name=person.name,
                timezone=person.timezone,
                send_hour=person.hour,
                now=at,
            )


def apply_change(
    sessions: sessionmaker[Session], settings: Settings, person: DemoPerson, what: str, at: datetime
) -> None:
    with transaction(sessions) as session:
        subscriber = subscribers.get(session, person.email)
        if what == "paused":
            subscribers.pause(session, subscriber, now=at)
        elif what == "resumed":
            subscribers.resume(session, subscriber, now=at)
        else:
            subscribers.unsubscribe(session, settings, subscriber, now=at)


def simulate_week(
    sessions: sessionmaker[Session], world: DemoWorld, job: SendJob, start: datetime
) -> list[Happening]:
    """Sign everyone up at `start`, then tick every half hour for a week: each tick is
    exactly what `drip run` would do at that instant. Returns the diary."""
    sign_up(sessions, world.settings, start)
    changes = changes_by_instant(start)
    done: list[Happening] = []
    at = start
    while at < start + timedelta(days=DAYS):
        while changes and changes[0][0] <= at:
            when, person, what = changes.pop(0)
            apply_change(sessions, world.settings, person, what, when)
            done.append(Happening(when, person, what))
        send_due(sessions, job, at=at, worker="drip-demo")
        at += TICK
    return sorted([*done, *sent_lessons(sessions)], key=lambda happening: happening.at)


def sent_lessons(sessions: sessionmaker[Session]) -> list[Happening]:
    """Every lesson the ledger recorded as sent, with whom it went to."""
    people = {person.email: person for person in PEOPLE}
    query = (
        select(Delivery.sent_at, Delivery.position, Delivery.lesson, Subscriber.email)
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(Delivery.status == DeliveryStatus.SENT.value)
    )
    with sessions() as session:
        rows = session.execute(query).all()
    return [
        Happening(sent_at, people[email], "lesson", position, slug)
        for sent_at, position, slug, email in rows
        if sent_at is not None
    ]


def final_states(sessions: sessionmaker[Session]) -> dict[str, tuple[str, int]]:
    """Each demo subscriber's status and lessons received, by address."""
    with sessions() as session:
        rows = session.execute(select(Subscriber.email, Subscriber.status, Subscriber.lessons_sent))
        return {email: (status.value, sent) for email, status, sent in rows}
