"""The course spec: a YAML file naming the course, its articles, its lessons and exclusions.

It is read node by node (PyYAML's composer keeps every node's line), so each mistake is
reported as `spec.yaml:LINE: what is wrong`. The format is documented in README.md:

    slug: vitamin-d
    title: Vitamin D in Four Days
    description: What the course is, in a sentence or two.
    disclaimer: The medical disclaimer every email carries.
    articles:
      sunshine: articles/vitamin-d.txt                    # path, relative to this file
      sources: {path: articles/sources.html, encoding: windows-1252}
    lessons:
      - slug: welcome
        title: Welcome
        subject: Your vitamin D course starts today
        preheader: What the next three days hold
        sections:
          - sources: "(untitled)"                          # before the first heading
          - sunshine: [Introduction, "Why Vitamin D*"]     # heading patterns, in order
    exclude:
      - sources: Conclusion
        reason: restates what the welcome already says
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import cast, get_args

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from course.errors import error_at
from course.model import Section, SourceFormat
from course.readers import decode

UNTITLED = "(untitled)"
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FOLDS = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def _fold(text: str) -> str:
    """Headings compare without case, and with straight quotes and hyphens for curly ones."""
    folded = unicodedata.normalize("NFKC", text).translate(_FOLDS).casefold()
    return " ".join(folded.split())


@dataclass(frozen=True)
class Pattern:
    """A heading pattern: `*` any text, `?` one character; `(untitled)` the introduction."""

    text: str
    line: int

    def matches(self, section: Section) -> bool:
        if self.text.strip().casefold() == UNTITLED:
            return section.untitled
        return not section.untitled and fnmatchcase(_fold(section.heading), _fold(self.text))


@dataclass(frozen=True)
class Pick:
    """Sections of one article, by heading patterns, in the order given."""

    article: str
    patterns: tuple[Pattern, ...]
    line: int


@dataclass(frozen=True)
class ArticleSource:
    slug: str
    path: Path
    format: SourceFormat | None
    encoding: str | None
    line: int


@dataclass(frozen=True)
class LessonSpec:
    slug: str
    title: str
    subject: str
    preheader: str
    picks: tuple[Pick, ...]
    line: int


@dataclass(frozen=True)
class Exclusion:
    pick: Pick
    reason: str


@dataclass(frozen=True)
class CourseSpec:
    path: Path
    slug: str
    title: str
    description: str
    disclaimer: str
    articles: tuple[ArticleSource, ...]
    lessons: tuple[LessonSpec, ...]
    exclusions: tuple[Exclusion, ...]

    def article(self, slug: str) -> ArticleSource:
        return next(source for source in self.articles if source.slug == slug)


def load_spec(path: Path) -> CourseSpec:
    return _SpecReader(path).read()


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


class _SpecReader:
    """Walks the composed YAML tree; every check names the node's line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, node: Node | int | None, message: str) -> Exception:
        line = _line(node) if isinstance(node, Node) else node
        return error_at(self.path, line, message)

    def read(self) -> CourseSpec:
        root = self.compose()
        fields = self.mapping(root, "the course spec")
        self.keys(root, fields, "the course spec", required=_COURSE_KEYS, optional={"exclude"})
        articles = self.articles(fields["articles"][1])
        known = {source.slug for source in articles}
        return CourseSpec(
            path=self.path,
            slug=self.slug(fields["slug"][1], "the course slug"),
            title=self.string(fields["title"][1], "title"),
            description=self.string(fields["description"][1], "description"),
            disclaimer=self.string(fields["disclaimer"][1], "disclaimer"),
            articles=articles,
            lessons=self.lessons(fields["lessons"][1], known),
            exclusions=self.exclusions(fields["exclude"][1], known) if "exclude" in fields else (),
        )

    def compose(self) -> Node:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            raise self.fail(None, "no such course spec") from None
        except OSError as error:
            raise self.fail(None, f"cannot read the course spec: {error.strerror}") from None
        try:
            root = yaml.compose(decode(data, self.path), Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = mark.line + 1 if mark else None
            raise self.fail(line, f"not valid YAML: {error.problem or error.context}") from None
        except yaml.YAMLError as error:
            raise self.fail(None, f"not valid YAML: {error}") from None
        if root is None:
            raise self.fail(None, "the course spec is empty")
        return root

    # -- shapes ------------------------------------------------------------------------

    def mapping(self, node: Node, what: str) -> dict[str, tuple[Node, Node]]:
        """`{key: (key node, value node)}`, refusing duplicate and non-text keys."""
        if not isinstance(node, MappingNode):
            raise self.fail(node, f"{what} must be a mapping of keys to values")
        fields: dict[str, tuple[Node, Node]] = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode):
                raise self.fail(key, f"{what}: keys must be plain names")
            if key.value in fields:
                raise self.fail(key, f"{what}: {key.value!r} is given twice")
            fields[key.value] = (key, value)
        return fields

    def keys(
        self,
        node: Node,
        fields: dict[str, tuple[Node, Node]],
        what: str,
        *,
        required: AbstractSet[str],
        optional: AbstractSet[str] = frozenset(),
    ) -> None:
        for name, (key, _) in fields.items():
            if name not in required | optional:
                allowed = ", ".join(sorted(required | optional))
                raise self.fail(key, f"{what}: unknown key {name!r} (allowed: {allowed})")
        missing = sorted(required - fields.keys())
        if missing:
            raise self.fail(node, f"{what}: missing {', '.join(map(repr, missing))}")

    def string(self, node: Node, what: str) -> str:
        if not isinstance(node, ScalarNode):
            raise self.fail(node, f"{what} must be text")
        text = " ".join(str(node.value).split())
        if node.tag.endswith(":null") or not text:
            raise self.fail(node, f"{what} is empty")
        return text

    def strings(self, node: Node, what: str) -> list[tuple[str, int]]:
        """One text or a list of texts, each with its line."""
        if isinstance(node, SequenceNode):
            if not node.value:
                raise self.fail(node, f"{what}: the list is empty")
            return [(self.string(item, what), _line(item)) for item in node.value]
        return [(self.string(node, what), _line(node))]

    def slug(self, node: Node, what: str) -> str:
        text = self.string(node, what)
        if not _SLUG.match(text):
            raise self.fail(node, f"{what} {text!r} must be lower-case words joined by '-'")
        return text

    # -- parts ---------------------------------------------------------------------------

    def articles(self, node: Node) -> tuple[ArticleSource, ...]:
        fields = self.mapping(node, "articles")
        if not fields:
            raise self.fail(node, "articles: name at least one article")
        return tuple(self.article(key, value) for key, value in fields.values())

    def article(self, key: Node, value: Node) -> ArticleSource:
        slug = self.slug(key, "article name")
        what = f"article {slug!r}"
        format_: str | None = None
        encoding: str | None = None
        if isinstance(value, MappingNode):
            fields = self.mapping(value, what)
            self.keys(value, fields, what, required={"path"}, optional={"format", "encoding"})
            path_node = fields["path"][1]
            if "format" in fields:
                format_ = self.string(fields["format"][1], f"{what}: format")
                if format_ not in get_args(SourceFormat):
                    formats = ", ".join(get_args(SourceFormat))
                    raise self.fail(fields["format"][1], f"{what}: format must be one of {formats}")
            if "encoding" in fields:
                encoding = self.string(fields["encoding"][1], f"{what}: encoding")
        else:
            path_node = value
        path = self.path.parent / self.string(path_node, f"{what}: path")
        return ArticleSource(
            slug, path, cast(SourceFormat | None, format_), encoding, _line(path_node)
        )

    def lessons(self, node: Node, known: set[str]) -> tuple[LessonSpec, ...]:
        if not isinstance(node, SequenceNode) or not node.value:
            raise self.fail(node, "lessons must be a list of at least one lesson")
        lessons = tuple(self.lesson(item, known) for item in node.value)
        seen: dict[str, int] = {}
        for lesson in lessons:
            if lesson.slug in seen:
                raise self.fail(
                    lesson.line,
                    f"lesson {lesson.slug!r} is named twice (also line {seen[lesson.slug]})",
                )
            seen[lesson.slug] = lesson.line
        return lessons

    def lesson(self, node: Node, known: set[str]) -> LessonSpec:
        fields = self.mapping(node, "a lesson")
        slug = self.slug(fields["slug"][1], "lesson slug") if "slug" in fields else "?"
        what = f"lesson {slug!r}"
        self.keys(node, fields, what, required=_LESSON_KEYS)
        sections = fields["sections"][1]
        if not isinstance(sections, SequenceNode) or not sections.value:
            raise self.fail(
                sections, f"{what} takes no sections (sections: a list of article: patterns)"
            )
        return LessonSpec(
            slug=slug,
            title=self.string(fields["title"][1], f"{what}: title"),
            subject=self.string(fields["subject"][1], f"{what}: subject"),
            preheader=self.string(fields["preheader"][1], f"{what}: preheader"),
            picks=tuple(self.pick(item, known, what) for item in sections.value),
            line=_line(node),
        )

    def pick(
        self, node: Node, known: set[str], what: str, extra: AbstractSet[str] = frozenset()
    ) -> Pick:
        fields = self.mapping(node, f"{what}: a sections entry")
        names = [name for name in fields if name not in extra]
        if len(names) != 1:
            raise self.fail(node, f"{what}: each entry names one article, as `article: [patterns]`")
        article = names[0]
        key, value = fields[article]
        if article not in known:
            have = ", ".join(sorted(known))
            raise self.fail(key, f"{what}: no article {article!r} under articles: (have {have})")
        patterns = tuple(
            Pattern(text, line) for text, line in self.strings(value, f"{what}: heading pattern")
        )
        return Pick(article, patterns, _line(key))

    def exclusions(self, node: Node, known: set[str]) -> tuple[Exclusion, ...]:
        if isinstance(node, ScalarNode) and node.tag.endswith(":null"):
            return ()  # `exclude:` with nothing under it
        if not isinstance(node, SequenceNode):
            raise self.fail(node, "exclude must be a list of `article: [patterns]` with a reason")
        return tuple(self.exclusion(item, known) for item in node.value)

    def exclusion(self, node: Node, known: set[str]) -> Exclusion:
        fields = self.mapping(node, "an exclusion")
        if "reason" not in fields:
            raise self.fail(
                node, "an exclusion needs a reason: say why these sections are left out"
            )
        pick = self.pick(node, known, "exclude", extra={"reason"})
        return Exclusion(pick, self.string(fields["reason"][1], "exclude: reason"))


_COURSE_KEYS = {"slug", "title", "description", "disclaimer", "articles", "lessons"}
_LESSON_KEYS = {"slug", "title", "subject", "preheader", "sections"}
