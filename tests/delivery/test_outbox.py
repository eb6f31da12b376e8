"""The outbox backend: one .eml file per message, named after its delivery, written whole."""

from __future__ import annotations

import email
import os
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from delivery import backend_for
from delivery.errors import ConfigurationError
from delivery.message import Accepted, Rejected, personalise
from delivery.mime import message_id
from delivery.outbox import OutboxBackend, outbox_filename
from drip.settings import Settings, load_settings
from tests.support.mail import make_batch, make_recipient


def read(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=default)
    assert isinstance(message, EmailMessage)
    return message


def test_it_is_the_default_backend(settings: Settings) -> None:
    assert isinstance(backend_for(settings), OutboxBackend)


def test_one_file_per_message_that_a_mail_client_opens(settings: Settings) -> None:
    outcomes = OutboxBackend(settings).send(make_batch(2))
    assert sorted(p.name for p in settings.outbox_dir.iterdir()) == ["d0.eml", "d1.eml"]
    message = read(settings.outbox_dir / "d1.eml")
    assert outcomes[1] == Accepted("d1", message["Message-ID"])
    assert message["To"] == "Reader 1 <reader1@example.com>"
    assert message["Subject"] == "Day 1 for Reader 1"
    assert message["List-Unsubscribe"] == "<https://drip.example/unsubscribe/token-1>"
    assert message["X-Drip-Delivery"] == "d1"
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "Unsubscribe: https://drip.example/unsubscribe/token-1" in text.get_content()
    assert "<p>Hello Reader 1,</p>" in html.get_content()


def test_a_retried_send_overwrites_rather_than_duplicates(settings: Settings) -> None:
    backend = OutboxBackend(settings)
    first = backend.send(make_batch(2))
    second = backend.send(make_batch(2))
    assert first == second  # the same Message-ID: receivers can spot the duplicate
    assert sorted(os.listdir(settings.outbox_dir)) == ["d0.eml", "d1.eml"]  # no temporary files


def test_mailto_joins_the_unsubscribe_link(tmp_path: Path) -> None:
    settings = load_settings(outbox_dir=tmp_path, unsubscribe_mailto="leave@example.com")
    OutboxBackend(settings).send(make_batch(1))
    assert read(tmp_path / "d0.eml")["List-Unsubscribe"] == (
        "<https://drip.example/unsubscribe/token-0>, <mailto:leave@example.com?subject=unsubscribe>"
    )


def test_a_name_cannot_inject_headers(settings: Settings) -> None:
    recipient = make_recipient(0, name="Ann\r\nBcc: victim@example.com")
    OutboxBackend(settings).send(make_batch(0, recipient))
    message = read(settings.outbox_dir / "d0.eml")
    assert message["To"] == '"Ann Bcc: victim@example.com" <reader0@example.com>'
    assert message["Bcc"] is None


def test_an_invalid_address_is_rejected_and_not_written(settings: Settings) -> None:
    outcomes = OutboxBackend(settings).send(make_batch(0, make_recipient(0, email="a@b@c")))
    assert outcomes == [Rejected("d0", "'a@b@c' is not a valid email address")]
    assert not settings.outbox_dir.exists()


@pytest.mark.parametrize(
    ("delivery_id", "name"),
    [
        ("42", "42.eml"),
        ("welcome-ann", "welcome-ann.eml"),
        ("a_b", "a_b.eml"),
        ("a/b", "a_b-c14cddc0.eml"),  # escaped, so a hash keeps it apart from a_b
        ("../up", "_up-8c722b8a.eml"),
    ],
)
def test_file_names_are_safe_and_stable(delivery_id: str, name: str) -> None:
    assert outbox_filename(delivery_id) == name


def test_an_unwritable_folder_names_the_setting(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    settings = load_settings(outbox_dir=tmp_path / "a-file" / "outbox")
    with pytest.raises(ConfigurationError, match=r"^DRIP_OUTBOX_DIR: cannot write to"):
        OutboxBackend(settings).send(make_batch(1))


def test_message_ids_are_stable_per_delivery_and_distinct_between_them() -> None:
    batch = make_batch(2)
    first, second = (personalise(batch, recipient) for recipient in batch.recipients)
    assert message_id(first) == message_id(first)
    assert message_id(first) != message_id(second)
    assert message_id(first).endswith("@example.com>")
