"""`send_due`: the one function every trigger calls (`drip send`, the APScheduler tick,
`drip worker`, the web's triggered send).

A run queues what is due, renders each lesson that has recipients once (stage 1; a
broken template stops the run before anything is claimed), then loops "handle one
batch": claim up to 1,000 rows of one lesson, send them in one request, record the
provider's answer in one transaction. It stops when nothing is left or `stop` is set
(checked between batches, so SIGTERM finishes the batch in hand).

Crash safety follows from the order: the claim is committed before the provider is
called and the outcome after it answered. A worker killed before the answer leaves
its rows leased; after 15 minutes they are claimable again and sent (nothing lost). A
worker killed between the provider's 202 and the commit has that one batch sent again
on the next tick (duplicates bounded by one batch).
"""

from __future__ import annotations

import os
import socket
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from course.model import Lesson
from delivery import EmailBackend
from delivery.errors import ConfigurationError, PermanentError, TransientError
from delivery.message import Accepted, Batch, Deferred, Outcome, Rejected
from delivery.retry import send_with_retries
from drip.columns import utc_now
from drip.db import transaction
from render import PreparedEmail, Renderer, TemplateCheckError
from scheduler import ledger
from scheduler.errors import TemplatesBroken
from scheduler.job import SendJob
from scheduler.plan import check_instant, due_summary
from scheduler.recipients import batch_for, recipients_for
from subscribers import Links

Progress = Callable[[int], None]


@dataclass(frozen=True)
class RunReport:
    at: datetime
    # Every outcome per lesson slug: {"sent": n, "failed": n, "deferred": n, "skipped": n};
    # "skipped" is queued for someone who unsubscribed or paused before the send.
    per_lesson: dict[str, dict[str, int]] = field(default_factory=dict)
    dry_run: bool = False
    planned: tuple[tuple[int, str, int], ...] = ()  # dry run: (position, slug, count)

    @property
    def sent(self) -> int:
        return self._total("sent")

    @property
    def failed(self) -> int:
        return self._total("failed")

    @property
    def deferred(self) -> int:
        return self._total("deferred")

    @property
    def skipped(self) -> int:
        return self._total("skipped")

    @property
    def by_lesson(self) -> dict[str, int]:
        """Emails sent, per lesson slug (lessons with none left out)."""
        return {slug: counts["sent"] for slug, counts in self.per_lesson.items() if counts["sent"]}

    def _total(self, outcome: str) -> int:
        return sum(counts[outcome] for counts in self.per_lesson.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "dry_run": self.dry_run,
            "sent": self.sent,
            "failed": self.failed,
            "deferred": self.deferred,
            "skipped": self.skipped,
            "by_lesson": dict(self.by_lesson),
            "per_lesson": {slug: dict(counts) for slug, counts in self.per_lesson.items()},
            "planned": [
                {"position": position, "lesson": slug, "count": count}
                for position, slug, count in self.planned
            ],
        }


def default_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def send_due(
    sessions: sessionmaker[Session],
    job: SendJob,
    *,
    at: datetime | None = None,
    dry_run: bool = False,
    worker: str | None = None,
    stop: threading.Event | None = None,
    progress: Progress | None = None,
) -> RunReport:
    """Send every lesson due at `at` (default: now); see the module's docstring."""
    now = utc_now()
    instant = at if at is not None else now
    if dry_run:
        return _plan(sessions, job, instant, checked=at is not None)
    with transaction(sessions) as session:
        if at is not None:
            check_instant(session, instant)
        renderer = job.renderer_for(session)
        ledger.complete_the_finished(session, job.course, now=now)
        ledger.queue_due(session, job.course, at=instant, now=now)
        waiting = ledger.claimable_lessons(session, job.course, at=instant, now=now)
    lessons = [lesson for lesson in job.course.lessons if lesson.slug in waiting]
    prepared = _prepare(renderer, lessons)
    run = _Run(sessions, job, instant, worker or default_worker(), stop, progress)
    with job.backend() as backend:
        for lesson in lessons:
            if not run.send_lesson(backend, lesson, prepared[lesson.slug]):
                break
    return run.report()


