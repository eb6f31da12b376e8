"""What a send needs at hand: settings, the course, a renderer and a way to a backend.

One `SendJob` serves many runs (a tick every minute in `drip run`): its renderer keeps
each lesson's stage-1 email, so a lesson is rendered and inlined once per template set,
not once per tick. A job made without explicit templates follows what marketers save:
at the start of each run it lays the newest saved versions over the files in
templates/ and, if the set changed, renders from the new set (`renderer_for`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from course import load_course
from course.model import Course
from delivery import EmailBackend, backend_for
from delivery.retry import DEFAULT_POLICY, RetryPolicy
from drip.settings import Settings
from render import Renderer, Sender, load_templates
from render.versions import templates_in_force
from scheduler.ledger import BATCH_SIZE

BackendFactory = Callable[[], EmailBackend]


@dataclass
class SendJob:
    settings: Settings
    course: Course
    renderer: Renderer
    # Makes a fresh backend per run (tests hand in a MemoryBackend's maker).
    backend_factory: BackendFactory | None = None
    # True: lay the saved template versions over `base_templates` at every run.
    follow_saved_templates: bool = False
    base_templates: Mapping[str, str] = field(default_factory=dict, repr=False)
    batch_size: int = BATCH_SIZE  # recipients per provider request (SendGrid: 1,000 at most)
    retry: RetryPolicy = DEFAULT_POLICY
    sleep: Callable[[float], None] = time.sleep  # the retries' waits (tests pass their own)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        templates: Mapping[str, str] | None = None,
        *,
        course: Course | None = None,
        backend_factory: BackendFactory | None = None,
    ) -> SendJob:
        """A job for DRIP_COURSE. `templates` None: the files of templates/ with the
        marketers' saved versions on top, read again at every run; else exactly those."""
        base = dict(templates) if templates is not None else load_templates()
        course = course if course is not None else load_course(settings.course)
        return cls(
            settings=settings,
            course=course,
            renderer=Renderer(course, Sender.from_settings(settings), base),
            backend_factory=backend_factory,
            follow_saved_templates=templates is None,
            base_templates=base,
        )

    def backend(self) -> EmailBackend:
        """A fresh backend: the factory's, else the one the settings choose."""
        if self.backend_factory is not None:
            return self.backend_factory()
        return backend_for(self.settings)

    def renderer_for(self, session: Session) -> Renderer:
        """The renderer for this run: a new one only when the saved templates changed."""
        if not self.follow_saved_templates:
            return self.renderer
        source = templates_in_force(session, self.base_templates)
        if source != self.renderer.source:
            self.renderer = Renderer(self.course, self.renderer.sender, source)
        return self.renderer
