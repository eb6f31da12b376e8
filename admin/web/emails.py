"""Emails as the console shows them: the templates in force, previews and the save check.

The templates in force are the files in templates/ with the newest saved version of
each laid over them (render.versions.templates_in_force, re-exported here). A renderer
is cached per template set (its version hash), so looking through lessons renders each
email once, and an edit in the editor renders with the draft in place of its template
and everything else as in force.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from course.model import Course
from render import (
    Email,
    Reader,
    Renderer,
    Sender,
    TemplateCheckError,
    TemplateProblem,
    check_templates,
    load_templates,
    sample_reader,
    template_version,
)
from render.preview import find_email
from render.versions import templates_in_force as templates_in_force  # re-exported
from subscribers import Links, Subscriber

RENDERERS_KEPT = 4
OTHER_EMAILS = ("confirmation", "unsubscribed")


@dataclass(frozen=True)
class EmailChoice:
    """One email the course sends, as the preview pickers offer it."""

    key: str  # a lesson slug, or "confirmation" / "unsubscribed"
    label: str


def email_choices(course: Course) -> list[EmailChoice]:
    choices = [
        EmailChoice(lesson.slug, f"Lesson {lesson.position} · {lesson.subject}")
        for lesson in course.lessons
    ]
    choices.append(EmailChoice("confirmation", "Confirmation (double opt-in)"))
    choices.append(EmailChoice("unsubscribed", "Goodbye (after unsubscribing)"))
    return choices


def default_email_for(template_name: str, course: Course) -> str:
    """The email a template is best previewed in: its own kind, else an ordinary lesson."""
    stem = template_name.split("/")[-1].split(".")[0]
    if stem in OTHER_EMAILS:
        return stem
    if stem == "welcome" or not course.lessons:
        return course.lessons[0].slug if course.lessons else "confirmation"
    ordinary = [lesson for lesson in course.lessons if lesson.template == "lesson"]
    return (ordinary or list(course.lessons))[0].slug


def default_templates() -> dict[str, str]:
    return load_templates()


class Renderers:
    """The renderers of the last few template sets, so previews reuse stage 1."""

    def __init__(self) -> None:
        self._kept: OrderedDict[tuple[int, Sender, str], Renderer] = OrderedDict()

    def get(self, course: Course, sender: Sender, source: Mapping[str, str]) -> Renderer:
        # A kept renderer holds its course, so the id of a kept course is never reused.
        key = (id(course), sender, template_version(source))
        renderer = self._kept.get(key)
        if renderer is None:
            renderer = Renderer(course, sender, source)
            self._kept[key] = renderer
        self._kept.move_to_end(key)
        while len(self._kept) > RENDERERS_KEPT:
            self._kept.popitem(last=False)
        return renderer


@dataclass(frozen=True)
class Preview:
    """An email for a reader, or why it could not be rendered."""

    email: Email | None
    problems: tuple[TemplateProblem, ...] = ()


def preview(renderer: Renderer, key: str, reader: Reader) -> Preview:
    kind, lesson = find_email(renderer, key)
    try:
        return Preview(renderer.prepare(kind, lesson).personalise(reader))
    except TemplateCheckError as error:
        return Preview(None, error.problems)


def check(course: Course, sender: Sender, source: Mapping[str, str]) -> list[TemplateProblem]:
    """Every problem of a candidate template set, for every lesson and kind."""
    return check_templates(course, sender, source)


def sample(sender: Sender) -> Reader:
    return sample_reader(sender)


def reader_for(links: Links, subscriber: Subscriber, lesson_slug: str) -> Reader:
    """A subscriber as their email of `lesson_slug` sees them, with their signed links."""
    return Reader(
        email=subscriber.email,
        name=subscriber.name,
        unsubscribe_url=links.unsubscribe(subscriber),
        preferences_url=links.preferences(subscriber),
        view_url=links.view(subscriber, lesson_slug),
        confirm_url=links.confirm(subscriber),
    )


def problems_page(problems: tuple[TemplateProblem, ...] | list[TemplateProblem]) -> str:
    """What a preview frame shows instead of an email that cannot be rendered."""
    items = "".join(
        f'<li style="margin:0 0 10px"><code style="font-weight:600">{escape(p.where)}</code> '
        f"{escape(p.message)}</li>"
        for p in problems
    )
    return (
        '<!doctype html><html lang="en"><meta charset="utf-8">'
        '<body style="font:15px/1.5 system-ui,sans-serif;color:#7a1a12;background:#fdeceb;'
        'margin:0;padding:24px">'
        '<p style="font-weight:650;margin:0 0 12px">This email cannot be rendered:</p>'
        f'<ul style="padding-left:18px;margin:0">{items}</ul></body></html>'
    )


def text_page(email: Email) -> str:
    """A text body as a page for a preview frame (escaped, kept as typed)."""
    return (
        '<!doctype html><html lang="en"><meta charset="utf-8">'
        '<body style="margin:0;padding:20px 24px;background:#fff;color:#1b2420">'
        '<p style="font:600 15px/1.4 system-ui,sans-serif;margin:0 0 14px">'
        f"{escape(email.subject)}</p>"
        '<pre style="font:13px/1.6 ui-monospace,monospace;white-space:pre-wrap;margin:0">'
        f"{escape(email.text)}</pre></body></html>"
    )
