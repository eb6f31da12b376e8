"""The console's home (the dashboard) and the settings page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from admin.web import charts
from admin.web.auth import AdminUser, CurrentUser
from admin.web.charts import Funnel, FunnelRow
from admin.web.context import web_context
from admin.web.pages import render
from admin.web.template_versions import TemplateVersion
from course.model import Course
from drip.settings import Settings
from scheduler import reports
from subscribers import Status, Subscriber

router = APIRouter()

NEXT_SENDS_SHOWN = 8
RECENT_EDITS_SHOWN = 5
RECENT_FAILURES_SHOWN = 10


@dataclass(frozen=True)
class Card:
    label: str
    value: int
    note: str = ""


@dataclass(frozen=True)
class DueSend:
    subscriber: Subscriber
    lesson: str
    due_at: datetime
    local: str


def status_cards(session: Session) -> list[Card]:
    rows = session.execute(select(Subscriber.status, func.count()).group_by(Subscriber.status))
    counts: dict[Status, int] = {status: int(count) for status, count in rows}
    left = sum(counts.get(s, 0) for s in (Status.UNSUBSCRIBED, Status.BOUNCED, Status.COMPLAINED))
    return [
        Card("Active", counts.get(Status.ACTIVE, 0), "receiving the course"),
        Card("Awaiting confirmation", counts.get(Status.PENDING, 0)),
        Card("Paused", counts.get(Status.PAUSED, 0)),
        Card("Completed", counts.get(Status.COMPLETED, 0), "got every lesson"),
        Card("Left", left, "unsubscribed, bounced or complained"),
    ]


def next_sends(session: Session, course: Course) -> list[DueSend]:
    due = session.scalars(
        select(Subscriber)
        .where(Subscriber.status == Status.ACTIVE, Subscriber.next_due_at.is_not(None))
        .order_by(Subscriber.next_due_at)
        .limit(NEXT_SENDS_SHOWN)
    ).all()
    sends = []
    for subscriber in due:
        assert subscriber.next_due_at is not None
        position = subscriber.lessons_sent + 1
        title = course.lessons[position - 1].title if position <= len(course.lessons) else "—"
        local = subscriber.next_due_at.astimezone(ZoneInfo(subscriber.timezone))
        label = f"{local:%a %H:%M} {subscriber.timezone}"
        sends.append(DueSend(subscriber, f"{position}. {title}", subscriber.next_due_at, label))
    return sends


def funnel_chart(session: Session, course: Course) -> Funnel | None:
    """The funnel per lesson as a chart, or None before the first lesson was sent."""
    rows = reports.funnel(session, course)
    if not any(row.sent for row in rows):
        return None
    return charts.funnel(
        [
            FunnelRow(
                f"{row.position}. {course.lessons[row.position - 1].title}",
                row.sent,
                row.delivered,
                row.opened,
                row.clicked,
                row.unsubscribed,
            )
            for row in rows
        ]
    )


@router.get("/admin")
def dashboard(request: Request, user: CurrentUser) -> Response:
    context = web_context(request)
    course = context.course()
    chart, failures = None, []
    with context.sessions() as session:
        edits = session.scalars(
            select(TemplateVersion).order_by(TemplateVersion.id.desc()).limit(RECENT_EDITS_SHOWN)
        ).all()
        cards = status_cards(session) if user.is_admin else []
        sends = next_sends(session, course) if user.is_admin else []
        if user.is_admin:
            chart = funnel_chart(session, course)
            failures = reports.recent_failures(session, limit=RECENT_FAILURES_SHOWN)
    page = {
        "course": course,
        "cards": cards,
        "sends": sends,
        "edits": edits,
        "chart": chart,
        "failures": failures,
    }
    return render(request, "dashboard.html", page)


@router.get("/admin/settings")
def settings_page(request: Request, _user: AdminUser) -> Response:
    return render(request, "settings.html", {"rows": settings_rows(web_context(request).settings)})


def settings_rows(settings: Settings) -> list[tuple[str, str, str | None]]:
    """What an admin may see of the settings: values, but for secrets only whether set."""

    def is_set(value: object) -> str:
        return "set" if value is not None else "not set"

    placeholder = "placeholder" if settings.has_placeholder_postal_address else None
    return [
        ("DRIP_DATABASE_URL", make_url(settings.database_url).render_as_string(True), None),
        ("DRIP_COURSE", str(settings.course), None),
        ("DRIP_BACKEND", settings.delivery_backend, None),
        ("SENDGRID_API_KEY", is_set(settings.sendgrid_api_key), None),
        ("DRIP_SENDGRID_HOST", settings.sendgrid_host, None),
        ("DRIP_SENDGRID_WEBHOOK_KEY", is_set(settings.sendgrid_webhook_key), None),
        ("DRIP_SMTP_URL", is_set(settings.smtp_url), None),
        ("DRIP_OUTBOX_DIR", str(settings.outbox_dir), None),
        ("DRIP_FROM", settings.from_address, None),
        ("DRIP_POSTAL_ADDRESS", settings.postal_address, placeholder),
        ("DRIP_BASE_URL", settings.base_url, None),
        ("DRIP_SECRET_KEY", "set" if settings.secret_key else "generated into var/secret", None),
        ("DRIP_SEND_HOUR / DRIP_TIMEZONE", f"{settings.send_hour}:00 · {settings.timezone}", None),
        ("DRIP_ENV", settings.env, None),
    ]
