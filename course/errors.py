"""The course builder's one error family: a one-line message naming the file and line."""

from __future__ import annotations

from pathlib import Path

from drip.errors import DripError


class CourseError(DripError):
    """A course spec or article the builder cannot use; `str()` says what and where."""


def where(path: Path, line: int | None = None) -> str:
    """`path:line` as a user would type it: relative to the working folder when inside it."""
    try:
        shown = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        shown = path
    return f"{shown}:{line}" if line else str(shown)


def error_at(path: Path, line: int | None, message: str) -> CourseError:
    return CourseError(f"{where(path, line)}: {message}")
