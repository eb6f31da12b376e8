"""`drip build` and `drip lessons`: the course builder's report, for people and for scripts."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.box import SIMPLE
from rich.console import Console
from rich.table import Table

from course import Build, build_course
from course.build import FateKind
from course.errors import where
from course.export import build_to_dict, lesson_summary, removed_runs
from course.model import Article, Removed
from drip.settings import get_settings

CourseOption = Annotated[
    Path | None,
    typer.Option("--course", help="Course spec (default: DRIP_COURSE, the bundled course)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def build(
    course: CourseOption = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail when a section is in no lesson and not excluded.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Build the course: the lesson table and the fate of every section of every article.

    Each section is in a lesson, excluded on purpose (with the spec's reason) or
    unassigned (a warning; an error with --strict). With --json, the whole course with
    each lesson's structured content, and the report.

    Example: drip build --course course/default/magnesium.yaml --strict
    """
    result = build_course(course or get_settings().course, strict=strict)
    if as_json:
        _print_json(build_to_dict(result))
        return
    show_build(result, Console(highlight=False))
    warn = Console(stderr=True, highlight=False)
    for warning in result.warnings():
        warn.print(f"[yellow]warning:[/] {warning}", soft_wrap=True)


def lessons(course: CourseOption = None, as_json: JsonOption = False) -> None:
    """The lessons in order: position, slug, subject, preheader and word count.

    Example: drip lessons --json
    """
    built = build_course(course or get_settings().course)
    summaries = [lesson_summary(lesson) for lesson in built.course.lessons]
    if as_json:
        _print_json(summaries)
        return
    table = Table(
        "#", "slug", "subject", "preheader", "words", title=built.course.title, box=SIMPLE
    )
    for row in summaries:
        table.add_row(
            str(row["position"]), row["slug"], row["subject"], row["preheader"], str(row["words"])
        )
    Console(highlight=False).print(table)


def show_build(result: Build, console: Console) -> None:
    """The build report as people read it: lessons, then each article's sections."""
    course = result.course
    source = where(course.spec_path) if course.spec_path else "?"
    console.print(f"[bold]{course.title}[/] ({course.slug}) from {source}", soft_wrap=True)
    console.print(_lesson_table(result))
    for article in course.articles:
        console.print(_section_table(result, article))
        for run in removed_runs(article.removed):
            console.print(f"  removed as site chrome: {_removed(run)}", soft_wrap=True)
    kinds: tuple[FateKind, ...] = ("lesson", "excluded", "unassigned")
    total = sum(result.words(kind) for kind in kinds)
    console.print(
        f"words: {total} in the articles' sections = {result.words('lesson')} in lessons"
        f" + {result.words('excluded')} excluded + {result.words('unassigned')} unassigned",
        soft_wrap=True,
    )


def _removed(run: list[Removed]) -> str:
    first, last = run[0], run[-1]
    lines = f"line {first.line}" if len(run) == 1 else f"lines {first.line}–{last.line}"
    more = f" and {len(run) - 1} more" if len(run) > 1 else ""
    return f"{first.text[:40]!r}{more} ({lines}): {first.reason}"


def _lesson_table(result: Build) -> Table:
    table = Table(
        "#", "lesson", "email", "subject", "sections", "words", title="Lessons", box=SIMPLE
    )
    for lesson in result.course.lessons:
        table.add_row(
            str(lesson.position),
            lesson.slug,
            lesson.template,
            lesson.subject,
            str(len(lesson.sections)),
            str(lesson.words()),
        )
    return table


def _section_table(result: Build, article: Article) -> Table:
    title = f"{article.slug}: {article.title} ({where(article.source)}, {article.format})"
    table = Table("§", "line", "heading", "words", "fate", title=title, box=SIMPLE)
    for fate in (f for f in result.fates if f.section.article == article.slug):
        if fate.kind == "lesson" and fate.lesson is not None:
            where_to = f"lesson {fate.lesson.position}: {fate.lesson.slug}"
        elif fate.kind == "excluded":
            where_to = f"excluded: {fate.reason}"
        else:
            where_to = "[yellow]unassigned[/]"
        section = fate.section
        table.add_row(
            str(section.index + 1),
            str(section.line),
            section.heading or "(untitled)",
            str(section.words()),
            where_to,
        )
    return table


def _print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command("build")(build)
    app.command("lessons")(lessons)
