"""SendGrid's signed event webhook: verify the signature, then parse the events.

SendGrid posts a JSON array of events, signed with ECDSA (P-256, SHA-256) over the
`X-Twilio-Email-Event-Webhook-Timestamp` header followed by the raw body. We verify
with the sendgrid package's own `EventWebhook` helper and the public key of
DRIP_SENDGRID_WEBHOOK_KEY, over the raw bytes, before parsing anything:

    events = read_events(body, request.headers, settings)   # or WebhookError

- No key configured: every request is refused (SPEC).
- A timestamp more than five minutes from our clock is refused, so a captured request
  cannot be replayed later (SendGrid documents no window; five minutes is the common
  choice of Stripe, Svix and Standard Webhooks). Events repeat anyway: handle them
  idempotently (SCHEDULING.md).
- A verified body that is not an array of events is a `WebhookPayloadError` (400);
  an event name we do not know parses as `EventType.UNKNOWN` rather than failing, since
  SendGrid retries a refused post for 24 hours.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from sendgrid.helpers.eventwebhook import EventWebhook, EventWebhookHeader

from delivery.errors import ConfigurationError, WebhookPayloadError, WebhookSignatureError
from delivery.sendgrid import DELIVERY_ID_ARG
from drip.settings import Settings

SIGNATURE_HEADER: str = EventWebhookHeader.SIGNATURE
TIMESTAMP_HEADER: str = EventWebhookHeader.TIMESTAMP
TOLERANCE = timedelta(minutes=5)


class EventType(StrEnum):
    """SendGrid's event names (anymail's EventType style: compare with constants)."""

    PROCESSED = "processed"
    DEFERRED = "deferred"
    DELIVERED = "delivered"
    OPEN = "open"
    CLICK = "click"
    BOUNCE = "bounce"
    DROPPED = "dropped"
    SPAMREPORT = "spamreport"
    UNSUBSCRIBE = "unsubscribe"
    GROUP_UNSUBSCRIBE = "group_unsubscribe"
    GROUP_RESUBSCRIBE = "group_resubscribe"
    UNKNOWN = "unknown"  # an event SendGrid added after this code was written


@dataclass(frozen=True)
class Event:
    type: EventType
    name: str  # SendGrid's own name for it (tells UNKNOWN events apart)
    sg_event_id: str  # deduplicate on it, and on (sg_message_id, name, timestamp)
    sg_message_id: str | None
    email: str
    timestamp: datetime  # UTC
    delivery_id: str | None  # our custom arg; None for mail drip did not send
    reason: str = ""  # why a bounce, drop or deferral happened, in SendGrid's words
    bounce_type: str | None = None  # "bounce" (hard) or "blocked" (soft), bounces only
    url: str | None = None  # the link clicked, clicks only
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def suppresses(self) -> bool:
        """Whether the address should get no more email (hard bounce, spam report, unsubscribe)."""
        if self.type is EventType.BOUNCE:
            return self.bounce_type != "blocked"  # a block is about our IP, not the address
        return self.type in _SUPPRESSING


_EVENT_TYPES = {member.value: member for member in EventType}
_SUPPRESSING = frozenset({EventType.SPAMREPORT, EventType.UNSUBSCRIBE, EventType.GROUP_UNSUBSCRIBE})


def read_events(
    body: bytes, headers: Mapping[str, str], settings: Settings, *, now: datetime | None = None
) -> list[Event]:
    """Verify a webhook request by DRIP_SENDGRID_WEBHOOK_KEY, then parse its events."""
    verify_signature(body, headers, settings.sendgrid_webhook_key, now=now)
    return parse_events(body)


def verify_signature(
    body: bytes,
    headers: Mapping[str, str],
    public_key: str | None,
    *,
    now: datetime | None = None,
    tolerance: timedelta = TOLERANCE,
) -> None:
    """Raise `WebhookSignatureError` unless `body` is signed by `public_key`'s owner."""
    if not public_key:
        raise WebhookSignatureError("DRIP_SENDGRID_WEBHOOK_KEY is not set: webhooks are refused")
    lowered = {name.lower(): value for name, value in headers.items()}
    signature = lowered.get(SIGNATURE_HEADER.lower())
    timestamp = lowered.get(TIMESTAMP_HEADER.lower())
    if not signature or not timestamp:
        raise WebhookSignatureError(f"the request lacks {SIGNATURE_HEADER} or {TIMESTAMP_HEADER}")
    _check_fresh(timestamp, now or datetime.now(UTC), tolerance)
    verifier = _verifier(public_key)
    try:
        valid = verifier.verify_signature(body.decode(), signature, timestamp)
    except (UnicodeDecodeError, binascii.Error, ValueError):
        valid = False
    if not valid:
        raise WebhookSignatureError("the signature does not match the body")


