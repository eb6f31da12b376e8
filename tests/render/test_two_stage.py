"""The two stages give, byte for byte, what a full render per subscriber gives."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from course.model import Course, Lesson
from drip.substitution import substitute
from render import Reader, Renderer, RenderError, Sender, sample_reader
from render.samples import tricky_readers

from .conftest import LESSONS

EMAILS = [pytest.param(lesson, id=lesson.slug) for lesson in LESSONS]


def _every_email(renderer: Renderer) -> list[tuple[str, Lesson | None]]:
    lessons: list[tuple[str, Lesson | None]] = [
        (renderer.kind_of(lesson), lesson) for lesson in renderer.course.lessons
    ]
    return [*lessons, ("confirmation", None), ("unsubscribed", None)]


@pytest.mark.parametrize("which", [0, 1], ids=["tricky-name", "no-name"])
def test_two_stages_equal_a_full_render_for_every_email(renderer: Renderer, which: int) -> None:
    reader = tricky_readers(renderer.sender)[which]
    for kind, lesson in _every_email(renderer):
        prepared = renderer.prepare(kind, lesson)  # type: ignore[arg-type]
        merged = prepared.personalise(reader)
        full = renderer.render_full(kind, lesson, reader)  # type: ignore[arg-type]
        assert merged.subject == full.subject, (kind, lesson)
        assert merged.text == full.text, (kind, lesson)
        assert merged.html == full.html, (kind, lesson)


def test_stage_two_is_what_sendgrid_does_with_the_substitutions(renderer: Renderer) -> None:
    reader = tricky_readers(renderer.sender)[0]
    for kind, lesson in _every_email(renderer):
        prepared = renderer.prepare(kind, lesson)  # type: ignore[arg-type]
        subs = prepared.substitutions(reader)
        email = prepared.personalise(reader)
        assert email.html == substitute(prepared.html, subs)
        assert email.text == substitute(prepared.text, subs)
        assert email.subject == substitute(prepared.subject, subs)


def test_a_hostile_name_is_escaped_in_html_and_kept_in_text(renderer: Renderer) -> None:
    reader = tricky_readers(renderer.sender)[0]
    email = renderer.prepare_lesson(LESSONS[1]).personalise(reader)
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    assert "山田 太郎 Ελένη" in email.html
    assert f"Hi {reader.name}," in email.text  # plain text is not HTML: no entities


def test_links_are_escaped_for_attributes(renderer: Renderer) -> None:
    reader = tricky_readers(renderer.sender)[0]
    email = renderer.prepare_lesson(LESSONS[1]).personalise(reader)
    href = reader.unsubscribe_url.replace("&", "&amp;")
    assert f'href="{href}"' in email.html
    assert reader.unsubscribe_url in email.text


def test_a_subscriber_without_a_name_is_greeted_gracefully(renderer: Renderer) -> None:
    nameless = tricky_readers(renderer.sender)[1]
    for kind, lesson in _every_email(renderer):
        email = renderer.prepare(kind, lesson).personalise(nameless)  # type: ignore[arg-type]
        assert "Hi there," in email.text
        assert "Hi there," in email.html
        assert "Hi ," not in email.text + email.html


def test_stage_one_holds_no_personal_data(renderer: Renderer, sender: Sender) -> None:
    reader = sample_reader(sender)
    prepared = renderer.prepare_lesson(LESSONS[2])
    for body in (prepared.subject, prepared.html, prepared.text):
        assert reader.name not in body
        assert reader.email not in body
        assert "/unsubscribe/" not in body
    assert re.search(r"%%drip\.unsubscribe_url\.attr%%", prepared.html)


def test_substitutions_stay_within_sendgrids_limit(renderer: Renderer) -> None:
    reader = tricky_readers(renderer.sender)[0]
    subs = renderer.prepare_lesson(LESSONS[0]).substitutions(reader)
    size = sum(len(k.encode()) + len(v.encode()) for k, v in subs.items())
    assert size < 10_000  # bytes per personalization, SendGrid's documented limit


def test_stage_one_runs_once_per_lesson(renderer: Renderer) -> None:
    assert renderer.prepare_lesson(LESSONS[3]) is renderer.prepare_lesson(LESSONS[3])


def test_the_template_version_names_the_template_set(
    course: Course, sender: Sender, templates: dict[str, str]
) -> None:
    shipped = Renderer(course, sender, templates)
    same = Renderer(course, sender, dict(templates))
    edited = Renderer(course, sender, templates | {"style.css": templates["style.css"] + "\n"})
    assert shipped.version == same.version != edited.version
    assert shipped.prepare_lesson(LESSONS[1]).template_version == shipped.version


def test_a_confirmation_needs_the_confirm_link(renderer: Renderer) -> None:
    prepared = renderer.prepare("confirmation")
    with pytest.raises(RenderError, match="has no confirm_url"):
        prepared.personalise(Reader("ana@example.com", name="Ana"))


def test_a_lesson_kind_needs_a_lesson_and_the_others_refuse_one(renderer: Renderer) -> None:
    with pytest.raises(RenderError, match="the lesson email needs a lesson"):
        renderer.prepare("lesson")
    with pytest.raises(RenderError, match="the confirmation email takes no lesson"):
        renderer.prepare("confirmation", LESSONS[0])


TRICKY_CHARACTERS = st.sampled_from(
    [
        *"<>&\"' ;=%~#\\/\u00a0\u2028\u200b\ufdd0\x00\x07\x1b\r\n\t",
        *("&amp;", "&#34;", "%%drip.email%%", "%%drip.name.html%%", "]]>", "<!--", "Zoë", "山田"),
    ]
)


@examples(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.one_of(st.text(max_size=30), st.lists(TRICKY_CHARACTERS, max_size=12).map("".join)))
def test_any_name_gives_the_same_bytes_in_two_stages(renderer: Renderer, name: str) -> None:
    reader = Reader("someone@example.com", name=name)
    prepared = renderer.prepare("unsubscribed")
    assert prepared.personalise(reader) == renderer.render_full("unsubscribed", None, reader)


def test_control_characters_never_reach_an_email(renderer: Renderer) -> None:
    reader = Reader("someone@example.com", name="Ana\x00\x1b[31m\r\nBcc: x@example.com")
    email = renderer.prepare("unsubscribed").personalise(reader)
    assert "Hi Ana[31m Bcc: x@example.com," in email.text
    assert "\x00" not in email.html + email.text + email.subject
