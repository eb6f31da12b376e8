"""What the scheduler hands a backend: one rendered email shared by many recipients.

The body is rendered and inlined once per lesson (see render/); each recipient carries
only its substitutions (merge fields), headers and the id of its delivery row. SendGrid
receives exactly this shape (one personalization per recipient); the local backends
apply the substitutions themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from drip.substitution import substitute


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    delivery_id: str  # names the (subscriber, lesson) row; comes back in webhook events
    substitutions: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)  # List-Unsubscribe and friends


@dataclass(frozen=True)
class Batch:
    """One email body for up to a backend's `max_recipients` recipients."""

    from_address: str
    subject: str
    html: str
    text: str
    recipients: tuple[Recipient, ...]
    category: str = ""  # e.g. the lesson slug, for the provider's statistics
    custom_args: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PersonalEmail:
    """One recipient's email with its substitutions applied (what a local backend writes)."""

    from_address: str
    to: str
    to_name: str
    subject: str
    html: str
    text: str
    headers: Mapping[str, str]
    delivery_id: str
    category: str


def personalise(batch: Batch, recipient: Recipient) -> PersonalEmail:
    subs = recipient.substitutions
    return PersonalEmail(
        from_address=batch.from_address,
        to=recipient.email,
        to_name=recipient.name,
        subject=substitute(batch.subject, subs),
        html=substitute(batch.html, subs),
        text=substitute(batch.text, subs),
        headers=dict(recipient.headers),
        delivery_id=recipient.delivery_id,
        category=batch.category,
    )


@dataclass(frozen=True)
class Accepted:
    """The provider took the message for this recipient (its id, where it gives one)."""

    delivery_id: str
    provider_message_id: str | None = None


@dataclass(frozen=True)
class Rejected:
    """The provider refused this recipient for good (e.g. a SendGrid 400); never retried."""

    delivery_id: str
    reason: str


Outcome = Accepted | Rejected
