"""The one small interface every backend implements (after anymail's EmailBackend).

A backend sends a `Batch` and answers, per recipient, `Accepted`, `Rejected` or
`Deferred`. Anything that stops the batch (a rate limit, an outage, a bad key) is
raised as a `DeliveryError` (see delivery.errors) whose `permanent` flag lets the
scheduler decide, in one place, whether to retry.

The pipeline is fixed here, once (`send`):

1. `check_batch`: batch-wide limits; a batch that can never be sent is a `PermanentError`.
2. `refusal`: per-recipient screening; a recipient the provider would refuse (a
   malformed address, a duplicate, a header with a line break, substitutions over a
   provider limit) becomes `Rejected` and is left out, so one bad row never sinks the
   other 999 and no request the provider would refuse is ever made.
3. `post`: the provider-specific step, for the recipients that remain.

Backends are context managers so a run can reuse one connection (`open`/`close`).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from email.utils import parseaddr
from types import TracebackType

from delivery.errors import DeliveryError, PermanentError
from delivery.message import Batch, Outcome, PersonalEmail, Recipient, Rejected, personalise

# Deliberately plain: what every provider accepts (one @, a dotted domain, no spaces,
# brackets, quotes or control characters). The subscriber store validates properly.
_UNSAFE = r"\s\x00-\x1f\x7f@<>()\[\],;:\\\""
ADDRESS = re.compile(rf"[^{_UNSAFE}]+@(?:[^{_UNSAFE}.]+\.)+[^{_UNSAFE}.]+")
HEADER_NAME = re.compile(r"[!-9;-~]+")  # printable ASCII without the colon (RFC 5322)


def address_problem(address: str) -> str | None:
    if not ADDRESS.fullmatch(address):
        return f"{address!r} is not a valid email address"
    return None


def header_problem(name: str, value: str) -> str | None:
    if not HEADER_NAME.fullmatch(name):
        return f"header name {name!r} is not valid"
    if any(char in value for char in "\r\n\x00"):
        return f"header {name} contains a line break"  # header injection
    return None


class EmailBackend(ABC):
    #: The most recipients one `send` may carry (SendGrid: 1,000 personalizations).
    max_recipients: int = 1000
    #: The address for the mailto half of List-Unsubscribe (DRIP_UNSUBSCRIBE_MAILTO).
    unsubscribe_mailto: str | None = None

    def send(self, batch: Batch) -> list[Outcome]:
        """Send `batch`; one outcome per recipient, in the batch's order."""
        self.check_batch(batch)
        refused = self._screen(batch)
        sendable = batch.excluding(refused)
        try:
            posted = self.post(sendable) if sendable.recipients else []
        except DeliveryError as error:
            error.settled = (*refused.values(), *error.settled)
            raise
        outcomes = {outcome.delivery_id: outcome for outcome in posted} | refused
        return [outcomes[recipient.delivery_id] for recipient in batch.recipients]

    def check_batch(self, batch: Batch) -> None:
        """Raise `PermanentError` for a batch that no provider call could ever send."""
        if len(batch.recipients) > self.max_recipients:
            raise PermanentError(
                f"a batch of {len(batch.recipients)} recipients is over this backend's "
                f"limit of {self.max_recipients}"
            )
        if not batch.subject.strip():
            raise PermanentError("the email has an empty subject")
        if not batch.html.strip() and not batch.text.strip():
            raise PermanentError("the email has neither an HTML nor a text body")
        problem = address_problem(_addr_spec(batch.from_address))
        if problem:
            raise PermanentError(f"the sender: {problem} (DRIP_FROM)")

    def refusal(self, batch: Batch, recipient: Recipient) -> str | None:
        """Why the provider would refuse this recipient, or None. Extend with super()."""
        problem = address_problem(recipient.email)
        for name, value in recipient.headers.items():
            problem = problem or header_problem(name, value)
        return problem

    @abstractmethod
    def post(self, batch: Batch) -> list[Outcome]:
        """The provider-specific step: send the screened `batch`, one outcome per recipient.

        Raise a `DeliveryError` when the batch cannot be finished, with `settled`
        holding the outcomes of the recipients already dealt with.
        """

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

    def _screen(self, batch: Batch) -> dict[str, Rejected]:
        refused: dict[str, Rejected] = {}
        seen: set[str] = set()
        for recipient in batch.recipients:
            mailbox = recipient.email.casefold()
            problem = self.refusal(batch, recipient)
            if not problem and mailbox in seen:
                problem = f"{recipient.email} appears more than once in this batch"
            if problem:
                refused[recipient.delivery_id] = Rejected(recipient.delivery_id, problem)
            else:
                seen.add(mailbox)
        return refused


class LocalBackend(EmailBackend):
    """A backend that writes each recipient's email on its own (SMTP, files, memory)."""

    def post(self, batch: Batch) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for recipient in batch.recipients:
            email = personalise(batch, recipient, self.unsubscribe_mailto)
            try:
                outcomes.append(self.deliver(email))
            except DeliveryError as error:
                error.settled = (*outcomes, *error.settled)
                raise
        return outcomes

    @abstractmethod
    def deliver(self, email: PersonalEmail) -> Outcome:
        """Deliver one personalised email."""


def _addr_spec(address: str) -> str:
    """The bare address of 'Name <me@example.com>' (or of a bare address)."""
    return parseaddr(address)[1] or address
