"""The send ledger: one row per (subscriber, course, lesson), and the provider's events.

A `Delivery` row is the memory that makes "never twice, never skipped" hold: it is
inserted (ON CONFLICT DO NOTHING) when the lesson falls due, claimed under a lease by
one worker, and marked `sent` with the provider's message id in the same transaction
that moves the subscriber on. A row whose lease ran out while its worker died is due
again. The UNIQUE constraint is the last line of defence against a second send.

A `DeliveryEvent` is one thing the provider told us afterwards (delivered, opened,
clicked, bounced, ...), deduplicated on SendGrid's `sg_event_id` and on
(message id, event, timestamp), since SendGrid repeats events and may change the id
on a retried post.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from drip.columns import UTCDateTime, utc_now
from drip.db import Base


class DeliveryStatus(StrEnum):
    QUEUED = "queued"  # due, waiting for a worker (also after a deferral or a lost lease)
    SENDING = "sending"  # claimed by a worker until lease_until
    SENT = "sent"  # the provider accepted it
    FAILED = "failed"  # refused for good (e.g. a SendGrid 400); held until retried by hand


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "course", "lesson", name="uq_deliveries_lesson"),
        Index("ix_deliveries_claim", "status", "lease_until"),  # expired leases
        Index("ix_deliveries_queue", "status", "course", "lesson", "id"),  # claims, in order
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), index=True
    )
    course: Mapped[str] = mapped_column(String(100))  # the course's slug
    lesson: Mapped[str] = mapped_column(String(100))  # the lesson's slug
    position: Mapped[int] = mapped_column(SmallInteger)  # 1-based, as in "Lesson k of n"
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    worker: Mapped[str | None] = mapped_column(String(64))
    provider_message_id: Mapped[str | None] = mapped_column(String(255), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, onupdate=utc_now)

    def __repr__(self) -> str:
        return f"<Delivery {self.id} {self.lesson} {self.status}>"


class DeliveryEvent(Base):
    __tablename__ = "delivery_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(32))  # SendGrid's event name (scheduler.events)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sg_event_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    dedupe_key: Mapped[str] = mapped_column(String(400), unique=True)
    detail: Mapped[str] = mapped_column(Text, default="")  # a bounce's reason, a click's URL
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
