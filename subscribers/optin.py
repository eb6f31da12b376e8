"""Coming in: double opt-in (`subscribe`, then `confirm`), and an admin's attested add.

- `subscribe` makes a pending subscriber and sends the confirmation email. Again while
  pending: the latest details are kept and the email re-sent, at most once per
  cooldown. While active, paused or completed: nothing changes and nothing is sent.
  After an unsubscribe or a bounce, it is the new opt-in that brings them back (their
  course starts over once they confirm); after a complaint, nothing is ever sent. It
  returns the same thing in every case, so a public form reveals nobody's status.
- `confirm` activates a pending subscriber: the welcome is due at once.
- `add_confirmed` is for consent an admin can vouch for (`--confirmed --source`).

Every function works inside the caller's transaction and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from drip.columns import utc_now
from drip.db import insert_ignoring_conflicts
from drip.settings import Settings
from subscribers.addresses import Address, normalise
from subscribers.consent import Consent, OptIn
from subscribers.errors import InvalidToken, Suppressed
from subscribers.links import Links
from subscribers.lookup import subscriber_for
from subscribers.models import ENDED, Status, Subscriber, SuppressionReason, new_key
from subscribers.notifier import Confirmation, Notifier
from subscribers.profile import Profile, clean_consent
from subscribers.suppression import lift, suppression_reason
from subscribers.tokens import Purpose, Tokens

#: A pending subscriber gets at most one confirmation email per this much time, however
#: often the form is sent: enough for "I did not get it", too little for a mail bomb.
CONFIRMATION_COOLDOWN = timedelta(minutes=15)


def subscriber_row(
    address: Address, profile: Profile, consent: Consent, opt_in: OptIn, now: datetime
) -> dict[str, Any]:
    """The column values of a new subscriber: pending for a double opt-in, active (the
    welcome due at once) for an attested one."""
    active = opt_in is OptIn.ATTESTED
    return {
        "key": new_key(),
        "email": address.email,
        "email_key": address.key,
        "name": profile.name,
        "timezone": profile.timezone,
        "send_hour": profile.send_hour,
        "status": Status.ACTIVE if active else Status.PENDING,
        "lessons_sent": 0,
        "next_due_at": now if active else None,
        **_consent_columns(consent, opt_in, now),
        "confirmation_sent_at": None,
        "confirmed_at": now if active else None,
        "created_at": now,
        "updated_at": now,
    }


def _consent_columns(consent: Consent, opt_in: OptIn, now: datetime) -> dict[str, Any]:
    return {
        "opt_in": opt_in,
        "consent_source": consent.source,
        "consent_form": consent.form,
        "consent_text": consent.text,
        "consent_ip": consent.ip,
        "consent_user_agent": consent.user_agent,
        "subscribed_at": now,
    }


@dataclass(frozen=True)
class _SignUp:
    """A sign-up's details, checked, and whether its address is suppressed."""

    address: Address
    profile: Profile
    consent: Consent
    suppressed: SuppressionReason | None

    @classmethod
    def clean(
        cls,
        session: Session,
        settings: Settings,
        email: str,
        consent: Consent,
        name: str,
        timezone: str | None,
        send_hour: int | None,
    ) -> _SignUp:
        address = normalise(email)
        return cls(
            address=address,
            profile=Profile.clean(settings, name, timezone, send_hour),
            consent=clean_consent(consent),
            suppressed=suppression_reason(session, settings.secret(), address.key),
        )

    def row(self, opt_in: OptIn, now: datetime) -> dict[str, Any]:
        return subscriber_row(self.address, self.profile, self.consent, opt_in, now)


def _insert(session: Session, row: dict[str, Any]) -> Subscriber | None:
    """Insert the new subscriber, or None when the address is already there (also when
    a simultaneous request got there first: no error, no savepoint)."""
    dialect = session.get_bind().dialect.name
    insert = insert_ignoring_conflicts(dialect, Subscriber, "email_key")
    new_id = session.scalar(insert.values(**row).returning(Subscriber.id))
    return None if new_id is None else session.get(Subscriber, new_id)


def subscribe(
    session: Session,
    settings: Settings,
    notifier: Notifier,
    email: str,
    *,
    consent: Consent,
    name: str = "",
    timezone: str | None = None,
    send_hour: int | None = None,
    now: datetime | None = None,
) -> str:
    """Double opt-in sign-up; returns the normalised address, whatever the case was.

    Raises `InvalidField` (`InvalidAddress`, `UnknownTimezone`, `BadHour`) for bad input.
    """
    now = now or utc_now()
    request = _SignUp.clean(session, settings, email, consent, name, timezone, send_hour)
    if request.suppressed is SuppressionReason.COMPLAINED:
        return request.address.email  # they reported us as spam: not even a confirmation
    subscriber = _pending(session, request, now)
    if subscriber is not None and _claim_confirmation(session, subscriber, now):
        notifier.send_confirmation(confirmation_for(Links.from_settings(settings), subscriber))
    return request.address.email


