"""The errors of the subscribers package: one family under `DripError`, one line each."""

from __future__ import annotations

from drip.errors import DripError


class SubscriberError(DripError):
    """Anything wrong with a subscriber's data or a step of their lifecycle."""


class InvalidField(SubscriberError, ValueError):
    """A value a subscriber or an importer gave is not acceptable (address, zone, hour, name)."""


class InvalidAddress(InvalidField):
    pass


class UnknownTimezone(InvalidField):
    pass


class BadHour(InvalidField):
    pass


class NotFound(SubscriberError, LookupError):
    """No subscriber with that address."""


class InvalidTransition(SubscriberError):
    """The step does not apply to the subscriber's status (pausing someone unsubscribed...)."""


class Suppressed(SubscriberError):
    """The address is on the suppression list; only the person's own new opt-in lifts it."""


class InvalidToken(SubscriberError):
    """A link's token is tampered with, for another purpose, or names no subscriber."""


class ExpiredToken(InvalidToken):
    """A confirmation link older than its lifetime."""


class ImportFileError(SubscriberError):
    """A CSV file cannot be imported at all (no header, no email column, unreadable)."""
