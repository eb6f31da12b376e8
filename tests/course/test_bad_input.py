"""Bad input: each mistake is one line naming the file (and the spec's line), exit status 1."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from course import CourseError, build_course, load_course
from drip.errors import DripError
from tests.course.conftest import CliResult

ARTICLE = """\
Ginger for Nausea

A Short Guide to an Old Remedy

Introduction

Ginger has been used for nausea for centuries.

How Much to Take

Most studies use one gram a day.

Disclaimer

Not medical advice.
"""

SPEC = """\
slug: ginger
title: Ginger
description: Two emails on ginger.
disclaimer: Not medical advice.
articles:
  ginger: ginger.txt
lessons:
  - slug: welcome
    title: Welcome
    subject: Welcome
    preheader: Ginger
    sections:
      - ginger: Introduction
  - slug: dose
    title: Dose
    subject: How much ginger
    preheader: One gram
    sections:
      - ginger: How Much*
exclude:
  - ginger: Disclaimer
    reason: every email has one
"""

Write = Callable[[str, str | bytes], Path]


def _spec(write: Write, spec: str = SPEC, article: str | bytes = ARTICLE) -> Path:
    write("ginger.txt", article)
    return write("course.yaml", spec)


def test_the_base_spec_builds(write: Write) -> None:
    course = load_course(_spec(write))
    assert [lesson.slug for lesson in course.lessons] == ["welcome", "dose"]


# (id, spec edit (old, new) or None, article text or bytes, expected message)
CASES: list[tuple[str, tuple[str, str] | None, str | bytes, str]] = [
    (
        "missing-article",
        ("ginger: ginger.txt", "ginger: gone.txt"),
        ARTICLE,
        "course.yaml:6: article 'ginger': no such file gone.txt",
    ),
    (
        "pattern-matches-nothing",
        ("- ginger: How Much*", "- ginger: Dosage*"),
        ARTICLE,
        "course.yaml:19: lesson 'dose': 'Dosage*' matches no heading of article 'ginger' "
        "(its headings: 'Introduction', 'How Much to Take', 'Disclaimer')",
    ),
    (
        "lesson-without-sections",
        ("    sections:\n      - ginger: How Much*", "    sections: []"),
        ARTICLE,
        "course.yaml:18: lesson 'dose' takes no sections",
    ),
    (
        "lesson-with-empty-sections",
        None,
        ARTICLE.replace("Most studies use one gram a day.\n\n", ""),
        "course.yaml:14: lesson 'dose' has no content: its sections have no text under their "
        "headings",
    ),
    (
        "article-without-headings",
        None,
        "Ginger for Nausea\n\nGinger has been used for nausea for centuries.\n",
        "ginger.txt: no headings found; drip splits an article into sections at its headings",
    ),
    (
        "empty-article",
        None,
        "",
        "ginger.txt: no title: the article must start with its title "
        "(article 'ginger', named at course.yaml:6)",
    ),
    (
        "unknown-format",
        ("ginger: ginger.txt", "ginger: ginger.pdf"),
        ARTICLE,
        "ginger.pdf: unknown article format '.pdf'",
    ),
    (
        "undecodable-encoding",
        None,
        ARTICLE.replace("centuries", "siècles").encode("latin-1"),
        "ginger.txt:7: not UTF-8 text (byte 0xe8); save it as UTF-8 or name its encoding in "
        "the spec (encoding: windows-1252) (article 'ginger', named at course.yaml:6)",
    ),
    (
        "unknown-encoding-name",
        ("ginger: ginger.txt", "ginger: {path: ginger.txt, encoding: klingon}"),
        ARTICLE,
        "ginger.txt: unknown encoding 'klingon' (article 'ginger', named at course.yaml:6)",
    ),
    (
        "yaml-syntax",
        ("title: Ginger", "title: Ginger: the root"),
        ARTICLE,
        "course.yaml:2: not valid YAML: mapping values are not allowed here",
    ),
    (
        "spec-not-a-mapping",
        (SPEC, "- just\n- a list\n"),
        ARTICLE,
        "course.yaml:1: the course spec must be a mapping of keys to values",
    ),
    (
        "missing-key",
        ("disclaimer: Not medical advice.\n", ""),
        ARTICLE,
        "course.yaml:1: the course spec: missing 'disclaimer'",
    ),
    (
        "unknown-key",
        ("    preheader: One gram", "    preheader: One gram\n    subjet: typo"),
        ARTICLE,
        "course.yaml:18: lesson 'dose': unknown key 'subjet' (allowed: preheader, sections, "
        "slug, subject, title)",
    ),
    (
        "lessons-not-a-list",
        (SPEC[SPEC.index("lessons:") :], "lessons: the usual six\n"),
        ARTICLE,
        "course.yaml:7: lessons must be a list of at least one lesson",
    ),
    (
        "empty-value",
        ("    subject: Welcome\n", "    subject:\n"),
        ARTICLE,
        "course.yaml:10: lesson 'welcome': subject is empty",
    ),
    (
        "duplicate-key",
        ("title: Ginger\n", "title: Ginger\ntitle: Ginger again\n"),
        ARTICLE,
        "course.yaml:3: the course spec: 'title' is given twice",
    ),
    (
        "duplicate-lesson",
        ("  - slug: dose", "  - slug: welcome"),
        ARTICLE,
        "course.yaml:14: lesson 'welcome' is named twice (also line 8)",
    ),
    (
        "bad-slug",
        ("slug: ginger", "slug: Ginger Course"),
        ARTICLE,
        "course.yaml:1: the course slug 'Ginger Course' must be lower-case words joined by '-'",
    ),
    (
        "unknown-article-in-lesson",
        ("- ginger: How Much*", "- gingr: How Much*"),
        ARTICLE,
        "course.yaml:19: lesson 'dose': no article 'gingr' under articles: (have ginger)",
    ),
    (
        "exclusion-without-reason",
        ("    reason: every email has one\n", ""),
        ARTICLE,
        "course.yaml:21: an exclusion needs a reason",
    ),
    (
        "section-taken-twice",
        ("- ginger: How Much*", "- ginger: [How Much*, Intro*]"),
        ARTICLE,
        "course.yaml:19: lesson 'dose': section 'Introduction' of article 'ginger' is already "
        "taken by lesson 'welcome' (line 13); a section goes to one place only",
    ),
    (
        "section-taken-and-excluded",
        ("- ginger: Disclaimer", "- ginger: [Disclaimer, How Much*]"),
        ARTICLE,
        "course.yaml:21: exclude: section 'How Much to Take' of article 'ginger' is already "
        "taken by lesson 'dose' (line 19)",
    ),
    (
        "bad-format-name",
        ("ginger: ginger.txt", "ginger: {path: ginger.txt, format: pdf}"),
        ARTICLE,
        "course.yaml:6: article 'ginger': format must be one of text, markdown, html",
    ),
]


@pytest.mark.parametrize(
    ("edit", "article", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_input_is_one_line_naming_file_and_line(
    write: Write,
    drip: Callable[..., CliResult],
    edit: tuple[str, str] | None,
    article: str | bytes,
    expected: str,
) -> None:
    spec = SPEC if edit is None else SPEC.replace(*edit)
    assert spec != SPEC or edit is None, "the edit must change the spec"
    path = _spec(write, spec, article)
    with pytest.raises(CourseError) as raised:
        build_course(path)
    assert isinstance(raised.value, DripError)
    assert expected in str(raised.value)
    result = drip("build", "--course", str(path))
    assert result.code == 1
    assert result.out == ""
    assert result.err.count("\n") == 1, result.err
    assert expected in result.err


def test_missing_spec(drip: Callable[..., CliResult]) -> None:
    result = drip("build", "--course", "nowhere.yaml")
    assert (result.code, result.err) == (1, "error: nowhere.yaml: no such course spec\n")


def test_named_encoding_reads_the_article(write: Write) -> None:
    article = ARTICLE.replace("centuries", "siècles").encode("cp1252")
    spec = SPEC.replace("ginger: ginger.txt", "ginger: {path: ginger.txt, encoding: cp1252}")
    course = load_course(_spec(write, spec, article))
    intro = course.lessons[0].sections[0].blocks[0]
    assert "siècles" in getattr(intro, "text", "")


def test_named_format_reads_an_unusual_extension(write: Write) -> None:
    write("ginger.article", ARTICLE)
    spec = SPEC.replace("ginger: ginger.txt", "ginger: {path: ginger.article, format: text}")
    course = load_course(write("course.yaml", spec))
    assert course.lessons[1].sections[0].heading == "How Much to Take"
