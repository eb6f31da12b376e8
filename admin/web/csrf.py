"""CSRF protection: every unsafe request carries the token bound to the visitor's session.

The check is a dependency of the whole app, so a new form route is protected unless its
endpoint is marked `csrf_exempt`: only the RFC 8058 one-click unsubscribe (a mail client
posts it with no cookie; the token in its URL is the authority) and the signed SendGrid
webhook are.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request

SESSION_KEY = "csrf"
FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


class CsrfFailure(Exception):
    """An unsafe request without the session's token (a forged or expired form)."""


def csrf_token(request: Request) -> str:
    """The session's token, made on first use (so public forms get one too)."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def rotate_csrf_token(request: Request) -> None:
    request.session[SESSION_KEY] = secrets.token_urlsafe(32)


def csrf_exempt(endpoint: Endpoint) -> Endpoint:
    endpoint.csrf_exempt = True  # type: ignore[attr-defined]
    return endpoint


async def csrf_protect(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    if getattr(request.scope.get("endpoint"), "csrf_exempt", False):
        return
    expected = request.session.get(SESSION_KEY)
    sent = request.headers.get(HEADER)
    if sent is None:
        value = (await request.form()).get(FIELD)
        sent = value if isinstance(value, str) else None
    if not isinstance(expected, str) or sent is None or not secrets.compare_digest(expected, sent):
        raise CsrfFailure
