"""Saved template versions: a marketer's edits, stored in the database over the files.

The files in templates/ are the defaults; each save in the web editor adds a version
(who, when, the whole text), and the newest version of a template overrides its file
wherever emails are rendered: previews in the console, and the scheduler's sends. It
lives here, beside the renderer, so the scheduler can read what marketers saved
without importing the web app. Nothing is ever changed in place: a revert is a new
version holding an older text, so the history reads as what happened.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import DateTime, Index, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from drip.db import Base
from render.sources import load_templates


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
    """Store a new version of `name` (the caller has checked it; see render.check_templates)."""
    version = TemplateVersion(
        name=name, source=source, author=author, created_at=datetime.now(UTC), note=note
    )
    session.add(version)
    session.flush()
    return version


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


def templates_in_force(
    session: Session, defaults: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The files of templates/ (or `defaults`) with the newest saved version of each on top."""
    return overlay(load_templates() if defaults is None else defaults, current_sources(session))
