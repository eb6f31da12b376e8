"""`drip subscribers ...`: the subscriber lifecycle from the command line.

A thin layer: each command opens a transaction and calls the same function of the
`subscribers` package that the web app calls. Confirmation emails are rendered from the
templates in force and sent through the configured backend once the command's
transaction commits (scheduler.transactional), as the web app sends them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import select
from sqlalchemy.orm import Session

import subscribers
from admin.cli.runtime import Runtime, runtime
from admin.web.emails import templates_in_force
from course import load_course
from drip.columns import utc_now
from drip.db import transaction
from render import Renderer, Sender
from scheduler.reports import PERSONAL_DATA_SECTIONS
from scheduler.transactional import TransactionalMailer
from subscribers import Consent, ImportReport, Rejection, Status, Subscriber
from subscribers.addresses import normalise
from subscribers.personal_data import iso
from subscribers.suppression import suppression_reason

subscribers_app = typer.Typer(no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
EmailArgument = Annotated[str, typer.Argument(help="The subscriber's email address.")]
ADMIN_SOURCE = "admin (drip subscribers add)"


@subscribers_app.callback()
def subscribers_group() -> None:
    """Subscribers: add, import, export, list, show, pause, resume, unsubscribe, erase."""


@contextmanager
def _session() -> Iterator[tuple[Runtime, Session]]:
    """The runtime and a session in a transaction, committed when the command is done."""
    with closing(runtime()) as rt, transaction(rt.sessions) as session:
        yield rt, session


@contextmanager
def _reading() -> Iterator[Session]:
    """A session that only reads (export, list)."""
    with closing(runtime()) as rt, rt.sessions() as session:
        yield session


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _require_source(confirmed: bool, source: str | None) -> None:
    if confirmed and not source:
        raise typer.BadParameter(
            "--confirmed needs --source: say where these people gave their consent",
            param_hint="--source",
        )


def _summary(subscriber: Subscriber) -> dict[str, Any]:
    return {
        "email": subscriber.email,
        "name": subscriber.name,
        "status": subscriber.status.value,
        "timezone": subscriber.timezone,
        "hour": subscriber.send_hour,
        "lessons_sent": subscriber.lessons_sent,
        "next_due_at": iso(subscriber.next_due_at),
    }


@subscribers_app.command("add")
def add(
    email: EmailArgument,
    name: Annotated[str, typer.Option(help="Their name, as emails greet them.")] = "",
    timezone: Annotated[
        str | None, typer.Option(help="IANA time zone [default: DRIP_TIMEZONE].")
    ] = None,
    hour: Annotated[
        int | None, typer.Option(help="Local send hour, 0-23 [default: DRIP_SEND_HOUR].")
    ] = None,
    confirmed: Annotated[
        bool, typer.Option(help="Add as active, without a confirmation email (needs --source).")
    ] = False,
    source: Annotated[
        str | None, typer.Option(help="Where they gave consent: recorded with the subscriber.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Add one subscriber; without --confirmed a confirmation email is sent (double opt-in).

    Example: drip subscribers add ann@example.com --name Ann --timezone Asia/Kolkata --hour 7
    """
    _require_source(confirmed, source)
    profile: dict[str, Any] = {"name": name, "timezone": timezone, "send_hour": hour}
    now = utc_now()
    mailer: TransactionalMailer | None = None
    with _session() as (rt, session):
        if confirmed:
            consent = Consent(source=source or "", form="drip subscribers add")
            subscriber, created = subscribers.add_confirmed(
                session, rt.settings, email, consent=consent, now=now, **profile
            )
            result = {**_summary(subscriber), "created": created, "confirmation_sent": False}
        else:
            consent = Consent(source=source or ADMIN_SOURCE, form="drip subscribers add")
            mailer = _mailer(rt, session)  # it sends when the transaction commits
            address = subscribers.subscribe(
                session, rt.settings, mailer, email, consent=consent, now=now, **profile
            )
            result = _after_subscribe(session, rt, address, now)
    if mailer is not None and mailer.problems:
        _warn(mailer.problems)
        result["confirmation_sent"] = False
    if as_json:
        _print_json(result)
    else:
        out.print(_describe_add(result))


def _mailer(rt: Runtime, session: Session) -> TransactionalMailer:
    """Confirmation emails from the templates in force, sent when the command commits."""
    sender = Sender.from_settings(rt.settings)
    renderer = Renderer(load_course(rt.settings.course), sender, templates_in_force(session))
    return TransactionalMailer(session, rt.settings, renderer)


def _warn(problems: list[str]) -> None:
    for problem in problems:
        err.print(f"warning: {problem}", markup=False)


