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
import re
from dataclasses import dataclass
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

from subscribers.errors import InvalidAddress

MAX_LENGTH = 254  # RFC 5321's limit on a path, which email-validator also enforces

# The common case, which email-validator accepts unchanged in its local part: an ASCII
# dot-atom before the @ (RFC 5322 3.2.3), a plain ASCII host name after it.
_ATEXT = r"[a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~]+"
_PLAIN = re.compile(rf"({_ATEXT}(?:\.{_ATEXT})*)@([a-zA-Z0-9.-]+)")


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
    plain = _plain(text)
    if plain is not None:
        return plain
    try:
        valid = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidAddress(f"invalid email address {text!r}: {error}") from None
    return Address(email=valid.normalized, key=address_key(valid.normalized))


@lru_cache(maxsize=4096)
def _domain(domain: str) -> tuple[str, str] | None:
    """email-validator's verdict on a domain: (normalised, ASCII) or None if invalid."""
    try:
        valid = validate_email(f"a@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return None
    return valid.domain, valid.ascii_domain


def _plain(text: str) -> Address | None:
    """The common address the quick way, exactly as email-validator would normalise it
    (a property test holds the two together), or None to take the full way.

    Imports validate mostly the same few domains; checking each domain once, not once
    per address, more than doubles the speed of a large import.
    """
    match = _PLAIN.fullmatch(text)
    if match is None or match[1].lower() in CASE_INSENSITIVE_MAILBOX_NAMES:
        return None
    domain = _domain(match[2])
    if domain is None:
        return None  # the full way explains what is wrong
    email = f"{match[1]}@{domain[0]}"
    ascii_email = f"{match[1]}@{domain[1]}"
    if max(len(text), len(email.encode()), len(ascii_email)) > MAX_LENGTH:
        return None
    return Address(email=email, key=address_key(email))


def address_hash(secret: str, key: str) -> str:
    """A keyed hash of an address key: what the suppression list keeps after an erase.

    Keyed (HMAC with the installation's secret), so a copy of the database alone does
    not let anyone test a list of guessed addresses against it.
    """
    return hmac.new(secret.encode(), b"suppression:" + key.encode(), hashlib.sha256).hexdigest()