def _existing(session: Session, address: Address) -> Subscriber:
    return session.scalars(select(Subscriber).where(Subscriber.email_key == address.key)).one()


def _pending(session: Session, request: _SignUp, now: datetime) -> Subscriber | None:
    """The pending subscriber awaiting confirmation, or None if they are already in."""
    new = _insert(session, request.row(OptIn.DOUBLE, now))
    if new is not None:
        return new
    existing = _existing(session, request.address)
    if existing.status is Status.PENDING:
        _apply(existing, request, now)  # the latest form is what they confirm
        return existing
    if existing.status in ENDED and _reopen(session, existing, request, now):
        return existing
    return None


def _apply(subscriber: Subscriber, request: _SignUp, now: datetime) -> None:
    subscriber.name = request.profile.name
    subscriber.timezone = request.profile.timezone
    subscriber.send_hour = request.profile.send_hour
    for column, value in _consent_columns(request.consent, OptIn.DOUBLE, now).items():
        setattr(subscriber, column, value)


def _reopen(session: Session, subscriber: Subscriber, request: _SignUp, now: datetime) -> bool:
    """Make an unsubscribed or bounced subscriber pending again, with a fresh course.

    A conditional UPDATE, so two simultaneous sign-ups reopen (and mail) only once.
    The suppression stays until they confirm.
    """
    reopened = session.scalar(
        update(Subscriber)
        .where(Subscriber.id == subscriber.id, Subscriber.status.in_(ENDED))
        .values(
            status=Status.PENDING,
            lessons_sent=0,
            last_sent_at=None,
            next_due_at=None,
            paused_at=None,
            suppressed_at=None,
            confirmation_sent_at=None,
            confirmed_at=None,
            updated_at=now,
        )
        .returning(Subscriber.id)
    )
    if reopened is None:
        return False
    session.refresh(subscriber)
    _apply(subscriber, request, now)
    return True


def _claim_confirmation(session: Session, subscriber: Subscriber, now: datetime) -> bool:
    """Take the right to send a confirmation now: none sent yet, or the last one older
    than the cooldown. A conditional UPDATE, so racing requests send one email."""
    claimed = session.scalar(
        update(Subscriber)
        .where(
            Subscriber.id == subscriber.id,
            Subscriber.status == Status.PENDING,
            or_(
                Subscriber.confirmation_sent_at.is_(None),
                Subscriber.confirmation_sent_at <= now - CONFIRMATION_COOLDOWN,
            ),
        )
        .values(confirmation_sent_at=now)
        .returning(Subscriber.id)
    )
    return claimed is not None


class Addressee(Protocol):
    """A subscriber, or just the columns of one that a confirmation needs."""

    @property
    def key(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def name(self) -> str: ...


def confirmation_for(links: Links, addressee: Addressee) -> Confirmation:
    return Confirmation(
        email=addressee.email,
        name=addressee.name,
        confirm_url=links.confirm(addressee),
    )


def confirm(
    session: Session, settings: Settings, token: str, *, now: datetime | None = None
) -> Subscriber:
    """Activate the subscriber a confirmation link names; the welcome is due at once.

    A second click changes nothing. Raises `InvalidToken` (`ExpiredToken`) for a bad or
    expired link, one of an erased subscriber, or one used after an unsubscribe.
    """
    subscriber = subscriber_for(session, Tokens.from_settings(settings), Purpose.CONFIRM, token)
    if subscriber.status in ENDED:
        raise InvalidToken("this confirm link is no longer valid: the address left the list")
    if subscriber.status is Status.PENDING:
        now = now or utc_now()
        subscriber.status = Status.ACTIVE
        subscriber.opt_in = OptIn.DOUBLE
        subscriber.confirmed_at = now
        subscriber.next_due_at = now
        lift(session, settings.secret(), subscriber.email_key)
    return subscriber


def add_confirmed(
    session: Session,
    settings: Settings,
    email: str,
    *,
    consent: Consent,
    name: str = "",
    timezone: str | None = None,
    send_hour: int | None = None,
    now: datetime | None = None,
) -> tuple[Subscriber, bool]:
    """Add an active subscriber on an admin's word (`consent.source` says where consent
    was given); the subscriber and whether they are new (an existing one is unchanged).

    Raises `Suppressed` for an address on the suppression list: an admin cannot
    resubscribe someone who left; only that person's own confirmed opt-in can.
    """
    now = now or utc_now()
    request = _SignUp.clean(session, settings, email, consent, name, timezone, send_hour)
    if request.suppressed is not None:
        raise Suppressed(
            f"{request.address.email} is suppressed ({request.suppressed.value}); "
            "only the person's own confirmed sign-up can bring them back"
        )
    new = _insert(session, request.row(OptIn.ATTESTED, now))
    if new is not None:
        return new, True
    return _existing(session, request.address), False
