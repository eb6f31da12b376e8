"""What the scheduler hands a backend: one rendered email shared by many recipients.

The body is rendered and inlined once per lesson (see render/); each recipient carries
only its substitutions (merge fields), its unsubscribe link, extra headers and the id of
its delivery row. SendGrid receives exactly this shape (one personalization per
recipient); the local backends apply the substitutions themselves (`personalise`).

A backend answers one outcome per recipient: `Accepted` (the provider took it),
`Rejected` (refused for good: record the reason, never retry) or `Deferred` (not sent
this time: still due, try again on a later tick).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field, replace

from drip.substitution import substitute

ONE_CLICK = "List-Unsubscribe=One-Click"


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    delivery_id: str  # names the (subscriber, lesson) row; comes back in webhook events
    substitutions: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)  # extra headers, if any
    # The subscriber's one-click unsubscribe link: backends turn it into List-Unsubscribe
    # (plus the mailto of DRIP_UNSUBSCRIBE_MAILTO) and List-Unsubscribe-Post headers.
    unsubscribe_url: str = ""


@dataclass(frozen=True)
class Batch:
    """One email body for up to a backend's `max_recipients` recipients."""

    from_address: str
    subject: str
    html: str
    text: str
    recipients: tuple[Recipient, ...]
    category: str = ""  # e.g. the lesson slug, for the provider's statistics
    custom_args: Mapping[str, str] = field(default_factory=dict)  # shared by every recipient

    def __post_init__(self) -> None:
        # Outcomes, retries and webhook events are matched on the delivery id.
        ids = {recipient.delivery_id for recipient in self.recipients}
        if len(ids) != len(self.recipients):
            raise ValueError("a batch names each delivery_id at most once")

    def with_recipients(self, recipients: Iterable[Recipient]) -> Batch:
        return replace(self, recipients=tuple(recipients))

    def excluding(self, delivery_ids: Container[str]) -> Batch:
        """The same email without the recipients of `delivery_ids`."""
        return self.with_recipients(r for r in self.recipients if r.delivery_id not in delivery_ids)


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


def unsubscribe_headers(url: str, mailto: str | None = None) -> dict[str, str]:
    """RFC 2369 `List-Unsubscribe`, with RFC 8058's one-click POST when the link is https.

    RFC 8058 requires an https link for one-click, so a plain-http development link
    gets the List-Unsubscribe header only.
    """
    links = [f"<{url}>"] if url else []
    if mailto:
        links.append(f"<mailto:{mailto.removeprefix('mailto:')}?subject=unsubscribe>")
    if not links:
        return {}
    headers = {"List-Unsubscribe": ", ".join(links)}
    if url.startswith("https://"):
        headers["List-Unsubscribe-Post"] = ONE_CLICK
    return headers


def recipient_headers(recipient: Recipient, mailto: str | None = None) -> dict[str, str]:
    """The recipient's extra headers plus those built from its unsubscribe link."""
    headers = dict(recipient.headers)
    if recipient.unsubscribe_url:
        headers.update(unsubscribe_headers(recipient.unsubscribe_url, mailto))
    return headers


def personalise(batch: Batch, recipient: Recipient, mailto: str | None = None) -> PersonalEmail:
    subs = recipient.substitutions
    return PersonalEmail(
        from_address=batch.from_address,
        to=recipient.email,
        to_name=recipient.name,
        subject=substitute(batch.subject, subs),
        html=substitute(batch.html, subs),
        text=substitute(batch.text, subs),
        headers=recipient_headers(recipient, mailto),
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
    """Refused for good (an invalid address, a 5xx SMTP reply, a SendGrid 400): never retried."""

    delivery_id: str
    reason: str


@dataclass(frozen=True)
class Deferred:
    """Not sent this time (e.g. an SMTP 4xx for this recipient): still due, retry later."""

    delivery_id: str
    reason: str


Outcome = Accepted | Rejected | Deferred
