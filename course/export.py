"""The course and its build report as plain JSON-ready values (`drip build --json`)."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from course.build import Build, Fate, FateKind
from course.errors import where
from course.model import QA, Article, Block, Course, ItemList, Lesson, Paragraph, Removed, Section

JSON = dict[str, Any]


def block_to_dict(block: Block) -> JSON:
    if isinstance(block, Paragraph):
        return {"type": "paragraph", "text": block.text}
    if isinstance(block, ItemList):
        items = [{"lead": item.lead, "text": item.text} for item in block.items]
        return {"type": "list", "ordered": block.ordered, "items": items}
    assert isinstance(block, QA)
    return {
        "type": "qa",
        "question": block.question,
        "answer": [paragraph.text for paragraph in block.answer],
    }


def section_to_dict(section: Section) -> JSON:
    return {
        "article": section.article,
        "index": section.index,
        "heading": section.heading,
        "words": section.words(),
        "blocks": [block_to_dict(block) for block in section.blocks],
    }


def lesson_summary(lesson: Lesson) -> JSON:
    return {
        "position": lesson.position,
        "slug": lesson.slug,
        "template": lesson.template,
        "title": lesson.title,
        "subject": lesson.subject,
        "preheader": lesson.preheader,
        "words": lesson.words(),
    }


def course_to_dict(course: Course) -> JSON:
    return {
        "slug": course.slug,
        "title": course.title,
        "description": course.description,
        "disclaimer": course.disclaimer,
        "lessons": [
            lesson_summary(lesson) | {"sections": [section_to_dict(s) for s in lesson.sections]}
            for lesson in course.lessons
        ],
    }


def build_to_dict(build: Build) -> JSON:
    """The whole course with its content, and the report of every section's fate."""
    fates = {(fate.section.article, fate.section.index): fate for fate in build.fates}
    kinds: tuple[FateKind, ...] = ("lesson", "excluded", "unassigned")
    return course_to_dict(build.course) | {
        "report": {
            "articles": [_article_report(article, fates) for article in build.course.articles],
            "words": {"sections": sum(build.words(kind) for kind in kinds)}
            | {kind: build.words(kind) for kind in kinds},
            "warnings": build.warnings(),
        }
    }


def _article_report(article: Article, fates: dict[tuple[str, int], Fate]) -> JSON:
    return {
        "slug": article.slug,
        "title": article.title,
        "subtitle": article.subtitle,
        "source": where(article.source),
        "format": article.format,
        "sections": [
            _fate_to_dict(fates[(article.slug, section.index)]) for section in article.sections
        ],
        "removed": [_removed_to_dict(run) for run in removed_runs(article.removed)],
    }


def _fate_to_dict(fate: Fate) -> JSON:
    return {
        "index": fate.section.index,
        "heading": fate.section.heading,
        "line": fate.section.line,
        "words": fate.section.words(),
        "fate": fate.kind,
        "lesson": fate.lesson.slug if fate.lesson else None,
        "reason": fate.reason,
        "spec_line": fate.spec_line,
    }


def removed_runs(removed: tuple[Removed, ...]) -> list[list[Removed]]:
    """Removed chrome grouped into runs of one reason (a teaser block is one run)."""
    return [list(run) for _, run in groupby(removed, key=lambda item: item.reason)]


def _removed_to_dict(run: list[Removed]) -> JSON:
    return {
        "reason": run[0].reason,
        "first_line": run[0].line,
        "last_line": run[-1].line,
        "words": sum(item.words() for item in run),
        "text": [item.text for item in run],
    }
