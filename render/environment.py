"""The sandboxed Jinja environment templates run in, and where their errors point.

`ImmutableSandboxedEnvironment`: a marketer's template can call no unsafe method and
change no list or dict; `StrictUndefined`: a misspelt variable is an error, never an
empty string in 10,000 inboxes; HTML autoescaping for `.html` files, none for the
subject, the text body and the stylesheet.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Mapping

from jinja2 import (
    FunctionLoader,
    StrictUndefined,
    TemplateSyntaxError,
    UndefinedError,
    select_autoescape,
)
from jinja2.exceptions import SecurityError, TemplateNotFound
from jinja2.sandbox import ImmutableSandboxedEnvironment

from render import text
from render.merge import MergeFieldError, fallback

TemplateSource = Mapping[str, str]


def make_environment(source: TemplateSource) -> ImmutableSandboxedEnvironment:
    """An environment reading templates from `source` (template name -> text)."""

    def load(name: str) -> tuple[str, str, Callable[[], bool]] | None:
        if name not in source:
            return None
        return source[name], name, _always_current

    environment = ImmutableSandboxedEnvironment(
        loader=FunctionLoader(load),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    environment.filters["fallback"] = fallback
    environment.filters["wrap"] = text.wrap
    environment.filters["underline"] = text.underline
    return environment


def _always_current() -> bool:
    return True  # a source is immutable: a new version gets a new environment


def template_position() -> tuple[str, int] | None:
    """The template file and line being rendered right now (for notes taken mid-render)."""
    frame = sys._getframe(1)
    while frame is not None:
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:
            return template.name, template.get_corresponding_lineno(frame.f_lineno)
        frame = frame.f_back  # type: ignore[assignment]
    return None


def error_position(error: BaseException, fallback_file: str) -> tuple[str, int | None]:
    """Where in the templates `error` happened (the innermost template frame)."""
    if isinstance(error, TemplateSyntaxError):
        return error.name or error.filename or fallback_file, error.lineno
    position: tuple[str, int | None] = (fallback_file, None)
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:  # a frame of compiled template code
            position = (template.name, template.get_corresponding_lineno(lineno))
        elif "__jinja_exception__" in frame.f_globals:  # Jinja's rewritten frame
            position = (frame.f_code.co_filename, lineno)
    return position


def error_message(error: BaseException) -> str:
    if isinstance(error, TemplateNotFound):
        return f"no template named {error.name!r} in the template set"
    message = getattr(error, "message", None) or str(error)
    return f"{type(error).__name__}: {message}" if error_rule(error) == "render" else message


def error_rule(error: BaseException) -> str:
    """The check rule a rendering error breaks."""
    if isinstance(error, TemplateSyntaxError):
        return "syntax"
    if isinstance(error, UndefinedError):
        return "undefined"
    if isinstance(error, SecurityError):
        return "sandbox"
    if isinstance(error, MergeFieldError):
        return "merge-field"
    if isinstance(error, TemplateNotFound):
        return "missing-template"
    return "render"
