"""`POST /webhooks/sendgrid`: only SendGrid's signed events get through."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Sequence

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient

from admin.web.app import create_app
from delivery.webhooks.sendgrid import SIGNATURE_HEADER, TIMESTAMP_HEADER, Event, EventType
from drip.settings import Settings, load_settings

KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC_KEY = base64.b64encode(
    KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()
BODY = json.dumps(
    [
        {
            "email": "ann@example.com",
            "timestamp": int(time.time()),
            "event": "delivered",
            "sg_event_id": "evt-1",
            "sg_message_id": "msg-1",
            "delivery_id": "d42",
        }
    ]
).encode()


def signed(body: bytes, key: ec.EllipticCurvePrivateKey = KEY) -> dict[str, str]:
    timestamp = str(int(time.time()))
    signature = key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {SIGNATURE_HEADER: base64.b64encode(signature).decode(), TIMESTAMP_HEADER: timestamp}


def _client(settings: Settings, recorded: list[Event] | None = None) -> TestClient:
    keyed = load_settings(database_url=settings.database_url, sendgrid_webhook_key=PUBLIC_KEY)

    def record(events: Sequence[Event]) -> int:
        assert recorded is not None
        recorded.extend(events)
        return len(events)

    return TestClient(create_app(keyed, record_events=record if recorded is not None else None))


def test_signed_events_reach_the_recorder(settings: Settings) -> None:
    recorded: list[Event] = []
    with _client(settings, recorded) as client:
        response = client.post("/webhooks/sendgrid", content=BODY, headers=signed(BODY))
    assert response.status_code == 200
    assert response.json() == {"received": 1, "recorded": 1}
    assert [(e.type, e.delivery_id) for e in recorded] == [(EventType.DELIVERED, "d42")]


def test_unsigned_or_badly_signed_requests_get_403_and_change_nothing(settings: Settings) -> None:
    recorded: list[Event] = []
    other_key = ec.generate_private_key(ec.SECP256R1())
    with _client(settings, recorded) as client:
        unsigned = client.post("/webhooks/sendgrid", content=BODY)
        forged = client.post("/webhooks/sendgrid", content=BODY, headers=signed(BODY, other_key))
        tampered = client.post(
            "/webhooks/sendgrid", content=BODY.replace(b"d42", b"d43"), headers=signed(BODY)
        )
    assert [r.status_code for r in (unsigned, forged, tampered)] == [403, 403, 403]
    assert recorded == []


def test_without_a_key_every_request_is_refused(client: TestClient) -> None:
    response = client.post("/webhooks/sendgrid", content=BODY, headers=signed(BODY))
    assert response.status_code == 403


def test_a_signed_body_that_is_not_events_is_a_bad_request(settings: Settings) -> None:
    with _client(settings, []) as client:
        body = b'{"not": "a list"}'
        assert (
            client.post("/webhooks/sendgrid", content=body, headers=signed(body)).status_code == 400
        )


def test_without_a_recorder_sendgrid_is_told_to_retry(settings: Settings) -> None:
    with _client(settings) as client:
        response = client.post("/webhooks/sendgrid", content=BODY, headers=signed(BODY))
    assert response.status_code == 503
