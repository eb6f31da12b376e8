"""SendGrid's events, stored on the deliveries they are about, and acted on.

The web's webhook route verifies the signature and parses the events
(delivery.webhooks.sendgrid); this records them:

    recorded = record_events(sessions, settings, events)   # how many were new

- **Which mail.** An event names its email by our `delivery_id` custom arg (see
  scheduler.mail_ids): a lesson's ledger row, or a transactional email, stored with no
  delivery and attached to the subscriber by address. An event without the arg is
  matched by SendGrid's `sg_message_id`, which starts with the `X-Message-Id` stored
  on the delivery, then a dot (one id is shared by a whole batch, so the address
  decides). Anything else was not sent by drip and is ignored (counted, not stored).
- **Once.** SendGrid repeats events and may give a retried post new `sg_event_id`s
  (SCHEDULING.md), so an event is new only if neither its `sg_event_id` nor its
  (message id, event, timestamp) is stored yet. Both are UNIQUE columns and the insert
  is ON CONFLICT DO NOTHING: a post racing another with the same events counts each
  once, on SQLite and PostgreSQL, with no error. Inserts go in key order and the
  suppressions after them, so two racing posts take their locks in the same order.
- **Consequences.** A hard bounce, a spam report, an unsubscribe, and a drop because the
  address had bounced, complained or unsubscribed before, suppress the address through
  `subscribers.suppress`: no more mail, whatever is imported later. A soft bounce
  ("blocked": about our sending IP, not the address) is only recorded, as type
  `blocked`; every other stored type is SendGrid's event name.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from delivery.webhooks.sendgrid import Event, EventType
from drip.columns import utc_now
from drip.db import insert_ignoring_conflicts, transaction
from drip.settings import Settings
from scheduler.mail_ids import LessonMail, TransactionalMail, read_delivery_id
from scheduler.models import Delivery, DeliveryEvent
from subscribers import Subscriber, SuppressionReason, suppress
from subscribers.addresses import address_key
from subscribers.errors import InvalidAddress

log = logging.getLogger("drip.events")

BLOCKED = "blocked"  # the stored type of a soft bounce
MAX_KEY = 400  # DeliveryEvent.dedupe_key
MAX_EVENT_ID = 100  # DeliveryEvent.sg_event_id

_SUPPRESSING = {
    EventType.SPAMREPORT: SuppressionReason.COMPLAINED,
    EventType.UNSUBSCRIBE: SuppressionReason.UNSUBSCRIBED,
    EventType.GROUP_UNSUBSCRIBE: SuppressionReason.UNSUBSCRIBED,
}
# SendGrid drops mail to addresses on its own suppression lists, saying which.
_DROP_REASONS = {
    "bounced address": SuppressionReason.BOUNCED,
    "spam reporting address": SuppressionReason.COMPLAINED,
    "unsubscribed address": SuppressionReason.UNSUBSCRIBED,
}


@dataclass(frozen=True)
class Tally:
    new: int = 0  # stored now
    repeated: int = 0  # stored before (a repeat, or a retried post)
    ignored: int = 0  # not drip's mail, an unknown event, or a subscriber since erased


@dataclass(frozen=True)
class _Target:
    """What an event is about."""

    delivery_id: int | None  # None for a transactional email
    subscriber_id: int | None  # None when the subscriber was erased
    email: str  # the address to suppress
    label: str = ""  # "confirmation email" for a transactional one


@dataclass(frozen=True)
class Recorder:
    """The web's EventRecorder (admin.web.context): stores events, says how many were new."""

    settings: Settings
    sessions: sessionmaker[Session]

    def __call__(self, events: Sequence[Event]) -> int:
        return record_events(self.sessions, self.settings, events)


def recorder(settings: Settings, sessions: sessionmaker[Session]) -> Recorder:
    return Recorder(settings, sessions)


def record_events(
    sessions: sessionmaker[Session], settings: Settings, events: Sequence[Event]
) -> int:
    """Store `events` in one transaction and act on them; the number that were new."""
    return store_events(sessions, settings, events).new


def store_events(
    sessions: sessionmaker[Session], settings: Settings, events: Sequence[Event]
) -> Tally:
    with transaction(sessions) as session:
        tally = store(session, settings, events)
    log.info(
        "webhook events: %d new, %d repeated, %d ignored", tally.new, tally.repeated, tally.ignored
    )
    return tally


def store(session: Session, settings: Settings, events: Sequence[Event]) -> Tally:
    """`store_events` inside the caller's transaction."""
    targets = _Targets.look_up(session, events)
    ours = sorted(
        (
            (event, target)
            for event in events
            if event.type is not EventType.UNKNOWN and (target := targets.of(event)) is not None
        ),
        key=lambda pair: dedupe_key(pair[0]),
    )
    attached = [(event, target) for event, target in ours if target.subscriber_id is not None]
    new = [(event, target) for event, target in attached if _insert(session, event, target)]
    erased = [(event, target) for event, target in ours if target.subscriber_id is None]
    _suppress(session, settings, [*new, *erased])  # an erased address stays suppressed
    return Tally(
        new=len(new), repeated=len(attached) - len(new), ignored=len(events) - len(attached)
    )


def dedupe_key(event: Event) -> str:
    """(message id, event, timestamp): the same for a repeat whatever its sg_event_id.
    A click adds its link, so two links clicked in one second are two clicks."""
    if event.sg_message_id:
        about = event.sg_message_id
    elif event.delivery_id:
        about = f"delivery:{event.delivery_id}"
    else:
        about = f"email:{address_key(event.email)}"
    parts = [about, event.name, str(int(event.timestamp.timestamp()))]
    if event.type is EventType.CLICK and event.url:
        parts.append(_digest(event.url)[:16])
    key = "|".join(parts)
    return key if len(key) <= MAX_KEY else _digest(key)


