"""Building a course: the spec's lessons filled with sections, and the fate of every section.

Every section of every article ends in exactly one place: a lesson, an exclusion the
spec explains, or the unassigned pile the report warns about (`strict` refuses it). A
section claimed twice is an error, so nothing is said twice by accident.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from course.errors import CourseError, error_at, where
from course.model import Article, Course, Lesson, Section
from course.readers import format_of, read_article
from course.spec import ArticleSource, CourseSpec, LessonSpec, Pick, load_spec

FateKind = Literal["lesson", "excluded", "unassigned"]


@dataclass(frozen=True)
class Fate:
    """Where one section of one article went."""

    section: Section
    kind: FateKind
    lesson: Lesson | None = None
    reason: str | None = None
    spec_line: int | None = None  # the spec line that claimed it


@dataclass(frozen=True)
class Build:
    course: Course
    fates: tuple[Fate, ...]

    @property
    def unassigned(self) -> tuple[Fate, ...]:
        return tuple(fate for fate in self.fates if fate.kind == "unassigned")

    def words(self, kind: FateKind) -> int:
        return sum(fate.section.words() for fate in self.fates if fate.kind == kind)

    def warnings(self) -> list[str]:
        articles = {article.slug: article for article in self.course.articles}
        return [
            f"{where(articles[fate.section.article].source, fate.section.line)}: section "
            f"{label(fate.section)} is in no lesson and not excluded"
            for fate in self.unassigned
        ]


def label(section: Section) -> str:
    return repr(section.heading) if section.heading else "(untitled)"


def load_course(spec: Path) -> Course:
    """The course a spec describes; `CourseError` (file and line) when it cannot be built."""
    return build_course(spec).course


def build_course(spec_path: Path, *, strict: bool = False) -> Build:
    spec = load_spec(spec_path)
    articles = tuple(_read(spec, source.slug) for source in spec.articles)
    claims = _Claims(spec, {article.slug: article for article in articles})
    lessons = tuple(
        claims.lesson(position, lesson) for position, lesson in enumerate(spec.lessons, 1)
    )
    for exclusion in spec.exclusions:
        claims.exclude(exclusion.pick, exclusion.reason)
    course = Course(
        slug=spec.slug,
        title=spec.title,
        description=spec.description,
        disclaimer=spec.disclaimer,
        lessons=lessons,
        articles=articles,
        spec_path=spec.path,
    )
    build = Build(course, tuple(claims.fates(articles, lessons)))
    if strict and build.unassigned:
        raise CourseError(f"--strict: {'; '.join(build.warnings())}")
    return build


def _read(spec: CourseSpec, slug: str) -> Article:
    """One article of the spec; its errors also name the spec line that named it."""
    source = spec.article(slug)
    try:
        format_ = source.format or format_of(source.path)
    except CourseError as error:
        raise _named_at(error, spec, source) from None
    if not source.path.is_file():
        missing = f"article {slug!r}: no such file {where(source.path)}"
        raise error_at(spec.path, source.line, missing)
    try:
        return read_article(source.path, slug=slug, format=format_, encoding=source.encoding)
    except CourseError as error:
        raise _named_at(error, spec, source) from None


def _named_at(error: CourseError, spec: CourseSpec, source: ArticleSource) -> CourseError:
    return CourseError(
        f"{error} (article {source.slug!r}, named at {where(spec.path, source.line)})"
    )


@dataclass(frozen=True)
class _Claim:
    owner: str  # "lesson 'welcome'" or "exclude", for messages
    kind: FateKind
    line: int
    reason: str | None = None


class _Claims:
    """Which spec line took which section; a second claim on a section is an error."""

    def __init__(self, spec: CourseSpec, articles: dict[str, Article]) -> None:
        self.spec = spec
        self.articles = articles
        self.taken: dict[tuple[str, int], _Claim] = {}

    def lesson(self, position: int, spec: LessonSpec) -> Lesson:
        what = f"lesson {spec.slug!r}"
        sections = tuple(
            section for pick in spec.picks for section in self.claim(pick, what, "lesson")
        )
        if not any(section.body_words() for section in sections):
            message = f"{what} has no content: its sections have no text under their headings"
            raise error_at(self.spec.path, spec.line, message)
        return Lesson(
            position=position,
            slug=spec.slug,
            title=spec.title,
            subject=spec.subject,
            preheader=spec.preheader,
            sections=sections,
            template="welcome" if position == 1 else "lesson",
        )

    def exclude(self, pick: Pick, reason: str) -> None:
        self.claim(pick, "exclude", "excluded", reason)

    def claim(
        self, pick: Pick, owner: str, kind: FateKind, reason: str | None = None
    ) -> list[Section]:
        article = self.articles[pick.article]
        claimed: list[Section] = []
        for pattern in pick.patterns:
            matched = [section for section in article.sections if pattern.matches(section)]
            if not matched:
                headings = ", ".join(label(section) for section in article.sections)
                raise error_at(
                    self.spec.path,
                    pattern.line,
                    f"{owner}: {pattern.text!r} matches no heading of article {pick.article!r} "
                    f"(its headings: {headings})",
                )
            for section in matched:
                self._take(section, _Claim(owner, kind, pattern.line, reason))
                claimed.append(section)
        return claimed

    def _take(self, section: Section, claim: _Claim) -> None:
        key = (section.article, section.index)
        earlier = self.taken.get(key)
        if earlier is not None:
            raise error_at(
                self.spec.path,
                claim.line,
                f"{claim.owner}: section {label(section)} of article {section.article!r} is "
                f"already taken by {earlier.owner} (line {earlier.line}); "
                "a section goes to one place only",
            )
        self.taken[key] = claim

    def fates(self, articles: tuple[Article, ...], lessons: tuple[Lesson, ...]) -> Iterator[Fate]:
        owner = {
            (section.article, section.index): lesson
            for lesson in lessons
            for section in lesson.sections
        }
        for article in articles:
            for section in article.sections:
                claim = self.taken.get((article.slug, section.index))
                if claim is None:
                    yield Fate(section, "unassigned")
                else:
                    lesson = owner.get((article.slug, section.index))
                    yield Fate(section, claim.kind, lesson, claim.reason, claim.line)
