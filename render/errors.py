"""Rendering's errors: one family under DripError, and the template problem they report.

A problem always names the template file, the line where it is known, and the rule
that failed, so a marketer (in the editor or `drip templates check`) can go straight
to the spot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drip.errors import DripError


@dataclass(frozen=True)
class TemplateProblem:
    """One thing wrong with a template set: where, which rule, what, and in which email."""

    file: str  # the template's name in its source, e.g. "lesson.html"
    line: int | None  # None when the rule is about the email as a whole
    rule: str  # e.g. "syntax", "undefined", "required-unsubscribe", "html-img-alt"
    message: str
    email: str = ""  # which email showed it, e.g. "lesson 3 (diet)" or "confirmation"

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def __str__(self) -> str:
        suffix = f" (in {self.email})" if self.email else ""
        return f"{self.where}: [{self.rule}] {self.message}{suffix}"


class RenderError(DripError):
    """A lesson or email cannot be rendered as asked (unknown kind, missing reader field...)."""


class TemplateCheckError(RenderError):
    """The templates fail one or more checks; nothing rendered from them may be sent."""

    def __init__(self, problems: Sequence[TemplateProblem]) -> None:
        self.problems = tuple(problems)
        more = len(self.problems) - 1
        tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
        super().__init__(f"{self.problems[0]}{tail}")
