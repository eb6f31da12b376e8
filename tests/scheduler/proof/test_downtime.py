"""Three days without a tick (the server was down): on restart each subscriber gets the
one lesson they are due, not the three they missed, and the course carries on daily."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from delivery.memory import MemoryBackend
from scheduler.job import SendJob
from subscribers import Status
from tests.scheduler.proof.conftest import (
    Clock,
    Enrol,
    local,
    never_two_within_20_hours,
    received,
    sent_by_subscriber,
    status_of,
    utc,
)

PEOPLE = (
    ("kolkata@example.com", "Asia/Kolkata", 7),
    ("new-york@example.com", "America/New_York", 8),
    ("london@example.com", "Europe/London", 9),
)
SIGNED_UP = utc(2026, 4, 6, 10, 0)  # Monday
WENT_DOWN = utc(2026, 4, 8, 10, 0)  # Wednesday: no tick from here...
CAME_BACK = utc(2026, 4, 11, 10, 0)  # ...until Saturday, three days later


def test_after_three_days_down_each_subscriber_gets_one_lesson_not_a_burst(
    db: sessionmaker[Session],
    course_job: SendJob,
    inbox: MemoryBackend,
    enrol: Enrol,
    clock: Clock,
) -> None:
    for email, zone, hour in PEOPLE:
        enrol(email, zone, hour, SIGNED_UP)
    clock.run(db, course_job, SIGNED_UP, WENT_DOWN)
    before = {email: len(sends) for email, sends in sent_by_subscriber(db).items()}
    assert before == {"kolkata@example.com": 2, "new-york@example.com": 2, "london@example.com": 3}

    restart = clock.tick(db, course_job, CAME_BACK)
    assert restart.sent == len(PEOPLE)  # one each
    after_restart = sent_by_subscriber(db)
    assert {email: len(sends) for email, sends in after_restart.items()} == {
        email: count + 1 for email, count in before.items()
    }
    assert clock.tick(db, course_job, CAME_BACK + timedelta(minutes=30)).sent == 0

    clock.run(db, course_job, CAME_BACK + timedelta(hours=1), CAME_BACK + timedelta(days=5))
    sent = sent_by_subscriber(db)
    for email, zone, hour in PEOPLE:
        sends = sent[email]
        assert [s.position for s in sends] == [1, 2, 3, 4, 5, 6]  # none skipped
        assert never_two_within_20_hours(s.at for s in sends)
        caught_up = next(i for i, s in enumerate(sends) if s.at == CAME_BACK)
        for later in sends[caught_up + 1 :]:  # back to their own hour after the catch-up
            assert (local(later.at, zone).hour, local(later.at, zone).minute) == (hour, 0)
        assert len(received(inbox)[email]) == 6
        assert status_of(db, email) == (Status.COMPLETED, 6)
