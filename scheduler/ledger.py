"""The send ledger's steps: queue what is due, claim a batch, record what the provider said.

Each step is a few set-based statements, whatever the list size (no ORM object per
row on the hot path):

- `queue_due`: one INSERT ... SELECT ... ON CONFLICT adds a `queued` row for every
  active subscriber whose next lesson is due; the UNIQUE (subscriber, course, lesson)
  constraint makes a second tick (or a second worker) add nothing. (The one conflict
  that changes a row: a subscriber who restarted the course gets their old, sent row
  queued again, since they are due that lesson anew.)
- `claim`: up to 1,000 rows of ONE lesson become `sending` under a 15-minute lease,
  by a conditional UPDATE ... RETURNING (SQLite runs one writer at a time), picking the
  rows FOR UPDATE SKIP LOCKED on PostgreSQL so concurrent workers take disjoint rows.
  A row whose lease ran out (its worker died) is claimable again, and taken first.
  The claim re-checks each subscriber: one who unsubscribed, paused or moved on
  meanwhile has the row deleted (the queue step adds it again if they come back),
  never sent.
- `mark_sent` / `mark_failed` / `mark_deferred`: after the provider answered, in one
  transaction (the caller's), each row is marked sent (with the provider's id, and the
  subscriber moved on by `subscribers.lesson_sent`'s rule, in bulk), failed (the
  subscriber held until `drip send --retry-failed`) or queued again (deferred: due on
  the next tick).
- `release`: claimed rows back to `queued`, untouched (a configuration error, a batch
  claimed but not sent): nothing is marked failed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from course.model import Course, Lesson
from scheduler.models import Delivery, DeliveryStatus
from subscribers.models import Status, Subscriber
from subscribers.schedule import next_due

BATCH_SIZE = 1000  # SendGrid's most recipients per request
LEASE = timedelta(minutes=15)

deliveries = cast(Table, Delivery.__table__)
subscribers = cast(Table, Subscriber.__table__)


@dataclass(frozen=True)
class ClaimedRow:
    """One claimed delivery with what its email needs of the subscriber."""

    delivery_id: int
    subscriber_id: int
    email: str
    name: str
    key: str  # the subscriber's public key, which their signed links carry
    timezone: str
    send_hour: int


@dataclass(frozen=True)
class Claim:
    """A batch of one lesson, leased to this worker; `last_id` is where the next claim
    of this run starts, so a run passes each row once (a deferred row waits a tick)."""

    lesson: Lesson
    rows: tuple[ClaimedRow, ...]
    skipped: int  # rows deleted because their subscriber is no longer due for them
    last_id: int

    @property
    def empty(self) -> bool:
        return not self.rows and not self.skipped


# --- queueing ------------------------------------------------------------------------


def due(at: datetime) -> ColumnElement[bool]:
    """Subscribers whose next lesson is due at `at` (the real run and the dry run agree)."""
    return and_(
        Subscriber.status == Status.ACTIVE,
        Subscriber.next_due_at.is_not(None),
        Subscriber.next_due_at <= at,
    )


def complete_the_finished(session: Session, course: Course, *, now: datetime) -> int:
    """Mark `completed` every active subscriber who already has every lesson of the course.

    `lesson_sent` does this after the last lesson; this catches those a shortened course
    left past its end, who would otherwise stay due for a lesson that no longer exists."""
    statement = (
        update(Subscriber)
        .where(Subscriber.status == Status.ACTIVE, Subscriber.lessons_sent >= len(course.lessons))
        .values(status=Status.COMPLETED, next_due_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return cast("CursorResult[Any]", session.execute(statement)).rowcount or 0


def queue_due(session: Session, course: Course, *, at: datetime, now: datetime) -> int:
    """Add a queued row for each active subscriber whose next lesson is due at `at`.

    One statement for every lesson: the lesson is picked by the subscriber's progress
    (lesson k+1 after k sent). Returns how many rows went in (0 on a second tick)."""
    if not course.lessons:
        return 0
    by_progress = {lesson.position - 1: lesson for lesson in course.lessons}
    progress = Subscriber.lessons_sent
    chosen = select(
        Subscriber.id,
        _literal(course.slug),
        case({k: _literal(lesson.slug) for k, lesson in by_progress.items()}, value=progress),
        progress + 1,
        _literal(DeliveryStatus.QUEUED.value),
        _literal(0),
        Subscriber.next_due_at,
        _literal(now),
        _literal(now),
    ).where(due(at), progress.in_(list(by_progress)))
    # In id order, so workers queueing at once take the unique index's locks in the same
    # order on PostgreSQL (no deadlock between two ticks' inserts).
    chosen = chosen.order_by(Subscriber.id)
    columns = ["subscriber_id", "course", "lesson", "position", "status", "attempts"]
    columns += ["due_at", "created_at", "updated_at"]
    connection = session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(deliveries).from_select(columns, chosen)
    # A row already sent stands for "never twice"; only a subscriber who restarted the
    # course is due a lesson again after it was sent, and then its row starts over.
    again = insert.excluded
    statement = insert.on_conflict_do_update(
        index_elements=["subscriber_id", "course", "lesson"],
        set_={
            "status": DeliveryStatus.QUEUED.value,
            "attempts": 0,
            "due_at": again.due_at,
            "lease_until": None,
            "worker": None,
            "provider_message_id": None,
            "error": None,
            "sent_at": None,
            "updated_at": again.updated_at,
        },
        where=and_(
            deliveries.c.status == DeliveryStatus.SENT.value,
            deliveries.c.sent_at < again.due_at,
        ),
    )
    # Counted through RETURNING: SQLAlchemy's psycopg dialect reports no rowcount here.
    return sum(1 for _ in connection.execute(statement.returning(deliveries.c.id)))


def _literal(value: Any) -> Any:
    """A bound value in a SELECT list (typed as its column would be, by the INSERT)."""
    return bindparam(None, value, type_=_type_of(value))


def _type_of(value: Any) -> Any:
    if isinstance(value, datetime):
        return Delivery.__table__.c.created_at.type
    return None


def claimable_lessons(
    session: Session, course: Course, *, at: datetime, now: datetime
) -> dict[str, int]:
    """Rows ready to claim at `at`, by lesson slug (queued, or leased by a dead worker)."""
    query = (
        select(Delivery.lesson, func.count())
        .where(Delivery.course == course.slug, _claimable(at, now))
        .group_by(Delivery.lesson)
    )
    return {str(lesson): int(count) for lesson, count in session.execute(query)}


def _claimable(at: datetime, now: datetime) -> ColumnElement[bool]:
    return and_(
        Delivery.due_at <= at,
        or_(
            Delivery.status == DeliveryStatus.QUEUED.value,
            and_(Delivery.status == DeliveryStatus.SENDING.value, Delivery.lease_until < now),
        ),
    )


# --- claiming ------------------------------------------------------------------------


def claim(
    session: Session,
    course: Course,
    lesson: Lesson,
    *,
    at: datetime,
    now: datetime,
    worker: str,
    after_id: int = 0,
    limit: int = BATCH_SIZE,
) -> Claim:
    """Lease up to `limit` claimable rows of `lesson` with ids above `after_id`: rows
    whose worker died first (rare), then queued ones in id order."""
    of_lesson = (
        Delivery.course == course.slug,
        Delivery.lesson == lesson.slug,
        Delivery.id > after_id,
        Delivery.due_at <= at,
    )
    expired = and_(Delivery.status == DeliveryStatus.SENDING.value, Delivery.lease_until < now)
    ids = _lease(session, (*of_lesson, expired), now, worker, limit)
    if len(ids) < limit:
        queued = Delivery.status == DeliveryStatus.QUEUED.value
        ids += _lease(session, (*of_lesson, queued), now, worker, limit - len(ids))
    ids.sort()
    if not ids:
        return Claim(lesson, (), 0, after_id)
    rows, stale = _split_by_subscriber(session, ids, lesson)
    if stale:
        session.execute(
            delete(Delivery)
            .where(Delivery.id.in_(stale))
            .execution_options(synchronize_session=False)
        )
    return Claim(lesson, rows, len(stale), ids[-1])


def _lease(
    session: Session,
    conditions: tuple[ColumnElement[bool], ...],
    now: datetime,
    worker: str,
    limit: int,
) -> list[int]:
    """One conditional UPDATE ... RETURNING: the rows it took are this worker's.

    SQLite runs one writer at a time, so the statement is atomic as it stands; on
    PostgreSQL the rows are picked FOR UPDATE SKIP LOCKED, so concurrent workers take
    disjoint rows without waiting, and a row another worker took meanwhile is re-checked
    (and left out) under READ COMMITTED."""
    picked = select(Delivery.id).where(*conditions).order_by(Delivery.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        picked = picked.with_for_update(skip_locked=True)
    statement = (
        update(Delivery)
        .where(Delivery.id.in_(picked.scalar_subquery()))
        .values(
            status=DeliveryStatus.SENDING.value,
            lease_until=now + LEASE,
            worker=worker,
            attempts=Delivery.attempts + 1,
            updated_at=now,
        )
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    )
    return list(session.scalars(statement))


def _split_by_subscriber(
    session: Session, ids: Sequence[int], lesson: Lesson
) -> tuple[tuple[ClaimedRow, ...], list[int]]:
    """The claimed rows whose subscriber is still active and due this lesson, and the
    ids of the others (unsubscribed, paused, restarted or erased since queueing)."""
    query = (
        select(
            Delivery.id,
            Subscriber.id,
            Subscriber.email,
            Subscriber.name,
            Subscriber.key,
            Subscriber.timezone,
            Subscriber.send_hour,
            Subscriber.status,
            Subscriber.lessons_sent,
        )
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(Delivery.id.in_(ids))
        .order_by(Delivery.id)
    )
    rows: list[ClaimedRow] = []
    current: set[int] = set()
    for row in session.execute(query):
        if row[7] is Status.ACTIVE and row[8] == lesson.position - 1:
            rows.append(ClaimedRow(*row[:7]))
            current.add(row[0])
    return tuple(rows), [i for i in ids if i not in current]


# --- recording -----------------------------------------------------------------------


def mark_sent(
    session: Session,
    lesson: Lesson,
    sent: Sequence[tuple[ClaimedRow, str | None]],
    *,
    at: datetime,
    now: datetime,
    lessons_in_course: int,
) -> None:
    """Rows sent with the provider's id; each subscriber moved on as `subscribers.
    lesson_sent` would (the next lesson due by the planner, completed after the last),
    unless they paused or left meanwhile: then only their progress is recorded.

    `sent_at` is `at`, the tick's instant, so `drip send --at T` behaves as a tick at T."""
    if not sent:
        return
    instant = _instants(session)
    at_value, now_value = instant(at), instant(now)
    _executemany(
        session,
        "UPDATE deliveries SET status = 'sent', provider_message_id = ?, sent_at = ?, "
        "lease_until = NULL, error = NULL, updated_at = ? WHERE id = ?",
        [(message, at_value, now_value, row.delivery_id) for row, message in sent],
    )
    position = lesson.position
    if position >= lessons_in_course:  # the last lesson: completed, nothing more due
        _executemany(
            session,
            "UPDATE subscribers SET lessons_sent = ?, last_sent_at = ?, updated_at = ?, "
            "status = CASE WHEN status = 'active' THEN 'completed' ELSE status END, "
            "next_due_at = CASE WHEN status = 'active' THEN NULL ELSE next_due_at END "
            "WHERE id = ? AND lessons_sent = ?",
            [(position, at_value, now_value, row.subscriber_id, position - 1) for row, _ in sent],
        )
        return
    due = _next_due_cache(position, at)
    _executemany(
        session,
        "UPDATE subscribers SET lessons_sent = ?, last_sent_at = ?, updated_at = ?, "
        "next_due_at = CASE WHEN status = 'active' THEN ? ELSE next_due_at END "
        "WHERE id = ? AND lessons_sent = ?",
        [
            (
                position,
                at_value,
                now_value,
                instant(due(row.timezone, row.send_hour)),
                row.subscriber_id,
                position - 1,
            )
            for row, _ in sent
        ],
    )


def _executemany(session: Session, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """`sql` (with ? placeholders) once per row, straight through the driver.

    SQLAlchemy's executemany prepares every parameter of every row in Python; on the
    hot path (a thousand rows per batch) that costs more than the database's work.
    Values must already be in the driver's form (see `_instants`)."""
    connection = session.connection()
    if connection.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    connection.exec_driver_sql(sql, rows)


def _instants(session: Session) -> Callable[[datetime], Any]:
    """Turns an instant into what the driver stores for a `UTCDateTime` column, as
    SQLAlchemy would (SQLite: naive UTC text in one fixed format; PostgreSQL: as is)."""
    dialect = session.get_bind().dialect
    # The TypeDecorator's processor: UTCDateTime's own step, then the dialect's.
    processor = deliveries.c.sent_at.type.dialect_impl(dialect).bind_processor(dialect)
    if processor is None:
        return lambda value: value
    return cast(Callable[[datetime], Any], processor)


def _next_due_cache(lessons_sent: int, at: datetime) -> Any:
    """The subscribers' schedule rule, computed once per (time zone, hour): a batch of a
    thousand subscribers has a handful of distinct ones."""
    known: dict[tuple[str, int], datetime] = {}

    def due(timezone: str, hour: int) -> datetime:
        if (timezone, hour) not in known:
            known[timezone, hour] = next_due(lessons_sent, at, timezone, hour, at)
        return known[timezone, hour]

    return due


def mark_failed(
    session: Session, failures: Sequence[tuple[ClaimedRow, str]], *, now: datetime
) -> None:
    """Rows refused for good, with the reason; their subscribers are held (not due again)
    until the failure is retried by hand."""
    if not failures:
        return
    connection = session.connection()
    connection.execute(
        update(deliveries)
        .where(deliveries.c.id == bindparam("b_id"))
        .values(
            status=DeliveryStatus.FAILED.value,
            error=bindparam("b_error"),
            lease_until=None,
            updated_at=now,
        ),
        [{"b_id": row.delivery_id, "b_error": reason} for row, reason in failures],
    )
    held = [row.subscriber_id for row, _ in failures]
    session.execute(
        update(Subscriber)
        .where(Subscriber.id.in_(held), Subscriber.status == Status.ACTIVE)
        .values(next_due_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def mark_deferred(
    session: Session, deferred: Sequence[tuple[ClaimedRow, str]], *, now: datetime
) -> None:
    """Rows not sent this time: queued again, due on the next tick, with the reason."""
    if not deferred:
        return
    session.connection().execute(
        update(deliveries)
        .where(deliveries.c.id == bindparam("b_id"))
        .values(
            status=DeliveryStatus.QUEUED.value,
            error=bindparam("b_error"),
            lease_until=None,
            worker=None,
            updated_at=now,
        ),
        [{"b_id": row.delivery_id, "b_error": reason} for row, reason in deferred],
    )


def release(session: Session, ids: Iterable[int], *, now: datetime) -> None:
    """Claimed rows back to queued as they were (the attempt does not count)."""
    ids = list(ids)
    if not ids:
        return
    session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.SENDING.value)
        .values(
            status=DeliveryStatus.QUEUED.value,
            lease_until=None,
            worker=None,
            attempts=Delivery.attempts - 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
