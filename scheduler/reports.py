"""What the send ledger and the provider's events say, for people: the funnel per
lesson, the recent failures, one subscriber's timeline and delivery history.

- `funnel` counts unique subscribers per lesson and stage, so an email opened five
  times is one open. "Unsubscribed" at a lesson: an unsubscribe or spam report SendGrid
  reported about that email, or a subscriber who left (unsubscribed or complained)
  with that lesson as the last one sent. "Bounced": hard bounces (a soft "blocked" is
  about the sending IP, not the address).
- `timeline` is oldest first; `delivery_history` is the same facts as JSON-ready data,
  the "deliveries" section of a subscriber's personal-data export
  (`PERSONAL_DATA_SECTIONS`, handed to `subscribers.personal_data` by the faces).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from course.model import Course
from delivery.webhooks.sendgrid import EventType
from scheduler.models import Delivery, DeliveryEvent, DeliveryStatus
from subscribers import Status, Subscriber
from subscribers.consent import OptIn
from subscribers.personal_data import SectionProvider, iso

_STAGES = {
    EventType.DELIVERED.value: "delivered",
    EventType.OPEN.value: "opened",
    EventType.CLICK.value: "clicked",
    EventType.BOUNCE.value: "bounced",
}
_LEFT_BY_EVENT = (EventType.UNSUBSCRIBE, EventType.GROUP_UNSUBSCRIBE, EventType.SPAMREPORT)
_LEFT = (Status.UNSUBSCRIBED, Status.COMPLAINED)


@dataclass(frozen=True)
class LessonFunnel:
    position: int
    slug: str
    sent: int = 0
    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    unsubscribed: int = 0
    bounced: int = 0


@dataclass(frozen=True)
class FailedDelivery:
    delivery_id: int
    subscriber_id: int
    email: str
    lesson: str
    position: int
    attempts: int
    reason: str
    at: datetime  # when it was marked failed


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    # subscribed, confirmation_sent, confirmed, queued, sent, failed, an event's type
    # (delivered, open, click, bounce, blocked, ...), paused, unsubscribed, bounced, complained
    kind: str
    lesson: str | None  # the lesson's slug, for deliveries and their events
    detail: str = ""


# --- the funnel ----------------------------------------------------------------------


def funnel(session: Session, course: Course) -> list[LessonFunnel]:
    """Every lesson of `course` in order, with its counts (zeros where nothing happened)."""
    counts: dict[str, dict[str, int]] = {lesson.slug: {} for lesson in course.lessons}
    for lesson, stage, count in _funnel_counts(session, course.slug):
        if lesson in counts:  # a lesson since removed from the course is not shown
            counts[lesson][stage] = count
    return [
        LessonFunnel(lesson.position, lesson.slug, **counts[lesson.slug])
        for lesson in course.lessons
    ]


def _funnel_counts(session: Session, course: str) -> Iterable[tuple[str, str, int]]:
    sent = session.execute(
        select(Delivery.lesson, func.count(Delivery.subscriber_id.distinct()))
        .where(Delivery.course == course, Delivery.status == DeliveryStatus.SENT.value)
        .group_by(Delivery.lesson)
    )
    yield from ((lesson, "sent", count) for lesson, count in sent)
    events = session.execute(
        select(Delivery.lesson, DeliveryEvent.type, func.count(Delivery.subscriber_id.distinct()))
        .join(DeliveryEvent, DeliveryEvent.delivery_id == Delivery.id)
        .where(Delivery.course == course, DeliveryEvent.type.in_(_STAGES))
        .group_by(Delivery.lesson, DeliveryEvent.type)
    )
    yield from ((lesson, _STAGES[kind], count) for lesson, kind, count in events)
    yield from ((lesson, "unsubscribed", count) for lesson, count in _left(session, course))


def _left(session: Session, course: str) -> Iterable[tuple[str, int]]:
    """Unique subscribers who left at each lesson, by SendGrid's word or by their status."""
    by_event = (
        select(Delivery.lesson, Delivery.subscriber_id)
        .join(DeliveryEvent, DeliveryEvent.delivery_id == Delivery.id)
        .where(Delivery.course == course, DeliveryEvent.type.in_(_LEFT_BY_EVENT))
    )
    by_status = (
        select(Delivery.lesson, Delivery.subscriber_id)
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(
            Delivery.course == course,
            Delivery.status == DeliveryStatus.SENT.value,
            Delivery.position == Subscriber.lessons_sent,  # their last lesson
            Subscriber.status.in_(_LEFT),
        )
    )
    both = union(by_event, by_status).subquery()  # UNION: each subscriber once per lesson
    rows = session.execute(
        select(both.c.lesson, func.count(both.c.subscriber_id)).group_by(both.c.lesson)
    )
    return [(lesson, count) for lesson, count in rows]


# --- failures --------------------------------------------------------------------------


