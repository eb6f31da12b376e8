"""The structured course: what the builder produces and every later stage reads.

Plain frozen dataclasses, so a course is a value: easy to compare in tests, to cache
per lesson when rendering, and to dump as JSON (`drip build --json`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal


def count_words(text: str) -> int:
    return len(text.split())


@dataclass(frozen=True)
class Paragraph:
    text: str

    def words(self) -> int:
        return count_words(self.text)


@dataclass(frozen=True)
class ListItem:
    """One bullet or numbered point; `lead` is a bold lead-in such as "Muscle Relaxation"."""

    text: str
    lead: str | None = None

    def words(self) -> int:
        return count_words(self.text) + count_words(self.lead or "")


@dataclass(frozen=True)
class ItemList:
    items: tuple[ListItem, ...]
    ordered: bool = False

    def words(self) -> int:
        return sum(item.words() for item in self.items)


@dataclass(frozen=True)
class QA:
    """A question and its answer, as in an article's FAQ."""

    question: str
    answer: tuple[Paragraph, ...]

    def words(self) -> int:
        return count_words(self.question) + sum(p.words() for p in self.answer)


Block = Paragraph | ItemList | QA


@dataclass(frozen=True)
class Section:
    """A heading and what follows it, up to the next heading, in one article."""

    heading: str
    blocks: tuple[Block, ...]
    article: str  # the article's slug
    index: int  # position of the section in its article, from 0
    line: int = 0  # where the heading (or the untitled introduction) starts in the source

    @property
    def untitled(self) -> bool:
        """The introduction before an article's first heading has no heading of its own."""
        return not self.heading

    def words(self) -> int:
        return count_words(self.heading) + sum(block.words() for block in self.blocks)

    def body_words(self) -> int:
        return sum(block.words() for block in self.blocks)


SourceFormat = Literal["text", "markdown", "html"]


@dataclass(frozen=True)
class Removed:
    """Site chrome a reader dropped (a close glyph, a teaser block, a <nav>), for the report."""

    text: str
    line: int
    reason: str

    def words(self) -> int:
        return count_words(self.text)


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    subtitle: str | None
    sections: tuple[Section, ...]
    source: Path
    format: SourceFormat
    # Paragraphs before the first heading (an untitled introduction) are kept as a section
    # with an empty heading, so nothing is lost silently.
    removed: tuple[Removed, ...] = ()

    def words(self) -> int:
        return sum(section.words() for section in self.sections)


@dataclass(frozen=True)
class Lesson:
    position: int  # 1-based: "Lesson k of n"
    slug: str
    title: str
    subject: str
    preheader: str
    sections: tuple[Section, ...]
    template: str = "lesson"  # the email kind: "welcome" for the first, "lesson" otherwise

    def words(self) -> int:
        return sum(section.words() for section in self.sections)


@dataclass(frozen=True)
class Course:
    slug: str
    title: str
    description: str
    disclaimer: str
    lessons: tuple[Lesson, ...]
    articles: tuple[Article, ...] = field(default=())
    spec_path: Path | None = None

    def lesson(self, key: str | int) -> Lesson:
        """A lesson by slug or 1-based position (as `drip preview LESSON` takes it)."""
        for lesson in self.lessons:
            if lesson.slug == key or str(lesson.position) == str(key):
                return lesson
        raise KeyError(f"no lesson {key!r} in course {self.slug!r}")
