"""`drip demo`: the pipeline on the embedded defaults.

At this stage (issue 2) the pipeline is the course builder: the demo builds the default
course and prints its report. Later issues add previews, subscribers and a simulated week
of sends after it.
"""

from __future__ import annotations

import typer
from rich.console import Console

from admin.cli.course_commands import show_build
from course import build_course
from drip.settings import get_settings


def demo() -> None:
    """Run the whole pipeline on the embedded defaults (today: build the course, print its report).

    Example: drip demo
    """
    show_build(build_course(get_settings().course, strict=True), Console(highlight=False))


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command("demo")(demo)
