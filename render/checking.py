"""`check_templates`: compile and test-render a template set for every lesson and kind.

This is what `drip templates check` prints and what the web app's editor calls before
it saves a candidate template: it returns every problem (file, line, rule), never just
the first, and proves for each email that the two stages equal a full render for
readers whose names break naive escaping.
"""

from __future__ import annotations

from collections.abc import Mapping

from jinja2 import TemplateSyntaxError

from course.model import Course, Lesson
from render.checks import without_duplicates
from render.context import Sender
from render.errors import TemplateProblem
from render.kinds import KINDS, EmailKind, html_template, subject_template, text_template
from render.renderer import Email, PreparedEmail, Renderer
from render.samples import tricky_readers


def check_templates(
    course: Course, sender: Sender, source: Mapping[str, str] | None = None
) -> list[TemplateProblem]:
    """Every problem of the template set `source` (default: templates/) for `course`."""
    renderer = Renderer(course, sender, source)
    problems = _missing(renderer) + _syntax(renderer)
    for kind, lesson in emails(renderer):
        prepared, found = renderer.attempt(kind, lesson)
        problems.extend(found)
        if prepared is not None and not found:
            problems.extend(_two_stage(renderer, prepared, lesson))
    unique = without_duplicates(problems, key=lambda p: (p.file, p.line, p.rule, p.message))
    return sorted(unique, key=lambda p: (p.file, p.line or 0, p.rule))


def emails(renderer: Renderer) -> list[tuple[EmailKind, Lesson | None]]:
    """Every email the course sends: each lesson as its kind, then the others."""
    lessons: list[tuple[EmailKind, Lesson | None]] = [
        (renderer.kind_of(lesson), lesson) for lesson in renderer.course.lessons
    ]
    return [*lessons, ("confirmation", None), ("unsubscribed", None)]


def _missing(renderer: Renderer) -> list[TemplateProblem]:
    names = [f(kind) for kind in KINDS for f in (subject_template, html_template, text_template)]
    return [
        TemplateProblem(name, None, "missing-template", "this email kind needs this template")
        for name in names
        if name not in renderer.source
    ]


def _syntax(renderer: Renderer) -> list[TemplateProblem]:
    problems = []
    for name, text in renderer.source.items():
        try:
            renderer.environment.parse(text, name)
        except TemplateSyntaxError as error:
            problems.append(TemplateProblem(name, error.lineno, "syntax", error.message or ""))
    return problems


def _two_stage(
    renderer: Renderer, prepared: PreparedEmail, lesson: Lesson | None
) -> list[TemplateProblem]:
    """Stage 2 must give what a full render gives, byte for byte, for a tricky reader.

    One reader is enough here (a full render costs a premailer run): a transformed merge
    field shows with any name, and this name has every character that needs escaping."""
    problems = []
    for reader in tricky_readers(renderer.sender)[:1]:
        merged = prepared.personalise(reader)
        full = renderer.render_full(prepared.kind, lesson, reader)
        for part, file in _parts(prepared.kind):
            if getattr(merged, part) != getattr(full, part):
                problems.append(
                    TemplateProblem(
                        file,
                        None,
                        "two-stage",
                        f"the {part} for reader {reader.name!r} differs from a full render "
                        f"({_first_difference(getattr(merged, part), getattr(full, part))}); "
                        "a merge field is changed after it is printed",
                        renderer.label(prepared.kind, lesson),
                    )
                )
    return problems


def _parts(kind: EmailKind) -> list[tuple[str, str]]:
    return [
        ("subject", subject_template(kind)),
        ("html", html_template(kind)),
        ("text", text_template(kind)),
    ]


def _first_difference(merged: str, full: str) -> str:
    for number, (a, b) in enumerate(zip(merged.splitlines(), full.splitlines(), strict=False), 1):
        if a != b:
            return f"output line {number}: {a.strip()[:50]!r} vs {b.strip()[:50]!r}"
    return "different length"


__all__ = ["Email", "check_templates", "emails"]