def parse_events(body: bytes) -> list[Event]:
    """SendGrid's JSON array of events as `Event`s; `WebhookPayloadError` if malformed."""
    try:
        items = json.loads(body)
    except ValueError as error:
        raise WebhookPayloadError(f"the body is not JSON: {error}") from None
    if not isinstance(items, list):
        raise WebhookPayloadError(f"expected a JSON array of events, got {type(items).__name__}")
    return [_event(item, index) for index, item in enumerate(items)]


def _check_fresh(timestamp: str, now: datetime, tolerance: timedelta) -> None:
    if not timestamp.isdigit():
        raise WebhookSignatureError(f"{TIMESTAMP_HEADER} is not a Unix time: {timestamp[:40]!r}")
    skew = abs(now.timestamp() - int(timestamp))
    if skew > tolerance.total_seconds():
        raise WebhookSignatureError(
            f"{TIMESTAMP_HEADER} is {skew:.0f} s away from our clock (the limit is "
            f"{tolerance.total_seconds():.0f} s): a replay, or a clock to set right"
        )


@lru_cache(maxsize=4)
def _verifier(public_key: str) -> EventWebhook:
    # SendGrid shows the key as base64 DER; accept it pasted with its PEM lines too.
    lines = [line.strip() for line in public_key.strip().splitlines()]
    bare = "".join(line for line in lines if line and not line.startswith("-----"))
    try:
        verifier = EventWebhook(bare)
    except ValueError as error:
        raise ConfigurationError(
            f"DRIP_SENDGRID_WEBHOOK_KEY: not a base64 public key from SendGrid ({error})"
        ) from None
    if not isinstance(verifier.public_key, ec.EllipticCurvePublicKey):
        raise ConfigurationError("DRIP_SENDGRID_WEBHOOK_KEY: not an elliptic-curve (ECDSA) key")
    return verifier


def _event(item: object, index: int) -> Event:
    if not isinstance(item, dict):
        raise WebhookPayloadError(f"event {index}: expected an object, got {type(item).__name__}")
    name = _text(item, "event", index)
    return Event(
        type=_EVENT_TYPES.get(name, EventType.UNKNOWN),
        name=name,
        sg_event_id=_text(item, "sg_event_id", index),
        sg_message_id=_optional(item.get("sg_message_id")),
        email=_text(item, "email", index),
        timestamp=_timestamp(item, index),
        delivery_id=_optional(item.get(DELIVERY_ID_ARG, _unique_args(item).get(DELIVERY_ID_ARG))),
        reason=str(item.get("reason") or item.get("response") or ""),
        bounce_type=_optional(item.get("type")) if name == EventType.BOUNCE else None,
        url=_optional(item.get("url")),
        raw=item,
    )


def _text(item: Mapping[str, Any], key: str, index: int) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value:
        raise WebhookPayloadError(f"event {index}: {key!r} is missing or not a string")
    return value


def _timestamp(item: Mapping[str, Any], index: int) -> datetime:
    value = item.get("timestamp")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WebhookPayloadError(f"event {index}: 'timestamp' is missing or not a Unix time")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise WebhookPayloadError(f"event {index}: 'timestamp' {value} is out of range") from None


def _optional(value: object) -> str | None:
    """A custom arg or id as text (SendGrid passes custom args through as sent)."""
    return None if value is None or value == "" else str(value)


def _unique_args(item: Mapping[str, Any]) -> Mapping[str, Any]:
    # Accounts on the legacy format nest custom args under "unique_args".
    nested = item.get("unique_args")
    return nested if isinstance(nested, Mapping) else {}
