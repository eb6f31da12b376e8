"""Signed tokens for the links in emails (itsdangerous), one salt per purpose.

A token carries a subscriber's random public key (never the row id or the address),
and, for the view link, a lesson slug. The salt makes a token good for its purpose
only: an unsubscribe token does not confirm, a view token does not unsubscribe.
Only confirmation tokens expire; unsubscribe, preferences and view links sit in sent
emails and must keep working. A token for an erased subscriber still verifies here
but names no one: the lookup refuses it (see lifecycle.subscriber_for).
"""

from __future__ import annotations

import base64
import hmac
import json
import re
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


# What JSON escapes in a string (ensure_ascii off): quotes, backslashes, controls.
_NEEDS_ESCAPING = re.compile(r'["\\\x00-\x1f]')


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


class _FastSigner:
    """`URLSafeSerializer.dumps` without its per-call costs, for the links of a send run
    (three per subscriber: 300,000 signatures for 100,000 subscribers).

    itsdangerous derives the HMAC key again and tries zlib on every call; zlib alone
    (it allocates its whole state for a 30-byte payload) is most of the time. Here the
    keyed HMAC is made once and copied, and the payload is never compressed: the token
    is itsdangerous' own format (base64 JSON, a dot, base64 HMAC-SHA1 under the derived
    key), so `URLSafeSerializer.loads` verifies it as any other; it is byte for byte
    the same token whenever zlib would not have made the payload shorter.
    """

    def __init__(self, serializer: URLSafeSerializer) -> None:
        signer = serializer.make_signer()
        # By name, so OpenSSL's HMAC (copied in C) is used rather than hmac.py's.
        digest = signer.digest_method().name
        self._mac = hmac.new(signer.derive_key(), digestmod=digest)
        self._separator = signer.sep

    def dumps(self, payload: list[str]) -> str:
        if any(_NEEDS_ESCAPING.search(part) for part in payload):
            data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        else:  # what json.dumps writes for strings with nothing to escape, faster
            data = '["' + '","'.join(payload) + '"]'
        body = _b64(data.encode("utf-8"))
        mac = self._mac.copy()
        mac.update(body)
        return (body + self._separator + _b64(mac.digest())).decode("ascii")


class Tokens:
    def __init__(self, secret: str, confirm_lifetime: timedelta = CONFIRM_LIFETIME) -> None:
        self._confirm = URLSafeTimedSerializer(secret, salt="drip.subscribers.confirm")
        self._lifetime = confirm_lifetime
        self._plain = {
            purpose: URLSafeSerializer(secret, salt=f"drip.subscribers.{purpose.value}")
            for purpose in Purpose
            if purpose is not Purpose.CONFIRM
        }
        self._fast = {
            purpose: _FastSigner(serializer) for purpose, serializer in self._plain.items()
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
        return self._fast[purpose].dumps(payload)

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
