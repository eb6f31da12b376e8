"""Test sends: one lesson to any address, now, outside the ledger.

The email is rendered from the job's templates exactly as a subscriber would get it,
for a sample reader at the given address (links that lead nowhere) or, with
`subscriber`, for that subscriber with their own signed links; the subject is marked
"[Test] ". Nothing is recorded: a test send never counts as the subscriber's lesson.
"""

from __future__ import annotations

from dataclasses import replace

from delivery.message import Outcome, Recipient
from delivery.retry import send_with_retries
from render import TemplateCheckError, sample_reader
from scheduler.errors import TemplatesBroken, UnknownLesson
from scheduler.job import SendJob
from scheduler.ledger import ClaimedRow
from scheduler.mail_ids import trial_delivery_id
from scheduler.recipients import batch_for, reader_for
from subscribers import Links, Subscriber

TEST_PREFIX = "[Test] "


def send_trial(
    job: SendJob, lesson_slug: str, to_email: str, *, subscriber: Subscriber | None = None
) -> Outcome:
    """Send lesson `lesson_slug` (a slug or a position) to `to_email`; the provider's answer."""
    try:
        lesson = job.course.lesson(lesson_slug)
    except KeyError:
        slugs = ", ".join(lesson.slug for lesson in job.course.lessons)
        raise UnknownLesson(
            f"no lesson {lesson_slug!r}: give a position (1-{len(job.course.lessons)}) "
            f"or a slug ({slugs})"
        ) from None
    try:
        prepared = job.renderer.prepare_lesson(lesson)
    except TemplateCheckError as error:
        raise TemplatesBroken(error) from error
    if subscriber is not None:
        fields = frozenset(use.field for use in prepared.uses.values())
        row = ClaimedRow(0, subscriber.id, to_email, subscriber.name, subscriber.key, "", 0)
        reader = reader_for(Links.from_settings(job.settings), row, lesson.slug, fields)
    else:
        reader = replace(sample_reader(job.renderer.sender), email=to_email)
    recipient = Recipient(
        email=to_email,
        name=reader.name,
        delivery_id=trial_delivery_id(),  # names no delivery row: never recorded
        substitutions=prepared.substitutions(reader),
        unsubscribe_url=reader.unsubscribe_url,
    )
    batch = batch_for(job.settings.from_address, job.course, prepared, lesson.slug, [recipient])
    batch = replace(batch, subject=TEST_PREFIX + batch.subject)
    with job.backend() as backend:
        return send_with_retries(backend, batch, job.retry, sleep=job.sleep)[0]
