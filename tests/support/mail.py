"""Batches for tests: a rendered email with merge-field keys, and its recipients."""

from __future__ import annotations

from delivery.message import Batch, Recipient

SENDER = "Magnesium Course <course@example.com>"
SUBJECT = "Day 1 for %name%"
HTML = '<p>Hello %name%,</p><p>Magnesium matters.</p><a href="%unsubscribe%">Unsubscribe</a>'
TEXT = "Hello %name%,\n\nMagnesium matters.\n\nUnsubscribe: %unsubscribe%\n"


def make_recipient(index: int, **changes: object) -> Recipient:
    """Reader `index`: reader{index}@example.com, delivery id d{index}."""
    link = f"https://drip.example/unsubscribe/token-{index}"
    fields: dict[str, object] = {
        "email": f"reader{index}@example.com",
        "name": f"Reader {index}",
        "delivery_id": f"d{index}",
        "substitutions": {"%name%": f"Reader {index}", "%unsubscribe%": link},
        "unsubscribe_url": link,
    }
    fields.update(changes)
    return Recipient(**fields)


def make_batch(count: int = 3, *recipients: Recipient, **changes: object) -> Batch:
    """A batch of `count` readers (or of the `recipients` given)."""
    fields: dict[str, object] = {
        "from_address": SENDER,
        "subject": SUBJECT,
        "html": HTML,
        "text": TEXT,
        "recipients": recipients or tuple(make_recipient(i) for i in range(count)),
        "category": "welcome",
        "custom_args": {"lesson": "welcome"},
    }
    fields.update(changes)
    return Batch(**fields)
