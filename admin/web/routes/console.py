"""The console's home (the dashboard) and the settings page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.engine import make_url

from admin.web.auth import AdminUser, CurrentUser
from admin.web.context import web_context
from admin.web.pages import render
from drip.settings import Settings

router = APIRouter()


@router.get("/admin")
def dashboard(request: Request, _user: CurrentUser) -> Response:
    context: dict[str, list[object]] = {"cards": [], "panels": []}
    return render(request, "dashboard.html", context)


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
