"""Saved template versions as the editor shows them: history, restores and diffs.

The model, `save_version` and the overlay of saved versions over the files (the
templates in force) live in render.versions, so the scheduler sends with exactly what
marketers saved; they are re-exported here under their old names. Nothing is ever
changed in place: a revert is a new version holding an older text, so the history
reads as what happened.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from render.versions import (
    TemplateVersion,
    current_sources,
    overlay,
    save_version,
    templates_in_force,
)

__all__ = [
    "DiffLine",
    "TemplateVersion",
    "current_sources",
    "diff",
    "find_version",
    "history",
    "overlay",
    "previous_version",
    "save_version",
    "templates_in_force",
]


def history(session: Session, name: str) -> list[TemplateVersion]:
    """Every version of `name`, newest first."""
    query = select(TemplateVersion).where(TemplateVersion.name == name)
    return list(session.scalars(query.order_by(TemplateVersion.id.desc())))


def find_version(session: Session, name: str, version_id: int) -> TemplateVersion | None:
    version = session.get(TemplateVersion, version_id)
    return version if version is not None and version.name == name else None


def previous_version(session: Session, version: TemplateVersion) -> TemplateVersion | None:
    query = select(TemplateVersion).where(
        TemplateVersion.name == version.name, TemplateVersion.id < version.id
    )
    return session.scalars(query.order_by(TemplateVersion.id.desc()).limit(1)).first()


DiffKind = Literal["add", "del", "ctx", "hunk"]


@dataclass(frozen=True)
class DiffLine:
    kind: DiffKind
    text: str


def diff(old: str, new: str, old_label: str, new_label: str) -> list[DiffLine]:
    """A unified diff of two texts, line by line, tagged for display."""
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), old_label, new_label, lineterm="", n=3
    )
    tagged: list[DiffLine] = []
    for line in lines:
        if line.startswith(("---", "+++")):
            continue
        tagged.append(DiffLine(_kind(line), line))
    return tagged


def _kind(line: str) -> DiffKind:
    if line.startswith("@@"):
        return "hunk"
    if line.startswith("+"):
        return "add"
    if line.startswith("-"):
        return "del"
    return "ctx"
