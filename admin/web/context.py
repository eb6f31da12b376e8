"""What every request handler reaches for: settings, the database, the rate limits and
the send job (the scheduler's, for test sends and triggered sends)."""

from __future__ import annotations

import threading
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
from delivery.retry import RetryPolicy
from delivery.webhooks.sendgrid import Event
from drip.db import transaction
from drip.settings import Settings
from render import Renderer, Sender
from scheduler.job import SendJob
from scheduler.transactional import TransactionalMailer

#: Stores verified webhook events; returns how many were new (SendGrid repeats events).
EventRecorder = Callable[[Sequence[Event]], int]

# An admin waits on the page: a few short retries, then what is left stays due for the
# scheduler's next tick (deferred), rather than a request hanging for minutes.
WHILE_AN_ADMIN_WAITS = RetryPolicy(tries=3, base_delay=0.5, max_delay=2.0, max_wait=10.0)


@dataclass
class WebContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    limits: Limits
    record_events: EventRecorder | None = None
    renderers: Renderers = field(default_factory=Renderers)
    _course: tuple[float, Course] | None = field(default=None, repr=False)
    _job: SendJob | None = field(default=None, repr=False)
    _job_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    #: Held while a triggered send checks what is due and sends it: one at a time.
    send_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def course(self) -> Course:
        """The course of DRIP_COURSE, read again when its spec file changes."""
        changed = self.settings.course.stat().st_mtime
        if self._course is None or self._course[0] != changed:
            self._course = (changed, load_course(self.settings.course))
        return self._course[1]

    def send_job(self) -> SendJob:
        """The app's one send job (made again when the course changes): it follows the
        templates marketers save and keeps each lesson's stage-1 email between sends."""
        course = self.course()
        with self._job_lock:
            if self._job is None or self._job.course is not course:
                job = SendJob.from_settings(self.settings, course=course)
                job.retry = WHILE_AN_ADMIN_WAITS
                self._job = job
            return self._job

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
