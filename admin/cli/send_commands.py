"""`drip send` and `drip failures`: thin commands over the scheduler's Python API.

`drip send` is a tick by hand: it calls `scheduler.run.send_due`, the same function the
APScheduler job, `drip worker` and the web trigger call. `--dry-run` plans instead,
`--retry-failed` queues failed deliveries again first, and `--lesson L --to EMAIL` is a
test send outside the ledger (`scheduler.trial.send_trial`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from admin.cli.runtime import Runtime, runtime
from delivery.message import Accepted, Deferred
from drip.columns import utc_now
from drip.db import transaction
from scheduler.claims import retry_failed
from scheduler.errors import SchedulerError, UnknownLesson
from scheduler.job import SendJob
from scheduler.plan import due_recipients, due_summary
from scheduler.reports import recent_failures
from scheduler.run import RunReport, send_due
from scheduler.trial import send_trial
from subscribers import get

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
PROGRESS_FROM = 2000  # recipients; shorter runs finish before a bar would be worth it
ADDRESSES_UP_TO = 20  # a dry run lists the addresses when this few would get mail


class BadInstant(SchedulerError, ValueError):
    """--at is not an ISO-8601 instant."""


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant; one without an offset is UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInstant(
            f"--at {text!r} is not an ISO-8601 instant (like 2026-03-02T08:00:00+01:00)"
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@contextmanager
def _job() -> Iterator[tuple[Runtime, SendJob]]:
    with closing(runtime()) as rt:
        yield rt, SendJob.from_settings(rt.settings)


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def send(
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="ISO-8601",
            help="Send as a tick at this instant would (UTC if no offset).",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print who would get which lesson; send nothing.")
    ] = False,
    retry_failed_: Annotated[
        bool,
        typer.Option("--retry-failed", help="Queue failed deliveries again, then send."),
    ] = False,
    lesson: Annotated[
        str | None,
        typer.Option("--lesson", help="With --to: the lesson (slug or position) to test-send."),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option("--to", metavar="EMAIL", help="Test-send --lesson to this address."),
    ] = None,
    subscriber: Annotated[
        str | None,
        typer.Option(
            "--subscriber", metavar="EMAIL", help="With --to: personalise as this subscriber."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Send what is due now (or as a tick at --at would); prints sent, failed, deferred, skipped.

    --dry-run prints who would get which lesson and sends nothing; --retry-failed queues
    failed deliveries again first; --lesson L --to EMAIL is a test send outside the schedule.

    Example: drip send --at 2026-03-02T08:00:00Z --dry-run
    """
    if to is not None or subscriber is not None:
        _test_send(lesson, to, subscriber, as_json)
        return
    if lesson is not None and not retry_failed_:
        raise typer.BadParameter("--lesson needs --to (a test send) or --retry-failed")
    if dry_run and retry_failed_:
        raise typer.BadParameter("--retry-failed changes the queue; it cannot be a dry run")
    instant = parse_instant(at) if at is not None else None
    with _job() as (rt, job):
        if retry_failed_:
            with transaction(rt.sessions) as session:
                lesson_slug = _lesson_slug(job, lesson) if lesson else None
                retried = retry_failed(session, lesson=lesson_slug, now=instant or utc_now())
            if not as_json:
                out.print(f"Queued {retried} failed deliveries again.")
        report = _run(rt, job, instant, dry_run, show_progress=not as_json)
        recipients = _few_recipients(rt, job, report) if dry_run else []
    if as_json:
        result = report.as_json()
        if dry_run:
            result["recipients"] = [{"email": e, "lesson": slug} for e, slug in recipients]
        _print_json(result)
    elif dry_run:
        _print_plan(job, report, recipients)
    else:
        _print_report(report)


def _lesson_slug(job: SendJob, key: str) -> str:
    try:
        return job.course.lesson(key).slug
    except KeyError:
        raise UnknownLesson(f"--lesson {key!r}: no such lesson in {job.course.slug}") from None


