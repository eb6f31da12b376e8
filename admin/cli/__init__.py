"""The `drip` command: a thin Typer layer over drip's Python API.

Each command group lives in its own module and registers itself here. A `DripError`
(a user error) becomes one line on stderr and exit status 1; usage errors exit 2.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from admin.cli import (
    course_commands,
    db_commands,
    demo_commands,
    preview_commands,
    run_commands,
    send_commands,
    subscriber_commands,
    web_commands,
)
from drip.errors import DripError

app = typer.Typer(
    name="drip",
    help="Turn long articles into a daily email course, and send it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

for module in (
    course_commands,
    preview_commands,
    subscriber_commands,
    send_commands,
    run_commands,
    web_commands,
    db_commands,
    demo_commands,
):
    module.register(app)

err_console = Console(stderr=True)


def main() -> None:
    try:
        app()
    except DripError as error:
        err_console.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        sys.exit(1)
