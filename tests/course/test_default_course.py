"""The bundled magnesium course: the lesson sequence, and every word in or excluded once."""

from __future__ import annotations

from collections import Counter

import pytest

from course import Build, build_course, load_course
from course.model import Course
from drip.settings import DEFAULT_COURSE
from tests.course.conftest import DEFAULT_LESSONS, article_texts, section_texts

CHROME = ("×", "Read More", "→", "Hot Articles", "Related Posts", "\ufe0f", "•")


@pytest.fixture(scope="module")
def build() -> Build:
    return build_course(DEFAULT_COURSE, strict=True)


@pytest.fixture(scope="module")
def course(build: Build) -> Course:
    return build.course


def test_welcome_then_the_five_lessons_in_order(course: Course) -> None:
    assert [lesson.slug for lesson in course.lessons] == DEFAULT_LESSONS
    assert [lesson.position for lesson in course.lessons] == [1, 2, 3, 4, 5, 6]
    assert [lesson.template for lesson in course.lessons] == ["welcome"] + ["lesson"] * 5
    for lesson in course.lessons:
        assert lesson.title
        assert lesson.subject
        assert lesson.preheader
        assert lesson.words() > 50


def _headings(course: Course, slug: str) -> list[str]:
    return [section.heading for section in course.lesson(slug).sections]


def test_each_lesson_takes_the_sections_the_issue_names(course: Course) -> None:
    assert _headings(course, "welcome") == [
        "",  # the glycinate article's untitled introduction
        "Introduction",
        "Understanding Blood Flow and Nerve Function",
        "Why Magnesium Is a Foundational Mineral",
    ]
    signs = _headings(course, "deficiency-signs")
    assert "Symptoms Linked to Magnesium Deficiency" in signs
    assert "Root Causes of Low Magnesium Levels" in signs
    assert "The Connection Between Magnesium and Nerve Pain" in signs
    forms = _headings(course, "best-forms")
    for heading in (
        "Best Forms of Magnesium for Circulation and Nerves",
        "What is Magnesium Glycinate?",
        "Dosage, Timing, and Safety Guidelines",
        "Dosage and Usage",
        "Potential Side Effects",
    ):
        assert heading in forms
    assert _headings(course, "diet") == [
        "Magnesium-Rich Diet for Blood Flow and Nerves",
        "Dietary Factors That Deplete Magnesium",
        "Supportive Nutrients and Synergies",
    ]
    assert _headings(course, "yoga-and-pranayama") == [
        "Yoga Practices to Improve Circulation and Nerve Health",
        "Pranayama to Enhance Blood Flow and Neural Calm",
    ]
    assert _headings(course, "sixty-day-protocol") == [
        "A 60-Day Blood Flow and Nerve Recovery Protocol",
        "Frequently Asked Questions",
        "Final Thoughts",
    ]


def test_both_articles_are_used(course: Course) -> None:
    used = {section.article for lesson in course.lessons for section in lesson.sections}
    assert used == {"blood-flow", "glycinate"}


def test_every_section_is_placed_or_excluded_with_a_reason(build: Build) -> None:
    assert build.unassigned == ()
    assert build.warnings() == []
    excluded = {
        fate.section.heading: fate.reason for fate in build.fates if fate.kind == "excluded"
    }
    assert set(excluded) == {
        "Magnesium’s Role in Nerve Signaling and Repair",
        "Conclusion",
        "Disclaimer",
    }
    assert all(reason and len(reason.split()) >= 5 for reason in excluded.values())


def test_every_paragraph_goes_out_exactly_once_or_is_excluded(build: Build) -> None:
    """Word accounting: the articles' text units equal the lessons' plus the excluded ones."""
    source = Counter(text for article in build.course.articles for text in article_texts(article))
    sent = Counter(
        text
        for lesson in build.course.lessons
        for section in lesson.sections
        for text in section_texts(section)
    )
    excluded = Counter(
        text
        for fate in build.fates
        if fate.kind == "excluded"
        for text in section_texts(fate.section)
    )
    assert sent + excluded == source
    assert not sent & excluded
    assert max(sent.values()) == 1  # nothing is said twice
    words_in = sum(article.words() for article in build.course.articles)
    words_out = sum(lesson.words() for lesson in build.course.lessons)
    assert words_out + build.words("excluded") == words_in
    assert build.words("lesson") == words_out


def test_no_chrome_reaches_a_lesson(course: Course) -> None:
    for lesson in course.lessons:
        text = " ".join(
            [section.heading for section in lesson.sections]
            + [t for section in lesson.sections for t in section_texts(section)]
        )
        for chrome in CHROME:
            assert chrome not in text, (lesson.slug, chrome)


def test_the_disclaimer_travels_with_the_course(course: Course) -> None:
    assert course.disclaimer.startswith("This course is for educational purposes only")
    assert "medical advice" in course.disclaimer
    assert course.description


def test_load_course_is_the_built_course(course: Course) -> None:
    assert load_course(DEFAULT_COURSE) == course


def test_lessons_are_looked_up_by_slug_or_position(course: Course) -> None:
    assert course.lesson("diet") is course.lesson(4) is course.lesson("4")
    with pytest.raises(KeyError):
        course.lesson("nope")
