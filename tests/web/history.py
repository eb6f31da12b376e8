"""A course with a week of history, for the pages that report on it (dashboard, timeline).

Subscribers in several time zones join over the past week; the scheduler's own
`send_due` runs a tick every three hours through that week (the outbox backend), and
SendGrid's events about those emails go through `scheduler.events.record_events` as
the webhook would hand them over: deliveries, opens, clicks, a hard bounce, an
unsubscribe. One address is refused by the provider (a failed delivery). Everything
is drawn from a seeded random generator, so every run builds the same history.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import select

from delivery.memory import MemoryBackend
from delivery.message import Outcome, PersonalEmail, Rejected
from delivery.webhooks.sendgrid import Event, EventType
from drip.columns import utc_now
from scheduler.events import record_events
from scheduler.job import SendJob
from scheduler.models import Delivery, DeliveryStatus
from scheduler.run import send_due
from subscribers import Consent, Subscriber, add_confirmed

REFUSED = "zed@example.net"
ZONES = [
    ("Europe/Berlin", 7),
    ("America/New_York", 8),
    ("Asia/Kolkata", 9),
    ("Africa/Lagos", 6),
    ("Australia/Sydney", 7),
    ("UTC", 8),
]
FIRST = "Ann Lee"  # joins first: the longest timeline
NAMES = [
    "Bob Stone", "Chidi Okafor", "Dee Park", "Eve Adams", "Fay Wong", "Gus Silva",
    "Hana Sato", "Ivo Petrov", "Jo March", "Kai Berg", "Lia Costa", "Max Roth", "Nia Cole",
    "Oli Hart", "Pia Lund", "Raj Mehta", "Sue Kim", "Tom Reed", "Uma Das", "Vic Hale",
    "Wen Li", "Yara Haddad",
]  # fmt: skip


class RefusingOne(MemoryBackend):
    """Accepts everyone but `REFUSED`, which the provider turns down for good."""

    def deliver(self, email: PersonalEmail) -> Outcome:
        if email.to == REFUSED:
            return Rejected(email.delivery_id, "550 5.1.1 The email account does not exist")
        return super().deliver(email)


@dataclass(frozen=True)
class History:
    ann_id: int  # the subscriber with the longest timeline
    start: datetime


def address(name: str) -> str:
    return f"{name.split()[0].lower()}@example.com"


def build(app: FastAPI, days: int = 7, seed: int = 6) -> History:
    context = app.state.web
    rng = random.Random(seed)
    now = utc_now()
    start = now - timedelta(days=days)
    backend = RefusingOne()
    job = SendJob.from_settings(
        context.settings, course=context.course(), backend_factory=lambda: backend
    )
    joins = [(start + timedelta(hours=rng.uniform(0, 24 * (days - 1))), n) for n in NAMES]
    joins += [(start, FIRST), (start + timedelta(days=1), "Zed Null")]
    tick, pending = start, sorted(joins)
    while tick < now - timedelta(hours=1):
        while pending and pending[0][0] <= tick:
            when, name = pending.pop(0)
            _join(app, name, when, rng)
        send_due(context.sessions, job, at=tick)
        tick += timedelta(hours=3)
    _events(app, rng, now)
    with context.sessions() as session:
        ann = session.scalar(select(Subscriber.id).where(Subscriber.email == address(FIRST)))
    assert ann is not None
    return History(ann, start)


def _join(app: FastAPI, name: str, when: datetime, rng: random.Random) -> None:
    zone, hour = ZONES[rng.randrange(len(ZONES))]
    email = REFUSED if name == "Zed Null" else address(name)
    with app.state.web.transaction() as session:
        add_confirmed(
            session,
            app.state.web.settings,
            email,
            consent=Consent(source=rng.choice(["web form", "webinar sign-up sheet"])),
            name=name,
            timezone=zone,
            send_hour=hour,
            now=when,
        )


def _events(app: FastAPI, rng: random.Random, now: datetime) -> None:
    """What SendGrid would report about each email sent: most delivered, fewer opened
    as the course goes on, some clicks, one hard bounce and one unsubscribe."""
    context = app.state.web
    with context.sessions() as session:
        sent = session.execute(
            select(Delivery.id, Delivery.position, Delivery.sent_at, Delivery.subscriber_id)
            .where(Delivery.status == DeliveryStatus.SENT.value)
            .order_by(Delivery.id)
        ).all()
        emails = {
            row.id: row.email for row in session.execute(select(Subscriber.id, Subscriber.email))
        }
    events: list[Event] = []
    left: set[int] = set()
    for delivery_id, position, sent_at, subscriber_id in sent:
        if subscriber_id in left:
            continue
        email = emails[subscriber_id]
        say = _Say(str(delivery_id), email, sent_at, now, events)
        if delivery_id == sent[-3][0]:
            say(EventType.BOUNCE, 2, reason="550 mailbox unavailable", bounce_type="bounce")
            left.add(subscriber_id)
            continue
        say(EventType.DELIVERED, rng.randint(1, 4))
        if rng.random() < 0.8 - 0.08 * position:
            say(EventType.OPEN, rng.randint(20, 300))
            if rng.random() < 0.45:
                say(EventType.CLICK, rng.randint(301, 400), url="https://course.example.org/read")
        if delivery_id == sent[len(sent) // 2][0]:
            say(EventType.UNSUBSCRIBE, 420)
            left.add(subscriber_id)
    record_events(context.sessions, context.settings, events)


@dataclass
class _Say:
    delivery_id: str
    email: str
    sent_at: datetime
    now: datetime  # nothing is reported from the future
    events: list[Event]

    def __call__(self, kind: EventType, minutes: int, **extra: str) -> None:
        number = len(self.events)
        self.events.append(
            Event(
                type=kind,
                name=kind.value,
                sg_event_id=f"seeded-{number}",
                sg_message_id=None,
                email=self.email,
                timestamp=min(self.sent_at + timedelta(minutes=minutes), self.now),
                delivery_id=self.delivery_id,
                **extra,  # type: ignore[arg-type]
            )
        )
