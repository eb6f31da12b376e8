"""Email addresses: validated and normalised once, compared without regard to case.

`email-validator` checks the syntax (no DNS look-ups: imports must not depend on the
network) and normalises: the domain is lower-cased (and IDNA decoded), the local part
is Unicode-normalised but keeps its case, since that is what the person typed and what
their mail server sees. Uniqueness and the suppression list use `key`, the whole
address lower-cased: in practice no mailbox differs from another by case alone.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from subscribers.errors import InvalidAddress

MAX_LENGTH = 254  # RFC 5321's limit on a path, which email-validator also enforces


@dataclass(frozen=True)
class Address:
    email: str  # normalised, as mail is sent to it
    key: str  # case-folded, for uniqueness and the suppression list


def address_key(email: str) -> str:
    return email.lower()


def normalise(raw: str) -> Address:
    """The normalised address, or `InvalidAddress` saying what is wrong with `raw`."""
    text = raw.strip()
    if not text:
        raise InvalidAddress("no email address given")
    try:
        valid = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidAddress(f"invalid email address {text!r}: {error}") from None
    return Address(email=valid.normalized, key=address_key(valid.normalized))


def address_hash(secret: str, key: str) -> str:
    """A keyed hash of an address key: what the suppression list keeps after an erase.

    Keyed (HMAC with the installation's secret), so a copy of the database alone does
    not let anyone test a list of guessed addresses against it.
    """
    return hmac.new(secret.encode(), b"suppression:" + key.encode(), hashlib.sha256).hexdigest()
