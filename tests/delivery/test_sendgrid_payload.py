"""The SendGrid request body: a pure function of the batch and the settings, no network."""

from __future__ import annotations

from pathlib import Path

import pytest

from delivery.message import Recipient
from delivery.sendgrid import sendgrid_payload
from drip.settings import Settings, load_settings
from tests.support.mail import HTML, SUBJECT, TEXT, make_batch, make_recipient
from tests.support.sendgrid_standin import problems_with


def test_one_personalization_per_recipient_sharing_one_body(settings: Settings) -> None:
    batch = make_batch(2)
    assert sendgrid_payload(batch, settings) == {
        "personalizations": [
            {
                "to": [{"email": "reader0@example.com", "name": '"Reader 0"'}],
                "custom_args": {"delivery_id": "d0"},
                "substitutions": {
                    "%name%": "Reader 0",
                    "%unsubscribe%": "https://drip.example/unsubscribe/token-0",
                },
                "headers": {
                    "List-Unsubscribe": "<https://drip.example/unsubscribe/token-0>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            },
            {
                "to": [{"email": "reader1@example.com", "name": '"Reader 1"'}],
                "custom_args": {"delivery_id": "d1"},
                "substitutions": {
                    "%name%": "Reader 1",
                    "%unsubscribe%": "https://drip.example/unsubscribe/token-1",
                },
                "headers": {
                    "List-Unsubscribe": "<https://drip.example/unsubscribe/token-1>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            },
        ],
        "from": {"email": "course@example.com", "name": "Magnesium Course"},
        "subject": SUBJECT,
        "content": [{"type": "text/plain", "value": TEXT}, {"type": "text/html", "value": HTML}],
        "categories": ["welcome"],
        "custom_args": {"lesson": "welcome"},
    }
    assert problems_with(sendgrid_payload(batch, settings)) == []


def test_mailto_joins_the_link_when_configured(tmp_path: Path) -> None:
    settings = load_settings(unsubscribe_mailto="leave@example.com", outbox_dir=tmp_path)
    payload = sendgrid_payload(make_batch(1), settings)
    assert payload["personalizations"][0]["headers"] == {
        "List-Unsubscribe": (
            "<https://drip.example/unsubscribe/token-0>, "
            "<mailto:leave@example.com?subject=unsubscribe>"
        ),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_plain_http_link_gets_no_one_click_header(settings: Settings) -> None:
    # RFC 8058 one-click needs https; a development link keeps List-Unsubscribe only.
    recipient = make_recipient(0, unsubscribe_url="http://127.0.0.1:8000/unsubscribe/t")
    headers = sendgrid_payload(make_batch(0, recipient), settings)["personalizations"][0]["headers"]
    assert headers == {"List-Unsubscribe": "<http://127.0.0.1:8000/unsubscribe/t>"}


def test_sandbox_mode(settings: Settings) -> None:
    sandboxed = settings.model_copy(update={"sendgrid_sandbox": True})
    payload = sendgrid_payload(make_batch(1), sandboxed)
    assert payload["mail_settings"] == {"sandbox_mode": {"enable": True}}
    assert "mail_settings" not in sendgrid_payload(make_batch(1), settings)


@pytest.mark.parametrize(
    ("name", "sent"),
    [
        ("Ann", '"Ann"'),
        ("Smith, Ann; PhD", '"Smith, Ann; PhD"'),  # SendGrid would drop it unquoted
        ('Ann "the reader"', '"Ann \\"the reader\\""'),
        ("  Ann\n  Lee ", '"Ann Lee"'),  # a form's stray whitespace and line breaks
    ],
)
def test_names_are_quoted_for_sendgrid(settings: Settings, name: str, sent: str) -> None:
    payload = sendgrid_payload(make_batch(0, make_recipient(0, name=name)), settings)
    assert payload["personalizations"][0]["to"] == [{"email": "reader0@example.com", "name": sent}]


def test_bare_recipient_and_sender(settings: Settings) -> None:
    bare = Recipient(email="ann@example.com", name="", delivery_id="7")
    payload = sendgrid_payload(make_batch(0, bare, from_address="me@example.com"), settings)
    assert payload["personalizations"] == [
        {"to": [{"email": "ann@example.com"}], "custom_args": {"delivery_id": "7"}}
    ]
    assert payload["from"] == {"email": "me@example.com"}


def test_empty_parts_are_left_out(settings: Settings) -> None:
    html_only = sendgrid_payload(make_batch(1, text="", category="", custom_args={}), settings)
    assert html_only["content"] == [{"type": "text/html", "value": HTML}]
    assert "categories" not in html_only
    assert "custom_args" not in html_only


def test_recipients_keep_their_order(settings: Settings) -> None:
    batch = make_batch(1000)
    sent = [p["to"][0]["email"] for p in sendgrid_payload(batch, settings)["personalizations"]]
    assert sent == [r.email for r in batch.recipients]
