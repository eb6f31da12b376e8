"""`drip build`, `drip lessons` and `drip demo` on the bundled course and on a partial one."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from course import build_course
from drip.settings import DEFAULT_COURSE, REPO_ROOT
from tests.course.conftest import DEFAULT_LESSONS, FIXTURES, CliResult

Drip = Callable[..., CliResult]


def test_build_prints_lessons_sections_chrome_and_word_totals(drip: Drip) -> None:
    result = drip("build")
    assert (result.code, result.err) == (0, "")
    built = build_course(DEFAULT_COURSE)
    for lesson in built.course.lessons:
        assert lesson.slug in result.out
        assert lesson.subject in result.out
    assert "lesson 2: deficiency-signs" in result.out
    assert "excluded: every email carries the course disclaimer" in result.out
    assert "removed as site chrome: '×' (line 1)" in result.out
    assert "'Hot Articles' and 16 more (lines 147–176)" in result.out
    lesson_words = built.words("lesson")
    excluded = built.words("excluded")
    assert (
        f"words: {lesson_words + excluded} in the articles' sections = {lesson_words} in lessons "
        f"+ {excluded} excluded + 0 unassigned"
    ) in result.out


def test_build_json_is_the_whole_course_with_structured_content(drip: Drip) -> None:
    result = drip("build", "--json")
    assert result.code == 0
    course = json.loads(result.out)
    assert [lesson["slug"] for lesson in course["lessons"]] == DEFAULT_LESSONS
    assert course["disclaimer"].startswith("This course is for educational purposes only")
    welcome = course["lessons"][0]
    assert welcome["template"] == "welcome"
    assert welcome["sections"][0]["heading"] == ""
    assert welcome["sections"][0]["blocks"][0]["type"] == "paragraph"
    forms = course["lessons"][2]
    points = forms["sections"][2]["blocks"][0]
    assert points["type"] == "list"
    assert points["ordered"] is True
    assert points["items"][0]["lead"] == "Reduction of Inflammation"
    faq = course["lessons"][5]["sections"][1]["blocks"]
    assert faq[0] == {
        "type": "qa",
        "question": "Can magnesium improve nerve pain?",
        "answer": ["Yes, it may reduce nerve hyperexcitability and support repair."],
    }
    lessons_text = json.dumps(course["lessons"], ensure_ascii=False)
    for chrome in ("Read More", "Hot Articles", "Related Posts", "×"):
        assert chrome not in lessons_text
    report = course["report"]
    assert report["warnings"] == []
    assert report["words"]["unassigned"] == 0
    assert report["words"]["sections"] == report["words"]["lesson"] + report["words"]["excluded"]
    assert report["words"]["lesson"] == sum(lesson["words"] for lesson in course["lessons"])
    fates = {
        (article["slug"], section["heading"]): section["fate"]
        for article in report["articles"]
        for section in article["sections"]
    }
    assert fates[("glycinate", "Conclusion")] == "excluded"
    assert fates[("blood-flow", "Final Thoughts")] == "lesson"
    assert report["articles"][0]["removed"][0]["text"] == ["×"]


def test_lessons_lists_position_slug_subject_preheader_words(drip: Drip) -> None:
    table = drip("lessons")
    assert table.code == 0
    listed = drip("lessons", "--json")
    rows = json.loads(listed.out)
    assert [row["position"] for row in rows] == [1, 2, 3, 4, 5, 6]
    for row in rows:
        assert set(row) >= {"position", "slug", "subject", "preheader", "words"}
        assert row["slug"] in table.out
        assert row["preheader"] in table.out


def test_drip_course_setting_chooses_the_course(
    drip: Drip, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRIP_COURSE", str(FIXTURES / "zinc.yaml"))
    rows = json.loads(drip("lessons", "--json").out)
    assert [row["slug"] for row in rows] == ["welcome", "immunity", "healing", "sources"]


def _partial_spec(tmp_path: Path) -> Path:
    spec = (FIXTURES / "vitamin-d.yaml").read_text(encoding="utf-8")
    spec = spec.replace("[Frequently Asked Questions, Final Thoughts]", "Final Thoughts")
    spec = spec.replace("articles/", f"{FIXTURES}/articles/")
    path = tmp_path / "partial.yaml"
    path.write_text(spec, encoding="utf-8")
    return path


def test_unassigned_section_is_a_warning(drip: Drip, tmp_path: Path) -> None:
    result = drip("build", "--course", str(_partial_spec(tmp_path)))
    assert result.code == 0
    assert "unassigned" in result.out
    assert result.err == (
        f"warning: {FIXTURES}/articles/vitamin-d-for-bones-and-immunity.txt:43: section "
        "'Frequently Asked Questions' is in no lesson and not excluded\n"
    )


def test_strict_makes_an_unassigned_section_an_error(drip: Drip, tmp_path: Path) -> None:
    result = drip("build", "--course", str(_partial_spec(tmp_path)), "--strict")
    assert result.code == 1
    assert result.out == ""
    assert result.err.startswith("error: --strict: ")
    assert "vitamin-d-for-bones-and-immunity.txt:43: section 'Frequently Asked Questions'" in (
        result.err
    )
    assert result.err.count("\n") == 1


def test_demo_builds_the_default_course_and_reports(drip: Drip) -> None:
    result = drip("demo")
    assert (result.code, result.err) == (0, "")
    assert "sixty-day-protocol" in result.out
    assert "0 unassigned" in result.out


def test_the_readme_spec_example_builds(tmp_path: Path) -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[
        readme.index("<!-- section:course -->") : readme.index("<!-- /section:course -->")
    ]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    shutil.copytree(DEFAULT_COURSE.parent / "articles", tmp_path / "articles")
    spec = tmp_path / "example.yaml"
    spec.write_text(example, encoding="utf-8")
    built = build_course(spec)
    assert [section.heading for section in built.course.lessons[0].sections] == [
        "",
        "Introduction",
        "Why Magnesium Is a Foundational Mineral",
    ]
    assert [fate.section.heading for fate in built.fates if fate.kind == "excluded"] == [
        "Conclusion"
    ]