def _run(
    rt: Runtime, job: SendJob, at: datetime | None, dry_run: bool, *, show_progress: bool
) -> RunReport:
    if dry_run:
        return send_due(rt.sessions, job, at=at, dry_run=True)
    total = 0
    if show_progress and err.is_terminal:
        with rt.sessions() as session:
            total = sum(item.count for item in due_summary(session, job.course, at or utc_now()))
    if total < PROGRESS_FROM:
        return send_due(rt.sessions, job, at=at)
    bar = Progress(
        TextColumn("sending"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )
    with bar:
        task = bar.add_task("send", total=total)
        return send_due(rt.sessions, job, at=at, progress=lambda n: bar.advance(task, n))


def _few_recipients(rt: Runtime, job: SendJob, report: RunReport) -> list[tuple[str, str]]:
    if not 0 < sum(count for _, _, count in report.planned) <= ADDRESSES_UP_TO:
        return []
    with rt.sessions() as session:
        return due_recipients(session, job.course, report.at, ADDRESSES_UP_TO)


def _print_report(report: RunReport) -> None:
    out.print(
        f"Sent {report.sent}, failed {report.failed}, deferred {report.deferred}, "
        f"skipped {report.skipped} (as at {report.at.isoformat()})."
    )
    for slug, count in report.by_lesson.items():
        out.print(f"  {slug}: {count} sent")
    if report.failed:
        out.print("See why with: drip failures")
    if report.deferred:
        out.print("Deferred deliveries stay due and go out on the next run.")


def _print_plan(job: SendJob, report: RunReport, recipients: list[tuple[str, str]]) -> None:
    total = sum(count for _, _, count in report.planned)
    out.print(f"Dry run as at {report.at.isoformat()}: nothing sent.")
    if not total:
        out.print("Nobody is due.")
        return
    table = Table("#", "lesson", "subject", "recipients", box=None)
    for position, slug, count in report.planned:
        table.add_row(str(position), slug, job.course.lesson(slug).subject, str(count))
    out.print(table)
    out.print(f"{total} would get an email.")
    for email, slug in recipients:
        out.print(f"  {email}: {slug}")


def _test_send(lesson: str | None, to: str | None, subscriber: str | None, as_json: bool) -> None:
    if lesson is None or to is None:
        raise typer.BadParameter("a test send needs both --lesson and --to")
    with _job() as (rt, job):
        with rt.sessions() as session:
            job.renderer_for(session)  # the templates marketers saved
            person = get(session, subscriber) if subscriber is not None else None
        outcome = send_trial(job, lesson, to, subscriber=person)
    sent = isinstance(outcome, Accepted)
    if as_json:
        _print_json({"to": to, "lesson": lesson, "sent": sent, "outcome": _outcome(outcome)})
    elif sent:
        out.print(f"Sent a test of lesson {lesson} to {to} ({rt.settings.delivery_backend}).")
    if not sent:
        kind = "deferred" if isinstance(outcome, Deferred) else "refused"
        raise SchedulerError(f"the test send to {to} was {kind}: {getattr(outcome, 'reason', '')}")


def _outcome(outcome: object) -> dict[str, Any]:
    return {"kind": type(outcome).__name__.lower(), **vars(outcome)}


def failures(
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many.")] = 50,
    as_json: JsonOption = False,
) -> None:
    """List failed deliveries, the most recent first, with the provider's reason.

    A failed delivery holds its subscriber until it is retried with
    `drip send --retry-failed`.

    Example: drip failures --json
    """
    with closing(runtime()) as rt, rt.sessions() as session:
        found = recent_failures(session, limit=limit)
    if as_json:
        _print_json(
            [
                {
                    "delivery_id": item.delivery_id,
                    "email": item.email,
                    "lesson": item.lesson,
                    "position": item.position,
                    "attempts": item.attempts,
                    "failed_at": item.at.isoformat(),
                    "reason": item.reason,
                }
                for item in found
            ]
        )
        return
    if not found:
        out.print("No failed deliveries.")
        return
    table = Table("when", "email", "lesson", "reason", box=None)
    for item in found:
        table.add_row(item.at.strftime("%Y-%m-%d %H:%M"), item.email, item.lesson, item.reason)
    out.print(table)
    out.print("Retry them with: drip send --retry-failed")


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command("send")(send)
    app.command("failures")(failures)
