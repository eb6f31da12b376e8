"""The timing rules, at named instants, DST included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from scheduler.planner import MIN_GAP, next_lesson_due

WELCOME_IN_KOLKATA_EVENING = datetime(2026, 3, 2, 14, 10, tzinfo=UTC)  # 19:40 IST
SENT_AT_8_NEW_YORK_BEFORE_SPRING = datetime(2026, 3, 7, 13, 0, tzinfo=UTC)  # 08:00 EST
SENT_AT_2_NEW_YORK_BEFORE_SPRING = datetime(2026, 3, 7, 7, 0, tzinfo=UTC)  # 02:00 EST
SENT_AT_1_NEW_YORK_BEFORE_FALL = datetime(2026, 10, 31, 5, 0, tzinfo=UTC)  # 01:00 EDT
SENT_AT_8_LONDON_BEFORE_SPRING = datetime(2026, 3, 28, 8, 0, tzinfo=UTC)  # 08:00 GMT


def test_an_evening_welcome_waits_until_the_day_after_next() -> None:
    # 08:00 IST tomorrow is only ~12 h away, so the next lesson comes a day later.
    due = next_lesson_due(WELCOME_IN_KOLKATA_EVENING, "Asia/Kolkata", 8)
    assert due == datetime(2026, 3, 4, 2, 30, tzinfo=UTC)  # 08:00 IST on the 4th


def test_a_lesson_sent_at_the_hour_is_followed_next_day_at_the_hour() -> None:
    due = next_lesson_due(datetime(2026, 3, 3, 2, 30, tzinfo=UTC), "Asia/Kolkata", 8)
    assert due == datetime(2026, 3, 4, 2, 30, tzinfo=UTC)


def test_the_hour_follows_the_clock_across_spring_forward() -> None:
    due = next_lesson_due(SENT_AT_8_NEW_YORK_BEFORE_SPRING, "America/New_York", 8)
    assert due == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)  # 08:00 EDT: only 23 h later
    due = next_lesson_due(SENT_AT_8_LONDON_BEFORE_SPRING, "Europe/London", 8)
    assert due == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)  # 08:00 BST


def test_a_send_hour_in_the_spring_gap_moves_to_the_first_valid_minute() -> None:
    due = next_lesson_due(SENT_AT_2_NEW_YORK_BEFORE_SPRING, "America/New_York", 2)
    assert due == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT, 02:00 never happens


def test_an_ambiguous_send_hour_takes_the_first_occurrence() -> None:
    due = next_lesson_due(SENT_AT_1_NEW_YORK_BEFORE_FALL, "America/New_York", 1)
    assert due == datetime(2026, 11, 1, 5, 0, tzinfo=UTC)  # 01:00 EDT, not 01:00 EST


def test_half_hour_gaps_move_to_the_first_valid_minute() -> None:
    # Lord Howe Island springs forward 02:00 -> 02:30 (+10:30 -> +11:00) on 2026-10-04.
    due = next_lesson_due(datetime(2026, 10, 2, 15, 0, tzinfo=UTC), "Australia/Lord_Howe", 2)
    assert due == datetime(2026, 10, 3, 15, 30, tzinfo=UTC)  # 02:30 local, +11:00


@given(
    sent=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(
        ["UTC", "Asia/Kolkata", "America/New_York", "Europe/London", "Australia/Lord_Howe"]
    ),
    hour=st.integers(0, 23),
)
def test_next_lesson_is_at_least_20_and_under_48_hours_later(
    sent: datetime, zone: str, hour: int
) -> None:
    due = next_lesson_due(sent, zone, hour)
    # At worst: 20 h, then a day to reach the hour, plus a DST shift.
    assert MIN_GAP <= due - sent <= timedelta(hours=46)
