"""The delivery ids drip puts on its mail, and reading them back from the provider's events.

Every email drip sends carries a `delivery_id` (a SendGrid custom arg, which comes back
in each webhook event):

- a lesson: `str(Delivery.id)`, the row of the send ledger;
- a transactional email (confirmation, goodbye): `"<kind>-<random hex>"`, since it has
  no ledger row; the kind says which email it was;
- a test send from the console: `"test-<random hex>"`, whose events are not kept.

Mail without one of these ids was not sent by drip (another system on the same
SendGrid account): its events are none of our business.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

#: The transactional emails, by render's kind names.
TRANSACTIONAL_KINDS = ("confirmation", "unsubscribed")

MAX_ROW_ID = 2**31 - 1  # an INTEGER primary key; a larger number names no row of ours
_TRANSACTIONAL = re.compile(rf"({'|'.join(TRANSACTIONAL_KINDS)})-[0-9a-f]{{32}}")


@dataclass(frozen=True)
class LessonMail:
    delivery: int  # Delivery.id


@dataclass(frozen=True)
class TransactionalMail:
    kind: str  # "confirmation" or "unsubscribed"


def transactional_delivery_id(kind: str) -> str:
    if kind not in TRANSACTIONAL_KINDS:
        raise ValueError(f"{kind!r} is not a transactional email kind")
    return f"{kind}-{uuid.uuid4().hex}"


def trial_delivery_id() -> str:
    return f"test-{uuid.uuid4().hex}"


def read_delivery_id(value: str | None) -> LessonMail | TransactionalMail | None:
    """Which of drip's emails `value` names, or None if it names none of them."""
    if value is None:
        return None
    if value.isascii() and value.isdigit() and int(value) <= MAX_ROW_ID:
        return LessonMail(int(value))
    match = _TRANSACTIONAL.fullmatch(value)
    return TransactionalMail(match.group(1)) if match else None