def _plan(sessions: sessionmaker[Session], job: SendJob, at: datetime, checked: bool) -> RunReport:
    """The dry run: who would get which lesson, templates checked, nothing written."""
    with sessions() as session:
        if checked:
            check_instant(session, at)
        renderer = job.renderer_for(session)
        due = due_summary(session, job.course, at)
    _prepare(renderer, [job.course.lesson(item.slug) for item in due])
    planned = tuple((item.position, item.slug, item.count) for item in due)
    return RunReport(at=at, dry_run=True, planned=planned)


def _prepare(renderer: Renderer, lessons: Sequence[Lesson]) -> dict[str, PreparedEmail]:
    """Stage 1 for every lesson about to be sent, before anything is claimed."""
    try:
        return {lesson.slug: renderer.prepare_lesson(lesson) for lesson in lessons}
    except TemplateCheckError as error:
        raise TemplatesBroken(error) from error


class _Run:
    """The state of one run: the counts so far and where each lesson's claims are."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        job: SendJob,
        at: datetime,
        worker: str,
        stop: threading.Event | None,
        progress: Progress | None,
    ) -> None:
        self.sessions = sessions
        self.job = job
        self.at = at
        self.worker = worker
        self.stop = stop or threading.Event()
        self.progress = progress
        self.links = Links.from_settings(job.settings)
        self.per_lesson: dict[str, Counter[str]] = {}

    def report(self) -> RunReport:
        per_lesson = {slug: _outcome_counts(counts) for slug, counts in self.per_lesson.items()}
        return RunReport(at=self.at, per_lesson=per_lesson)

    def count(self, slug: str, **outcomes: int) -> None:
        """Add to lesson `slug`'s counts (the report's totals are their sums)."""
        self.per_lesson.setdefault(slug, Counter()).update(outcomes)

    def send_lesson(self, backend: EmailBackend, lesson: Lesson, prepared: PreparedEmail) -> bool:
        """Every batch of `lesson`; False when the run must end (stop, provider down).

        Pipelined: while the provider handles one batch (in a thread of its own), the
        next is claimed and personalised, so the database and the network overlap. The
        outcome of each batch is still recorded before its successor is sent."""
        with ThreadPoolExecutor(1, thread_name_prefix="drip-send") as provider:
            after_id = 0
            flight: _InFlight | None = None
            ready: _Ready | None = None
            try:
                while True:
                    ready = None
                    if not self.stop.is_set():
                        ready = self.next_batch(lesson, prepared, after_id)
                        after_id = ready.claim.last_id if ready else after_id
                    if flight is not None:
                        carry_on = self.finish(flight)
                        flight = None
                        if not carry_on or self.stop.is_set():
                            return self.give_back(ready)
                    if ready is None:
                        return not self.stop.is_set()
                    if ready.batch is None:  # everyone in it left meanwhile
                        self.tell_progress(ready.claim)
                        continue
                    future = provider.submit(self.send, backend, ready.batch)
                    flight, ready = _InFlight(ready, future), None
            except BaseException:
                self.abandon(flight, ready)
                raise

    def next_batch(self, lesson: Lesson, prepared: PreparedEmail, after_id: int) -> _Ready | None:
        """Claim the next batch of `lesson` and personalise it; None when none is left."""
        with transaction(self.sessions) as session:
            claim = ledger.claim(
                session,
                self.job.course,
                lesson,
                at=self.at,
                now=utc_now(),
                worker=self.worker,
                after_id=after_id,
                limit=self.job.batch_size,
            )
        if claim.empty:
            return None
        self.count(lesson.slug, skipped=claim.skipped)
        if not claim.rows:
            return _Ready(claim, None)
        slug = lesson.slug
        try:
            recipients = recipients_for(self.links, prepared, slug, claim.rows)
        except Exception:
            self.release(claim)  # a bug, not the rows' fault: they stay due
            raise
        from_address = self.job.settings.from_address
        return _Ready(claim, batch_for(from_address, self.job.course, prepared, slug, recipients))

    def send(self, backend: EmailBackend, batch: Batch) -> list[Outcome]:
        return send_with_retries(backend, batch, self.job.retry, sleep=self.job.sleep)

    def finish(self, flight: _InFlight) -> bool:
        """Wait for the provider's answer and record it; False when the provider is down."""
        claim = flight.ready.claim
        rows = {str(row.delivery_id): row for row in claim.rows}
        try:
            outcomes = flight.future.result()
        except ConfigurationError:
            self.release(claim)  # nothing is marked failed: fix the setting, run again
            raise
        except PermanentError as error:
            reason = "; ".join(error.reasons)
            outcomes = _settled_or(error.settled, rows, lambda i: Rejected(i, reason))
        except TransientError as error:
            said = str(error)
            self.record(claim, rows, _settled_or(error.settled, rows, lambda i: Deferred(i, said)))
            self.tell_progress(claim)
            return False  # the provider is down: the rest waits for the next tick
        self.record(claim, rows, outcomes)
        self.tell_progress(claim)
        return True

    def tell_progress(self, claim: ledger.Claim) -> None:
        if self.progress is not None:
            self.progress(len(claim.rows) + claim.skipped)

    def give_back(self, ready: _Ready | None) -> bool:
        """End the lesson (and the run), returning a batch claimed but not sent."""
        if ready is not None:
            self.release(ready.claim)
        return False

    def abandon(self, flight: _InFlight | None, ready: _Ready | None) -> None:
        """On the way out of an error: record the batch in flight if the provider answered
        (else its lease runs out and it is sent again), and give back the one not sent."""
        with suppress(Exception):  # Ctrl-C waits here for the batch in hand, as promised
            if flight is not None and flight.future.exception() is None:
                self.finish(flight)
        with suppress(Exception):
            self.give_back(ready)

    def release(self, claim: ledger.Claim) -> None:
        with transaction(self.sessions) as session:
            ledger.release(session, (row.delivery_id for row in claim.rows), now=utc_now())

    def record(
        self, claim: ledger.Claim, rows: dict[str, ledger.ClaimedRow], outcomes: Sequence[Outcome]
    ) -> None:
        sent: list[tuple[ledger.ClaimedRow, str | None]] = []
        failed: list[tuple[ledger.ClaimedRow, str]] = []
        deferred: list[tuple[ledger.ClaimedRow, str]] = []
        for outcome in outcomes:
            row = rows[outcome.delivery_id]
            if isinstance(outcome, Accepted):
                sent.append((row, outcome.provider_message_id))
            elif isinstance(outcome, Rejected):
                failed.append((row, outcome.reason))
            else:
                deferred.append((row, outcome.reason))
        now = utc_now()
        with transaction(self.sessions) as session:
            ledger.mark_sent(
                session,
                claim.lesson,
                sent,
                at=self.at,
                now=now,
                lessons_in_course=len(self.job.course.lessons),
            )
            ledger.mark_failed(session, failed, now=now)
            ledger.mark_deferred(session, deferred, now=now)
        self.count(claim.lesson.slug, sent=len(sent), failed=len(failed), deferred=len(deferred))


def _outcome_counts(counts: Counter[str]) -> dict[str, int]:
    return {kind: counts[kind] for kind in ("sent", "failed", "deferred", "skipped")}


@dataclass(frozen=True)
class _Ready:
    """A claimed batch, personalised; `batch` is None when every row was skipped."""

    claim: ledger.Claim
    batch: Batch | None


@dataclass(frozen=True)
class _InFlight:
    """A batch with the provider."""

    ready: _Ready
    future: Future[list[Outcome]]


def _settled_or(
    settled: Sequence[Outcome],
    rows: dict[str, ledger.ClaimedRow],
    otherwise: Callable[[str], Outcome],
) -> list[Outcome]:
    """The outcomes settled before an error, and `otherwise(id)` for every other row."""
    known = {outcome.delivery_id: outcome for outcome in settled}
    return [known.get(delivery_id) or otherwise(delivery_id) for delivery_id in rows]
