"""`drip db`: database maintenance."""

from __future__ import annotations

import typer

from admin.cli.runtime import runtime

db_app = typer.Typer(no_args_is_help=True)


@db_app.callback()
def db_group() -> None:
    """Database maintenance."""


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (every other command does it on an empty database).

    Example: DRIP_DATABASE_URL=postgresql+psycopg://localhost/drip drip db upgrade
    """
    rt = runtime()
    rt.engine  # noqa: B018 - creating the engine applies the migrations
    typer.echo(f"database at {rt.engine.url.render_as_string(hide_password=True)} is up to date")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
