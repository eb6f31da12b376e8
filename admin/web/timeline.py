"""A subscriber's timeline as their page shows it: `scheduler.reports.timeline` in words,
newest first, grouped by day, each moment with a tone (sent, read, trouble).

A lesson's "queued" moment is shown only while the lesson is still waiting: once it was
sent (or failed) the queueing, a moment before, is noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from course.model import Course
from scheduler.reports import TimelineEntry

WORDS = {
    "subscribed": "Subscribed",
    "confirmation_sent": "Confirmation email sent",
    "confirmed": "Confirmed",
    "queued": "Queued, waiting for the next send",
    "sent": "Sent",
    "failed": "Failed",
    "processed": "Accepted by SendGrid",
    "deferred": "Deferred by the receiving server",
    "delivered": "Delivered",
    "open": "Opened",
    "click": "Clicked",
    "bounce": "Bounced",
    "blocked": "Blocked (soft bounce)",
    "dropped": "Dropped by SendGrid",
    "spamreport": "Reported as spam",
    "unsubscribe": "Unsubscribed in their mail app",
    "group_unsubscribe": "Unsubscribed in their mail app",
    "group_resubscribe": "Resubscribed in their mail app",
    "paused": "Paused",
    "unsubscribed": "Mail ended: unsubscribed",
    "bounced": "Mail ended: bounced",
    "complained": "Mail ended: complained",
}
TONES = {
    "sent": "ok",
    "delivered": "ok",
    "confirmed": "ok",
    "open": "read",
    "click": "read",
    "failed": "bad",
    "bounce": "bad",
    "dropped": "bad",
    "spamreport": "bad",
    "bounced": "bad",
    "complained": "bad",
    "deferred": "warn",
    "blocked": "warn",
    "paused": "warn",
    "queued": "warn",
    "unsubscribe": "warn",
    "group_unsubscribe": "warn",
    "unsubscribed": "warn",
}


@dataclass(frozen=True)
class Moment:
    at: datetime
    kind: str
    title: str  # "Opened"
    lesson: str  # "Lesson 5 · Yoga and pranayama", or "" for the subscriber's own moments
    detail: str  # a clicked link, a bounce's reason, where they signed up
    tone: str  # ok, read, warn, bad or plain: the colour of its dot


@dataclass(frozen=True)
class Day:
    day: date
    moments: list[Moment] = field(default_factory=list)


def moments(entries: Sequence[TimelineEntry], course: Course) -> list[Moment]:
    """The entries in words, newest first, without the queueing of lessons that went out."""
    settled = {entry.lesson for entry in entries if entry.kind in ("sent", "failed")}
    titles = {lesson.slug: f"Lesson {lesson.position}: {lesson.title}" for lesson in course.lessons}
    return [
        Moment(
            at=entry.at,
            kind=entry.kind,
            title=WORDS.get(entry.kind, entry.kind.replace("_", " ").capitalize()),
            lesson=titles.get(entry.lesson, entry.lesson) if entry.lesson else "",
            detail=entry.detail,
            tone=TONES.get(entry.kind, "plain"),
        )
        for entry in reversed(entries)
        if not (entry.kind == "queued" and entry.lesson in settled)
    ]


def by_day(found: Sequence[Moment]) -> list[Day]:
    """Consecutive moments grouped under their (UTC) day, in the order given."""
    days: list[Day] = []
    for moment in found:
        if not days or days[-1].day != moment.at.date():
            days.append(Day(moment.at.date()))
        days[-1].moments.append(moment)
    return days
