"""`drip serve` (the web app with the scheduler) and `drip users add` (console logins)."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager, closing

import typer
import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from admin.cli.run_commands import check_can_send, scheduled_sending
from admin.cli.runtime import runtime
from admin.web import access_log
from admin.web.app import create_app
from admin.web.context import EventRecorder
from admin.web.users import Role, add_user
from drip.db import transaction
from drip.settings import Settings, get_settings
from scheduler import events

users_app = typer.Typer(no_args_is_help=True)


def scheduler_job(settings: Settings) -> AbstractContextManager[object]:
    """THE HOOK for the scheduler: what runs beside the web app for as long as it serves.

    The APScheduler job starts when the app starts (a tick at once, then every minute)
    and stops when uvicorn shuts down, after the batch in hand is finished.
    """
    return scheduled_sending(settings)


def event_recorder(settings: Settings, sessions: sessionmaker[Session]) -> EventRecorder | None:
    """THE HOOK for the scheduler's event recording: what stores the SendGrid webhook's
    verified events (returning how many were new). The route checks the signature
    first: without DRIP_SENDGRID_WEBHOOK_KEY every request is refused with 403."""
    return events.recorder(settings, sessions)


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
) -> None:
    """Serve the web app (public pages, admin console, webhooks) with the scheduler.

    Put a TLS-terminating proxy in front of it in production; uvicorn reads the client
    address from X-Forwarded-For when the proxy runs on this machine.

    Example: drip serve --host 0.0.0.0 --port 8000
    """
    settings = get_settings()
    check_can_send(settings, "drip serve")
    with closing(runtime()) as rt:  # the recorder's connections, released when serving ends
        app = create_app(
            settings,
            background=lambda: scheduler_job(settings),
            record_events=event_recorder(settings, rt.sessions),
        )
        access_log.install()
        uvicorn.run(app, host=host, port=port, proxy_headers=True, server_header=False)


@users_app.callback()
def users_group() -> None:
    """Logins for the web console."""


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="The login name."),
    role: Role = typer.Option(..., "--role", help="admin (everything) or marketer (templates)."),
) -> None:
    """Make a login for the web console; the password comes from DRIP_PASSWORD or a prompt.

    Example: drip users add ada --role admin
    """
    password = os.environ.get("DRIP_PASSWORD")
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with transaction(runtime().sessions) as session:
        user = add_user(session, name, role.value, password)
        typer.echo(f"added {user.role} {user.name!r}: log in at /admin/login")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")
