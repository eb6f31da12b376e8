"""One recipient's email as a MIME message (what the SMTP and outbox backends deliver).

multipart/alternative with the text part first and the HTML part last (clients show
the last part they understand), the recipient's List-Unsubscribe headers, and a
Message-ID derived from the delivery: a retried send carries the same Message-ID, which
lets receivers (Gmail among them) recognise the duplicate that at-least-once sending
can produce.
"""

from __future__ import annotations

import hashlib
from email import policy
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import Policy
from email.utils import formatdate, parseaddr

from delivery.message import PersonalEmail

DELIVERY_HEADER = "X-Drip-Delivery"


def message_id(email: PersonalEmail) -> str:
    """A Message-ID stable per delivery, recipient, sender and subject."""
    identity = "\0".join((email.delivery_id, email.to, email.from_address, email.subject))
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    domain = parseaddr(email.from_address)[1].rpartition("@")[2] or "drip.invalid"
    return f"<{digest}.drip@{domain}>"


def mime_message(email: PersonalEmail) -> EmailMessage:
    """The email as MIME; ValueError when it cannot be written (never send it broken)."""
    try:
        return _build(email)
    except (MessageError, ValueError, IndexError) as error:
        raise ValueError(f"cannot write the email to {email.to}: {error}") from error


def _build(email: PersonalEmail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = email.from_address
    # By its parts: `addr_spec` refuses an internationalised local part (zoë@...), which
    # email-validator accepts and SMTPUTF8 carries.
    username, _, domain = email.to.rpartition("@")
    message["To"] = Address(display_name=_one_line(email.to_name), username=username, domain=domain)
    message["Subject"] = email.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(email)
    message[DELIVERY_HEADER] = email.delivery_id
    for name, value in email.headers.items():
        message[name] = value
    if email.text:
        message.set_content(email.text)
    if email.html and email.text:
        message.add_alternative(email.html, subtype="html")
    elif email.html:
        message.set_content(email.html, subtype="html")
    return message


def wire_policy(email: PersonalEmail) -> Policy:
    """How to write the message: SMTPUTF8 (RFC 6531) only for an address that needs it."""
    return policy.SMTP if email.to.isascii() else policy.SMTPUTF8


def _one_line(name: str) -> str:
    """A display name from a sign-up form may hold anything; headers hold one line."""
    return " ".join(name.split())
