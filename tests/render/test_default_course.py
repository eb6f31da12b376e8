"""The shipped templates on the bundled magnesium course, as the course builder builds it."""

from __future__ import annotations

from course.model import Course
from render import Renderer, Sender, check_templates
from render.samples import tricky_readers


def test_every_email_of_the_default_course_passes_every_check(
    default_course: Course, sender: Sender
) -> None:
    assert check_templates(default_course, sender) == []


def test_two_stages_equal_a_full_render_on_the_default_course(
    default_course: Course, sender: Sender
) -> None:
    renderer = Renderer(default_course, sender)
    reader = tricky_readers(sender)[0]
    for lesson in default_course.lessons:
        prepared = renderer.prepare_lesson(lesson)
        full = renderer.render_full(prepared.kind, lesson, reader)
        assert prepared.personalise(reader) == full, lesson.slug


def test_the_default_course_sends_a_welcome_then_lessons(default_course: Course) -> None:
    kinds = [lesson.template for lesson in default_course.lessons]
    assert kinds[0] == "welcome"
    assert set(kinds[1:]) == {"lesson"}
