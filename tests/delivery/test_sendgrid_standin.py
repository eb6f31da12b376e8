"""The stand-in refuses what SendGrid refuses: bodies posted raw with the real client."""

from __future__ import annotations

import json
import time
from typing import Any
from unittest.mock import ANY

import pytest
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient

from tests.support.sendgrid_standin import Fault, SendGridStandIn, standin_process


def good_body(recipients: int = 1) -> dict[str, Any]:
    return {
        "personalizations": [
            {"to": [{"email": f"r{i}@example.com"}], "custom_args": {"delivery_id": str(i)}}
            for i in range(recipients)
        ],
        "from": {"email": "course@example.com"},
        "subject": "Hello",
        "content": [{"type": "text/plain", "value": "Hi"}, {"type": "text/html", "value": "<p>Hi"}],
        "custom_args": {"lesson": "welcome"},  # an object, though the schema file says string
    }


def post(standin: SendGridStandIn, body: Any, key: str | None = None) -> tuple[int, list[Any]]:
    client = SendGridAPIClient(api_key=key or standin.api_key, host=standin.url)
    try:
        response = client.client.mail.send.post(request_body=body)
    except HTTPError as error:
        return error.status_code, json.loads(error.body or b"{}").get("errors", [])
    return response.status_code, []


def test_a_good_body_is_accepted_with_a_message_id(sendgrid_standin: SendGridStandIn) -> None:
    client = SendGridAPIClient(api_key=sendgrid_standin.api_key, host=sendgrid_standin.url)
    response = client.client.mail.send.post(request_body=good_body())
    assert response.status_code == 202
    assert response.headers["X-Message-Id"] == sendgrid_standin.accepted[0].message_id


def test_a_wrong_or_missing_key_is_401(sendgrid_standin: SendGridStandIn) -> None:
    status, errors = post(sendgrid_standin, good_body(), key="SG.someone-else")
    assert status == 401
    assert (
        errors[0]["message"] == "The provided authorization grant is invalid, expired, or revoked"
    )
    assert sendgrid_standin.accepted == []


def fields(errors: list[dict[str, Any]]) -> list[str | None]:
    return [error["field"] for error in errors]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda b: b.pop("from"), None, "'from' is a required property"),
        (
            lambda b: b["personalizations"][0]["to"][0].update(email="nobody"),
            "personalizations.0.to.0.email",
            "is not a 'email'",
        ),
        (
            lambda b: b["personalizations"][0].pop("to"),
            "personalizations.0",
            "'to' is a required property",
        ),
        (
            lambda b: b.update(custom_args="lesson=welcome"),
            "custom_args",
            "is not of type 'object'",
        ),
        (
            lambda b: b["personalizations"][0]["custom_args"].update(n=1),
            "personalizations.0.custom_args",
            "must be strings",
        ),
        (lambda b: b.update(categories=["c"] * 2), "categories", "has non-unique elements"),
        (lambda b: b.update(personalizations=[]), "personalizations", "at least one item"),
        (
            lambda b: b["personalizations"].append(b["personalizations"][0]),
            "personalizations.1.to",
            "first duplicate instance of [r0@example.com]",
        ),
        (
            lambda b: b["personalizations"][0]["to"][0].update(name="Smith, Ann"),
            "personalizations.0.to.0.name",
            "unquoted name",
        ),
        (
            lambda b: b["personalizations"][0].update(substitutions={"-n-": "x" * 10_000}),
            "personalizations.0.substitutions",
            "10000 bytes",
        ),
        (  # 1,700 characters, but 10,200 bytes as JSON escapes them
            lambda b: b["personalizations"][0].update(substitutions={"-n-": "\x01" * 1_700}),
            "personalizations.0.substitutions",
            "10000 bytes",
        ),
        (
            lambda b: b["personalizations"][0]["custom_args"].update(n="x" * 10_000),
            "personalizations.0.custom_args",
            "10000 bytes",
        ),
        (
            lambda b: b["personalizations"][0].update(headers={"From": "x@example.com"}),
            "personalizations.0.headers.From",
            "reserved",
        ),
        (lambda b: b["content"].reverse(), "content", "order of text/plain, then text/html"),
        (lambda b: b.pop("subject"), "subject", "The subject is required"),
        (
            lambda b: b["personalizations"][0].update(send_at=4_000_000_000),
            "personalizations.0.send_at",
            "72 hours",
        ),
    ],
)
def test_what_sendgrid_refuses_is_a_400_naming_the_field(
    sendgrid_standin: SendGridStandIn, change: Any, field: str | None, words: str
) -> None:
    body = good_body()
    change(body)
    status, errors = post(sendgrid_standin, body)
    assert status == 400
    assert field in fields(errors)
    assert any(words in error["message"] for error in errors), errors
    assert all(error["help"].startswith("https://") for error in errors)
    assert sendgrid_standin.accepted == []


def test_1000_recipients_pass_and_1001_do_not(sendgrid_standin: SendGridStandIn) -> None:
    assert post(sendgrid_standin, good_body(1000)) == (202, [])
    status, errors = post(sendgrid_standin, good_body(1001))
    assert status == 400
    assert "limited to 1000" in errors[-1]["message"]


def test_one_bad_address_among_many_valid_ones_is_found(sendgrid_standin: SendGridStandIn) -> None:
    body = good_body(1000)
    body["personalizations"][737]["to"][0]["email"] = "r737 at example.com"
    status, errors = post(sendgrid_standin, body)
    assert (status, fields(errors)) == (400, ["personalizations.737.to.0.email"])


def test_over_30_mb_is_413(sendgrid_standin: SendGridStandIn) -> None:
    body = good_body()
    body["content"][1]["value"] = "x" * 30_000_000
    status, _ = post(sendgrid_standin, body)
    assert status == 413


def test_substitutions_just_under_the_limit_are_accepted(sendgrid_standin: SendGridStandIn) -> None:
    body = good_body()
    # {"-n-":"ééé..."}: 10 bytes and 4,995 two-byte characters, 10,000 bytes exactly.
    body["personalizations"][0]["substitutions"] = {"-n-": "é" * 4_995}
    assert post(sendgrid_standin, body) == (202, [])


def test_counters_are_served_over_http_from_another_process() -> None:
    with standin_process() as standin:
        client = SendGridAPIClient(api_key=standin.api_key, host=standin.url)
        assert client.client.mail.send.post(request_body=good_body(3)).status_code == 202
        stats = standin.stats()
    assert stats.pop("handling_seconds") > 0
    assert stats == {"requests": 1, "statuses": {"202": 1}, "recipients": 3, "accepted_requests": 1}


def test_a_rate_limit_says_when_to_come_back(sendgrid_standin: SendGridStandIn) -> None:
    sendgrid_standin.fail_next(Fault.rate_limited(reset_in=5))
    client = SendGridAPIClient(api_key=sendgrid_standin.api_key, host=sendgrid_standin.url)
    with pytest.raises(HTTPError) as caught:
        client.client.mail.send.post(request_body=good_body())
    headers = caught.value.headers
    assert caught.value.status_code == 429
    assert (headers["X-RateLimit-Limit"], headers["X-RateLimit-Remaining"]) == ("600", "0")
    assert 4 <= int(headers["X-RateLimit-Reset"]) - time.time() <= 5
    assert json.loads(caught.value.body) == {
        "errors": [{"message": "too many requests", "field": None, "help": ANY}]
    }
