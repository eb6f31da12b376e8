"""`drip preview` and `drip templates check`: thin commands over render's Python API."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

import course as course_builder
from course.model import Course
from drip.errors import DripError
from drip.settings import Settings, get_settings
from render import (
    TEMPLATES_DIR,
    Reader,
    Renderer,
    RenderError,
    Sender,
    check_templates,
    load_templates,
    sample_reader,
)
from render.preview import preview_email, write_gallery

console = Console(highlight=False, soft_wrap=True)
templates_app = typer.Typer(
    name="templates", help="The email templates marketers edit.", no_args_is_help=True
)


def load_course(settings: Settings) -> Course:
    """The course the settings name (DRIP_COURSE), from the course builder."""
    return course_builder.load_course(settings.course)


def subscriber_reader(settings: Settings, email: str) -> Reader:
    """The reader for subscriber EMAIL, with their signed links (subscribers store)."""
    raise DripError(
        f"--subscriber {email}: previewing for a stored subscriber needs the subscribers "
        "store, which this installation does not have yet; omit --subscriber for a sample"
    )


def _renderer(settings: Settings, templates: Path | None = None) -> Renderer:
    source = load_templates(templates) if templates is not None else None
    return Renderer(load_course(settings), Sender.from_settings(settings), source)


def preview(
    lesson: str | None = typer.Argument(
        None, help="A lesson's slug or position, or confirmation / unsubscribed."
    ),
    subscriber: str | None = typer.Option(
        None, "--subscriber", metavar="EMAIL", help="Personalise for this subscriber."
    ),
    text: bool = typer.Option(False, "--text", help="The plain-text twin instead of the HTML."),
    out: Path | None = typer.Option(
        None, "--out", help="Write to FILE (with --all: into the folder DIR)."
    ),
    every: bool = typer.Option(False, "--all", help="Every email, with an index.html gallery."),
    screenshots: bool = typer.Option(
        False, "--screenshots", help="With --all: PNGs at 600 and 375 px (headless Chromium)."
    ),
) -> None:
    """Show one email exactly as a subscriber would get it, or write them all.

    Without --subscriber a sample reader stands in (their links lead nowhere).

    Example:
        drip preview 2 --text
        drip preview welcome --subscriber ana@example.com --out welcome.html
        drip preview --all --out var/preview --screenshots
    """
    if every:
        if lesson is not None or text:
            raise typer.BadParameter("--all previews every email; give no LESSON and no --text")
        if out is None:
            raise typer.BadParameter("--all needs --out DIR")
    elif lesson is None:
        raise typer.BadParameter("give a LESSON (slug or position), or --all --out DIR")
    elif screenshots:
        raise typer.BadParameter("--screenshots goes with --all")
    settings = get_settings()
    renderer = _renderer(settings)
    reader = (
        subscriber_reader(settings, subscriber) if subscriber else sample_reader(renderer.sender)
    )
    if every:
        assert out is not None
        _write_all(renderer, reader, out, screenshots)
        return
    assert lesson is not None
    email = preview_email(renderer, lesson, reader)
    body = email.text if text else email.html
    if out is None:
        if text:
            typer.echo(f"Subject: {email.subject}\nTo: {reader.email}\n")
        typer.echo(body, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    console.print(f"wrote {out} ({email.subject})")


def _write_all(renderer: Renderer, reader: Reader, out: Path, screenshots: bool) -> None:
    items = write_gallery(renderer, reader, out, screenshots=screenshots)
    table = Table("email (.html, .txt)", "kind", "subject", "KB")
    for item in items:
        size = len(item.email.html.encode("utf-8")) / 1024
        table.add_row(item.stem, item.kind, item.email.subject, f"{size:.1f}")
    console.print(table)
    shots = f" and {len(items) * 2} screenshots" if screenshots else ""
    console.print(f"wrote {len(items)} emails{shots}; open {out / 'index.html'}")


@templates_app.command("check")
def templates_check(
    templates: Path | None = typer.Option(
        None, "--templates", metavar="DIR", help=f"Check this folder instead of {TEMPLATES_DIR}."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the problems as JSON."),
) -> None:
    """Compile and test-render every template for every lesson and email kind.

    Lists every problem with its file, line and rule; exits 1 if there is any.

    Example:
        drip templates check
        drip templates check --templates ~/drafts/templates --json
    """
    settings = get_settings()
    folder = templates if templates is not None else TEMPLATES_DIR
    problems = check_templates(
        load_course(settings), Sender.from_settings(settings), load_templates(folder)
    )
    if as_json:
        typer.echo(json.dumps({"ok": not problems, "problems": [asdict(p) for p in problems]}))
    else:
        for problem in problems:
            console.print(f"{folder}/{problem}", markup=False)
        if not problems:
            console.print(f"{folder}: every template passes every check")
    if problems and as_json:
        raise typer.Exit(1)
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        raise RenderError(f"{folder}: {count}; no email is sent until they are fixed")


def register(app: typer.Typer) -> None:
    """Add this module's commands to `app`."""
    app.command("preview")(preview)
    app.add_typer(templates_app)
