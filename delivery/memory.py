"""An in-memory backend that ships with drip (as anymail's test backend does): tests
and dry runs read `outbox` to see exactly what each recipient would have received."""

from __future__ import annotations

from delivery.base import EmailBackend
from delivery.message import Accepted, Batch, Outcome, PersonalEmail, personalise


class MemoryBackend(EmailBackend):
    max_recipients = 1000

    def __init__(self) -> None:
        self.outbox: list[PersonalEmail] = []
        self.batches: list[Batch] = []

    def send(self, batch: Batch) -> list[Outcome]:
        self.batches.append(batch)
        outcomes: list[Outcome] = []
        for recipient in batch.recipients:
            email = personalise(batch, recipient)
            self.outbox.append(email)
            outcomes.append(Accepted(recipient.delivery_id, f"memory-{len(self.outbox)}"))
        return outcomes
