"""Delivery backends: one module per provider behind the small interface in `base`.

    backend = backend_for(settings)          # SendGrid, SMTP or the file outbox
    with backend:                            # one connection for the whole run
        outcomes = send_with_retries(backend, batch)

See `delivery.message` for what goes in (Batch, Recipient) and comes out (Accepted,
Rejected, Deferred), `delivery.errors` for what may be raised, and
`delivery.webhooks.sendgrid` for SendGrid's signed event webhook.
"""

from __future__ import annotations

from delivery.base import EmailBackend
from drip.settings import Settings


def backend_for(settings: Settings) -> EmailBackend:
    """The backend `settings` choose (DRIP_BACKEND, else by the credentials present)."""
    # Imported here so a process that never sends never loads the sendgrid client.
    if settings.delivery_backend == "sendgrid":
        from delivery.sendgrid import SendGridBackend

        return SendGridBackend(settings)
    if settings.delivery_backend == "smtp":
        from delivery.smtp import SmtpBackend

        return SmtpBackend(settings)
    from delivery.outbox import OutboxBackend

    return OutboxBackend(settings)


__all__ = ["EmailBackend", "backend_for"]