def _after_subscribe(session: Session, rt: Runtime, address: str, now: datetime) -> dict[str, Any]:
    subscriber = subscribers.find(session, address)
    if subscriber is None:  # suppressed after a complaint, and erased since
        reason = suppression_reason(session, rt.settings.secret(), normalise(address).key)
        return {"email": address, "status": f"suppressed ({reason})", "confirmation_sent": False}
    sent = subscriber.confirmation_sent_at == now
    return {**_summary(subscriber), "confirmation_sent": sent}


def _describe_add(result: dict[str, Any]) -> str:
    email, status = result["email"], result["status"]
    if result.get("created"):
        return f"added {email}: active, the welcome is due now"
    if result["confirmation_sent"]:
        return f"{email}: pending; confirmation email sent"
    if status == "pending" and "created" not in result:
        return f"{email}: pending; a confirmation went out in the last few minutes, not resent"
    return f"{email} is already {status}; nothing changed, nothing sent"


@subscribers_app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The CSV file.")
    ],
    confirmed: Annotated[
        bool,
        typer.Option(help="Add rows as active, without confirmation emails (needs --source)."),
    ] = False,
    source: Annotated[
        str | None, typer.Option(help="Where these people gave consent (with --confirmed).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Import subscribers from a CSV file (columns email, name, timezone, hour).

    Every rejected row is reported with its row number and reason; every good row is
    kept; rows already subscribed are left as they are, so importing a file twice
    changes nothing. Without --confirmed, new rows are pending and each gets one
    confirmation email; with --confirmed --source S, they start the course at once and
    S is recorded as their consent.

    Example: drip subscribers import leads.csv --confirmed --source "webinar sign-up sheet"
    """
    _require_source(confirmed, source)
    rejections: list[Rejection] = []
    on_reject = rejections.append if as_json else _print_rejection
    with _session() as (rt, session), _progress(file) as on_progress, file.open("rb") as stream:
        mailer = None if confirmed else _mailer(rt, session)  # sends when it commits
        report = subscribers.import_csv(
            session,
            rt.settings,
            stream,
            filename=file.name,
            confirmed_source=source if confirmed else None,
            notifier=mailer,
            on_reject=on_reject,
            on_progress=on_progress,
        )
    _warn(mailer.problems if mailer else [])
    if as_json:
        _print_json(
            {
                **report.as_dict(),
                "rejections": [
                    {"row": r.row, "reason": r.reason.value, "message": r.message}
                    for r in rejections
                ],
            }
        )
    else:
        out.print(_describe_import(report))


def _print_rejection(rejection: Rejection) -> None:
    err.print(f"row {rejection.row}: {rejection.message}", markup=False)


@contextmanager
def _progress(file: Path) -> Iterator[Any]:
    progress = Progress(
        TextColumn("importing"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
    task = progress.add_task("import", total=file.stat().st_size)
    with progress:
        yield lambda done: progress.update(task, completed=done)


def _describe_import(report: ImportReport) -> str:
    parts = [f"{report.added:,} added", f"{report.unchanged:,} already subscribed (unchanged)"]
    rejected = sum(report.rejected.values())
    if rejected:
        reasons = ", ".join(f"{n:,} {reason.value}" for reason, n in report.rejected.items())
        parts.append(f"{rejected:,} rejected ({reasons})")
    text = f"{report.file}: {report.rows:,} rows: " + "; ".join(parts)
    if not report.confirmed:
        text += f"\nconfirmation emails sent: {report.confirmations_sent:,}"
    if report.ignored_columns:
        text += "\nignored columns: " + ", ".join(report.ignored_columns)
    return text


@subscribers_app.command("export")
def export(
    file: Annotated[
        Path | None, typer.Argument(dir_okay=False, help="Where to write [default: stdout].")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Export every subscriber as CSV, in the import's format plus a status column.

    Example: drip subscribers export subscribers.csv
    """
    with _reading() as session:
        if file is None:
            count = subscribers.export_csv(session, sys.stdout)
        else:
            with file.open("w", encoding="utf-8", newline="") as stream:
                count = subscribers.export_csv(session, stream)
    where = str(file) if file else "stdout"
    report: TextIO = sys.stdout if file else sys.stderr
    if as_json:
        print(json.dumps({"file": where, "exported": count}), file=report)
    else:
        noun = "subscriber" if count == 1 else "subscribers"
        print(f"exported {count:,} {noun} to {where}", file=report)


@subscribers_app.command("list")
def list_(
    status: Annotated[
        Status | None, typer.Option(help="Only subscribers with this status.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List subscribers, oldest first: address, name, status, zone, hour, progress, next due.

    Example: drip subscribers list --status active --json
    """
    query = select(Subscriber).order_by(Subscriber.id).execution_options(yield_per=500)
    if status is not None:
        query = query.where(Subscriber.status == status)
    with _reading() as session:
        rows = (_summary(subscriber) for subscriber in session.scalars(query))
        if as_json:
            _stream_json_array(rows)
        else:
            for row in rows:
                typer.echo(_list_line(row))


def _stream_json_array(rows: Iterator[dict[str, Any]]) -> None:
    """A JSON array printed item by item, so a long list never sits in memory."""
    opener = "["
    for row in rows:
        typer.echo(opener + "\n  " + json.dumps(row, ensure_ascii=False), nl=False)
        opener = ","
    typer.echo("[]" if opener == "[" else "\n]")


def _list_line(row: dict[str, Any]) -> str:
    due = row["next_due_at"] or "-"
    return (
        f"{row['email']:<36} {row['name'][:24]:<24} {row['status']:<12} "
        f"{row['timezone']:<22} {row['hour']:>2}h  {row['lessons_sent']:>3} sent  next {due}"
    )


@subscribers_app.command("show")
def show(email: EmailArgument, as_json: JsonOption = False) -> None:
    """Show one subscriber: profile, consent record, course progress and the emails sent
    with what the provider reported (--json: the export of their personal data).

    Example: drip subscribers show ann@example.com --json
    """
    with _session() as (_, session):
        subscriber = subscribers.get(session, email)
        document = subscribers.personal_data(session, subscriber, PERSONAL_DATA_SECTIONS)
    if as_json:
        _print_json(document)
        return
    for section in ("subscriber", "consent", "course"):
        out.print(f"[bold]{section}[/]")
        for field, value in document[section].items():
            out.print(f"  {field:<22} {'' if value is None else value}", markup=False)
    out.print("[bold]deliveries[/]")
    for item in document["deliveries"]:
        out.print(f"  {_delivery_line(item)}", markup=False)


def _delivery_line(item: dict[str, Any]) -> str:
    events = ", ".join(event["type"] for event in item["events"]) or "no events"
    if item["email"] != "lesson":
        return f"confirmation and goodbye emails: {events}"
    when = item["sent_at"] or item["queued_at"]
    return f"{item['position']:>2}. {item['lesson']:<24} {item['status']:<8} {when}  {events}"


Step = Callable[[Runtime, Session, Subscriber], Subscriber]


def _change(email: str, as_json: bool, step: Step) -> None:
    with _session() as (rt, session):
        result = _summary(step(rt, session, subscribers.get(session, email)))
    if as_json:
        _print_json(result)
    else:
        due = f"; next lesson due {result['next_due_at']}" if result["next_due_at"] else ""
        out.print(f"{result['email']}: {result['status']}{due}")


@subscribers_app.command("pause")
def pause(email: EmailArgument, as_json: JsonOption = False) -> None:
    """Pause an active subscriber's course; nothing is sent until resume.

    Example: drip subscribers pause ann@example.com
    """
    _change(email, as_json, lambda _, session, s: subscribers.pause(session, s))


@subscribers_app.command("resume")
def resume(email: EmailArgument, as_json: JsonOption = False) -> None:
    """Resume a paused subscriber's course where it stopped.

    Example: drip subscribers resume ann@example.com
    """
    _change(email, as_json, lambda _, session, s: subscribers.resume(session, s))


@subscribers_app.command("unsubscribe")
def unsubscribe(email: EmailArgument, as_json: JsonOption = False) -> None:
    """Unsubscribe someone: no more mail, and the address goes on the suppression list.

    Example: drip subscribers unsubscribe ann@example.com
    """
    _change(email, as_json, lambda rt, session, s: subscribers.unsubscribe(session, rt.settings, s))


@subscribers_app.command("erase")
def erase(email: EmailArgument, as_json: JsonOption = False) -> None:
    """Erase a subscriber's personal data for good (GDPR); only a keyed hash of the
    address stays, on the suppression list, so no import brings them back.

    Example: drip subscribers erase ann@example.com
    """
    with _session() as (rt, session):
        address = normalise(email).email
        erased = subscribers.erase(session, rt.settings, email)
    if as_json:
        _print_json({"email": address, "erased": erased, "suppressed": True})
    elif erased:
        out.print(f"erased {address}; the address stays suppressed, as a keyed hash")
    else:
        out.print(f"no subscriber {address}; the address is suppressed all the same")


def register(app: typer.Typer) -> None:
    app.add_typer(subscribers_app, name="subscribers")
