"""Erase (GDPR art. 17): delete a person's data, keep only a keyed hash of their address
on the suppression list, so that no re-import or old list ever mails them again.

The subscriber row goes, and with it everything that refers to it: tables that point
at subscribers (the scheduler's deliveries) declare ON DELETE CASCADE. Links in emails
already sent stop working: their tokens name a key that no longer exists.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from drip.columns import utc_now
from drip.settings import Settings
from subscribers.addresses import normalise
from subscribers.models import Subscriber, SuppressionReason
from subscribers.suppression import reason_for_status, record


def erase(session: Session, settings: Settings, email: str, *, now: datetime | None = None) -> bool:
    """Erase `email`: True if a subscriber was deleted, False if there was none (the
    address is suppressed all the same, so the request is honoured either way)."""
    address = normalise(email)
    subscriber = session.scalar(select(Subscriber).where(Subscriber.email_key == address.key))
    reason = SuppressionReason.ERASED
    if subscriber is not None:
        reason = reason_for_status(subscriber.status) or reason  # a complaint stays one
    record(session, settings.secret(), address.key, reason, now or utc_now())
    if subscriber is None:
        return False
    session.delete(subscriber)
    session.flush()
    return True
