"""What templates see of the course, the lesson and the sender: plain read-only views.

Templates get these small values rather than the course model itself, so a marketer's
template reaches only strings and numbers (the model carries paths, and a sandboxed
template must never hold an object with methods that touch the disk).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any, Literal

from course.model import QA, Block, Course, ItemList, Lesson, Paragraph
from drip.settings import Settings


@dataclass(frozen=True)
class Sender:
    """Who sends the course: DRIP_FROM, DRIP_POSTAL_ADDRESS and DRIP_BASE_URL."""

    name: str
    email: str
    postal_address: str
    base_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Sender:
        name, email = parseaddr(settings.from_address)
        return cls(
            name=name or email,
            email=email,
            postal_address=settings.postal_address,
            base_url=settings.base_url,
        )

    @property
    def subscribe_url(self) -> str:
        return f"{self.base_url}/subscribe"


@dataclass(frozen=True)
class ParagraphView:
    text: str
    kind: Literal["paragraph"] = "paragraph"


@dataclass(frozen=True)
class ItemView:
    text: str
    lead: str | None  # a bold lead-in such as "Muscle Relaxation"


@dataclass(frozen=True)
class ListView:
    items: tuple[ItemView, ...]
    ordered: bool
    kind: Literal["list"] = "list"


@dataclass(frozen=True)
class QAView:
    question: str
    answer: tuple[str, ...]  # the answer's paragraphs
    kind: Literal["qa"] = "qa"


BlockView = ParagraphView | ListView | QAView


@dataclass(frozen=True)
class SectionView:
    heading: str  # empty for an untitled introduction
    blocks: tuple[BlockView, ...]


@dataclass(frozen=True)
class LessonSummary:
    position: int
    slug: str
    title: str


@dataclass(frozen=True)
class LessonView:
    position: int
    slug: str
    title: str
    subject: str
    preheader: str
    sections: tuple[SectionView, ...]
    total: int  # lessons in the course: "Lesson {{ lesson.position }} of {{ lesson.total }}"
    next: LessonSummary | None  # the lesson that follows, None for the last

    @property
    def is_last(self) -> bool:
        return self.next is None


@dataclass(frozen=True)
class CourseView:
    title: str
    description: str
    disclaimer: str
    lesson_count: int
    lessons: tuple[LessonSummary, ...]


def block_view(block: Block) -> BlockView:
    if isinstance(block, Paragraph):
        return ParagraphView(block.text)
    if isinstance(block, ItemList):
        return ListView(tuple(ItemView(i.text, i.lead) for i in block.items), block.ordered)
    assert isinstance(block, QA)
    return QAView(block.question, tuple(p.text for p in block.answer))


def summary(lesson: Lesson) -> LessonSummary:
    return LessonSummary(lesson.position, lesson.slug, lesson.title)


def course_view(course: Course) -> CourseView:
    return CourseView(
        title=course.title,
        description=course.description,
        disclaimer=course.disclaimer,
        lesson_count=len(course.lessons),
        lessons=tuple(summary(lesson) for lesson in course.lessons),
    )


def lesson_view(course: Course, lesson: Lesson) -> LessonView:
    later = [other for other in course.lessons if other.position > lesson.position]
    following = min(later, key=lambda other: other.position) if later else None
    return LessonView(
        position=lesson.position,
        slug=lesson.slug,
        title=lesson.title,
        subject=lesson.subject,
        preheader=lesson.preheader,
        sections=tuple(
            SectionView(s.heading, tuple(block_view(b) for b in s.blocks)) for s in lesson.sections
        ),
        total=len(course.lessons),
        next=summary(following) if following else None,
    )


def template_context(course: Course, lesson: Lesson | None, sender: Sender) -> dict[str, Any]:
    """The variables every template gets (the renderer adds `reader` per output)."""
    context: dict[str, Any] = {"course": course_view(course), "sender": sender}
    if lesson is not None:  # absent, not None, so a stray {{ lesson.title }} is reported
        context["lesson"] = lesson_view(course, lesson)
    return context
