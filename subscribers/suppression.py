"""The suppression list: addresses never to be mailed again, kept as keyed hashes.

An address lands here when its owner unsubscribes, when mail to it bounces, when they
complain (mark it as spam), and when they are erased. A re-import does not bring it
back, and an erase does not forget it. Only the person's own new opt-in, confirmed
through the link, lifts it; a complaint is never lifted.

`suppress` is what the webhook handling calls with the address of a bounce, a spam
report or an unsubscribe reported by the provider.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from drip.columns import utc_now
from drip.db import insert_ignoring_conflicts
from drip.settings import Settings
from subscribers.addresses import address_hash, normalise
from subscribers.models import Status, Subscriber, Suppression, SuppressionReason

# A stronger reason replaces a weaker one, never the reverse: a complaint stays a
# complaint whatever the provider reports afterwards.
_RANK = {
    SuppressionReason.ERASED: 0,
    SuppressionReason.UNSUBSCRIBED: 1,
    SuppressionReason.BOUNCED: 2,
    SuppressionReason.COMPLAINED: 3,
}
_STATUS_FOR = {
    SuppressionReason.UNSUBSCRIBED: Status.UNSUBSCRIBED,
    SuppressionReason.BOUNCED: Status.BOUNCED,
    SuppressionReason.COMPLAINED: Status.COMPLAINED,
}
_REASON_FOR = {status: reason for reason, status in _STATUS_FOR.items()}

#: Reasons a person's own confirmed new opt-in may lift.
LIFTABLE = frozenset(_RANK) - {SuppressionReason.COMPLAINED}


def reason_for_status(status: Status) -> SuppressionReason | None:
    """The suppression reason an ended status stands for (None for the others)."""
    return _REASON_FOR.get(status)


def suppression_reason(session: Session, secret: str, key: str) -> SuppressionReason | None:
    """Why the address with this key is suppressed, or None if it is not."""
    entry = session.get(Suppression, address_hash(secret, key))
    return None if entry is None else entry.reason


def reasons_for_hashes(session: Session, hashes: Iterable[str]) -> dict[str, SuppressionReason]:
    """The suppressed ones among `hashes` (one query, for bulk checks)."""
    rows = session.execute(
        select(Suppression.address_hash, Suppression.reason).where(
            Suppression.address_hash.in_(list(hashes))
        )
    )
    return dict(rows.all())


def record(
    session: Session, secret: str, key: str, reason: SuppressionReason, now: datetime
) -> SuppressionReason:
    """Put the address on the list (or strengthen its reason); the reason it now has."""
    digest = address_hash(secret, key)
    dialect = session.get_bind().dialect.name
    insert = insert_ignoring_conflicts(dialect, Suppression, "address_hash")
    session.execute(
        insert.values(address_hash=digest, reason=reason, created_at=now, updated_at=now)
    )
    entry = session.get(Suppression, digest, populate_existing=True)
    assert entry is not None  # inserted just above, or there already
    if _RANK[reason] > _RANK[entry.reason]:
        entry.reason = reason
        entry.updated_at = now
    return entry.reason


def lift(session: Session, secret: str, key: str) -> None:
    """Take the address off the list, after its owner confirmed a new opt-in."""
    session.execute(
        delete(Suppression).where(
            Suppression.address_hash == address_hash(secret, key),
            Suppression.reason.in_(LIFTABLE),
        )
    )


def end_mail(subscriber: Subscriber, status: Status, now: datetime) -> None:
    """Stop all mail to `subscriber` for good, keeping the strongest status seen."""
    current = _REASON_FOR.get(subscriber.status)
    if current is not None and _RANK[current] >= _RANK[_REASON_FOR[status]]:
        return
    subscriber.status = status
    subscriber.next_due_at = None
    subscriber.suppressed_at = now


def suppress(
    session: Session,
    settings: Settings,
    email: str,
    reason: SuppressionReason,
    *,
    now: datetime | None = None,
) -> Subscriber | None:
    """Suppress `email` for `reason` (a provider's bounce, complaint or unsubscribe):
    on the list, and the subscriber, if there is one, stopped. Idempotent."""
    if reason is SuppressionReason.ERASED:
        raise ValueError("erasing is subscribers.erase(), not a suppression reason")
    now = now or utc_now()
    address = normalise(email)
    record(session, settings.secret(), address.key, reason, now)
    subscriber = session.scalar(select(Subscriber).where(Subscriber.email_key == address.key))
    if subscriber is not None:
        end_mail(subscriber, _STATUS_FOR[reason], now)
    return subscriber
