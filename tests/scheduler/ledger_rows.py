"""Rows of the send ledger made by hand at named instants, for the tests of what reads
and annotates it (events, reports): subscribers, their deliveries, provider events."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from drip.settings import Settings
from scheduler.models import Delivery, DeliveryEvent, DeliveryStatus
from subscribers import Consent, Subscriber, add_confirmed

# Monday 2 March 2026: Ann and Bob confirm at 07:00 UTC; the 08:00 tick sends the welcome.
MONDAY_7_UTC = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
MONDAY_8_UTC = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
MONDAY_8_05_UTC = datetime(2026, 3, 2, 8, 5, tzinfo=UTC)  # the webhook posts what happened
TUESDAY_8_UTC = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
COURSE = "magnesium"  # the bundled course's slug
CONSENT = Consent(source="ledger tests", form="tests")


def add_subscriber(
    session: Session, settings: Settings, email: str, at: datetime = MONDAY_7_UTC
) -> Subscriber:
    subscriber, _ = add_confirmed(session, settings, email, consent=CONSENT, now=at)
    return subscriber


def add_delivery(
    session: Session,
    subscriber: Subscriber,
    lesson: str,
    position: int,
    *,
    queued: datetime = MONDAY_8_UTC,
    sent: datetime | None = MONDAY_8_UTC,
    status: DeliveryStatus = DeliveryStatus.SENT,
    message_id: str | None = None,
    error: str | None = None,
    course: str = COURSE,
) -> Delivery:
    """A delivery queued at `queued`; sent at `sent` (if its status says it was)."""
    delivery = Delivery(
        subscriber_id=subscriber.id,
        course=course,
        lesson=lesson,
        position=position,
        status=status.value,
        attempts=1,
        due_at=queued,
        provider_message_id=message_id,
        error=error,
        sent_at=sent if status is DeliveryStatus.SENT else None,
        created_at=queued,
        updated_at=sent or queued,
    )
    session.add(delivery)
    session.flush()
    return delivery


def add_event(
    session: Session, delivery: Delivery, kind: str, at: datetime, detail: str = ""
) -> DeliveryEvent:
    event = DeliveryEvent(
        delivery_id=delivery.id,
        subscriber_id=delivery.subscriber_id,
        type=kind,
        occurred_at=at,
        sg_event_id=None,
        dedupe_key=f"{delivery.id}|{kind}|{at.isoformat()}|{detail}",
        detail=detail,
        created_at=at,
    )
    session.add(event)
    session.flush()
    return event
