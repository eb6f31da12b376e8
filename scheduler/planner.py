"""The timing rules of SPEC.md as pure functions of time (no database, no clock).

- Lesson 1 (the welcome) is due as soon as the subscription is confirmed.
- Lesson k+1 is due at the subscriber's send hour, local time in their IANA zone, on
  the first day on which that hour falls at least 20 hours after lesson k was sent.
- A local time that does not exist (spring-forward gap) moves to the first valid
  minute after it; an ambiguous one (fall-back) takes the first occurrence (fold=0).

All instants in and out are timezone-aware UTC; local wall times never leave here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MIN_GAP = timedelta(hours=20)


def _exists(wall: datetime, zone: ZoneInfo) -> bool:
    """True when the naive local `wall` time occurs in `zone` (is not in a DST gap)."""
    aware = wall.replace(tzinfo=zone, fold=0)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


def local_instant(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """`hour`:00 on `day` in `zone` as a UTC instant, by SPEC's rules for gaps and folds."""
    wall = datetime.combine(day, time(hour))
    while not _exists(wall, zone):  # a gap is at most a few hours: a short walk
        wall += timedelta(minutes=1)
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def next_lesson_due(last_sent_at: datetime, timezone: str, send_hour: int) -> datetime:
    """When the lesson after one sent at `last_sent_at` is due (UTC)."""
    zone = ZoneInfo(timezone)
    earliest = last_sent_at.astimezone(UTC) + MIN_GAP
    day = earliest.astimezone(zone).date() - timedelta(days=1)
    while True:
        candidate = local_instant(day, send_hour, zone)
        if candidate >= earliest:
            return candidate
        day += timedelta(days=1)
