"""The triggered send's two steps as the sends page shows them: the dry run, and the
report of the send an admin confirmed.

A dry run is `scheduler.run.send_due(..., dry_run=True)` (who would get which lesson
now, the templates checked, nothing written) with the next sends after it
(`scheduler.plan.upcoming`). Its `plan` names what it counted ("welcome=3,diet=5"): the
confirmation form sends it back, so a send goes ahead only while what is due is still
what the admin was shown.

A report travels from the POST to the page after the redirect in the session cookie
(signed, a few hundred bytes), as `RunReport.as_json()` with a copy of the course's
lesson titles taken when it is shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from course.model import Course
from scheduler.job import SendJob
from scheduler.plan import DueLesson, Upcoming, due_recipients, upcoming
from scheduler.run import send_due

UPCOMING_SHOWN = 8
RECIPIENTS_SHOWN = 12
OUTCOMES = ("sent", "failed", "deferred", "skipped")


@dataclass(frozen=True)
class DryRun:
    at: datetime
    lessons: tuple[DueLesson, ...]
    recipients: tuple[tuple[str, str], ...]  # (address, lesson slug): the first few due
    upcoming: tuple[Upcoming, ...]

    @property
    def total(self) -> int:
        return sum(lesson.count for lesson in self.lessons)

    @property
    def plan(self) -> str:
        """What was counted, as the confirmation form carries it back."""
        return plan_of((lesson.slug, lesson.count) for lesson in self.lessons)


def plan_of(counts: Iterable[tuple[str, int]]) -> str:
    return ",".join(f"{slug}={count}" for slug, count in counts)


def dry_run(sessions: sessionmaker[Session], job: SendJob) -> DryRun:
    """Who would get which lesson now, and what comes next; writes nothing."""
    report = send_due(sessions, job, dry_run=True)
    with sessions() as session:
        recipients = due_recipients(session, job.course, report.at, RECIPIENTS_SHOWN)
        later = upcoming(session, job.course, report.at, UPCOMING_SHOWN)
    lessons = tuple(
        DueLesson(position, slug, job.course.lesson(slug).subject, count)
        for position, slug, count in report.planned
    )
    return DryRun(report.at, lessons, tuple(recipients), tuple(later))


@dataclass(frozen=True)
class LessonOutcome:
    position: int
    slug: str
    subject: str
    counts: dict[str, int]


@dataclass(frozen=True)
class ShownReport:
    """A finished send as the page shows it: totals and a row per lesson."""

    at: datetime
    totals: dict[str, int]
    lessons: tuple[LessonOutcome, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any], course: Course) -> ShownReport:
        per_lesson: dict[str, dict[str, int]] = data.get("per_lesson", {})
        known = {lesson.slug: lesson for lesson in course.lessons}
        rows = []
        for slug, counts in per_lesson.items():
            lesson = known.get(slug)
            position, subject = (lesson.position, lesson.subject) if lesson else (0, slug)
            rows.append(LessonOutcome(position, slug, subject, _outcomes(counts)))
        return cls(
            at=datetime.fromisoformat(data["at"]),
            totals=_outcomes(data),
            lessons=tuple(sorted(rows, key=lambda row: row.position)),
        )

    @property
    def nothing_happened(self) -> bool:
        return not any(self.totals.values())


def _outcomes(counts: dict[str, Any]) -> dict[str, int]:
    return {kind: int(counts.get(kind, 0)) for kind in OUTCOMES}
