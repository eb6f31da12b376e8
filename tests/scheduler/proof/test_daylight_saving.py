"""Day by day through the whole course across each of 2026's four DST changes.

Each run signs up people in Asia/Kolkata (no DST, UTC+5:30), America/New_York and
Europe/London three days before the change and ticks every half hour until they are
done; a fifth person's send hour falls in the change itself: inside the spring-forward
gap (sent at the first valid minute after it) or in the fall-back fold (sent at its
first occurrence).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from delivery.memory import MemoryBackend
from scheduler.job import SendJob
from subscribers import Status
from tests.scheduler.proof.conftest import (
    Clock,
    Enrol,
    assert_daily_rhythm,
    local,
    never_two_within_20_hours,
    received,
    sent_by_subscriber,
    status_of,
    utc,
)

LESSONS = 6  # the bundled course
REGULARS = (
    ("kolkata@example.com", "Asia/Kolkata", 7),
    ("new-york@example.com", "America/New_York", 8),
    ("london@example.com", "Europe/London", 9),
)


@dataclass(frozen=True)
class Change:
    day: date
    zone: str  # whose clocks change that day
    hour: int  # a send hour that the change makes missing or ambiguous
    expected: datetime  # when that hour's lesson goes out on the day (UTC)
    before: datetime  # the same hour the day before (UTC)
    after: datetime  # and the day after


CHANGES = {
    # 02:00 does not exist in New York on 8 March: the first valid minute is 03:00 EDT.
    "us-spring-forward": Change(
        date(2026, 3, 8),
        "America/New_York",
        2,
        expected=utc(2026, 3, 8, 7, 0),
        before=utc(2026, 3, 7, 7, 0),  # 02:00 EST
        after=utc(2026, 3, 9, 6, 0),  # 02:00 EDT
    ),
    # 01:00 does not exist in London on 29 March: 02:00 BST is the first valid minute.
    "eu-spring-forward": Change(
        date(2026, 3, 29),
        "Europe/London",
        1,
        expected=utc(2026, 3, 29, 1, 0),
        before=utc(2026, 3, 28, 1, 0),  # 01:00 GMT
        after=utc(2026, 3, 30, 0, 0),  # 01:00 BST
    ),
    # 01:00 happens twice in London on 25 October: the first (BST) is taken.
    "eu-fall-back": Change(
        date(2026, 10, 25),
        "Europe/London",
        1,
        expected=utc(2026, 10, 25, 0, 0),
        before=utc(2026, 10, 24, 0, 0),  # 01:00 BST
        after=utc(2026, 10, 26, 1, 0),  # 01:00 GMT
    ),
    # 01:00 happens twice in New York on 1 November: the first (EDT) is taken.
    "us-fall-back": Change(
        date(2026, 11, 1),
        "America/New_York",
        1,
        expected=utc(2026, 11, 1, 5, 0),
        before=utc(2026, 10, 31, 5, 0),  # 01:00 EDT
        after=utc(2026, 11, 2, 6, 0),  # 01:00 EST
    ),
}
EDGE = "edge@example.com"


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_the_whole_course_across_a_dst_change(
    change: Change,
    db: sessionmaker[Session],
    course_job: SendJob,
    inbox: MemoryBackend,
    enrol: Enrol,
    clock: Clock,
) -> None:
    signed_up = datetime.combine(change.day - timedelta(days=3), time(10), tzinfo=UTC)
    for email, zone, hour in (*REGULARS, (EDGE, change.zone, change.hour)):
        enrol(email, zone, hour, signed_up)

    clock.run(db, course_job, signed_up, signed_up + timedelta(days=9))

    sent = sent_by_subscriber(db)
    subjects = [lesson.subject for lesson in course_job.course.lessons]
    for email, zone, hour in REGULARS:
        assert_daily_rhythm(sent[email], zone, hour)
        assert len(sent[email]) == LESSONS
        assert received(inbox)[email] == subjects  # each lesson once, in order, none lost
        assert status_of(db, email) == (Status.COMPLETED, LESSONS)
    # The change day itself is crossed mid-course for the zone that changes.
    changing = next(email for email, zone, _ in REGULARS if zone == change.zone)
    days = [local(s.at, change.zone).date() for s in sent[changing][1:-1]]
    assert change.day in days

    edge = [s.at for s in sent[EDGE]]
    assert change.expected in edge
    assert {change.before, change.expected, change.after} <= set(edge)
    assert received(inbox)[EDGE] == subjects
    assert status_of(db, EDGE) == (Status.COMPLETED, LESSONS)
    assert never_two_within_20_hours(edge)
