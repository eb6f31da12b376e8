"""The send pipeline every backend shares, seen through the in-memory backend."""

from __future__ import annotations

import pytest

from delivery import backend_for
from delivery.errors import PermanentError, TransientError
from delivery.memory import MemoryBackend
from delivery.message import (
    Accepted,
    Batch,
    Outcome,
    Recipient,
    Rejected,
    unsubscribe_headers,
)
from delivery.outbox import OutboxBackend
from delivery.sendgrid import SendGridBackend
from delivery.smtp import SmtpBackend
from drip.settings import Settings, load_settings
from tests.support.mail import make_batch, make_recipient


def test_the_memory_backend_keeps_what_each_reader_would_read() -> None:
    backend = MemoryBackend(unsubscribe_mailto="leave@example.com")
    outcomes = backend.send(make_batch(2))
    assert outcomes == [Accepted("d0", "memory-1"), Accepted("d1", "memory-2")]
    email = backend.outbox[1]
    assert (email.to, email.subject) == ("reader1@example.com", "Day 1 for Reader 1")
    assert "Unsubscribe: https://drip.example/unsubscribe/token-1" in email.text
    assert email.headers == {
        "List-Unsubscribe": (
            "<https://drip.example/unsubscribe/token-1>, "
            "<mailto:leave@example.com?subject=unsubscribe>"
        ),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_refused_recipients_keep_their_place_in_the_answer() -> None:
    batch = make_batch(
        0,
        make_recipient(0, email="no-at-sign"),
        make_recipient(1),
        make_recipient(2, email="Reader1@Example.com"),
        make_recipient(3, headers={"Bad Name": "x"}),
    )
    backend = MemoryBackend()
    outcomes = backend.send(batch)
    assert outcomes == [
        Rejected("d0", "'no-at-sign' is not a valid email address"),
        Accepted("d1", "memory-1"),
        Rejected("d2", "Reader1@Example.com appears more than once in this batch"),
        Rejected("d3", "header name 'Bad Name' is not valid"),
    ]
    assert [email.to for email in backend.outbox] == ["reader1@example.com"]


def test_an_error_mid_batch_carries_the_refusals_too() -> None:
    class Failing(MemoryBackend):
        def post(self, batch: Batch) -> list[Outcome]:
            raise TransientError("down")

    with pytest.raises(TransientError) as caught:
        Failing().send(make_batch(0, make_recipient(0, email="x"), make_recipient(1)))
    assert caught.value.settled == (Rejected("d0", "'x' is not a valid email address"),)


def test_a_batch_over_the_limit_is_permanent() -> None:
    backend = MemoryBackend()
    backend.max_recipients = 2
    with pytest.raises(PermanentError, match="a batch of 3 recipients is over"):
        backend.send(make_batch(3))
    assert backend.outbox == []


def test_a_batch_names_each_delivery_once() -> None:
    with pytest.raises(ValueError, match="each delivery_id at most once"):
        make_batch(0, make_recipient(0), make_recipient(1, delivery_id="d0"))


ONE_CLICK = {"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


@pytest.mark.parametrize(
    ("url", "mailto", "headers"),
    [
        (
            "https://x.example/u/t",
            None,
            {"List-Unsubscribe": "<https://x.example/u/t>"} | ONE_CLICK,
        ),
        ("http://127.0.0.1:8000/u/t", None, {"List-Unsubscribe": "<http://127.0.0.1:8000/u/t>"}),
        (
            "",
            "leave@x.example",
            {"List-Unsubscribe": "<mailto:leave@x.example?subject=unsubscribe>"},
        ),
        ("", None, {}),
    ],
)
def test_unsubscribe_headers(url: str, mailto: str | None, headers: dict[str, str]) -> None:
    assert unsubscribe_headers(url, mailto) == headers


def test_the_link_wins_over_a_stale_header_given_by_hand() -> None:
    stale = {"List-Unsubscribe": "<https://old>"}
    recipient = Recipient(
        "ann@example.com", "Ann", "1", headers=stale, unsubscribe_url="https://new.example/u"
    )
    backend = MemoryBackend()
    backend.send(make_batch(0, recipient))
    assert backend.outbox[0].headers["List-Unsubscribe"] == "<https://new.example/u>"


def test_backend_for_follows_the_settings(settings: Settings) -> None:
    assert isinstance(backend_for(settings), OutboxBackend)
    smtp = load_settings(smtp_url="smtps://u:p@mail.example.com")
    assert isinstance(backend_for(smtp), SmtpBackend)
    sendgrid = backend_for(load_settings(sendgrid_api_key="SG.key"))
    assert isinstance(sendgrid, SendGridBackend)
    assert sendgrid.client.client.timeout == 30  # the client has none of its own
    assert sendgrid.client.host == "https://api.sendgrid.com"
