"""Failed deliveries put back in the queue by hand (`scheduler.reports.recent_failures`
lists them).

A delivery the provider refused for good (a SendGrid 400, an invalid address) is
`failed`, and its subscriber is held (no next lesson) so a broken batch never turns
into a skipped lesson. Once the cause is fixed, `retry_failed` queues those rows again
and makes their subscribers due, and the next run (`drip send --retry-failed` runs one
at once) sends them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from drip.columns import utc_now
from scheduler.models import Delivery, DeliveryStatus
from subscribers.models import Status, Subscriber


def retry_failed(
    session: Session, *, lesson: str | None = None, now: datetime | None = None
) -> int:
    """Queue the failed deliveries (of `lesson`, a slug, or all) again; how many."""
    now = now or utc_now()
    failed = [Delivery.status == DeliveryStatus.FAILED.value]
    if lesson is not None:
        failed.append(Delivery.lesson == lesson)
    # Held subscribers are due again at once (the row keeps its original due time).
    session.execute(
        update(Subscriber)
        .where(
            Subscriber.id.in_(select(Delivery.subscriber_id).where(*failed)),
            Subscriber.status == Status.ACTIVE,
            Subscriber.next_due_at.is_(None),
        )
        .values(next_due_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(
        update(Delivery)
        .where(*failed)
        .values(
            status=DeliveryStatus.QUEUED.value,
            error=None,
            lease_until=None,
            worker=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
