"""Server-rendered pages: the Jinja environment of admin/web/pages and the page helper.

Autoescaping is on for every page and undefined names are errors, so a typo in a page
fails its test instead of printing nothing. Static files are linked with a digest of
their content, so a new stylesheet is never hidden behind a cached one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from email.utils import parseaddr
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.responses import HTMLResponse

from admin.web.context import web_context
from admin.web.csrf import FIELD, csrf_token

PAGES = Path(__file__).resolve().parent / "pages"
STATIC = Path(__file__).resolve().parent / "static"
FLASH_KEY = "flash"


@cache
def static_url(name: str) -> str:
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
    return f"/static/{name}?v={digest}"


_environment = Environment(
    loader=FileSystemLoader(PAGES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.globals["static_url"] = static_url
_environment.globals["csrf_field_name"] = FIELD
templates = Jinja2Templates(env=_environment)


def flash(request: Request, text: str, kind: str = "success") -> None:
    """A one-line message shown once, on the next page this visitor sees."""
    request.session.setdefault(FLASH_KEY, []).append([kind, text])
    request.session[FLASH_KEY] = request.session[FLASH_KEY]  # mark the session modified


def _sender_name(request: Request) -> str:
    name, address = parseaddr(web_context(request).settings.from_address)
    return name or address


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    flashes = request.session.pop(FLASH_KEY, []) if FLASH_KEY in request.session else []
    full_context = {
        "user": getattr(request.state, "user", None),
        "csrf_token": lambda: csrf_token(request),
        "flashes": flashes,
        "path": request.url.path,
        "sender_name": _sender_name(request),
        **(context or {}),
    }
    response = templates.TemplateResponse(request, name, full_context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response
