"""The lifecycle's own emails (confirmation, goodbye), rendered and sent for real.

subscribers hands these to a `Notifier` so it imports neither render nor delivery;
this one renders render's `confirmation` and `unsubscribed` kinds from the templates in
force and sends each through the configured backend (SendGrid, SMTP or the outbox).
A visitor is waiting on the page meanwhile, so retries are few and short; a failure
raises and the caller's transaction (the sign-up) rolls back whole.
"""

from __future__ import annotations

import uuid

from delivery import backend_for
from delivery.message import Batch, Recipient
from delivery.retry import RetryPolicy, send_with_retries
from drip.settings import Settings
from render import EmailKind, PreparedEmail, Reader, Renderer
from subscribers import Confirmation, Goodbye

WHILE_A_VISITOR_WAITS = RetryPolicy(tries=2, base_delay=0.2, max_delay=1.0, max_wait=2.0)


class EmailNotifier:
    def __init__(self, settings: Settings, renderer: Renderer) -> None:
        self.settings = settings
        self.renderer = renderer

    def send_confirmation(self, confirmation: Confirmation) -> None:
        reader = Reader(
            email=confirmation.email, name=confirmation.name, confirm_url=confirmation.confirm_url
        )
        self._send("confirmation", reader)

    def send_goodbye(self, goodbye: Goodbye) -> None:
        self._send("unsubscribed", Reader(email=goodbye.email, name=goodbye.name))

    def _send(self, kind: EmailKind, reader: Reader, unsubscribe_url: str = "") -> None:
        send_one(self.settings, self.renderer.prepare(kind), reader, unsubscribe_url)


def send_one(
    settings: Settings,
    prepared: PreparedEmail,
    reader: Reader,
    unsubscribe_url: str = "",
    subject_prefix: str = "",
) -> None:
    """One email, now, to one reader, through the configured backend."""
    recipient = Recipient(
        email=reader.email,
        name=reader.name,
        delivery_id=f"{prepared.kind}-{uuid.uuid4().hex}",
        substitutions=prepared.substitutions(reader),
        unsubscribe_url=unsubscribe_url,
    )
    batch = Batch(
        from_address=settings.from_address,
        subject=subject_prefix + prepared.subject,
        html=prepared.html,
        text=prepared.text,
        recipients=(recipient,),
        category=prepared.lesson_slug or prepared.kind,
    )
    with backend_for(settings) as backend:
        send_with_retries(backend, batch, WHILE_A_VISITOR_WAITS)
