"""`drip preview` and `drip templates check`, run as a user runs them."""

from __future__ import annotations

import json
import shutil
import struct
from collections.abc import Callable
from html import escape
from pathlib import Path

import pytest

from course.model import Course
from render import TEMPLATES_DIR

from .conftest import CliResult

Drip = Callable[..., CliResult]


def test_preview_prints_one_lesson_as_html(drip: Drip, default_course: Course) -> None:
    result = drip("preview", "2")
    assert result.code == 0, result.err
    assert result.out.startswith("<!DOCTYPE html>")
    assert escape(default_course.lessons[1].title) in result.out
    assert "Hi Alex Morgan," in result.out  # the sample reader
    assert "%%drip." not in result.out


def test_preview_by_slug_as_text(drip: Drip, default_course: Course) -> None:
    result = drip("preview", "best-forms", "--text")
    assert result.code == 0, result.err
    lesson = default_course.lesson("best-forms")
    assert result.out.startswith(f"Subject: {lesson.subject}\nTo: alex.morgan@example.com\n")
    assert f"\nLesson 3 of {len(default_course.lessons)}\n" in result.out


def test_preview_writes_a_file(drip: Drip, tmp_path: Path) -> None:
    out = tmp_path / "mail" / "confirm.html"
    result = drip("preview", "confirmation", "--out", str(out))
    assert result.code == 0, result.err
    assert "Please confirm your subscription" in out.read_text(encoding="utf-8")
    assert str(out) in result.out


def test_an_unknown_lesson_is_a_one_line_error(drip: Drip) -> None:
    result = drip("preview", "99")
    assert result.code == 1
    assert "no lesson '99'" in result.err
    assert "a slug (welcome, deficiency-signs" in result.err


def test_a_subscriber_preview_needs_the_subscribers_store(drip: Drip) -> None:
    result = drip("preview", "2", "--subscriber", "ana@example.com")
    assert result.code == 1
    assert "--subscriber ana@example.com" in result.err


@pytest.mark.parametrize(
    "args",
    [
        ("preview",),
        ("preview", "--all"),
        ("preview", "2", "--all", "--out", "x"),
        ("preview", "2", "--screenshots"),
    ],
)
def test_usage_errors_exit_2(drip: Drip, args: tuple[str, ...]) -> None:
    assert drip(*args).code == 2


def test_preview_all_writes_every_email_and_a_gallery(drip: Drip, tmp_path: Path) -> None:
    out = tmp_path / "gallery"
    result = drip("preview", "--all", "--out", str(out))
    assert result.code == 0, result.err
    htmls = sorted(p.name for p in out.glob("*.html") if p.name != "index.html")
    assert len(htmls) == 8  # six lessons, the confirmation and the goodbye
    assert htmls[0] == "01-welcome.html"
    assert {"confirmation.html", "unsubscribed.html"} <= set(htmls)
    for name in htmls:
        assert (out / name).with_suffix(".txt").read_text(encoding="utf-8").strip()
    index = (out / "index.html").read_text(encoding="utf-8")
    for name in htmls:
        assert f'src="{name}"' in index
    assert "8 emails" in index


def test_templates_check_passes_the_shipped_templates(drip: Drip) -> None:
    result = drip("templates", "check")
    assert result.code == 0, result.err
    assert "passes every check" in result.out
    as_json = drip("templates", "check", "--json")
    assert json.loads(as_json.out) == {"ok": True, "problems": []}


def test_templates_check_lists_every_problem_of_a_folder(drip: Drip, tmp_path: Path) -> None:
    drafts = tmp_path / "drafts"
    shutil.copytree(TEMPLATES_DIR, drafts)
    lesson = drafts / "lesson.html"
    lesson.write_text(lesson.read_text().replace("{{ lesson.title }}", "{{ lesson.titel }}"))
    (drafts / "unsubscribed.subject.txt").write_text("{% if %}\n")
    result = drip("templates", "check", "--templates", str(drafts))
    assert result.code == 1
    assert f"{drafts}/lesson.html:8: [undefined]" in result.out
    assert f"{drafts}/unsubscribed.subject.txt:1: [syntax]" in result.out
    assert "2 problems" in result.err
    as_json = json.loads(drip("templates", "check", "--templates", str(drafts), "--json").out)
    assert as_json["ok"] is False
    assert {(p["file"], p["line"], p["rule"]) for p in as_json["problems"]} == {
        ("lesson.html", 8, "undefined"),
        ("unsubscribed.subject.txt", 1, "syntax"),
    }


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


@pytest.mark.browser
@pytest.mark.slow
def test_screenshots_at_desktop_and_phone_width(drip: Drip, tmp_path: Path) -> None:
    out = tmp_path / "gallery"
    result = drip("preview", "--all", "--out", str(out), "--screenshots")
    assert result.code == 0, result.err
    for stem in ("01-welcome", "06-sixty-day-protocol", "confirmation"):
        wide, narrow = _png_size(out / f"{stem}-600.png"), _png_size(out / f"{stem}-375.png")
        assert wide[0] == 600
        assert narrow[0] == 375
        assert narrow[1] > wide[1] > 600  # full pages; the phone's is taller
    assert 'src="01-welcome-375.png"' in (out / "index.html").read_text(encoding="utf-8")
