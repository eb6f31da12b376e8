"""`drip demo`: the whole pipeline on the embedded defaults, in a world of its own.

Build the course, write the preview gallery, sign up six invented people in six time
zones, simulate a week of scheduler ticks into a file outbox, and print, day by day,
who got which lesson at what time of their own day. Everything lives in var/demo/
(see admin/cli/demo_week.py), so the user's data is never touched.
"""

from __future__ import annotations

import json
from contextlib import closing
from datetime import datetime, timedelta
from itertools import groupby
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from admin.cli.demo_week import (
    DAYS,
    PEOPLE,
    DemoPerson,
    DemoWorld,
    Happening,
    final_states,
    fresh_world,
    simulate_week,
    week_start,
)
from admin.cli.runtime import Runtime
from course import Build, build_course
from drip.columns import utc_now
from drip.settings import get_settings
from render import sample_reader
from render.preview import write_gallery
from scheduler.job import SendJob

console = Console(highlight=False, soft_wrap=True)


def _where(path: Path) -> str:
    """`path` relative to the working directory when it is inside it (shorter to read)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _what(happening: Happening, lessons: int) -> str:
    if happening.what == "lesson":
        return f"lesson {happening.position}/{lessons} {happening.slug}"
    return f"[italic]{happening.what}[/]"


PLANS = {"paused": "pauses", "resumed": "resumes", "unsubscribed": "unsubscribes"}


def _plans(person: DemoPerson, start: datetime) -> str:
    steps = [
        f"{PLANS[what]} on {start + timedelta(days=day - 1):%A} evening"
        for day, what in person.changes()
    ]
    return "; ".join(steps) or "takes the whole course"


def show_course(job: SendJob, build: Build) -> None:
    table = Table(
        "#", "lesson", "subject", title=f"Course: {job.course.title}", title_justify="left"
    )
    for lesson in job.course.lessons:
        table.add_row(str(lesson.position), lesson.slug, lesson.subject)
    console.print(table)
    console.print(
        f"words of the articles: {build.words('lesson')} in lessons, "
        f"{build.words('excluded')} excluded on purpose, {build.words('unassigned')} unassigned "
        "(`drip build` shows every section)"
    )


def show_people(start: datetime) -> None:
    title = f"People (all sign up on {start:%A %-d %B %Y}, 00:00 UTC)"
    table = Table("who", "time zone", "send hour", "plans", title=title, title_justify="left")
    for person in PEOPLE:
        table.add_row(person.name, person.timezone, f"{person.hour:02d}:00", _plans(person, start))
    console.print(table)


def show_day(number: int, day: list[Happening], lessons: int, start: datetime) -> None:
    date = start + timedelta(days=number - 1)
    table = Table(title=f"Day {number} · {date:%A %-d %B %Y} (UTC)", title_justify="left")
    for column in ("UTC", "who", "their time", "what"):
        table.add_column(column)
    for happening in day:
        table.add_row(
            f"{happening.at:%H:%M}",
            happening.person.name,
            f"{happening.local:%a %H:%M %Z}",
            _what(happening, lessons),
        )
    if not day:
        table.add_row("", "", "", "nothing due")
    console.print(table)


def show_week(start: datetime, diary: list[Happening], lessons: int) -> None:
    by_day = {
        number: list(items)
        for number, items in groupby(diary, key=lambda h: (h.at - start).days + 1)
    }
    for number in range(1, DAYS + 1):
        show_day(number, by_day.get(number, []), lessons, start)


def show_summary(world: DemoWorld, states: dict[str, tuple[str, int]], lessons: int) -> None:
    table = Table("who", "lessons", "status", title="After the week", title_justify="left")
    for person in PEOPLE:
        status, sent = states[person.email]
        table.add_row(person.name, f"{sent}/{lessons}", status)
    console.print(table)
    emails = sorted(world.outbox.glob("*.eml"))
    console.print(f"emails:   {_where(world.outbox)}/ ({len(emails)} .eml files; open any)")
    console.print(f"gallery:  {_where(world.gallery / 'index.html')}")
    console.print(f"database: {_where(world.database)}")


def _as_json(world: DemoWorld, start: datetime, diary: list[Happening]) -> str:
    return json.dumps(
        {
            "start": start.isoformat(),
            "outbox": str(world.outbox),
            "gallery": str(world.gallery / "index.html"),
            "database": str(world.database),
            "diary": [
                {
                    "at": happening.at.isoformat(),
                    "local": happening.local.isoformat(),
                    "email": happening.person.email,
                    "what": happening.what,
                    "lesson": happening.slug or None,
                    "position": happening.position or None,
                }
                for happening in diary
            ],
        },
        indent=2,
        ensure_ascii=False,
    )


def demo(
    screenshots: bool = typer.Option(
        False, "--screenshots", help="Also screenshot every email (headless Chromium)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the week's diary as JSON."),
) -> None:
    """Run the whole pipeline on the embedded defaults, in var/demo/ (rebuilt each time).

    Builds the course, writes the preview gallery, signs up six people in six time zones
    (one pauses, one unsubscribes), sends a simulated week of ticks into an outbox of
    .eml files, and prints who got which lesson at what time of their day.

    Example: drip demo
    """
    settings = get_settings()
    world = fresh_world(settings.var_dir)  # the same course (DRIP_COURSE), its own data
    build = build_course(world.settings.course, strict=True)  # every section placed, or an error
    job = SendJob.from_settings(world.settings)
    reader = sample_reader(job.renderer.sender)
    items = write_gallery(job.renderer, reader, world.gallery, screenshots=screenshots)
    start = week_start(utc_now())
    with closing(Runtime(world.settings)) as database:
        diary = simulate_week(database.sessions, world, job, start)
        states = final_states(database.sessions)
    if as_json:
        typer.echo(_as_json(world, start, diary))
        return
    lessons = len(job.course.lessons)
    console.print(f"drip demo: a world of its own in {_where(world.root)}/, rebuilt on every run\n")
    show_course(job, build)
    console.print(f"gallery: {len(items)} emails in {_where(world.gallery / 'index.html')}\n")
    show_people(start)
    console.print("\nA simulated week of scheduler ticks, one every half hour:\n")
    show_week(start, diary, lessons)
    show_summary(world, states, lessons)


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command("demo")(demo)