def stored_type(event: Event) -> str:
    if event.type is EventType.BOUNCE and event.bounce_type == BLOCKED:
        return BLOCKED
    return event.type.value


def suppression_for(event: Event) -> SuppressionReason | None:
    """Why the event's address must get no more mail, or None."""
    if event.type is EventType.BOUNCE:
        return None if event.bounce_type == BLOCKED else SuppressionReason.BOUNCED
    if event.type is EventType.DROPPED:
        return _DROP_REASONS.get(event.reason.strip().lower())
    return _SUPPRESSING.get(event.type)


def _insert(session: Session, event: Event, target: _Target) -> bool:
    """Store the event; False if it was there already (by either unique key)."""
    dialect = session.get_bind().dialect.name
    values = {
        "delivery_id": target.delivery_id,
        "subscriber_id": target.subscriber_id,
        "type": stored_type(event),
        "occurred_at": event.timestamp,
        "sg_event_id": event.sg_event_id if len(event.sg_event_id) <= MAX_EVENT_ID else None,
        "dedupe_key": dedupe_key(event),
        "detail": _detail(event, target),
        "created_at": utc_now(),
    }
    insert = insert_ignoring_conflicts(dialect, DeliveryEvent).values(**values)
    return session.scalar(insert.returning(DeliveryEvent.id)) is not None


def _detail(event: Event, target: _Target) -> str:
    if event.type is EventType.CLICK:
        text = event.url or ""
    elif event.type is EventType.OPEN and event.raw.get("sg_machine_open"):
        text = "opened by the mail app, not necessarily read (Apple Mail Privacy Protection)"
    else:
        text = event.reason
    return f"{target.label}: {text}" if target.label and text else target.label or text


def _suppress(session: Session, settings: Settings, new: Iterable[tuple[Event, _Target]]) -> None:
    pending = [
        (target.email, reason, event.timestamp)
        for event, target in new
        if (reason := suppression_for(event)) is not None
    ]
    for email, reason, at in sorted(pending, key=lambda item: address_key(item[0])):
        _suppress_one(session, settings, email, reason, at)


def _suppress_one(
    session: Session, settings: Settings, email: str, reason: SuppressionReason, at: datetime
) -> None:
    try:
        suppress(session, settings, email, reason, now=at)
    except InvalidAddress:
        log.warning("a %s event names an address that is not valid; not suppressed", reason)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class _Targets:
    """The deliveries and subscribers a post's events name, found in three queries."""

    def __init__(
        self,
        rows: dict[int, _Target],
        by_message: dict[tuple[str, str], _Target],
        by_address: dict[str, _Target],
    ) -> None:
        self.rows = rows
        self.by_message = by_message
        self.by_address = by_address

    @classmethod
    def look_up(cls, session: Session, events: Sequence[Event]) -> _Targets:
        mails = [read_delivery_id(event.delivery_id) for event in events]
        row_ids = {mail.delivery for mail in mails if isinstance(mail, LessonMail)}
        messages = {
            _message_prefix(event.sg_message_id)
            for event in events
            if event.delivery_id is None and event.sg_message_id
        }
        addresses = {
            address_key(event.email)
            for event, mail in zip(events, mails, strict=True)
            if isinstance(mail, TransactionalMail)
        }
        return cls(
            _rows(session, row_ids),
            _by_message(session, messages),
            _by_address(session, addresses),
        )

    def of(self, event: Event) -> _Target | None:
        """What `event` is about, or None if it is not about drip's mail."""
        mail = read_delivery_id(event.delivery_id)
        if isinstance(mail, LessonMail):
            # A row gone with its erased subscriber: still ours, so its address is
            # suppressed if it must be, but there is nobody to attach the event to.
            return self.rows.get(mail.delivery) or _Target(None, None, event.email)
        if isinstance(mail, TransactionalMail):
            found = self.by_address.get(address_key(event.email))
            label = f"{mail.kind} email"
            subscriber_id = found.subscriber_id if found else None
            return _Target(None, subscriber_id, event.email, label)
        if event.delivery_id is None and event.sg_message_id:
            key = (_message_prefix(event.sg_message_id), address_key(event.email))
            return self.by_message.get(key)
        return None


def _message_prefix(sg_message_id: str) -> str:
    """The X-Message-Id in SendGrid's per-recipient `sg_message_id` ("<id>.filter...")."""
    return sg_message_id.partition(".")[0]


def _rows(session: Session, ids: set[int]) -> dict[int, _Target]:
    if not ids:
        return {}
    rows = session.execute(
        select(Delivery.id, Delivery.subscriber_id, Subscriber.email)
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(Delivery.id.in_(ids))
    )
    return {row.id: _Target(row.id, row.subscriber_id, row.email) for row in rows}


def _by_message(session: Session, prefixes: set[str]) -> dict[tuple[str, str], _Target]:
    if not prefixes:
        return {}
    rows = session.execute(
        select(
            Delivery.id,
            Delivery.subscriber_id,
            Delivery.provider_message_id,
            Subscriber.email,
            Subscriber.email_key,
        )
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(Delivery.provider_message_id.in_(prefixes))
    )
    return {
        (row.provider_message_id, row.email_key): _Target(row.id, row.subscriber_id, row.email)
        for row in rows
    }


def _by_address(session: Session, keys: set[str]) -> dict[str, _Target]:
    if not keys:
        return {}
    rows = session.execute(
        select(Subscriber.id, Subscriber.email, Subscriber.email_key).where(
            Subscriber.email_key.in_(keys)
        )
    )
    return {row.email_key: _Target(None, row.id, row.email) for row in rows}
