"""Who a batch goes to: one `Recipient` per claimed row, with that subscriber's merge
fields as substitutions (stage 2 of rendering) and their own one-click unsubscribe link.

Only the links the prepared email prints are signed: a lesson that shows no
preferences link costs no preferences token per subscriber.
"""

from __future__ import annotations

from collections.abc import Iterable

from course.model import Course
from delivery.message import Batch, Recipient
from render import PreparedEmail, Reader
from scheduler.ledger import ClaimedRow
from subscribers import Links

COURSE_ARG = "course"  # the custom arg naming the course (SendGrid events carry it back)


def reader_for(links: Links, row: ClaimedRow, lesson_slug: str, fields: frozenset[str]) -> Reader:
    """`row`'s subscriber as their email of `lesson_slug` sees them; links signed only
    for the `fields` the email uses (and always the unsubscribe link, for the headers)."""
    return Reader(
        email=row.email,
        name=row.name,
        unsubscribe_url=links.unsubscribe(row),
        preferences_url=links.preferences(row) if "preferences_url" in fields else "",
        view_url=links.view(row, lesson_slug) if "view_url" in fields else "",
    )


def recipients_for(
    links: Links, prepared: PreparedEmail, lesson_slug: str, rows: Iterable[ClaimedRow]
) -> list[Recipient]:
    fields = frozenset(use.field for use in prepared.uses.values())
    recipients = []
    for row in rows:
        reader = reader_for(links, row, lesson_slug, fields)
        recipients.append(
            Recipient(
                email=row.email,
                name=row.name,
                delivery_id=str(row.delivery_id),
                substitutions=prepared.substitutions(reader),
                unsubscribe_url=reader.unsubscribe_url,
            )
        )
    return recipients


def batch_for(
    from_address: str,
    course: Course,
    prepared: PreparedEmail,
    lesson_slug: str,
    recipients: Iterable[Recipient],
) -> Batch:
    """One lesson's email for these recipients, tagged with the lesson and the course."""
    return Batch(
        from_address=from_address,
        subject=prepared.subject,
        html=prepared.html,
        text=prepared.text,
        recipients=tuple(recipients),
        category=lesson_slug,
        custom_args={COURSE_ARG: course.slug},
    )
