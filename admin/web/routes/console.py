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
from drip.columns import utc_now
from drip.settings import Settings
from scheduler import reports
from scheduler.plan import DueLesson, due_summary, upcoming
from subscribers import Status, Subscriber

router = APIRouter()

NEXT_SENDS_SHOWN = 8
RECENT_EDITS_SHOWN = 5
RECENT_FAILURES_SHOWN = 10
FUNNEL_WIDTH = 1000  # the chart's own units: about its pixels in a full-width panel


@dataclass(frozen=True)
class Card:
    label: str
    value: int
    note: str = ""


@dataclass(frozen=True)
class NextSend:
    """One of the next sends (scheduler.plan.upcoming) as the dashboard lists it."""

    subscriber_id: int
    email: str
    lesson: str  # "2. Cold hands, tingling, cramps"
    due_at: datetime
    local: str  # the due time at the subscriber's end: "Tue 08:00 Europe/Berlin"


@dataclass(frozen=True)
class NextSends:
    due_now: list[DueLesson]
    upcoming: list[NextSend]

    @property
    def due_now_total(self) -> int:
        return sum(item.count for item in self.due_now)


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


def next_sends(session: Session, course: Course) -> NextSends:
    """What is due now (a count per lesson) and the next sends after it."""
    now = utc_now()
    later = []
    for item in upcoming(session, course, now, limit=NEXT_SENDS_SHOWN):
        local = item.due_at.astimezone(ZoneInfo(item.timezone))
        title = course.lesson(item.lesson).title
        later.append(
            NextSend(
                item.subscriber_id,
                item.email,
                f"{item.position}. {title}",
                item.due_at,
                f"{local:%a %H:%M} {item.timezone}",
            )
        )
    return NextSends(due_summary(session, course, now), later)


def funnel_chart(session: Session, course: Course) -> Funnel | None:
    """The funnel per lesson as a chart, or None before the first lesson was sent."""
    rows = reports.funnel(session, course)
    if not any(row.sent for row in rows):
        return None
    return charts.funnel(
        [
            FunnelRow(
                course.lessons[row.position - 1].title,
                row.sent,
                row.delivered,
                row.opened,
                row.clicked,
                row.unsubscribed,
                caption=f"Lesson {row.position}",
            )
            for row in rows
        ],
        width=FUNNEL_WIDTH,
    )


@router.get("/admin")
def dashboard(request: Request, user: CurrentUser) -> Response:
    context = web_context(request)
    course = context.course()
    cards, sends, failures = [], None, []
    with context.sessions() as session:
        edits = session.scalars(
            select(TemplateVersion).order_by(TemplateVersion.id.desc()).limit(RECENT_EDITS_SHOWN)
        ).all()
        chart = funnel_chart(session, course)  # counts only: marketers see it too
        if user.is_admin:  # who is who: admins only
            cards = status_cards(session)
            sends = next_sends(session, course)
            failures = reports.recent_failures(session, limit=RECENT_FAILURES_SHOWN)
    page = {
        "course": course,
        "cards": cards,
        "sends": sends,
        "edits": edits,
        "chart": chart,
        "failures": failures,
        "lesson_titles": {lesson.slug: lesson.title for lesson in course.lessons},
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
