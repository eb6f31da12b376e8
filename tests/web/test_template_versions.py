"""Saved template versions: history, the overlay over the files, diffs."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from admin.web.template_versions import (
    DiffLine,
    current_sources,
    diff,
    find_version,
    history,
    overlay,
    previous_version,
    save_version,
)
from drip.settings import Settings


@pytest.fixture
def settings(settings: Settings, database_url: str) -> Settings:
    """These run on SQLite and on PostgreSQL."""
    return settings.model_copy(update={"database_url": database_url})


def test_the_newest_version_of_each_template_is_in_force(app: FastAPI) -> None:
    with app.state.web.transaction() as session:
        first = save_version(session, "lesson.html", "one", "mia")
        save_version(session, "lesson.html", "two", "ada")
        save_version(session, "welcome.html", "hello", "mia", note="first edit")
    with app.state.web.transaction() as session:
        assert current_sources(session) == {"lesson.html": "two", "welcome.html": "hello"}
        versions = history(session, "lesson.html")
        assert [v.source for v in versions] == ["two", "one"]
        assert versions[0].author == "ada"
        assert previous_version(session, versions[0]) == versions[1]
        assert previous_version(session, versions[1]) is None
        assert find_version(session, "lesson.html", first.id) is not None
        assert find_version(session, "welcome.html", first.id) is None  # another template's


def test_the_overlay_replaces_files_and_ignores_unknown_names() -> None:
    files = {"lesson.html": "file", "base.html": "base"}
    saved = {"lesson.html": "saved", "gone.html": "old"}
    assert overlay(files, saved) == {"lesson.html": "saved", "base.html": "base"}


def test_a_diff_tags_added_removed_and_context_lines() -> None:
    old = "a\nb\nc\n"
    new = "a\nB\nc\nd\n"
    lines = diff(old, new, "version 1", "version 2")
    assert lines[0].kind == "hunk"
    assert DiffLine("del", "-b") in lines
    assert DiffLine("add", "+B") in lines
    assert DiffLine("add", "+d") in lines
    assert DiffLine("ctx", " a") in lines
    assert diff("same", "same", "x", "y") == []
