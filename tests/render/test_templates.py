"""The shipped templates: every email carries what the issue asks, in HTML and text."""

from __future__ import annotations

import re

import pytest
from lxml import html as lxml_html

from course.model import Lesson
from render import Email, Reader, Renderer, Sender, sample_reader
from render.checks import GMAIL_CLIP_BYTES
from render.text import MAX_TEXT_COLUMNS

from .conftest import DISCLAIMER, LESSONS


@pytest.fixture
def reader(sender: Sender) -> Reader:
    return sample_reader(sender)


def _lesson_email(renderer: Renderer, lesson: Lesson, reader: Reader) -> Email:
    return renderer.prepare_lesson(lesson).personalise(reader)


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.slug for lesson in LESSONS])
def test_every_lesson_carries_the_required_parts(
    renderer: Renderer, reader: Reader, lesson: Lesson
) -> None:
    email = _lesson_email(renderer, lesson, reader)
    document = lxml_html.document_fromstring(email.html)
    visible = _words(document.text_content())
    hrefs = {a.get("href") for a in document.iter("a")}
    assert email.subject == lesson.subject
    for body in (visible, _words(email.text)):
        assert f"Lesson {lesson.position} of 6" in body
        assert _words(DISCLAIMER) in body
        assert "Drip Test Ltd, 1 Test Street, Testville 12345" in body
        assert lesson.title in body
    assert {reader.unsubscribe_url, reader.preferences_url, reader.view_url} <= hrefs
    for url in (reader.unsubscribe_url, reader.preferences_url, reader.view_url):
        assert url in email.text.splitlines()  # links listed, one per line


def test_the_lesson_content_is_all_there(renderer: Renderer, reader: Reader) -> None:
    lesson = LESSONS[2]  # an ordered list with bold lead-ins
    email = _lesson_email(renderer, lesson, reader)
    document = lxml_html.document_fromstring(email.html)
    leads = [strong.text_content() for strong in document.iter("strong")]
    assert "Reduction of Inflammation:" in leads
    assert len(list(document.iter("ol"))) == 1
    assert "  1. Reduction of Inflammation: Magnesium glycinate has" in email.text
    assert "\n     anti-inflammatory" in email.text  # the hanging indent


def test_questions_and_answers(renderer: Renderer, reader: Reader) -> None:
    email = _lesson_email(renderer, LESSONS[5], reader)
    assert "Q: How long does magnesium take to work?" in email.text
    assert "   Deeper recovery takes weeks." in email.text
    assert "How long does magnesium take to work?" in email.html


def test_the_welcome_lays_out_the_course(renderer: Renderer, reader: Reader) -> None:
    email = _lesson_email(renderer, LESSONS[0], reader)
    for lesson in LESSONS:
        assert lesson.title in email.html
        assert lesson.title in email.text
    assert 'class="button-link"' in email.html  # choose your delivery time


def test_lessons_point_to_tomorrow_and_the_last_one_says_goodbye(
    renderer: Renderer, reader: Reader
) -> None:
    second = _lesson_email(renderer, LESSONS[1], reader)
    last = _lesson_email(renderer, LESSONS[-1], reader)
    assert "Tomorrow, lesson 3: Which magnesium, and how much" in second.text
    assert "Tomorrow" not in last.text
    assert "end of the course" in last.text
    assert "end of the course" in last.html


@pytest.mark.parametrize("kind", ["confirmation", "unsubscribed"])
def test_the_other_emails(renderer: Renderer, reader: Reader, kind: str) -> None:
    email = renderer.prepare(kind).personalise(reader)  # type: ignore[arg-type]
    assert email.subject in ("Please confirm your subscription", "You're unsubscribed")
    assert "The Magnesium Course" in email.text
    assert "Drip Test Ltd, 1 Test Street" in email.text
    assert "Drip Test Ltd, 1 Test Street" in email.html
    if kind == "confirmation":
        assert f'href="{reader.confirm_url}"' in email.html
        assert reader.confirm_url in email.text.splitlines()
    else:
        assert reader.unsubscribe_url not in email.html  # they have left already
        assert "http://127.0.0.1:8000/subscribe" in email.text


def _every_email(renderer: Renderer, reader: Reader) -> list[Email]:
    emails = [_lesson_email(renderer, lesson, reader) for lesson in LESSONS]
    emails += [
        renderer.prepare(kind).personalise(reader) for kind in ("confirmation", "unsubscribed")
    ]
    return emails


def test_the_html_follows_the_email_frameworks(renderer: Renderer, reader: Reader) -> None:
    for email in _every_email(renderer, reader):
        document = lxml_html.document_fromstring(email.html)
        assert email.html.startswith("<!DOCTYPE html>")
        assert document.get("lang") == "en"
        assert document.get("dir") == "ltr"
        metas = {m.get("name") or m.get("charset") for m in document.iter("meta")}
        assert {"utf-8", "viewport", "color-scheme"} <= metas
        assert not list(document.iter("script", "link"))
        assert all(t.get("role") == "presentation" for t in document.iter("table"))
        assert all(img.get("alt") is not None for img in document.iter("img"))
        preheader = document.find("body").find("div")
        assert "display:none" in preheader.get("style").replace(" ", "")
        style = "".join(s.text for s in document.iter("style"))
        assert re.search(r"@media only screen and \(max-width: 620px\)", style)
        assert "!important" in style
        assert len(email.html.encode()) < GMAIL_CLIP_BYTES


def test_body_text_is_at_least_16px(renderer: Renderer, reader: Reader) -> None:
    email = _lesson_email(renderer, LESSONS[1], reader)
    document = lxml_html.document_fromstring(email.html)
    card = document.find_class("card")[0]
    small_print = {p for cell in card.find_class("small") for p in cell.iter("p")}
    body_text = [p for p in card.iter("p", "li") if p not in small_print]
    assert len(body_text) > 5
    for paragraph in body_text:
        size = re.search(r"font-size:(\d+)px", paragraph.get("style") or "")
        assert size is not None, paragraph.text_content()
        assert int(size.group(1)) >= 16, paragraph.text_content()


def test_text_twins_are_wrapped_under_78_columns(renderer: Renderer, reader: Reader) -> None:
    for email in _every_email(renderer, reader):
        for line in email.text.splitlines():
            assert len(line) <= MAX_TEXT_COLUMNS or line.startswith("http"), line
