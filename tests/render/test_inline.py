"""premailer, configured safely: no network, no files, @media kept, cssutils quiet."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from render.inline import inline_css


@pytest.fixture
def css_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 serving a stylesheet, noting every request."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            body = b"p { color: red; }"
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


def _page(head: str, body: str = "<p>Hello</p>") -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


def test_styles_are_inlined() -> None:
    out = inline_css(_page("<style>p { color: #123456; font-size: 17px }</style>"))
    assert '<p style="color:#123456; font-size:17px">Hello</p>' in out
    assert out.startswith("<!DOCTYPE html>")


def test_no_stylesheet_is_fetched_over_the_network(css_server: tuple[str, list[str]]) -> None:
    base, requests = css_server
    out = inline_css(_page(f'<link rel="stylesheet" href="{base}/email.css">'))
    assert requests == []
    assert "color:red" not in out


def test_no_stylesheet_is_read_from_disk(tmp_path: Path) -> None:
    sheet = tmp_path / "secret.css"
    sheet.write_text("p { color: red; }", encoding="utf-8")
    out = inline_css(_page(f'<link rel="stylesheet" href="{sheet}">'))
    assert "color:red" not in out


def test_media_rules_stay_in_a_style_block_and_become_important() -> None:
    css = "p { font-size: 17px } @media (max-width: 620px) { p { font-size: 16px } }"
    out = inline_css(_page(f"<style>{css}</style>"))
    assert "@media (max-width: 620px)" in out
    assert "font-size: 16px !important" in out
    assert '<p style="font-size:17px">' in out


def test_cssutils_says_nothing_about_email_css(capfd: pytest.CaptureFixture[str]) -> None:
    css = "p { mso-line-height-rule: exactly; -webkit-text-size-adjust: 100%; colour: red; }"
    inline_css(_page(f"<style>{css} @media (max-width: 1px) {{ p {{ bogus }} }}</style>"))
    captured = capfd.readouterr()
    assert (captured.out, captured.err) == ("", "")


def test_merge_keys_in_attributes_take_the_attribute_variant() -> None:
    body = '<a href="%%drip.view_url.html%%" title="x">%%drip.name.html%%</a>'
    out = inline_css(_page("", body))
    assert 'href="%%drip.view_url.attr%%"' in out
    assert ">%%drip.name.html%%</a>" in out
