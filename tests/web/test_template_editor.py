"""The template editor over HTTP: live check and preview, checked saves, diffs, restores."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markupsafe import escape

from admin.web.security import EMAIL_POLICY
from admin.web.template_versions import history
from render import load_templates
from tests.web.conftest import csrf_of

LESSON = load_templates()["lesson.html"]
EDITED = LESSON.replace("Until tomorrow,", "See you tomorrow, same time,")
BROKEN = LESSON.replace("{% endif %}", "{% endfi %}")
BROKEN_LINE = LESSON.splitlines().index("{% endif %}") + 1


def _post(client: TestClient, path: str, **data: str) -> httpx.Response:
    token = csrf_of(client.get("/admin/templates/lesson.html").text)
    return client.post(path, data={**data, "csrf_token": token})


def test_every_template_file_is_listed(marketer: TestClient) -> None:
    page = marketer.get("/admin/templates").text
    for name in load_templates():
        assert f'href="/admin/templates/{name}"' in page


def test_the_editor_holds_the_template_in_force(marketer: TestClient) -> None:
    page = marketer.get("/admin/templates/lesson.html")
    assert page.status_code == 200
    assert "Until tomorrow," in page.text
    assert "{% extends &#34;base.html&#34; %}" in page.text  # escaped into the textarea
    assert 'src="/admin/templates/lesson.html/preview?email=' in page.text


def test_a_live_check_passes_a_good_draft_and_names_the_line_of_a_bad_one(
    marketer: TestClient,
) -> None:
    good = _post(marketer, "/admin/templates/lesson.html/check", source=EDITED).json()
    assert good == {"ok": True, "summary": "Every email passes its checks", "problems": []}
    bad = _post(marketer, "/admin/templates/lesson.html/check", source=BROKEN).json()
    assert bad["ok"] is False
    assert bad["problems"][0]["where"] == f"lesson.html:{BROKEN_LINE}"
    assert bad["problems"][0]["line"] == BROKEN_LINE
    assert "endfi" in bad["problems"][0]["message"]


def test_the_live_preview_renders_the_draft_under_the_email_policy(marketer: TestClient) -> None:
    response = _post(marketer, "/admin/templates/lesson.html/preview", source=EDITED, email="diet")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == EMAIL_POLICY
    assert "See you tomorrow, same time," in response.text
    broken = _post(marketer, "/admin/templates/lesson.html/preview", source=BROKEN)
    assert "This email cannot be rendered" in broken.text
    assert f"lesson.html:{BROKEN_LINE}" in broken.text


def test_a_text_template_previews_as_text(marketer: TestClient) -> None:
    source = load_templates()["lesson.txt"]
    response = _post(marketer, "/admin/templates/lesson.txt/preview", source=source)
    assert "<pre" in response.text
    assert "lesson 2 of" in response.text.lower()


def test_a_broken_save_is_refused_with_its_line_and_nothing_is_stored(
    marketer: TestClient, app: FastAPI
) -> None:
    response = _post(marketer, "/admin/templates/lesson.html", source=BROKEN)
    assert response.status_code == 422
    assert f'data-goto-line="{BROKEN_LINE}"' in response.text
    assert "endfi" in response.text
    assert "{% endfi %}" in response.text  # the draft is kept
    with app.state.web.sessions() as session:
        assert history(session, "lesson.html") == []


def test_a_good_save_is_a_version_in_force_everywhere(marketer: TestClient, app: FastAPI) -> None:
    response = _post(marketer, "/admin/templates/lesson.html", source=EDITED.replace("\n", "\r\n"))
    assert response.status_code == 303
    editor = marketer.get("/admin/templates/lesson.html").text
    assert re.search(r"Saved lesson.html as version \d+", editor)
    assert "saved by mia" in editor
    with app.state.web.sessions() as session:
        [version] = history(session, "lesson.html")
    assert version.source == EDITED  # lines end in LF whatever the browser sent
    assert version.author == "mia"
    assert "See you tomorrow, same time," in marketer.get("/admin/lessons/3/email.html").text


def test_saving_the_same_text_again_stores_nothing(marketer: TestClient, app: FastAPI) -> None:
    _post(marketer, "/admin/templates/lesson.html", source=LESSON)
    assert "Nothing changed" in marketer.get("/admin/templates/lesson.html").text
    with app.state.web.sessions() as session:
        assert history(session, "lesson.html") == []


def test_a_version_shows_its_diff_and_can_be_restored(marketer: TestClient, app: FastAPI) -> None:
    _post(marketer, "/admin/templates/lesson.html", source=EDITED)
    _post(marketer, "/admin/templates/lesson.html", source=LESSON.replace("Until", "Till"))
    with app.state.web.sessions() as session:
        second, first = history(session, "lesson.html")
    diff_page = marketer.get(f"/admin/templates/lesson.html/versions/{first.id}").text
    removed = escape('-<p class="signoff">Until tomorrow,</p>')
    assert f'<span class="del">{removed}</span>' in diff_page
    assert "Compared with the default file" in diff_page
    later = marketer.get(f"/admin/templates/lesson.html/versions/{second.id}").text
    assert f"Compared with version {first.id}" in later
    _post(marketer, f"/admin/templates/lesson.html/versions/{first.id}/restore")
    _post(marketer, "/admin/templates/lesson.html/restore-default")
    with app.state.web.sessions() as session:
        versions = history(session, "lesson.html")
    assert [v.note for v in versions[:2]] == [
        "restored the default file",
        f"restored version {first.id}",
    ]
    assert versions[1].source == EDITED
    assert versions[0].source == LESSON


def test_saving_needs_the_csrf_token(marketer: TestClient) -> None:
    response = marketer.post("/admin/templates/lesson.html", data={"source": EDITED})
    assert response.status_code == 403


@pytest.mark.parametrize("name", ["nope.html", "../../etc/passwd", "..%2F..%2Fpyproject.toml"])
def test_only_known_templates_can_be_opened(marketer: TestClient, name: str) -> None:
    assert marketer.get(f"/admin/templates/{name}").status_code == 404


def test_an_unknown_version_is_not_found(marketer: TestClient) -> None:
    assert marketer.get("/admin/templates/lesson.html/versions/999").status_code == 404