def recent_failures(session: Session, limit: int | None = 20) -> list[FailedDelivery]:
    """Failed deliveries, the latest first: who, which lesson, why and when."""
    rows = session.execute(
        select(Delivery, Subscriber.email)
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(Delivery.status == DeliveryStatus.FAILED.value)
        .order_by(Delivery.updated_at.desc(), Delivery.id.desc())
        .limit(limit)
    )
    return [
        FailedDelivery(
            delivery_id=delivery.id,
            subscriber_id=delivery.subscriber_id,
            email=email,
            lesson=delivery.lesson,
            position=delivery.position,
            attempts=delivery.attempts,
            reason=delivery.error or "no reason recorded",
            at=delivery.updated_at,
        )
        for delivery, email in rows
    ]


# --- one subscriber ----------------------------------------------------------------------


def timeline(session: Session, subscriber_id: int) -> list[TimelineEntry]:
    """What happened to the subscriber, oldest first; [] if there is no such subscriber."""
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        return []
    deliveries = _deliveries(session, subscriber_id)
    entries = [*_joining(subscriber)]
    for delivery in deliveries:
        entries.extend(_delivery_entries(delivery))
    lessons = {delivery.id: delivery.lesson for delivery in deliveries}
    entries.extend(
        TimelineEntry(
            event.occurred_at, event.type, lessons.get(event.delivery_id or 0), event.detail
        )
        for event in _events(session, subscriber_id)
    )
    entries.extend(_choices(subscriber))
    # A stable sort: at one instant, the order above (joined, queued, sent, delivered, left).
    return sorted(entries, key=lambda entry: entry.at)


def _joining(subscriber: Subscriber) -> Iterable[TimelineEntry]:
    """The subscriber record's dates of coming in: consent and confirmation."""
    how = "confirmed by an admin" if subscriber.opt_in is OptIn.ATTESTED else "double opt-in"
    yield TimelineEntry(
        subscriber.subscribed_at, "subscribed", None, f"{subscriber.consent_source} ({how})"
    )
    if subscriber.confirmation_sent_at is not None:
        yield TimelineEntry(subscriber.confirmation_sent_at, "confirmation_sent", None)
    if subscriber.confirmed_at is not None and subscriber.opt_in is OptIn.DOUBLE:
        yield TimelineEntry(subscriber.confirmed_at, "confirmed", None, "clicked the link")


def _choices(subscriber: Subscriber) -> Iterable[TimelineEntry]:
    """The record's dates of a pause and of the end of mail (the latest of each known)."""
    if subscriber.paused_at is not None:  # cleared on resume: known while paused
        yield TimelineEntry(subscriber.paused_at, "paused", None)
    if subscriber.suppressed_at is not None:
        yield TimelineEntry(subscriber.suppressed_at, subscriber.status.value, None, "no more mail")


def _delivery_entries(delivery: Delivery) -> Iterable[TimelineEntry]:
    lesson = delivery.lesson
    yield TimelineEntry(delivery.created_at, "queued", lesson, f"lesson {delivery.position}")
    if delivery.status == DeliveryStatus.SENT.value and delivery.sent_at is not None:
        yield TimelineEntry(delivery.sent_at, "sent", lesson)
    elif delivery.status == DeliveryStatus.FAILED.value:
        yield TimelineEntry(delivery.updated_at, "failed", lesson, delivery.error or "")


def delivery_history(session: Session, subscriber_id: int) -> list[dict[str, Any]]:
    """Every email sent to the subscriber with what the provider said of it, as JSON-ready
    data: lessons in order, then the events of the confirmation and goodbye emails."""
    events: dict[int | None, list[dict[str, Any]]] = {}
    for event in _events(session, subscriber_id):
        events.setdefault(event.delivery_id, []).append(_event_data(event))
    history = [_delivery_data(d, events.get(d.id, [])) for d in _deliveries(session, subscriber_id)]
    if None in events:
        history.append({"email": "transactional", "events": events[None]})
    return history


def _delivery_data(delivery: Delivery, events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "email": "lesson",
        "course": delivery.course,
        "lesson": delivery.lesson,
        "position": delivery.position,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "queued_at": iso(delivery.created_at),
        "sent_at": iso(delivery.sent_at),
        "error": delivery.error,
        "provider_message_id": delivery.provider_message_id,
        "events": events,
    }


def _event_data(event: DeliveryEvent) -> dict[str, Any]:
    return {"type": event.type, "at": iso(event.occurred_at), "detail": event.detail}


def _history_section(session: Session, subscriber: Subscriber) -> list[dict[str, Any]]:
    return delivery_history(session, subscriber.id)


#: The scheduler's sections of a personal-data export: pass as
#: `subscribers.personal_data(session, subscriber, extra_sections=PERSONAL_DATA_SECTIONS)`.
PERSONAL_DATA_SECTIONS: Mapping[str, SectionProvider] = {"deliveries": _history_section}


def _deliveries(session: Session, subscriber_id: int) -> list[Delivery]:
    query = select(Delivery).where(Delivery.subscriber_id == subscriber_id)
    return list(session.scalars(query.order_by(Delivery.course, Delivery.position, Delivery.id)))


def _events(session: Session, subscriber_id: int) -> list[DeliveryEvent]:
    query = select(DeliveryEvent).where(DeliveryEvent.subscriber_id == subscriber_id)
    return list(session.scalars(query.order_by(DeliveryEvent.occurred_at, DeliveryEvent.id)))
