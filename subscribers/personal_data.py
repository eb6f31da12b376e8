"""Export of one subscriber's data (GDPR art. 15 and 20): a JSON document with their
profile, the consent record and their course progress.

Other parts add their own sections without subscribers importing them: the scheduler
passes a "deliveries" provider (the delivery history), and the admin layer, which
knows both, hands it in:

    personal_data(session, subscriber, extra_sections={"deliveries": delivery_history})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from drip.columns import utc_now
from subscribers.models import Subscriber

FORMAT = "drip.personal-data/1"

#: Given the session and the subscriber, a JSON-ready value (dicts, lists, strings...).
SectionProvider = Callable[[Session, Subscriber], Any]


def iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.isoformat()


def profile_section(subscriber: Subscriber) -> dict[str, Any]:
    return {
        "email": subscriber.email,
        "name": subscriber.name,
        "timezone": subscriber.timezone,
        "send_hour": subscriber.send_hour,
        "status": subscriber.status.value,
        "created_at": iso(subscriber.created_at),
    }


def consent_section(subscriber: Subscriber) -> dict[str, Any]:
    return {
        "opt_in": subscriber.opt_in.value,
        "source": subscriber.consent_source,
        "form": subscriber.consent_form,
        "text": subscriber.consent_text,
        "ip": subscriber.consent_ip,
        "user_agent": subscriber.consent_user_agent,
        "subscribed_at": iso(subscriber.subscribed_at),
        "confirmation_sent_at": iso(subscriber.confirmation_sent_at),
        "confirmed_at": iso(subscriber.confirmed_at),
    }


def course_section(subscriber: Subscriber) -> dict[str, Any]:
    return {
        "lessons_sent": subscriber.lessons_sent,
        "last_sent_at": iso(subscriber.last_sent_at),
        "next_due_at": iso(subscriber.next_due_at),
        "paused_at": iso(subscriber.paused_at),
        "mail_ended_at": iso(subscriber.suppressed_at),
    }


def personal_data(
    session: Session,
    subscriber: Subscriber,
    extra_sections: Mapping[str, SectionProvider] | None = None,
) -> dict[str, Any]:
    """The document: `format`, `exported_at`, then `subscriber`, `consent`, `course` and
    one key per extra section, in the order given."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "exported_at": iso(utc_now()),
        "subscriber": profile_section(subscriber),
        "consent": consent_section(subscriber),
        "course": course_section(subscriber),
    }
    for name, provider in (extra_sections or {}).items():
        if name in document:
            raise ValueError(f"section {name!r} is already part of the export")
        document[name] = provider(session, subscriber)
    return document
