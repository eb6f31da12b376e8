"""What is due, without changing anything: the dry run, the web trigger page, the dashboard.

Who gets which lesson follows the subscribers' columns the queue step reads (status,
next_due_at, lessons_sent), so a dry run at T shows exactly what a tick at T would send
(barring unsubscribes meanwhile).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from course.model import Course
from scheduler.errors import InstantInThePast
from scheduler.ledger import due
from subscribers.models import Status, Subscriber


@dataclass(frozen=True)
class DueLesson:
    position: int
    slug: str
    subject: str
    count: int  # subscribers it would go to


@dataclass(frozen=True)
class Upcoming:
    email: str
    position: int
    lesson: str  # the lesson's slug
    due_at: datetime
    # Where the console links and what it shows as the subscriber's local time.
    subscriber_id: int = field(default=0, compare=False)
    timezone: str = field(default="UTC", compare=False)


def due_summary(session: Session, course: Course, at: datetime) -> list[DueLesson]:
    """Who would get which lesson at `at`: a count per lesson, in course order."""
    query = (
        select(Subscriber.lessons_sent, func.count())
        .where(due(at))
        .group_by(Subscriber.lessons_sent)
    )
    counts = {int(sent): int(count) for sent, count in session.execute(query)}
    return [
        DueLesson(lesson.position, lesson.slug, lesson.subject, counts[lesson.position - 1])
        for lesson in course.lessons
        if counts.get(lesson.position - 1)
    ]


def due_recipients(
    session: Session, course: Course, at: datetime, limit: int = 20
) -> list[tuple[str, str]]:
    """(address, lesson slug) of the first `limit` subscribers due at `at`."""
    slugs = {lesson.position - 1: lesson.slug for lesson in course.lessons}
    query = (
        select(Subscriber.email, Subscriber.lessons_sent)
        .where(due(at), Subscriber.lessons_sent.in_(list(slugs)))
        .order_by(Subscriber.lessons_sent, Subscriber.id)
        .limit(limit)
    )
    return [(str(email), slugs[int(sent)]) for email, sent in session.execute(query)]


def upcoming(session: Session, course: Course, now: datetime, limit: int = 10) -> list[Upcoming]:
    """The next sends after `now`: who, which lesson, when (soonest first)."""
    lessons = {lesson.position - 1: lesson for lesson in course.lessons}
    query = (
        select(
            Subscriber.email,
            Subscriber.lessons_sent,
            Subscriber.next_due_at,
            Subscriber.id,
            Subscriber.timezone,
        )
        .where(
            Subscriber.status == Status.ACTIVE,
            Subscriber.next_due_at > now,
            Subscriber.lessons_sent.in_(list(lessons)),
        )
        .order_by(Subscriber.next_due_at, Subscriber.id)
        .limit(limit)
    )
    found = []
    for email, sent, due_at, subscriber_id, timezone in session.execute(query):
        assert due_at is not None  # the query asks for a due time after now
        lesson = lessons[int(sent)]
        found.append(
            Upcoming(str(email), lesson.position, lesson.slug, due_at, subscriber_id, timezone)
        )
    return found


def check_instant(session: Session, at: datetime) -> None:
    """Refuse a tick at `at` earlier than the last send recorded (SPEC: `--at T`)."""
    last = session.scalar(select(func.max(Subscriber.last_sent_at)))
    if last is not None and at < last:
        raise InstantInThePast(
            f"--at {at.isoformat()} is earlier than the last send recorded "
            f"({last.isoformat()}); a tick cannot go back in time: give an instant at or "
            "after it, or leave --at out to send what is due now"
        )
