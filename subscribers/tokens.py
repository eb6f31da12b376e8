"""Signed tokens for the links in emails (itsdangerous), one salt per purpose.

A token carries a subscriber's random public key (never the row id or the address),
and, for the view link, a lesson slug. The salt makes a token good for its purpose
only: an unsubscribe token does not confirm, a view token does not unsubscribe.
Only confirmation tokens expire; unsubscribe, preferences and view links sit in sent
emails and must keep working. A token for an erased subscriber still verifies here
but names no one: the lookup refuses it (see lifecycle.subscriber_for).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

from drip.settings import Settings
from subscribers.errors import ExpiredToken, InvalidToken

CONFIRM_LIFETIME = timedelta(days=7)


class Purpose(StrEnum):
    CONFIRM = "confirm"
    UNSUBSCRIBE = "unsubscribe"
    PREFERENCES = "preferences"
    VIEW = "view"


@dataclass(frozen=True)
class Claim:
    """What a verified token says: whose it is, and (view tokens) which lesson."""

    key: str
    lesson: str | None = None


class Tokens:
    def __init__(self, secret: str, confirm_lifetime: timedelta = CONFIRM_LIFETIME) -> None:
        self._confirm = URLSafeTimedSerializer(secret, salt="drip.subscribers.confirm")
        self._lifetime = confirm_lifetime
        self._plain = {
            purpose: URLSafeSerializer(secret, salt=f"drip.subscribers.{purpose.value}")
            for purpose in Purpose
            if purpose is not Purpose.CONFIRM
        }

    @classmethod
    def from_settings(cls, settings: Settings) -> Tokens:
        return cls(settings.secret())

    def sign(self, purpose: Purpose, key: str, lesson: str | None = None) -> str:
        if (purpose is Purpose.VIEW) != (lesson is not None):
            raise ValueError("a view token names a lesson, and only a view token does")
        payload = [key, lesson] if lesson is not None else [key]
        if purpose is Purpose.CONFIRM:
            return str(self._confirm.dumps(payload))
        return str(self._plain[purpose].dumps(payload))

    def verify(self, purpose: Purpose, token: str) -> Claim:
        """The claim of a good token; `InvalidToken` (or `ExpiredToken`) otherwise."""
        try:
            if purpose is Purpose.CONFIRM:
                payload = self._confirm.loads(token, max_age=int(self._lifetime.total_seconds()))
            else:
                payload = self._plain[purpose].loads(token)
        except SignatureExpired:
            raise ExpiredToken(f"this {purpose.value} link has expired") from None
        except BadSignature:
            raise InvalidToken(f"this {purpose.value} link is not valid") from None
        return _claim(purpose, payload)


def _claim(purpose: Purpose, payload: object) -> Claim:
    # A good signature over an unexpected shape can only come from a bug or a leaked
    # key; refuse it the same way as a forgery.
    expected = 2 if purpose is Purpose.VIEW else 1
    if (
        not isinstance(payload, list)
        or len(payload) != expected
        or not all(isinstance(part, str) and part for part in payload)
    ):
        raise InvalidToken(f"this {purpose.value} link is not valid")
    return Claim(key=payload[0], lesson=payload[1] if expected == 2 else None)
