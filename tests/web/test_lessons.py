"""The lessons pages and previews."""

from __future__ import annotations

from fastapi.testclient import TestClient

from admin.web.security import EMAIL_POLICY
from course import load_course
from drip.settings import DEFAULT_COURSE


def test_a_marketer_sees_every_lesson_in_order(marketer: TestClient) -> None:
    course = load_course(DEFAULT_COURSE)
    page = marketer.get("/admin/lessons").text
    positions = [page.index(lesson.subject.replace("'", "&#39;")) for lesson in course.lessons]
    assert positions == sorted(positions)
    assert f'href="/admin/lessons/{course.lessons[1].slug}"' in page


def test_a_lesson_preview_frames_the_email_at_two_widths_and_shows_its_text(
    marketer: TestClient,
) -> None:
    course = load_course(DEFAULT_COURSE)
    lesson = course.lessons[1]
    page = marketer.get(f"/admin/lessons/{lesson.slug}")
    assert page.status_code == 200
    frame = f'src="/admin/lessons/{lesson.slug}/email.html"'
    assert page.text.count(frame) == 2
    assert page.text.count('sandbox="allow-popups allow-popups-to-escape-sandbox"') == 2
    assert "Alex Morgan (a sample subscriber)" in page.text
    assert f"lesson 2 of {len(course.lessons)}" in page.text.lower()  # the text twin
    assert '<pre class="plain-text">' in page.text
    assert 'href="/admin/templates/lesson.html"' in page.text


def test_the_framed_email_is_served_under_the_email_policy(marketer: TestClient) -> None:
    response = marketer.get("/admin/lessons/2/email.html")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == EMAIL_POLICY
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert "script-src" not in EMAIL_POLICY  # default-src 'none': no script at all
    assert "/unsubscribe/" in response.text
    assert "Hi Alex Morgan," in response.text


def test_the_other_emails_have_previews_too(marketer: TestClient) -> None:
    listed = marketer.get("/admin/lessons").text
    for key in ("confirmation", "unsubscribed"):
        assert f'href="/admin/lessons/{key}"' in listed
        assert marketer.get(f"/admin/lessons/{key}").status_code == 200
        assert marketer.get(f"/admin/lessons/{key}/email.html").status_code == 200


def test_an_unknown_lesson_is_not_found(marketer: TestClient) -> None:
    assert marketer.get("/admin/lessons/no-such-lesson").status_code == 404
    assert marketer.get("/admin/lessons/99/email.html").status_code == 404


def test_previews_need_a_login(client: TestClient) -> None:
    assert client.get("/admin/lessons/2/email.html").status_code == 303
