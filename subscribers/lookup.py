"""Finding a subscriber: by address (the CLI, the admin) or by a link's token (the web)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from subscribers.addresses import normalise
from subscribers.errors import InvalidToken, NotFound
from subscribers.models import Subscriber
from subscribers.tokens import Purpose, Tokens


def find(session: Session, email: str) -> Subscriber | None:
    """The subscriber with this address (any case), or None; a malformed address raises
    `InvalidAddress`."""
    key = normalise(email).key
    return session.scalar(select(Subscriber).where(Subscriber.email_key == key))


def get(session: Session, email: str) -> Subscriber:
    subscriber = find(session, email)
    if subscriber is None:
        raise NotFound(f"no subscriber with the address {email.strip()!r}")
    return subscriber


def by_key(session: Session, key: str) -> Subscriber | None:
    return session.scalar(select(Subscriber).where(Subscriber.key == key))


def subscriber_for(session: Session, tokens: Tokens, purpose: Purpose, token: str) -> Subscriber:
    """The subscriber a link's token names; `InvalidToken` for a bad, expired or
    other-purpose token, and for one whose subscriber has been erased."""
    subscriber = by_key(session, tokens.verify(purpose, token).key)
    if subscriber is None:
        raise InvalidToken(f"this {purpose.value} link belongs to no current subscriber")
    return subscriber


def viewer_for(session: Session, tokens: Tokens, token: str) -> tuple[Subscriber, str]:
    """The subscriber and lesson slug of a view-in-browser link."""
    claim = tokens.verify(Purpose.VIEW, token)
    subscriber = by_key(session, claim.key)
    if subscriber is None or claim.lesson is None:
        raise InvalidToken("this view link belongs to no current subscriber")
    return subscriber, claim.lesson
