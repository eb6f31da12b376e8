"""The web app factory: public pages, the /admin console and the health check.

`create_app(settings)` builds a whole app from a settings object, so each test makes its
own against its own database; `drip serve` makes one from the environment and passes the
scheduler job as `background`, which runs for as long as the app does.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, asynccontextmanager
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from admin.web.auth import Forbidden, LoginRequired
from admin.web.context import EventRecorder, WebContext
from admin.web.csrf import CsrfFailure, csrf_protect
from admin.web.pages import STATIC, render
from admin.web.ratelimit import Limits
from admin.web.routes import (
    console,
    health,
    lessons,
    login,
    public,
    sends,
    subscribers_admin,
    templates_editor,
    webhooks,
)
from admin.web.security import SecurityHeaders
from drip.db import make_engine, session_factory, upgrade
from drip.settings import Settings

SESSION_COOKIE = "drip_session"
SESSION_MAX_AGE = 12 * 60 * 60  # a working day; the cookie is renewed while in use

#: Something to run beside the web app for its whole life (the scheduler, in `drip serve`).
BackgroundJob = Callable[[], AbstractContextManager[object]]


def _session_key(settings: Settings) -> str:
    # A key of its own, derived from the one secret: a session cookie can never pass
    # for one of the subscribers' tokens, which are signed with the secret itself.
    return hmac.new(settings.secret().encode(), b"drip.web.session", hashlib.sha256).hexdigest()


def create_app(
    settings: Settings,
    *,
    background: BackgroundJob | None = None,
    record_events: EventRecorder | None = None,
    limits: Limits | None = None,
) -> FastAPI:
    """The whole web app. `background` runs beside it (the scheduler, in `drip serve`);
    `record_events` stores the SendGrid webhook's verified events (the scheduler's)."""
    engine = make_engine(settings.database_url)
    upgrade(engine)
    context = WebContext(
        settings, engine, session_factory(engine), limits or Limits(), record_events
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if background is None:
            yield
        else:
            with background():
                yield
        engine.dispose()

    app = FastAPI(
        title="drip",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
        dependencies=[Depends(csrf_protect)],
    )
    app.state.web = context
    https = settings.base_url.startswith("https://")
    app.add_middleware(
        SessionMiddleware,
        secret_key=_session_key(settings),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=https,
    )
    app.add_middleware(SecurityHeaders, https=https)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (health, public, login, console, lessons, templates_editor):
        app.include_router(module.router)
    for module in (subscribers_admin, sends, webhooks):
        app.include_router(module.router)
    _add_error_pages(app)
    return app


def _add_error_pages(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, error: LoginRequired) -> Response:
        target = f"/admin/login?next={quote(error.next_path, safe='/')}"
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, _error: Forbidden) -> Response:
        problem = _problem(403, "This page is for admins.")
        return render(request, "error.html", problem, status_code=403)

    @app.exception_handler(CsrfFailure)
    async def csrf_failed(request: Request, _error: CsrfFailure) -> Response:
        message = "This form has expired. Go back, reload the page and try again."
        return render(request, "error.html", _problem(403, message), status_code=403)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if error.status_code == 404:
            detail = "There is nothing at this address."
        else:
            detail = str(error.detail)
        return render(
            request,
            "error.html",
            _problem(error.status_code, detail),
            status_code=error.status_code,
        )

    @app.exception_handler(Exception)
    async def server_error(request: Request, _error: Exception) -> Response:
        message = "Something went wrong on our side. It has been logged; try again in a moment."
        return render(request, "error.html", _problem(500, message), status_code=500)


def _problem(status: int, message: str) -> dict[str, object]:
    return {"status": status, "message": message}
