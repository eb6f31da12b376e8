"""Saved template versions: a marketer's edits, stored in the database over the files.

The files in templates/ are the defaults; each save in the editor adds a version (who,
when, the whole text), and the newest version of a template overrides its file wherever
emails are rendered: previews here, and sends (the admin layer hands `current_sources`
to the renderer it builds). Nothing is ever changed in place: a revert is a new version
holding an older text, so the history reads as what happened.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import DateTime, Index, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from drip.db import Base


class TemplateVersion(Base):
    __tablename__ = "template_versions"
    __table_args__ = (Index("ix_template_versions_name_id", "name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # the template's file name in templates/
    source: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(80))  # a name, so history outlives logins
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(String(200), default="")


def save_version(
    session: Session, name: str, source: str, author: str, note: str = ""
) -> TemplateVersion:
    version = TemplateVersion(
        name=name, source=source, author=author, created_at=datetime.now(UTC), note=note
    )
    session.add(version)
    session.flush()
    return version


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


def current_sources(session: Session) -> dict[str, str]:
    """The newest saved text of each template that has versions (the overlay)."""
    newest = select(func.max(TemplateVersion.id)).group_by(TemplateVersion.name).scalar_subquery()
    rows = session.execute(
        select(TemplateVersion.name, TemplateVersion.source).where(TemplateVersion.id.in_(newest))
    )
    return {str(name): str(source) for name, source in rows}


def overlay(defaults: Mapping[str, str], saved: Mapping[str, str]) -> dict[str, str]:
    """The templates in force: each file's text, replaced by its newest saved version."""
    return {**defaults, **{name: text for name, text in saved.items() if name in defaults}}


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
