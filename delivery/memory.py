"""An in-memory backend that ships with drip (as anymail's test backend does): tests
and dry runs read `outbox` to see exactly what each recipient would have received."""

from __future__ import annotations

from delivery.base import LocalBackend
from delivery.message import Accepted, Batch, Outcome, PersonalEmail


class MemoryBackend(LocalBackend):
    max_recipients = 1000

    def __init__(self, *, unsubscribe_mailto: str | None = None) -> None:
        self.unsubscribe_mailto = unsubscribe_mailto
        self.outbox: list[PersonalEmail] = []
        self.batches: list[Batch] = []

    def post(self, batch: Batch) -> list[Outcome]:
        self.batches.append(batch)
        return super().post(batch)

    def deliver(self, email: PersonalEmail) -> Outcome:
        self.outbox.append(email)
        return Accepted(email.delivery_id, f"memory-{len(self.outbox)}")
