"""A subscriber's delivery time: their IANA time zone and local send hour, and when
their next lesson is due (by the rules of `scheduler.planner`, the one pure module of
the scheduler that subscribers may use)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import available_timezones

from scheduler.planner import next_lesson_due
from subscribers.errors import BadHour, UnknownTimezone

# Files some systems ship beside the IANA zones that are not zones a person lives in.
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})


@lru_cache(maxsize=1)
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones() - _NOT_ZONES}


def known_timezone(name: str) -> str:
    """The IANA zone named `name` (case aside), spelled canonically: `asia/kolkata` is
    `Asia/Kolkata`; anything else raises `UnknownTimezone`."""
    canonical = _zones_by_folded_name().get(name.strip().casefold())
    if canonical is None:
        raise UnknownTimezone(f"unknown time zone {name.strip()!r} (use an IANA name)")
    return canonical


def valid_hour(hour: int) -> int:
    if not 0 <= hour <= 23:
        raise BadHour(f"bad hour {hour} (use a whole hour from 0 to 23)")
    return hour


def parse_hour(text: str) -> int:
    """An hour as written in a CSV cell or a form field: a whole number from 0 to 23."""
    cleaned = text.strip()
    if not (cleaned.isascii() and cleaned.isdigit() and int(cleaned) <= 23):
        raise BadHour(f"bad hour {cleaned!r} (use a whole hour from 0 to 23)")
    return int(cleaned)


def next_due(
    lessons_sent: int, last_sent_at: datetime | None, timezone: str, send_hour: int, now: datetime
) -> datetime:
    """When an active subscriber's next lesson is due: the welcome at once, then each
    lesson at the send hour, at least 20 hours after the one before (SPEC's rules).

    An instant in the past is right: it means "due now", and the scheduler sends it on
    its next tick (after a pause, the next lesson comes at once, not a day later).
    """
    if lessons_sent == 0 or last_sent_at is None:
        return now
    return next_lesson_due(last_sent_at, timezone, send_hour)
