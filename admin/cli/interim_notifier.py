"""INTERIM: the confirmation and goodbye emails as plain-text `.eml` files in the outbox.

Stands in until render's `confirmation` and `unsubscribed` emails and a delivery
backend are wired into a real `subscribers.Notifier` in the admin layer; then this
module goes. It writes where the outbox backend writes (DRIP_OUTBOX_DIR), one file per
message, with the standard library's email package.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default
from email.utils import format_datetime, make_msgid
from pathlib import Path

from drip.settings import Settings
from subscribers.notifier import Confirmation, Goodbye

UTF8 = default.clone(utf8=True)


class InterimOutboxNotifier:
    def __init__(self, settings: Settings) -> None:
        self.from_address = settings.from_address
        self.outbox = Path(settings.outbox_dir)

    def send_confirmation(self, confirmation: Confirmation) -> None:
        body = (
            f"Hello{' ' + confirmation.name if confirmation.name else ''},\n\n"
            "please confirm your subscription to the course by opening this link:\n\n"
            f"{confirmation.confirm_url}\n\n"
            "If you did not ask for this, ignore this email: nothing more will come.\n"
        )
        self._write("confirmation", confirmation.email, confirmation.name, "Please confirm", body)

    def send_goodbye(self, goodbye: Goodbye) -> None:
        body = "You are unsubscribed: you will get no more emails from this course.\n"
        self._write("goodbye", goodbye.email, goodbye.name, "You are unsubscribed", body)

    def _write(self, kind: str, to: str, name: str, subject: str, body: str) -> Path:
        message = EmailMessage()
        message["From"] = self.from_address
        username, _, domain = to.rpartition("@")
        message["To"] = Address(display_name=name, username=username, domain=domain)
        message["Subject"] = subject
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid(domain="drip.invalid")
        message.set_content(body, cte="8bit")  # links stay whole for a reader of the file
        self.outbox.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.outbox / f"{stamp}-{kind}-{uuid.uuid4().hex[:8]}.eml"
        # UTF-8 headers: email-validator accepts internationalised addresses (zoë@example.com)
        path.write_bytes(message.as_bytes(policy=UTF8))
        return path
