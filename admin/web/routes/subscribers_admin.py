"""The admin's subscribers pages: search, detail with the consent record, the lifecycle
actions, CSV import with its per-row report, and export. Admins only."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from admin.web.auth import AdminUser
from admin.web.context import web_context
from admin.web.pages import flash, render
from admin.web.timeline import by_day, moments
from drip.settings import Settings
from scheduler.reports import PERSONAL_DATA_SECTIONS, timeline
from subscribers import (
    Rejection,
    Status,
    Subscriber,
    erase,
    export_csv,
    import_csv,
    pause,
    personal_data,
    resume,
    unsubscribe,
)
from subscribers.errors import ImportFileError, InvalidTransition

router = APIRouter()

PAGE_SIZE = 50
REJECTIONS_SHOWN = 500
MAX_IMPORT_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Search:
    query: str
    status: Status | None
    page: int

    def where(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.query:
            needle = self.query.lower()
            conditions.append(
                or_(
                    func.lower(Subscriber.email).contains(needle, autoescape=True),
                    func.lower(Subscriber.name).contains(needle, autoescape=True),
                )
            )
        if self.status is not None:
            conditions.append(Subscriber.status == self.status)
        return conditions


def _status(value: str) -> Status | None:
    return Status(value) if value in {status.value for status in Status} else None


@router.get("/admin/subscribers")
def subscriber_list(
    request: Request, _user: AdminUser, q: str = "", status: str = "", page: int = 1
) -> Response:
    search = Search(q.strip(), _status(status), max(page, 1))
    with web_context(request).sessions() as session:
        total = session.scalar(select(func.count()).select_from(Subscriber).where(*search.where()))
        rows = session.scalars(
            select(Subscriber)
            .where(*search.where())
            .order_by(Subscriber.subscribed_at.desc(), Subscriber.id.desc())
            .offset((search.page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).all()
    page_data = {
        "search": search,
        "rows": rows,
        "total": total or 0,
        "statuses": [s.value for s in Status],
        "lesson_count": len(web_context(request).course().lessons),
        "has_next": search.page * PAGE_SIZE < (total or 0),
        "page_size": PAGE_SIZE,
    }
    return render(request, "subscribers.html", page_data)


def _load(session: Session, subscriber_id: int) -> Subscriber:
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        raise HTTPException(404)
    return subscriber


@router.get("/admin/subscribers/export")
def export(request: Request, _user: AdminUser, status: str = "") -> Response:
    out = io.StringIO()
    with web_context(request).sessions() as session:
        export_csv(session, out, status=_status(status))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="subscribers-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/admin/subscribers/import")
def import_form(request: Request, _user: AdminUser) -> Response:
    return render(request, "subscribers_import.html", {"report": None, "rejections": []})


@router.post("/admin/subscribers/import")
def import_file(
    request: Request,
    user: AdminUser,
    file: Annotated[UploadFile, File()],
    confirmed: Annotated[bool, Form()] = False,
    source: Annotated[str, Form()] = "",
) -> Response:
    context = web_context(request)
    if confirmed and not source.strip():
        flash(request, "Say where these people gave their consent (the source).", "error")
        return RedirectResponse("/admin/subscribers/import", status_code=303)
    if file.size is not None and file.size > MAX_IMPORT_BYTES:
        flash(request, "The file is over 50 MB: import it with `drip subscribers import`.", "error")
        return RedirectResponse("/admin/subscribers/import", status_code=303)
    rejections: list[Rejection] = []
    filename = file.filename or "upload.csv"
    vouched = f"{source.strip()} (imported by {user.name})" if confirmed else None
    try:
        with context.transaction() as session:
            mailer = context.mailer(session)  # confirmations leave after the commit
            report = import_csv(
                session,
                context.settings,
                file.file,
                filename=filename,
                confirmed_source=vouched,
                notifier=None if confirmed else mailer,
                on_reject=lambda rejection: _keep(rejections, rejection),
            )
    except ImportFileError as error:
        flash(request, str(error), "error")
        return RedirectResponse("/admin/subscribers/import", status_code=303)
    for problem in mailer.problems:
        flash(request, f"Imported, but {problem}. Ask them to sign up again.", "error")
    page = {"report": report.as_dict(), "rejections": rejections}
    return render(request, "subscribers_import.html", page)


def _keep(rejections: list[Rejection], rejection: Rejection) -> None:
    if len(rejections) < REJECTIONS_SHOWN:
        rejections.append(rejection)


@router.get("/admin/subscribers/{subscriber_id}")
def subscriber_detail(request: Request, _user: AdminUser, subscriber_id: int) -> Response:
    context = web_context(request)
    with context.sessions() as session:
        subscriber = _load(session, subscriber_id)
        entries = timeline(session, subscriber_id)
    page = {
        "subscriber": subscriber,
        "lesson_count": len(context.course().lessons),
        "days": by_day(moments(entries, context.course())),
    }
    return render(request, "subscriber.html", page)


@router.get("/admin/subscribers/{subscriber_id}/personal-data")
def personal_data_export(request: Request, _user: AdminUser, subscriber_id: int) -> Response:
    """Everything kept about one person (GDPR art. 15 and 20), as a JSON download."""
    with web_context(request).sessions() as session:
        subscriber = _load(session, subscriber_id)
        document = personal_data(session, subscriber, PERSONAL_DATA_SECTIONS)
    return JSONResponse(
        document,
        headers={
            "Content-Disposition": f'attachment; filename="personal-data-{subscriber_id}.json"',
            "Cache-Control": "no-store",
        },
    )


DONE = {"pause": "Paused", "resume": "Resumed", "unsubscribe": "Unsubscribed"}


def _apply(action: str, session: Session, settings: Settings, subscriber: Subscriber) -> None:
    if action == "pause":
        pause(session, subscriber)
    elif action == "resume":
        resume(session, subscriber)
    else:
        unsubscribe(session, settings, subscriber)


@router.post("/admin/subscribers/{subscriber_id}/erase")
def erase_subscriber(request: Request, _user: AdminUser, subscriber_id: int) -> Response:
    context = web_context(request)
    with context.transaction() as session:
        email = _load(session, subscriber_id).email
        erase(session, context.settings, email)
    flash(request, "Erased: the record is gone and the address stays suppressed.")
    return RedirectResponse("/admin/subscribers", status_code=303)


@router.post("/admin/subscribers/{subscriber_id}/{action}")
def act(request: Request, _user: AdminUser, subscriber_id: int, action: str) -> Response:
    if action not in DONE:
        raise HTTPException(404)
    context = web_context(request)
    try:
        with context.transaction() as session:
            subscriber = _load(session, subscriber_id)
            _apply(action, session, context.settings, subscriber)
            email = subscriber.email
        flash(request, f"{DONE[action]}: {email}.")
    except InvalidTransition as error:
        flash(request, str(error), "error")
    return RedirectResponse(f"/admin/subscribers/{subscriber_id}", status_code=303)
