"""The public pages: sign-up, and the pages behind the links in every email.

- `/subscribe`: the form shows the consent wording it records; the answer is the same
  whether or not the address is already known, and sign-ups are rate-limited per
  client address.
- `/confirm/{t}`: double opt-in; the welcome is due at once.
- `/unsubscribe/{t}`: GET only shows a button (mail scanners follow links); POST
  unsubscribes, including RFC 8058 one-click posts, which carry no cookie and no CSRF
  token: the signed token in the URL is the authority.
- `/preferences/{t}`: pause, resume, send hour and time zone.
- `/view/{t}`: the email in the browser.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Annotated
from zoneinfo import available_timezones

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from admin.web.context import WebContext, client_address, web_context
from admin.web.csrf import csrf_exempt
from admin.web.emails import preview, reader_for
from admin.web.pages import flash, render
from admin.web.security import EMAIL_HEADERS
from drip.settings import Settings
from render import RenderError
from subscribers import (
    ENDED,
    Consent,
    Links,
    Purpose,
    Subscriber,
    Tokens,
    change_schedule,
    confirm,
    pause,
    resume,
    subscribe,
    subscriber_for,
    unsubscribe,
    viewer_for,
)
from subscribers.errors import (
    BadHour,
    ExpiredToken,
    InvalidAddress,
    InvalidField,
    InvalidToken,
    InvalidTransition,
    UnknownTimezone,
)

router = APIRouter()
log = logging.getLogger("drip.web")

ONE_CLICK_BODY = "List-Unsubscribe=One-Click"
SIGN_UP_FORM = "/subscribe"


@cache
def timezones() -> tuple[str, ...]:
    return tuple(sorted(zone for zone in available_timezones() if "/" in zone))


def hour_label(hour: int) -> str:
    return f"{(hour % 12) or 12}:00 {'am' if hour < 12 else 'pm'}"


def consent_text(context: WebContext) -> str:
    """The wording the sign-up form shows, and the consent record keeps, word for word."""
    course = context.course()
    sender = context.sender
    return (
        f"By starting the course you agree to receive {len(course.lessons)} daily lesson "
        f"emails about {course.title} from {sender.name}, and a confirmation email first. "
        "We keep your address, name, time zone and hour, and this consent, for nothing "
        "else; every email has a link to unsubscribe with one click."
    )


# --- sign-up ----------------------------------------------------------------------


def _sign_up_page(
    request: Request, form: dict[str, object], errors: dict[str, str], status_code: int = 200
) -> Response:
    context = web_context(request)
    course = context.course()
    page = {
        "course_title": course.title,
        "course_description": course.description,
        "lesson_count": len(course.lessons),
        "form": form,
        "errors": errors,
        "zones": timezones(),
        "consent_text": consent_text(context),
        "postal_address": context.settings.postal_address,
    }
    return render(request, "subscribe.html", page, status_code=status_code)


@router.get("/subscribe")
def sign_up_form(request: Request) -> Response:
    settings = web_context(request).settings
    form = {"email": "", "name": "", "timezone": settings.timezone, "hour": settings.send_hour}
    return _sign_up_page(request, form, {})


@router.post("/subscribe")
def sign_up(
    request: Request,
    email: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    timezone: Annotated[str, Form()] = "",
    hour: Annotated[str, Form()] = "",
) -> Response:
    context = web_context(request)
    limiter, address = context.limits.signup_per_address, client_address(request)
    form: dict[str, object] = {"email": email, "name": name, "timezone": timezone, "hour": hour}
    if wait := limiter.retry_after(address):
        minutes = -(-wait // 60)
        message = f"Too many sign-ups from your network. Try again in {minutes} minutes."
        return render(request, "error.html", {"status": 429, "message": message}, status_code=429)
    limiter.record(address)
    consent = Consent(
        source="web form",
        form=SIGN_UP_FORM,
        text=consent_text(context),
        ip=address,
        user_agent=request.headers.get("user-agent"),
    )
    try:
        with context.transaction() as session:
            normalised = subscribe(
                session,
                context.settings,
                context.mailer(session),  # the confirmation leaves after the commit
                email,
                consent=consent,
                name=name,
                timezone=timezone or None,
                send_hour=_hour(hour),
            )
    except InvalidField as error:
        return _sign_up_page(request, form, {_field_of(error): str(error)}, status_code=422)
    request.session["signed_up"] = normalised
    return RedirectResponse("/subscribe/check-your-inbox", status_code=303)


def _hour(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise BadHour(f"bad hour {text!r} (choose an hour from the list)")
    return int(text)


def _field_of(error: InvalidField) -> str:
    if isinstance(error, InvalidAddress):
        return "email"
    if isinstance(error, UnknownTimezone):
        return "timezone"
    if isinstance(error, BadHour):
        return "hour"
    return "name"


@router.get("/subscribe/check-your-inbox")
def check_inbox(request: Request) -> Response:
    email = request.session.get("signed_up")
    if not isinstance(email, str):
        return RedirectResponse("/subscribe", status_code=303)
    return render(request, "check_inbox.html", {"email": email})


# --- links in emails ----------------------------------------------------------------


def _invalid_link(request: Request, error: InvalidToken) -> Response:
    if isinstance(error, ExpiredToken):
        reason = "This confirmation link has expired (they last 7 days). Sign up again."
    else:
        reason = "The link is incomplete, or belongs to an address no longer on the list."
    return render(request, "link_invalid.html", {"reason": reason}, status_code=400)


def _links(settings: Settings) -> Links:
    return Links.from_settings(settings)


@router.get("/confirm/{token}")
def confirm_page(request: Request, token: str) -> Response:
    context = web_context(request)
    try:
        with context.transaction() as session:
            subscriber = confirm(session, context.settings, token)
    except InvalidToken as error:
        return _invalid_link(request, error)
    page = {
        "email": subscriber.email,
        "name": subscriber.name,
        "hour_label": hour_label(subscriber.send_hour),
        "timezone": subscriber.timezone,
        "preferences_url": _links(context.settings).preferences(subscriber),
    }
    return render(request, "confirmed.html", page)


def _subscriber(context: WebContext, session: Session, purpose: Purpose, token: str) -> Subscriber:
    return subscriber_for(session, Tokens.from_settings(context.settings), purpose, token)


@router.get("/unsubscribe/{token}")
def unsubscribe_page(request: Request, token: str) -> Response:
    context = web_context(request)
    try:
        with context.sessions() as session:
            subscriber = _subscriber(context, session, Purpose.UNSUBSCRIBE, token)
    except InvalidToken as error:
        return _invalid_link(request, error)
    if subscriber.status in ENDED:
        return render(request, "unsubscribed.html", {"email": subscriber.email})
    page = {
        "email": subscriber.email,
        "action": f"/unsubscribe/{token}",
        "preferences_url": _links(context.settings).preferences(subscriber),
    }
    return render(request, "unsubscribe.html", page)


@router.post("/unsubscribe/{token}")
@csrf_exempt
async def unsubscribe_now(request: Request, token: str) -> Response:
    one_click = (await request.body()).decode("utf-8", "replace").strip() == ONE_CLICK_BODY
    # The database work and the goodbye email block: off the event loop with them.
    return await run_in_threadpool(_unsubscribe, request, token, one_click)


def _unsubscribe(request: Request, token: str, one_click: bool) -> Response:
    context = web_context(request)
    try:
        with context.transaction() as session:
            subscriber = _subscriber(context, session, Purpose.UNSUBSCRIBE, token)
            # The goodbye (the first time only) leaves after the commit, best effort: an
            # unsubscribe never fails for want of the email that confirms it.
            unsubscribe(session, context.settings, subscriber, notifier=context.mailer(session))
            email = subscriber.email
    except InvalidToken as error:
        if one_click:
            return PlainTextResponse("this unsubscribe link is not valid", 400)
        return _invalid_link(request, error)
    if one_click:
        return PlainTextResponse("unsubscribed")
    return render(request, "unsubscribed.html", {"email": email})


def _preferences_page(
    request: Request, subscriber: Subscriber, token: str, errors: dict[str, str], status: int = 200
) -> Response:
    context = web_context(request)
    course = context.course()
    sent = min(subscriber.lessons_sent, len(course.lessons))
    form = {"timezone": subscriber.timezone, "hour": subscriber.send_hour}
    page = {
        "email": subscriber.email,
        "status": subscriber.status.value,
        "progress": f"{sent} of {len(course.lessons)} lessons sent",
        "form": form,
        "errors": errors,
        "zones": timezones(),
        "action": f"/preferences/{token}",
        "unsubscribe_url": _links(context.settings).unsubscribe(subscriber),
        "ended": subscriber.status in ENDED,
    }
    return render(request, "preferences.html", page, status_code=status)


@router.get("/preferences/{token}")
def preferences_page(request: Request, token: str) -> Response:
    context = web_context(request)
    try:
        with context.sessions() as session:
            subscriber = _subscriber(context, session, Purpose.PREFERENCES, token)
    except InvalidToken as error:
        return _invalid_link(request, error)
    return _preferences_page(request, subscriber, token, {})


@router.post("/preferences/{token}")
def save_preferences(
    request: Request,
    token: str,
    timezone: Annotated[str, Form()] = "",
    hour: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "save",
) -> Response:
    context = web_context(request)
    try:
        with context.transaction() as session:
            subscriber = _subscriber(context, session, Purpose.PREFERENCES, token)
            message = _apply_preferences(session, subscriber, timezone, hour, action)
    except InvalidToken as error:
        return _invalid_link(request, error)
    except InvalidField as error:
        with context.sessions() as session:
            subscriber = _subscriber(context, session, Purpose.PREFERENCES, token)
        return _preferences_page(request, subscriber, token, {_field_of(error): str(error)}, 422)
    except InvalidTransition as error:
        flash(request, str(error), "error")
        return RedirectResponse(f"/preferences/{token}", status_code=303)
    flash(request, message)
    return RedirectResponse(f"/preferences/{token}", status_code=303)


def _apply_preferences(
    session: Session, subscriber: Subscriber, timezone: str, hour: str, action: str
) -> str:
    if action == "pause":
        pause(session, subscriber)
        return "The course is paused. Resume it here whenever you like."
    if action == "resume":
        resume(session, subscriber)
        return "Welcome back: the next lesson is on its way at your usual hour."
    change_schedule(session, subscriber, timezone=timezone or None, send_hour=_hour(hour))
    return f"Saved: lessons arrive at {hour_label(subscriber.send_hour)} ({subscriber.timezone})."


@router.get("/view/{token}")
def view_in_browser(request: Request, token: str) -> Response:
    context = web_context(request)
    try:
        with context.sessions() as session:
            subscriber, lesson_slug = viewer_for(
                session, Tokens.from_settings(context.settings), token
            )
            renderer = context.renderer(session)
    except InvalidToken as error:
        return _invalid_link(request, error)
    reader = reader_for(_links(context.settings), subscriber, lesson_slug)
    try:
        result = preview(renderer, lesson_slug, reader)
    except RenderError:
        result = None
    if result is None or result.email is None:
        reason = "This lesson is no longer part of the course."
        return render(request, "link_invalid.html", {"reason": reason}, status_code=404)
    headers = {**EMAIL_HEADERS, "Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
    return HTMLResponse(result.email.html, headers=headers)
