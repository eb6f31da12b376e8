"""The SendGrid backend: the real `sendgrid` client against the stand-in on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest

from delivery.errors import (
    ConfigurationError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from delivery.message import Accepted, Deferred, Rejected
from delivery.retry import RetryPolicy, send_with_retries
from delivery.sendgrid import SendGridBackend, sendgrid_payload
from drip.errors import DripError
from drip.settings import Settings, load_settings
from tests.support.mail import make_batch, make_recipient
from tests.support.sendgrid_standin import Fault, SendGridStandIn


def test_a_batch_is_one_request_and_each_reader_gets_their_own_email(
    sendgrid: SendGridBackend, sendgrid_standin: SendGridStandIn
) -> None:
    batch = make_batch(3)
    outcomes = sendgrid.send(batch)
    [request] = sendgrid_standin.accepted
    assert request.json() == sendgrid_payload(batch, sendgrid.settings)  # sent as built
    assert outcomes == [Accepted(f"d{i}", request.message_id) for i in range(3)]
    assert sendgrid_standin.statuses == {202: 1}
    email = sendgrid_standin.email_to("reader1@example.com")
    assert (email.to_name, email.subject) == ("Reader 1", "Day 1 for Reader 1")
    assert "<p>Hello Reader 1,</p>" in email.html
    assert 'href="https://drip.example/unsubscribe/token-1"' in email.html
    assert "Unsubscribe: https://drip.example/unsubscribe/token-1" in email.text
    assert email.headers == {
        "List-Unsubscribe": "<https://drip.example/unsubscribe/token-1>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert email.custom_args == {"lesson": "welcome", "delivery_id": "d1"}
    assert email.categories == ("welcome",)
    assert email.from_email == "course@example.com"


def test_a_full_batch_of_1000_keeps_its_order(
    sendgrid: SendGridBackend, sendgrid_standin: SendGridStandIn
) -> None:
    batch = make_batch(1000)
    outcomes = sendgrid.send(batch)
    assert all(isinstance(outcome, Accepted) for outcome in outcomes)
    assert sendgrid_standin.requests == 1
    emails = sendgrid_standin.emails
    assert [email.to for email in emails] == [r.email for r in batch.recipients]
    assert [email.subject for email in emails[:2]] == ["Day 1 for Reader 0", "Day 1 for Reader 1"]
    assert emails[999].custom_args["delivery_id"] == "d999"


def test_sandbox_mode_is_accepted_and_delivers_nothing(
    sendgrid_standin: SendGridStandIn,
) -> None:
    settings = load_settings(**sendgrid_standin.settings_overrides(), sendgrid_sandbox=True)
    outcomes = SendGridBackend(settings).send(make_batch(2))
    assert [type(outcome) for outcome in outcomes] == [Accepted, Accepted]
    assert sendgrid_standin.statuses == {200: 1}
    assert sendgrid_standin.emails == []


def test_a_400_for_the_whole_request_is_permanent_with_sendgrid_s_words(
    sendgrid: SendGridBackend, sendgrid_standin: SendGridStandIn
) -> None:
    sendgrid_standin.fail_next(Fault.bad_request("The from object must be provided", "from"))
    with pytest.raises(PermanentError) as caught:
        sendgrid.send(make_batch(2))
    assert caught.value.permanent
    assert caught.value.status == 400
    assert caught.value.reasons == ("from: The from object must be provided",)
    assert "SendGrid refused the batch (400): from: The from object" in str(caught.value)


def test_a_400_naming_one_recipient_rejects_it_and_defers_the_others(
    sendgrid: SendGridBackend, sendgrid_standin: SendGridStandIn
) -> None:
    fault = Fault.bad_request("Does not contain a valid address.", "personalizations.1.to.0.email")
    sendgrid_standin.fail_next(fault)
    outcomes = sendgrid.send(make_batch(3))
    assert outcomes == [
        Deferred("d0", "not sent: SendGrid refused another recipient"),
        Rejected(
            "d1", "SendGrid: personalizations.1.to.0.email: Does not contain a valid address."
        ),
        Deferred("d2", "not sent: SendGrid refused another recipient"),
    ]
    # Sent again without the bad one, the others go through.
    assert [type(o) for o in sendgrid.send(make_batch(3).excluding({"d1"}))] == [Accepted] * 2


def test_a_bad_key_is_a_configuration_error_that_names_the_variable(
    sendgrid_standin: SendGridStandIn,
) -> None:
    overrides = sendgrid_standin.settings_overrides() | {"sendgrid_api_key": "SG.wrong"}
    backend = SendGridBackend(load_settings(**overrides))
    with pytest.raises(ConfigurationError) as caught:
        backend.send(make_batch(1))
    assert isinstance(caught.value, DripError)
    assert not caught.value.permanent  # nothing is marked failed: the batch stays due
    assert str(caught.value) == (
        "SENDGRID_API_KEY: SendGrid refused to send (401): "
        "The provided authorization grant is invalid, expired, or revoked"
    )


def test_an_unverified_sender_names_drip_from(
    sendgrid: SendGridBackend, sendgrid_standin: SendGridStandIn
) -> None:
    message = "The from address does not match a verified Sender Identity."
    sendgrid_standin.fail_next(Fault(status=403, errors=({"message": message, "field": "from"},)))
    with pytest.raises(ConfigurationError, match=r"^DRIP_FROM: SendGrid refused to send \(403\)"):
        sendgrid.send(make_batch(1))


def test_a_wrong_host_names_drip_sendgrid_host(sendgrid_standin: SendGridStandIn) -> None:
    overrides = sendgrid_standin.settings_overrides()
    overrides["sendgrid_host"] += "/somewhere-else"
    with pytest.raises(ConfigurationError, match=r"^DRIP_SENDGRID_HOST: .* \(404\)"):
        SendGridBackend(load_settings(**overrides)).send(make_batch(1))


def test_a_missing_key_is_refused_before_any_request() -> None:
    with pytest.raises(ConfigurationError, match=r"^SENDGRID_API_KEY is not set"):
        SendGridBackend(load_settings(backend="sendgrid"))


def test_429_waits_for_the_reset_then_succeeds(
    sendgrid: SendGridBackend, sendgrid_standin: SendGridStandIn
) -> None:
    sendgrid_standin.fail_next(Fault.rate_limited(reset_in=2))
    with pytest.raises(RateLimitedError) as caught:
        sendgrid.send(make_batch(2))
    assert caught.value.retry_after is not None
    assert 1 <= caught.value.retry_after <= 2  # X-RateLimit-Reset is whole seconds

    sendgrid_standin.fail_next(Fault.rate_limited(reset_in=2))
    waits: list[float] = []
    outcomes = send_with_retries(sendgrid, make_batch(2), sleep=waits.append)
    assert [type(outcome) for outcome in outcomes] == [Accepted, Accepted]
    assert len(waits) == 1
    assert 1 <= waits[0] <= 2
    assert sendgrid_standin.statuses == {429: 2, 202: 1}


@pytest.mark.parametrize(
    "fault", [Fault.server_error(500), Fault.server_error(503), Fault.bad_gateway()]
)
def test_server_errors_are_transient_and_retried(
    sendgrid: SendGridBackend, sendgrid_standin: SendGridStandIn, fault: Fault
) -> None:
    sendgrid_standin.fail_next(fault)
    with pytest.raises(TransientError, match=rf"SendGrid answered {fault.status}"):
        sendgrid.send(make_batch(1))
    sendgrid_standin.fail_next(fault, fault)
    waits: list[float] = []
    outcomes = send_with_retries(sendgrid, make_batch(1), sleep=waits.append, draw=lambda: 1.0)
    assert [type(outcome) for outcome in outcomes] == [Accepted]
    assert waits == [0.5, 1.0]  # full jitter at its ceiling: 0.5 s, then 1 s
    assert len(sendgrid_standin.emails) == 1


def test_a_slow_answer_times_out_as_transient(
    sendgrid_settings: Settings, sendgrid_standin: SendGridStandIn
) -> None:
    sendgrid_standin.fail_next(Fault.slow(3))
    backend = SendGridBackend(sendgrid_settings, timeout=0.3)
    with pytest.raises(TransientError, match=r"did not answer: .*timed out"):
        backend.send(make_batch(1))
    # SendGrid may have taken it all the same: this is the duplicate a retry can cause.
    assert sendgrid_standin.statuses == {202: 1}


def test_a_dropped_connection_is_transient(
    sendgrid: SendGridBackend, sendgrid_standin: SendGridStandIn
) -> None:
    sendgrid_standin.fail_next(Fault.dropped())
    with pytest.raises(TransientError, match="did not answer"):
        sendgrid.send(make_batch(1))
    assert sendgrid_standin.statuses == {"dropped": 1}
    assert sendgrid_standin.emails == []


def test_a_refused_connection_is_transient() -> None:
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    settings = load_settings(sendgrid_api_key="SG.x", sendgrid_host=f"http://127.0.0.1:{port}")
    with pytest.raises(TransientError, match=r"did not answer: .*[Cc]onnection refused"):
        SendGridBackend(settings, timeout=2).send(make_batch(1))


def test_retries_run_out_and_the_last_error_is_raised(
    sendgrid: SendGridBackend, sendgrid_standin: SendGridStandIn
) -> None:
    sendgrid_standin.fail_next(*[Fault.server_error()] * 3)
    with pytest.raises(TransientError):
        send_with_retries(sendgrid, make_batch(1), RetryPolicy(tries=3), sleep=lambda _: None)
    assert sendgrid_standin.requests == 3
    assert sendgrid_standin.emails == []


# SendGrid's documented limits, checked before sending: never a request it would refuse.


def test_over_1000_recipients_is_permanent_and_nothing_is_sent(
    sendgrid: SendGridBackend, sendgrid_standin: SendGridStandIn
) -> None:
    with pytest.raises(
        PermanentError, match="1001 recipients is over this backend's limit of 1000"
    ):
        sendgrid.send(make_batch(1001))
    assert sendgrid_standin.requests == 0


def test_recipients_sendgrid_would_refuse_are_rejected_and_the_rest_sent(
    sendgrid: SendGridBackend, sendgrid_standin: SendGridStandIn
) -> None:
    batch = make_batch(
        0,
        make_recipient(0),
        make_recipient(1, substitutions={"%name%": "x" * 10_000}),
        make_recipient(2, delivery_id="d" * 10_000),
        make_recipient(3, email="READER0@example.com"),  # the same mailbox as reader 0
        make_recipient(4, email="not an address"),
        make_recipient(5, headers={"Reply-To": "x@example.com"}),
        make_recipient(6, headers={"X-Note": "a\r\nBcc: victim@example.com"}),
        make_recipient(7),
    )
    outcomes = sendgrid.send(batch)
    assert [type(outcome) for outcome in outcomes] == [Accepted] + [Rejected] * 6 + [Accepted]
    reasons = [outcome.reason for outcome in outcomes if isinstance(outcome, Rejected)]
    assert reasons == [
        "substitutions take 10013 bytes; SendGrid allows 10000 per recipient",
        "custom_args take 10037 bytes; SendGrid allows 10000",
        "READER0@example.com appears more than once in this batch",
        "'not an address' is not a valid email address",
        "SendGrid does not allow setting the header Reply-To",
        "header X-Note contains a line break",
    ]
    assert [email.to for email in sendgrid_standin.emails] == [
        "reader0@example.com",
        "reader7@example.com",
    ]


def test_substitutions_of_exactly_10000_bytes_are_sent(
    sendgrid: SendGridBackend, sendgrid_standin: SendGridStandIn
) -> None:
    filler = "x" * (10_000 - len('{"%name%":""}'))
    outcomes = sendgrid.send(make_batch(0, make_recipient(0, substitutions={"%name%": filler})))
    assert [type(outcome) for outcome in outcomes] == [Accepted]
    assert sendgrid_standin.email_to("reader0@example.com").subject == f"Day 1 for {filler}"


def test_a_batch_with_no_sendable_recipient_makes_no_request(
    sendgrid: SendGridBackend, sendgrid_standin: SendGridStandIn
) -> None:
    outcomes = sendgrid.send(make_batch(0, make_recipient(0, email="nobody")))
    assert outcomes == [Rejected("d0", "'nobody' is not a valid email address")]
    assert sendgrid_standin.requests == 0


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"html": "x" * 30_000_000}, r"the request would take 30,0\d\d,\d+ bytes"),
        ({"category": "c" * 256}, "over SendGrid's 255 characters"),
        ({"custom_args": {"note": "n" * 10_000}}, "custom_args take 10011 bytes"),
        ({"subject": " "}, "the email has an empty subject"),
        ({"html": "", "text": ""}, "the email has neither an HTML nor a text body"),
        ({"from_address": "Course <course at example>"}, r"the sender: .* \(DRIP_FROM\)"),
    ],
)
def test_a_batch_that_cannot_be_made_valid_is_permanent(
    sendgrid: SendGridBackend,
    sendgrid_standin: SendGridStandIn,
    changes: dict[str, object],
    why: str,
) -> None:
    with pytest.raises(PermanentError, match=why):
        sendgrid.send(make_batch(2, **changes))
    assert sendgrid_standin.requests == 0


def test_a_400_among_good_batches_fails_only_its_own(
    sendgrid: SendGridBackend, sendgrid_standin: SendGridStandIn
) -> None:
    sendgrid_standin.fail_request(2, Fault.bad_request("Invalid type. Expected: string", "subject"))
    batches = [make_batch(0, make_recipient(n)) for n in range(3)]
    assert [type(o) for o in sendgrid.send(batches[0])] == [Accepted]
    with pytest.raises(PermanentError, match="subject: Invalid type"):
        sendgrid.send(batches[1])
    assert [type(o) for o in sendgrid.send(batches[2])] == [Accepted]
    assert [email.to for email in sendgrid_standin.emails] == [
        "reader0@example.com",
        "reader2@example.com",
    ]
