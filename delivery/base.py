"""The one small interface every backend implements (after anymail's EmailBackend).

A backend sends a `Batch` and answers, per recipient, `Accepted` or `Rejected`.
Anything else (a rate limit, an outage, a bad key) is raised as a `DeliveryError`
(see delivery.errors) whose `permanent` flag lets the scheduler decide, in one place,
whether to retry. Backends are context managers so a run can reuse one connection.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType

from delivery.message import Batch, Outcome


class EmailBackend(ABC):
    #: The most recipients one `send` may carry (SendGrid: 1,000 personalizations).
    max_recipients: int = 1

    @abstractmethod
    def send(self, batch: Batch) -> list[Outcome]:
        """Send `batch`; one outcome per recipient, in the batch's order."""

    def open(self) -> None:
        """Acquire what a run reuses (an SMTP connection); a no-op by default."""

    def close(self) -> None:
        """Release what `open` acquired; a no-op by default."""

    def __enter__(self) -> EmailBackend:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
