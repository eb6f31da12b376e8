"""What every request handler reaches for: settings, the database and the rate limits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from admin.web.ratelimit import Limits
from drip.db import transaction
from drip.settings import Settings


@dataclass
class WebContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    limits: Limits

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with transaction(self.sessions) as session:
            yield session


def web_context(request: Request) -> WebContext:
    context: WebContext = request.app.state.web
    return context


def client_address(request: Request) -> str:
    """The caller's address (uvicorn resolves X-Forwarded-For from a trusted local proxy)."""
    return request.client.host if request.client else "unknown"
