"""Sends: a test send of any email to any address, and (with the scheduler) triggered sends.

A test send renders the email from the templates in force for a sample reader at the
given address (its links lead nowhere) and sends it now, subject marked "[Test]".
Triggered sends with their dry run are the scheduler's (`drip send --dry-run`); the
page says so until the scheduler's run is wired in here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from admin.web.auth import AdminUser
from admin.web.context import web_context
from admin.web.emails import email_choices, sample
from admin.web.pages import flash, render
from delivery.errors import DeliveryError
from delivery.message import Accepted
from render import RenderError
from render.preview import find_email
from scheduler.transactional import send_now
from subscribers.addresses import normalise
from subscribers.errors import InvalidAddress

router = APIRouter()


@router.get("/admin/sends")
def sends_page(request: Request, _user: AdminUser) -> Response:
    context = web_context(request)
    page = {
        "choices": email_choices(context.course()),
        "backend": context.settings.delivery_backend,
    }
    return render(request, "sends.html", page)


@router.post("/admin/sends/test")
def test_send(
    request: Request,
    user: AdminUser,
    email: Annotated[str, Form()],
    to: Annotated[str, Form()],
) -> Response:
    context = web_context(request)
    try:
        address = normalise(to).email
        with context.sessions() as session:
            renderer = context.renderer(session)
        kind, lesson = find_email(renderer, email)
        prepared = renderer.prepare(kind, lesson)
        reader = replace(sample(context.sender), email=address, name=user.name)
        outcome = send_now(context.settings, prepared, reader, subject_prefix="[Test] ")
    except InvalidAddress as error:
        flash(request, str(error), "error")
    except (RenderError, DeliveryError) as error:  # a template problem or the provider
        flash(request, f"Not sent: {error}", "error")
    else:
        if isinstance(outcome, Accepted):
            flash(request, f"Sent a test of “{prepared.subject}” to {address}.")
        else:  # refused or deferred for this recipient
            flash(request, f"Not sent: {outcome.reason}", "error")
    return RedirectResponse("/admin/sends", status_code=303)
