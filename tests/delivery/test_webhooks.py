"""SendGrid's event webhook: ECDSA signatures checked over the raw body, events typed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from delivery.errors import ConfigurationError, WebhookPayloadError, WebhookSignatureError
from delivery.webhooks.sendgrid import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Event,
    EventType,
    parse_events,
    read_events,
    verify_signature,
)
from drip.settings import Settings, load_settings
from tests.support.sendgrid_signing import SendGridSigner

NOW = datetime(2026, 3, 2, 8, 0, 5, tzinfo=UTC)  # a Monday, just after the 08:00 sends
SENT = int(datetime(2026, 3, 2, 8, 0, tzinfo=UTC).timestamp())


def event(name: str, **fields: Any) -> dict[str, Any]:
    return {
        "email": "ann@example.com",
        "timestamp": SENT,
        "event": name,
        "sg_event_id": f"evt-{name}",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
        "category": ["welcome"],
        "lesson": "welcome",
        "delivery_id": "d42",
        **fields,
    }


BODY = json.dumps(
    [
        event("processed"),
        event("delivered", response="250 OK"),
        event("open", sg_machine_open=False),
        event("click", url="https://drip.example/view/t"),
        event("bounce", type="bounce", reason="500 unknown recipient", status="5.0.0"),
        event("deferred", response="400 try again later", attempt="5"),
        event("dropped", reason="Bounced Address"),
        event("spamreport"),
        event("unsubscribe"),
        event("group_unsubscribe", asm_group_id=1),
    ]
).encode()


@pytest.fixture
def signer() -> SendGridSigner:
    return SendGridSigner.generate()


@pytest.fixture
def webhook_settings(signer: SendGridSigner) -> Settings:
    return load_settings(sendgrid_webhook_key=signer.public_key)


@pytest.fixture(autouse=True)
def _at_now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def test_a_signed_request_gives_typed_events(
    signer: SendGridSigner, webhook_settings: Settings
) -> None:
    events = read_events(BODY, signer.sign(BODY), webhook_settings)
    assert [e.type for e in events] == [
        EventType.PROCESSED,
        EventType.DELIVERED,
        EventType.OPEN,
        EventType.CLICK,
        EventType.BOUNCE,
        EventType.DEFERRED,
        EventType.DROPPED,
        EventType.SPAMREPORT,
        EventType.UNSUBSCRIBE,
        EventType.GROUP_UNSUBSCRIBE,
    ]
    bounce = events[4]
    assert bounce == Event(
        type=EventType.BOUNCE,
        name="bounce",
        sg_event_id="evt-bounce",
        sg_message_id="14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        email="ann@example.com",
        timestamp=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        delivery_id="d42",
        reason="500 unknown recipient",
        bounce_type="bounce",
    )
    assert bounce.raw["status"] == "5.0.0"
    assert events[3].url == "https://drip.example/view/t"
    assert events[5].reason == "400 try again later"


def test_which_events_suppress_the_address(
    signer: SendGridSigner, webhook_settings: Settings
) -> None:
    body = json.dumps(
        [event("bounce", type="bounce"), event("bounce", type="blocked"), event("delivered")]
        + [event(name) for name in ("spamreport", "unsubscribe", "group_unsubscribe", "dropped")]
    ).encode()
    events = read_events(body, signer.sign(body), webhook_settings)
    assert [e.suppresses for e in events] == [True, False, False, True, True, True, False]


def test_header_names_are_matched_whatever_their_case(
    signer: SendGridSigner, webhook_settings: Settings
) -> None:
    headers = {name.lower(): value for name, value in signer.sign(BODY).items()}
    assert len(read_events(BODY, headers, webhook_settings)) == 10


def test_a_key_pasted_with_its_pem_lines_works(signer: SendGridSigner) -> None:
    pem = f"-----BEGIN PUBLIC KEY-----\n{signer.public_key}\n-----END PUBLIC KEY-----\n"
    settings = load_settings(sendgrid_webhook_key=pem)
    assert len(read_events(BODY, signer.sign(BODY), settings)) == 10


def test_without_a_key_every_request_is_refused(signer: SendGridSigner) -> None:
    with pytest.raises(WebhookSignatureError, match="DRIP_SENDGRID_WEBHOOK_KEY is not set"):
        read_events(BODY, signer.sign(BODY), load_settings())


def test_a_key_that_is_no_key_names_the_setting(signer: SendGridSigner) -> None:
    settings = load_settings(sendgrid_webhook_key="bm90IGEga2V5")
    with pytest.raises(ConfigurationError, match=r"^DRIP_SENDGRID_WEBHOOK_KEY: not a base64"):
        read_events(BODY, signer.sign(BODY), settings)


def test_missing_headers_are_refused(signer: SendGridSigner, webhook_settings: Settings) -> None:
    headers = signer.sign(BODY)
    for missing in (SIGNATURE_HEADER, TIMESTAMP_HEADER):
        partial = {name: value for name, value in headers.items() if name != missing}
        with pytest.raises(WebhookSignatureError, match="the request lacks"):
            read_events(BODY, partial, webhook_settings)


def test_another_signer_is_refused(webhook_settings: Settings) -> None:
    impostor = SendGridSigner.generate()
    with pytest.raises(WebhookSignatureError, match="does not match"):
        read_events(BODY, impostor.sign(BODY), webhook_settings)


def test_a_tampered_body_is_refused(signer: SendGridSigner, webhook_settings: Settings) -> None:
    headers = signer.sign(BODY)
    tampered = BODY.replace(b'"bounce"', b'"delivered"', 1)
    with pytest.raises(WebhookSignatureError, match="does not match"):
        read_events(tampered, headers, webhook_settings)


def test_a_tampered_timestamp_is_refused(
    signer: SendGridSigner, webhook_settings: Settings
) -> None:
    headers = signer.sign(BODY) | {TIMESTAMP_HEADER: str(int(NOW.timestamp()) - 60)}
    with pytest.raises(WebhookSignatureError, match="does not match"):
        read_events(BODY, headers, webhook_settings)


@pytest.mark.parametrize("garbage", ["not base64!", "", "AAAA"])
def test_a_garbled_signature_is_refused(
    signer: SendGridSigner, webhook_settings: Settings, garbage: str
) -> None:
    headers = signer.sign(BODY) | {SIGNATURE_HEADER: garbage}
    with pytest.raises(WebhookSignatureError):
        read_events(BODY, headers, webhook_settings)


@pytest.mark.parametrize(
    ("age", "accepted"),
    [(timedelta(minutes=4), True), (timedelta(minutes=6), False), (-timedelta(minutes=6), False)],
)
def test_stale_or_future_timestamps_are_refused(
    signer: SendGridSigner, webhook_settings: Settings, age: timedelta, accepted: bool
) -> None:
    headers = signer.sign(BODY, at=NOW - age)
    if accepted:
        assert len(read_events(BODY, headers, webhook_settings)) == 10
    else:
        with pytest.raises(WebhookSignatureError, match="s away from our clock"):
            read_events(BODY, headers, webhook_settings)


def test_a_non_numeric_timestamp_is_refused(signer: SendGridSigner) -> None:
    headers = signer.sign(BODY) | {TIMESTAMP_HEADER: "yesterday"}
    with pytest.raises(WebhookSignatureError, match="is not a Unix time"):
        verify_signature(BODY, headers, signer.public_key)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"[{", "the body is not JSON"),
        (b'{"event": "open"}', "expected a JSON array of events, got dict"),
        (b"[1]", "event 0: expected an object, got int"),
        (
            json.dumps([event("open"), {"event": "open"}]).encode(),
            "event 1: 'sg_event_id' is missing",
        ),
        (
            json.dumps([event("open", timestamp="noon")]).encode(),
            "event 0: 'timestamp' is missing or not a Unix time",
        ),
        (
            json.dumps([event("open", timestamp=10**20)]).encode(),
            "event 0: 'timestamp' .* is out of range",
        ),
        (json.dumps([event("open", email=None)]).encode(), "event 0: 'email' is missing"),
    ],
)
def test_malformed_bodies_say_what_is_wrong(
    signer: SendGridSigner, webhook_settings: Settings, body: bytes, why: str
) -> None:
    with pytest.raises(WebhookPayloadError, match=why):
        read_events(body, signer.sign(body), webhook_settings)


def test_an_event_we_do_not_know_is_kept_not_refused() -> None:
    [unknown] = parse_events(json.dumps([event("account_status_change")]).encode())
    assert (unknown.type, unknown.name) == (EventType.UNKNOWN, "account_status_change")


def test_mail_drip_did_not_send_has_no_delivery_id() -> None:
    plain = event("delivered")
    del plain["delivery_id"]
    legacy = event("open", unique_args={"delivery_id": "d7"})
    del legacy["delivery_id"]
    first, second = parse_events(json.dumps([plain, legacy]).encode())
    assert (first.delivery_id, second.delivery_id) == (None, "d7")


def test_a_body_that_is_not_utf8_is_refused(
    signer: SendGridSigner, webhook_settings: Settings
) -> None:
    body = b"[\xff]"
    with pytest.raises(WebhookSignatureError, match="does not match"):
        read_events(body, signer.sign(body), webhook_settings)
