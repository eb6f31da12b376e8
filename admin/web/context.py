"""What every request handler reaches for: settings, the database and the rate limits."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from admin.web.emails import Renderers, templates_in_force
from admin.web.ratelimit import Limits
from course import load_course
from course.model import Course
from delivery.webhooks.sendgrid import Event
from drip.db import transaction
from drip.settings import Settings
from render import Renderer, Sender
from scheduler.transactional import TransactionalMailer

#: Stores verified webhook events; returns how many were new (SendGrid repeats events).
EventRecorder = Callable[[Sequence[Event]], int]


@dataclass
class WebContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    limits: Limits
    record_events: EventRecorder | None = None
    renderers: Renderers = field(default_factory=Renderers)
    _course: tuple[float, Course] | None = field(default=None, repr=False)

    def course(self) -> Course:
        """The course of DRIP_COURSE, read again when its spec file changes."""
        changed = self.settings.course.stat().st_mtime
        if self._course is None or self._course[0] != changed:
            self._course = (changed, load_course(self.settings.course))
        return self._course[1]

    @property
    def sender(self) -> Sender:
        return Sender.from_settings(self.settings)

    def renderer(self, session: Session, draft: Mapping[str, str] | None = None) -> Renderer:
        """A renderer over the templates in force, with `draft` templates laid on top."""
        source = templates_in_force(session) | dict(draft or {})
        return self.renderers.get(self.course(), self.sender, source)

    def mailer(self, session: Session) -> TransactionalMailer:
        """The lifecycle's emails from the templates in force, sent when `session` commits."""
        return TransactionalMailer(session, self.settings, self.renderer(session))

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
