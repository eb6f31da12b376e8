"""The lifecycle's own emails (confirmation, goodbye), sent once the caller's work is saved.

`subscribers` asks a `Notifier` for these emails in the middle of its transaction
(a sign-up, an unsubscribe, an import). Sending there would mail people about changes
that may still roll back, and hold the database (SQLite's one writer) while a provider
answers. `TransactionalMailer` is that Notifier bound to the session: it keeps what it
is asked for, and sends it from SQLAlchemy's `after_commit`; after a rollback it sends
nothing.

    with transaction(sessions) as session:
        mailer = TransactionalMailer(session, settings, renderer)
        subscribe(session, settings, mailer, email, consent=...)
    # committed: the confirmation went out (or the failure was logged)

The emails are rendered with render's `confirmation` and `unsubscribed` kinds (stage 1
once per kind, merge values per recipient) and sent through the configured backend in
batches it can take, so an import's thousand confirmations are one SendGrid request.
A failure is logged and kept in `problems`, never raised: the change is saved by then,
and a page must not fail for want of the email. (A letter asked for inside a SAVEPOINT
that rolls back is still sent: nothing in drip uses savepoints around a notifier.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session

from delivery import EmailBackend, backend_for
from delivery.errors import DeliveryError
from delivery.message import Accepted, Batch, Outcome, Recipient
from delivery.retry import RetryPolicy, send_with_retries
from drip.settings import Settings
from render import EmailKind, PreparedEmail, Reader, Renderer, RenderError
from scheduler.mail_ids import transactional_delivery_id
from subscribers import Confirmation, Goodbye

log = logging.getLogger("drip.transactional")

#: Someone may be waiting on a page: few, short retries.
WHILE_A_VISITOR_WAITS = RetryPolicy(tries=2, base_delay=0.2, max_delay=1.0, max_wait=2.0)

BackendFactory = Callable[[], EmailBackend]


@dataclass(frozen=True)
class Letter:
    kind: EmailKind  # "confirmation" or "unsubscribed"
    reader: Reader


class TransactionalMailer:
    """A `subscribers.Notifier` whose emails leave when `session` commits."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        renderer: Renderer,
        *,
        backend: BackendFactory | None = None,
        policy: RetryPolicy = WHILE_A_VISITOR_WAITS,
    ) -> None:
        self.settings = settings
        self.renderer = renderer
        self.backend: BackendFactory = backend or (lambda: backend_for(settings))
        self.policy = policy
        self.pending: list[Letter] = []
        self.problems: list[str] = []  # what could not be sent, for the caller to tell
        event.listen(session, "after_commit", self._after_commit)
        event.listen(session, "after_rollback", self._after_rollback)

    # --- subscribers.Notifier ---------------------------------------------------------

    def send_confirmation(self, confirmation: Confirmation) -> None:
        reader = Reader(
            email=confirmation.email, name=confirmation.name, confirm_url=confirmation.confirm_url
        )
        self.pending.append(Letter("confirmation", reader))

    def send_goodbye(self, goodbye: Goodbye) -> None:
        self.pending.append(Letter("unsubscribed", Reader(email=goodbye.email, name=goodbye.name)))

    # --- the session's events -----------------------------------------------------------

    def _after_commit(self, _session: Session) -> None:
        letters, self.pending = self.pending, []
        if letters:
            self.problems += self.send(letters)

    def _after_rollback(self, _session: Session) -> None:
        self.pending = []

    def send(self, letters: Sequence[Letter]) -> list[str]:
        """Send `letters` now, grouped by kind; the problems, logged (never raised)."""
        problems: list[str] = []
        for kind in dict.fromkeys(letter.kind for letter in letters):
            readers = [letter.reader for letter in letters if letter.kind == kind]
            problems += self._send_kind(kind, readers)
        return problems

    def _send_kind(self, kind: EmailKind, readers: list[Reader]) -> list[str]:
        try:
            prepared = self.renderer.prepare(kind)
            with self.backend() as backend:
                outcomes = send_prepared(backend, self.settings, prepared, readers, self.policy)
        except (DeliveryError, RenderError) as error:
            log.error("%d %s email(s) not sent: %s", len(readers), kind, error)
            return [f"{kind} email not sent to {len(readers)}: {error}"]
        except Exception:  # the change is committed: a bug here must not become a 500
            log.exception("%d %s email(s) not sent", len(readers), kind)
            return [f"{kind} email not sent to {len(readers)}: an internal error (logged)"]
        return _refusals(kind, outcomes)


def send_prepared(
    backend: EmailBackend,
    settings: Settings,
    prepared: PreparedEmail,
    readers: Sequence[Reader],
    policy: RetryPolicy = WHILE_A_VISITOR_WAITS,
) -> list[Outcome]:
    """`prepared` to each of `readers`, in batches `backend` can take; the outcomes."""
    outcomes: list[Outcome] = []
    for chunk in _chunks(readers, backend.max_recipients):
        recipients = tuple(_recipient(prepared, reader) for reader in chunk)
        batch = Batch(
            from_address=settings.from_address,
            subject=prepared.subject,
            html=prepared.html,
            text=prepared.text,
            recipients=recipients,
            category=prepared.lesson_slug or prepared.kind,
        )
        outcomes += send_with_retries(backend, batch, policy)
    return outcomes


def _recipient(prepared: PreparedEmail, reader: Reader) -> Recipient:
    return Recipient(
        email=reader.email,
        name=reader.name,
        delivery_id=transactional_delivery_id(prepared.kind),
        substitutions=prepared.substitutions(reader),
    )


def _refusals(kind: EmailKind, outcomes: list[Outcome]) -> list[str]:
    problems = []
    for outcome in outcomes:
        if isinstance(outcome, Accepted):
            continue
        # No address in the log: the delivery id finds it at the provider.
        log.warning("a %s email was not sent (%s): %s", kind, outcome.delivery_id, outcome.reason)
        problems.append(f"{kind} email not sent: {outcome.reason}")
    return problems


def _chunks(readers: Sequence[Reader], size: int) -> list[Sequence[Reader]]:
    return [readers[start : start + size] for start in range(0, len(readers), size)]
