"""The scheduler's own user errors (one line each; the CLI exits 1 with the message)."""

from __future__ import annotations

from drip.errors import DripError
from render import TemplateCheckError, TemplateProblem


class SchedulerError(DripError):
    """A send that cannot go ahead as asked."""


class InstantInThePast(SchedulerError, ValueError):
    """`--at T` earlier than a send already recorded: a tick cannot go back in time."""


class TemplatesBroken(SchedulerError):
    """The templates in force fail their checks: the run sends nothing."""

    def __init__(self, error: TemplateCheckError) -> None:
        self.problems: tuple[TemplateProblem, ...] = error.problems
        super().__init__(f"nothing was sent: the templates in force have problems: {error}")


class UnknownLesson(SchedulerError, LookupError):
    """A lesson named on the command line is not in the course."""
