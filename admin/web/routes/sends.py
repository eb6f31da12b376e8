"""Sends (admins only): the triggered send with its dry run, test sends, retrying failures.

Every send goes through the scheduler, as `drip send` does: a triggered send is
`scheduler.run.send_due` on the app's send job, a test send `scheduler.trial.send_trial`,
a retry `scheduler.claims.retry_failed`. The page shows the dry run first; its
confirmation carries back what it counted, and a send goes ahead only while that is
still what is due: otherwise the page says so and shows the new dry run, sending nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from admin.web.auth import AdminUser
from admin.web.context import WebContext, web_context
from admin.web.dry_run import DryRun, ShownReport, dry_run
from admin.web.pages import flash, render
from delivery.errors import ConfigurationError, DeliveryError
from delivery.message import Accepted, Deferred, Outcome
from scheduler.claims import retry_failed
from scheduler.errors import SchedulerError, TemplatesBroken
from scheduler.run import send_due
from scheduler.trial import send_trial
from subscribers import get
from subscribers.addresses import normalise
from subscribers.errors import SubscriberError

router = APIRouter()

SENDS = "/admin/sends"
LAST_RUN = "last_run"  # the session key of the report shown once after a send


@router.get(SENDS)
def sends_page(request: Request, _user: AdminUser) -> Response:
    context = web_context(request)
    shown = request.session.pop(LAST_RUN, None)
    report = ShownReport.from_json(shown, context.course()) if shown else None
    return _page(request, context, report=report)


def _page(
    request: Request,
    context: WebContext,
    *,
    report: ShownReport | None = None,
    changed_from: str | None = None,
    status_code: int = 200,
) -> Response:
    plan: DryRun | None = None
    problems: tuple[Any, ...] = ()
    try:
        plan = dry_run(context.sessions, context.send_job())
    except TemplatesBroken as error:
        problems = error.problems
    page = {
        "lessons": context.course().lessons,
        "backend": context.settings.delivery_backend,
        "plan": plan,
        "problems": problems,
        "report": report,
        "changed_from": _described(changed_from, context) if changed_from is not None else None,
    }
    return render(request, "sends.html", page, status_code=status_code)


def _described(plan: str, context: WebContext) -> list[tuple[str, int]]:
    """A confirmed plan ("welcome=3,diet=5") as (lesson, count) for the page."""
    course = context.course()
    described = []
    for part in filter(None, plan.split(",")):
        slug, _, count = part.partition("=")
        try:
            label = f"Lesson {course.lesson(slug).position}"
        except KeyError:
            label = slug
        described.append((label, int(count) if count.isdigit() else 0))
    return described


@router.post(f"{SENDS}/run")
def trigger_send(request: Request, _user: AdminUser, plan: Annotated[str, Form()] = "") -> Response:
    context = web_context(request)
    job = context.send_job()
    try:
        with context.send_lock:  # one triggered send at a time: the check holds until sent
            now_due = dry_run(context.sessions, job)
            if now_due.plan != plan:
                return _page(request, context, changed_from=plan, status_code=409)
            if not now_due.total:
                flash(request, "Nothing is due, so nothing was sent.", "info")
                return RedirectResponse(SENDS, status_code=303)
            report = send_due(context.sessions, job)
    except ConfigurationError as error:
        flash(
            request,
            f"Sending stopped before anything was sent: {error}. Nothing was marked failed; "
            "the emails stay due. Fix the setting and send again.",
            "error",
        )
        return RedirectResponse(SENDS, status_code=303)
    except TemplatesBroken as error:
        flash(request, f"Nothing was sent: {len(error.problems)} template problems.", "error")
        return RedirectResponse(SENDS, status_code=303)
    request.session[LAST_RUN] = report.as_json()
    return RedirectResponse(f"{SENDS}#report", status_code=303)


@router.post(f"{SENDS}/retry-failed")
def retry_failures(request: Request, _user: AdminUser) -> Response:
    with web_context(request).transaction() as session:
        queued = retry_failed(session)
    if queued:
        flash(
            request,
            f"Queued {queued} failed {'delivery' if queued == 1 else 'deliveries'} again: "
            "they are in the dry run below. Send them now, or the scheduler sends them "
            "on its next tick.",
        )
    else:
        flash(request, "There were no failed deliveries to retry.", "info")
    return RedirectResponse(SENDS, status_code=303)


@router.post(f"{SENDS}/test")
def send_a_test(
    request: Request,
    _user: AdminUser,
    lesson: Annotated[str, Form()],
    to: Annotated[str, Form()],
    subscriber: Annotated[str, Form()] = "",
) -> Response:
    context = web_context(request)
    try:
        address = normalise(to).email
        outcome = _trial(context, lesson, address, subscriber.strip())
    except (SubscriberError, SchedulerError, DeliveryError) as error:
        # A bad address, an unknown subscriber, broken templates, the provider's refusal
        # or a setting (the message names it).
        flash(request, f"Not sent: {error}", "error")
    else:
        _say_outcome(request, context, lesson, address, outcome)
    return RedirectResponse(SENDS, status_code=303)


def _trial(context: WebContext, lesson: str, address: str, as_email: str) -> Outcome:
    job = context.send_job()
    with context.sessions() as session:
        job.renderer_for(session)  # the templates marketers saved
        person = get(session, as_email) if as_email else None
    return send_trial(job, lesson, address, subscriber=person)


def _say_outcome(
    request: Request, context: WebContext, lesson: str, address: str, outcome: Outcome
) -> None:
    subject = context.course().lesson(lesson).subject
    if isinstance(outcome, Accepted):
        flash(request, f"Sent a test of “{subject}” to {address}.")
    else:
        what = "deferred (try again shortly)" if isinstance(outcome, Deferred) else "refused"
        flash(request, f"The test to {address} was {what}: {outcome.reason}", "error")
