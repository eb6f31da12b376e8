"""Lessons and their previews: every email as a subscriber would get it.

The preview page frames the email twice (desktop and phone width) in sandboxed iframes
whose documents come from `/admin/lessons/{key}/email.html`, served with the email
policy (inline styles, remote images, no script) instead of the console's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from admin.web.auth import CurrentUser
from admin.web.context import WebContext, web_context
from admin.web.emails import (
    Preview,
    email_choices,
    preview,
    problems_page,
    reader_for,
    sample,
)
from admin.web.pages import render
from admin.web.security import EMAIL_HEADERS
from admin.web.users import User
from course.model import Lesson
from render import EmailKind, Reader, RenderError
from render.kinds import html_template
from render.preview import find_email
from subscribers import Links, find
from subscribers.errors import InvalidField

router = APIRouter()

SYSTEM_EMAILS = (
    ("confirmation", "Confirmation", "The double opt-in email, sent on sign-up"),
    ("unsubscribed", "Goodbye", "Sent once after an unsubscribe, saying it worked"),
)

AsEmail = Annotated[str, Query(alias="as")]


@router.get("/admin/lessons")
def lessons(request: Request, _user: CurrentUser) -> Response:
    context = {"course": web_context(request).course(), "system_emails": SYSTEM_EMAILS}
    return render(request, "lessons.html", context)


def _reader(
    context: WebContext, user: User, lesson: Lesson | None, as_email: str
) -> tuple[Reader, str, str]:
    """The reader a preview is for: a subscriber (admins only), else the sample."""
    note = ""
    if as_email and user.is_admin:
        with context.sessions() as session:
            try:
                subscriber = find(session, as_email)
            except InvalidField:
                subscriber = None
        if subscriber is not None:
            slug = (lesson or context.course().lessons[0]).slug
            reader = reader_for(Links.from_settings(context.settings), subscriber, slug)
            return reader, subscriber.email, f"{subscriber.status.value}; links signed for them"
        note = f"no subscriber has the address {as_email!r}"
    reader = sample(context.sender)
    return reader, f"{reader.name} (a sample subscriber)", note


@dataclass(frozen=True)
class LessonPreview:
    key: str  # the canonical key: the lesson's slug, or the kind of another email
    kind: EmailKind
    lesson: Lesson | None
    result: Preview
    reader_label: str
    reader_note: str


def _preview(request: Request, user: User, key: str, as_email: str) -> LessonPreview:
    context = web_context(request)
    with context.sessions() as session:
        renderer = context.renderer(session)
    try:
        kind, lesson = find_email(renderer, key)
    except RenderError:
        raise HTTPException(404) from None
    canonical = lesson.slug if lesson is not None else kind
    reader, label, note = _reader(context, user, lesson, as_email)
    return LessonPreview(canonical, kind, lesson, preview(renderer, canonical, reader), label, note)


@router.get("/admin/lessons/{key}")
def lesson_page(request: Request, user: CurrentUser, key: str, as_email: AsEmail = "") -> Response:
    context = web_context(request)
    shown = _preview(request, user, key, as_email)
    choices = email_choices(context.course())
    keys = [choice.key for choice in choices]
    position = keys.index(shown.key)
    as_query = f"?{urlencode({'as': as_email})}" if as_email else ""
    page = {
        "key": shown.key,
        "title": choices[position].label,
        "preheader": shown.lesson.preheader if shown.lesson else "",
        "previous": keys[position - 1] if position > 0 else None,
        "next": keys[position + 1] if position + 1 < len(keys) else None,
        "template_name": html_template(shown.kind),
        "email": shown.result.email,
        "problems": shown.result.problems,
        "frame_url": f"/admin/lessons/{shown.key}/email.html{as_query}",
        "as_email": as_email,
        "as_query": as_query,
        "reader_label": shown.reader_label,
        "reader_note": shown.reader_note,
        "sender_line": context.settings.from_address,
    }
    return render(request, "lesson.html", page)


@router.get("/admin/lessons/{key}/email.html")
def lesson_email(request: Request, user: CurrentUser, key: str, as_email: AsEmail = "") -> Response:
    result = _preview(request, user, key, as_email).result
    body = result.email.html if result.email else problems_page(result.problems)
    return HTMLResponse(body, headers={**EMAIL_HEADERS, "Cache-Control": "no-store"})
