"""No page of the console links to a page that is not there."""

from __future__ import annotations

import re
from html import unescape

from fastapi import FastAPI
from fastapi.testclient import TestClient

from admin.web.template_versions import save_version
from render import load_templates
from subscribers import Consent, add_confirmed

HREF = re.compile(r'(?:href|src)="(/[^"#]*)"')
MAX_PAGES = 120


def test_every_link_in_the_console_leads_somewhere(admin: TestClient, app: FastAPI) -> None:
    with app.state.web.transaction() as session:
        add_confirmed(session, app.state.web.settings, "ann@example.com", consent=Consent("t"))
        save_version(session, "lesson.html", load_templates()["lesson.html"] + "\n", "ada")
    seen: set[str] = set()
    queue = ["/admin"]
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        response = admin.get(path)
        assert response.status_code in (200, 303), f"{path} answered {response.status_code}"
        if "text/html" in response.headers.get("content-type", ""):
            for link in HREF.findall(response.text):
                target = unescape(link)
                if target.startswith(("/admin", "/subscribe")) and target not in seen:
                    queue.append(target)
    assert len(seen) > 20  # it did look around
