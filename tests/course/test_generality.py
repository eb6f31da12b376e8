"""Nothing about magnesium is hard-coded: other health articles, in each format, build too."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from course import build_course
from course.build import Build
from drip.settings import REPO_ROOT
from tests.course.conftest import FIXTURES, article_texts, section_texts

CHROME = re.compile(
    r"Read More|Related Posts|You May Also Like|Hot Articles|Popular Posts|Share|Tweet|"
    r"Facebook|cookies|newsletter|Healthy Living Blog|©|×|•|\ufe0f"
)

EXPECTED = {
    "vitamin-d.yaml": (
        "text",
        {
            "welcome": ["Introduction", "Why Vitamin D Matters"],
            "signs": ["Signs of Low Vitamin D", "How Vitamin D Helps"],
            "sources": ["Best Sources of Vitamin D"],
            "questions": ["Frequently Asked Questions", "Final Thoughts"],
        },
    ),
    "omega-3.yaml": (
        "markdown",
        {
            "welcome": ["", "What Are Omega-3 Fatty Acids?"],
            "benefits": ["Benefits for the Heart", "Benefits for the Brain", "Mood and Memory"],
            "sources": ["Food Sources", "How to Choose a Supplement", "FAQ"],
        },
    ),
    "zinc.yaml": (
        "html",
        {
            "welcome": ["", "Why Your Body Needs Zinc"],
            "immunity": ["Signs of Zinc Deficiency", "How Zinc Supports Immunity"],
            "healing": ["Zinc and Wound Healing", "Topical Zinc"],
            "sources": [
                "Food Sources and Supplements",
                "Frequently Asked Questions",
                "The Bottom Line",
            ],
        },
    ),
}


@pytest.mark.parametrize("spec", sorted(EXPECTED))
def test_each_format_builds_a_sensible_course(spec: str) -> None:
    build = build_course(FIXTURES / spec, strict=True)
    format_, lessons = EXPECTED[spec]
    assert [article.format for article in build.course.articles] == [format_]
    assert {
        lesson.slug: [section.heading for section in lesson.sections]
        for lesson in build.course.lessons
    } == lessons
    assert build.course.lessons[0].template == "welcome"
    _assert_accounted(build)
    _assert_clean(build)


def _assert_accounted(build: Build) -> None:
    source = Counter(text for article in build.course.articles for text in article_texts(article))
    placed = Counter(
        text
        for fate in build.fates
        if fate.kind in ("lesson", "excluded")
        for text in section_texts(fate.section)
    )
    sent = Counter(
        text
        for lesson in build.course.lessons
        for section in lesson.sections
        for text in section_texts(section)
    )
    assert placed == source
    assert sent == placed - Counter(
        text
        for fate in build.fates
        if fate.kind == "excluded"
        for text in section_texts(fate.section)
    )


def _assert_clean(build: Build) -> None:
    for lesson in build.course.lessons:
        for section in lesson.sections:
            for text in [section.heading, *section_texts(section)]:
                assert not CHROME.search(text), (lesson.slug, text)
                assert text == text.strip()
                assert "  " not in text


def test_one_course_from_all_three_formats(
    write: Callable[[str, str], Path], tmp_path: Path
) -> None:
    shutil.copytree(FIXTURES / "articles", tmp_path / "articles")
    spec = write(
        "mixed.yaml",
        """
        slug: winter-wellness
        title: Winter Wellness
        description: Vitamin D, omega-3 and zinc for the darker months.
        disclaimer: Not medical advice.
        articles:
          vitamin-d: articles/vitamin-d-for-bones-and-immunity.txt
          omega-3: articles/omega-3-for-heart-and-brain.md
          zinc: articles/zinc-for-immunity-and-healing.html
        lessons:
          - slug: welcome
            title: Welcome
            subject: Welcome to Winter Wellness
            preheader: Three nutrients for the dark months
            sections:
              - vitamin-d: Introduction
              - zinc: "(untitled)"
              - omega-3: "(untitled)"
          - slug: immunity
            title: Immunity
            subject: Your winter immune toolkit
            preheader: Vitamin D and zinc
            sections:
              - vitamin-d: "How Vitamin D Helps"
              - zinc: "How Zinc*"
        """,
    )
    build = build_course(spec)
    assert [lesson.slug for lesson in build.course.lessons] == ["welcome", "immunity"]
    assert [s.article for s in build.course.lessons[0].sections] == ["vitamin-d", "zinc", "omega-3"]
    unassigned = {(fate.section.article, fate.section.heading) for fate in build.unassigned}
    assert ("zinc", "Topical Zinc") in unassigned
    assert len(build.warnings()) == len(unassigned)
    assert "zinc-for-immunity-and-healing.html:48: section 'Topical Zinc'" in " ".join(
        build.warnings()
    )


def test_no_code_in_the_course_package_names_a_nutrient() -> None:
    """Generality: the builder's code knows nothing of the default course's subject."""
    for path in (REPO_ROOT / "course").rglob("*.py"):
        text = path.read_text(encoding="utf-8").lower()
        for word in ("magnesium", "glycinate", "pranayama", "nerve"):
            assert word not in text, f"{path.relative_to(REPO_ROOT)} mentions {word!r}"
