"""Time zones and send hours as people write them; the due time after a change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduler.planner import next_lesson_due
from subscribers.errors import BadHour, UnknownTimezone
from subscribers.schedule import known_timezone, next_due, parse_hour, valid_hour

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "zone"),
    [
        ("Asia/Kolkata", "Asia/Kolkata"),
        (" asia/kolkata ", "Asia/Kolkata"),
        ("UTC", "UTC"),
        ("america/argentina/buenos_aires", "America/Argentina/Buenos_Aires"),
    ],
)
def test_zones_are_spelled_canonically(written: str, zone: str) -> None:
    assert known_timezone(written) == zone


@pytest.mark.parametrize(
    "written", ["Mars/Olympus", "localtime", "Factory", "", "../../etc/passwd", "+05:30"]
)
def test_unknown_zones_are_refused(written: str) -> None:
    with pytest.raises(UnknownTimezone, match="unknown time zone"):
        known_timezone(written)


@given(st.integers(0, 23))
def test_every_hour_of_the_day_is_read(hour: int) -> None:
    assert parse_hour(str(hour)) == parse_hour(f" {hour:02d} ") == valid_hour(hour) == hour


@pytest.mark.parametrize("written", ["24", "-1", "7.0", "seven", "", "٣", "7pm", "1e1"])
def test_anything_else_is_a_bad_hour(written: str) -> None:
    with pytest.raises(BadHour, match=r"bad hour .* \(use a whole hour from 0 to 23\)"):
        parse_hour(written)


def test_the_welcome_is_due_at_once_then_the_planner_decides() -> None:
    assert next_due(0, None, "Asia/Kolkata", 8, NOW) == NOW
    sent = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
    assert next_due(1, sent, "Asia/Kolkata", 8, NOW) == next_lesson_due(sent, "Asia/Kolkata", 8)
