"""SendGrid's events through the real webhook route: stored once on their deliveries,
acted on (suppression), mail drip did not send ignored; SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from admin.cli.web_commands import event_recorder
from admin.web.app import create_app
from admin.web.ratelimit import Limits
from delivery.webhooks.sendgrid import parse_events
from drip.db import transaction
from drip.settings import Settings
from scheduler.events import Recorder, dedupe_key, record_events, recorder, store_events
from scheduler.mail_ids import transactional_delivery_id
from scheduler.models import Delivery, DeliveryEvent
from subscribers import Status, SuppressionReason, erase, find, import_csv
from subscribers.suppression import suppression_reason
from tests.scheduler.ledger_rows import (
    MONDAY_8_05_UTC,
    add_delivery,
    add_subscriber,
)
from tests.support.sendgrid_signing import SendGridSigner

MESSAGE = "Xm5uDq1pS0aQ2v8Kp0fO7w"  # the X-Message-Id of Monday's welcome batch
SENT_AT = int(MONDAY_8_05_UTC.timestamp()) - 240


@pytest.fixture(autouse=True)
def _monday_just_after_the_sends() -> Iterator[None]:
    with time_machine.travel(MONDAY_8_05_UTC, tick=True):
        yield


@pytest.fixture
def signer() -> SendGridSigner:
    return SendGridSigner.generate()


@pytest.fixture
def hooked(db_settings: Settings, signer: SendGridSigner) -> Settings:
    return db_settings.model_copy(update={"sendgrid_webhook_key": signer.public_key})


@pytest.fixture
def client(hooked: Settings, sessions: sessionmaker[Session]) -> Iterator[TestClient]:
    app = create_app(hooked, record_events=recorder(hooked, sessions), limits=Limits())
    with TestClient(app) as client:
        yield client


@pytest.fixture
def welcome(sessions: sessionmaker[Session], hooked: Settings) -> dict[str, Delivery]:
    """Ann's and Bob's welcome, sent in one batch (one X-Message-Id)."""
    with transaction(sessions) as session:
        return {
            email: add_delivery(
                session, add_subscriber(session, hooked, email), "welcome", 1, message_id=MESSAGE
            )
            for email in ("ann@example.com", "bob@example.com")
        }


def sendgrid_event(name: str, delivery: Delivery | None, **fields: Any) -> dict[str, Any]:
    """An event as SendGrid posts it about `delivery` (None: mail drip did not send)."""
    number = fields.pop("n", 0)
    email = fields.pop("email", "ann@example.com")
    item: dict[str, Any] = {
        "email": email,
        "timestamp": SENT_AT + number,
        "event": name,
        "sg_event_id": f"{name}-{email}-{number}",
        "sg_message_id": f"{MESSAGE}.filterdrecv-5645d9c87f-abcd.{number}.0",
    }
    if delivery is not None:
        item["delivery_id"] = str(delivery.id)
    return {**item, **fields}


Post = Callable[[list[dict[str, Any]]], Any]


@pytest.fixture
def post(client: TestClient, signer: SendGridSigner) -> Post:
    def send(items: list[dict[str, Any]]) -> Any:
        body = json.dumps(items).encode()
        response = client.post("/webhooks/sendgrid", content=body, headers=signer.sign(body))
        assert response.status_code == 200, response.text
        return response.json()

    return send


def stored(sessions: sessionmaker[Session]) -> list[tuple[int | None, int | None, str, str]]:
    with sessions() as session:
        rows = session.execute(
            select(
                DeliveryEvent.delivery_id,
                DeliveryEvent.subscriber_id,
                DeliveryEvent.type,
                DeliveryEvent.detail,
            ).order_by(DeliveryEvent.occurred_at, DeliveryEvent.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def status_of(sessions: sessionmaker[Session], email: str) -> Status:
    with sessions() as session:
        subscriber = find(session, email)
        assert subscriber is not None
        return subscriber.status


def test_events_are_stored_on_their_deliveries(
    post: Post, welcome: dict[str, Delivery], sessions: sessionmaker[Session]
) -> None:
    ann, bob = welcome["ann@example.com"], welcome["bob@example.com"]
    answer = post(
        [
            sendgrid_event("processed", ann),
            sendgrid_event("delivered", ann, n=1, response="250 2.0.0 OK"),
            sendgrid_event("open", ann, n=2, sg_machine_open=True),
            sendgrid_event("click", ann, n=3, url="https://course.example.org/view/t"),
            sendgrid_event("delivered", bob, n=4, email="bob@example.com"),
        ]
    )
    assert answer == {"received": 5, "recorded": 5}
    a, b = (ann.id, ann.subscriber_id), (bob.id, bob.subscriber_id)
    assert stored(sessions) == [
        (*a, "processed", ""),
        (*a, "delivered", "250 2.0.0 OK"),
        (
            *a,
            "open",
            "opened by the mail app, not necessarily read (Apple Mail Privacy Protection)",
        ),
        (*a, "click", "https://course.example.org/view/t"),
        (*b, "delivered", ""),
    ]
    with sessions() as session:
        first = session.scalars(select(DeliveryEvent).order_by(DeliveryEvent.id)).first()
    assert first is not None
    assert first.occurred_at.timestamp() == SENT_AT
    assert first.sg_event_id == "processed-ann@example.com-0"


def test_a_repeated_post_and_a_repeat_within_a_post_are_stored_once(
    post: Post, welcome: dict[str, Delivery], sessions: sessionmaker[Session]
) -> None:
    ann = welcome["ann@example.com"]
    events = [sendgrid_event("delivered", ann), sendgrid_event("open", ann, n=1)]
    assert post(events + events[:1]) == {"received": 3, "recorded": 2}
    assert post(events) == {"received": 2, "recorded": 0}
    assert [row[2] for row in stored(sessions)] == ["delivered", "open"]


def test_a_retried_post_with_new_event_ids_is_a_repeat(
    post: Post, welcome: dict[str, Delivery], sessions: sessionmaker[Session]
) -> None:
    ann = welcome["ann@example.com"]
    events = [sendgrid_event("delivered", ann), sendgrid_event("click", ann, n=1, url="https://a")]
    post(events)
    retried = [{**item, "sg_event_id": item["sg_event_id"] + "-retried"} for item in events]
    assert post(retried) == {"received": 2, "recorded": 0}
    # Another link clicked in the same second is another click.
    other_link = {**retried[1], "sg_event_id": "click-2", "url": "https://b"}
    assert post([other_link]) == {"received": 1, "recorded": 1}
    assert [row[3] for row in stored(sessions)] == ["", "https://a", "https://b"]


def test_without_our_custom_arg_the_message_id_and_address_find_the_delivery(
    post: Post, welcome: dict[str, Delivery], sessions: sessionmaker[Session]
) -> None:
    ann, bob = welcome["ann@example.com"], welcome["bob@example.com"]
    # Both were in one batch: the X-Message-Id is theirs alike, the address tells them apart.
    answer = post(
        [
            sendgrid_event("delivered", None, email="bob@example.com"),
            sendgrid_event("open", None, n=1, email="Ann@Example.com"),
        ]
    )
    assert answer == {"received": 2, "recorded": 2}
    assert [(row[0], row[2]) for row in stored(sessions)] == [
        (bob.id, "delivered"),
        (ann.id, "open"),
    ]


def test_mail_drip_did_not_send_is_ignored_and_suppresses_nobody(
    post: Post, welcome: dict[str, Delivery], sessions: sessionmaker[Session], hooked: Settings
) -> None:
    strangers = [
        # another system on the same SendGrid account: no id of ours, another message id
        sendgrid_event("bounce", None, type="bounce", sg_message_id="Other.filter.1.0"),
        sendgrid_event("spamreport", None, n=1, sg_message_id="Other.filter.2.0"),
        # its own custom arg of the same name
        sendgrid_event("unsubscribe", None, n=2, delivery_id="d42"),
        # a row that never existed and an event SendGrid added after this code was written
        sendgrid_event("open", None, n=3, delivery_id="999999"),
        sendgrid_event("account_status_change", welcome["ann@example.com"], n=4),
    ]
    assert post(strangers) == {"received": 5, "recorded": 0}
    assert stored(sessions) == []
    assert status_of(sessions, "ann@example.com") is Status.ACTIVE
    with sessions() as session:
        tally = store_events(sessions, hooked, parse_events(json.dumps(strangers).encode()))
        assert suppression_reason(session, hooked.secret(), "ann@example.com") is None
    assert (tally.new, tally.repeated, tally.ignored) == (0, 0, 5)


@pytest.mark.parametrize(
    ("name", "fields", "status"),
    [
        ("bounce", {"type": "bounce", "reason": "550 5.1.1 no such user"}, Status.BOUNCED),
        ("bounce", {"type": "blocked", "reason": "554 IP on a blocklist"}, Status.ACTIVE),
        ("dropped", {"reason": "Bounced Address"}, Status.BOUNCED),
        ("dropped", {"reason": "Spam Reporting Address"}, Status.COMPLAINED),
        ("dropped", {"reason": "Unsubscribed Address"}, Status.UNSUBSCRIBED),
        ("dropped", {"reason": "Invalid SMTPAPI header"}, Status.ACTIVE),
        ("spamreport", {}, Status.COMPLAINED),
        ("unsubscribe", {}, Status.UNSUBSCRIBED),
        ("group_unsubscribe", {"asm_group_id": 7}, Status.UNSUBSCRIBED),
        ("deferred", {"response": "421 try later"}, Status.ACTIVE),
    ],
)
def test_which_events_end_the_mail(
    post: Post,
    welcome: dict[str, Delivery],
    sessions: sessionmaker[Session],
    name: str,
    fields: dict[str, Any],
    status: Status,
) -> None:
    assert post([sendgrid_event(name, welcome["ann@example.com"], **fields)])["recorded"] == 1
    assert status_of(sessions, "ann@example.com") is status
    assert status_of(sessions, "bob@example.com") is Status.ACTIVE
    [row] = stored(sessions)
    assert row[2] == ("blocked" if fields.get("type") == "blocked" else name)
    with sessions() as session:
        ann = find(session, "ann@example.com")
        assert ann is not None
        assert (ann.next_due_at is None) == (status is not Status.ACTIVE)


def test_a_bounced_address_stays_suppressed_after_erase_and_reimport(
    post: Post, welcome: dict[str, Delivery], sessions: sessionmaker[Session], hooked: Settings
) -> None:
    bounce = sendgrid_event("bounce", welcome["ann@example.com"], type="bounce", reason="550")
    post([bounce])
    with transaction(sessions) as session:
        assert erase(session, hooked, "ann@example.com") is True
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(DeliveryEvent)) == 0  # erased too
        report = import_csv(
            session,
            hooked,
            io.BytesIO(b"email\nann@example.com\ncid@example.com\n"),
            filename="again.csv",
            confirmed_source="a spreadsheet",
        )
    assert (report.added, sum(report.rejected.values())) == (1, 1)
    with sessions() as session:
        assert find(session, "ann@example.com") is None
        reason = suppression_reason(session, hooked.secret(), "ann@example.com")
    assert reason is SuppressionReason.BOUNCED
    # SendGrid's repeat of the bounce after the erase changes nothing and stores nothing.
    assert post([bounce]) == {"received": 1, "recorded": 0}
    assert stored(sessions) == []


def test_events_of_a_confirmation_email_are_kept_on_the_subscriber(
    post: Post, sessions: sessionmaker[Session], hooked: Settings
) -> None:
    with transaction(sessions) as session:
        cid = add_subscriber(session, hooked, "cid@example.com")
    confirmation = transactional_delivery_id("confirmation")
    answer = post(
        [
            sendgrid_event("delivered", None, email="cid@example.com", delivery_id=confirmation),
            sendgrid_event(
                "spamreport", None, n=1, email="cid@example.com", delivery_id=confirmation
            ),
        ]
    )
    assert answer == {"received": 2, "recorded": 2}
    assert stored(sessions) == [
        (None, cid.id, "delivered", "confirmation email"),
        (None, cid.id, "spamreport", "confirmation email"),
    ]
    assert status_of(sessions, "cid@example.com") is Status.COMPLAINED


def test_unsigned_or_badly_signed_posts_get_403_and_change_nothing(
    client: TestClient, welcome: dict[str, Delivery], sessions: sessionmaker[Session]
) -> None:
    body = json.dumps([sendgrid_event("spamreport", welcome["ann@example.com"])]).encode()
    impostor = SendGridSigner.generate()
    answers = [
        client.post("/webhooks/sendgrid", content=body),
        client.post("/webhooks/sendgrid", content=body, headers=impostor.sign(body)),
    ]
    assert [answer.status_code for answer in answers] == [403, 403]
    assert stored(sessions) == []
    assert status_of(sessions, "ann@example.com") is Status.ACTIVE


def test_racing_posts_of_the_same_events_store_each_once(
    welcome: dict[str, Delivery], sessions: sessionmaker[Session], hooked: Settings
) -> None:
    ann, bob = welcome["ann@example.com"], welcome["bob@example.com"]
    items = [sendgrid_event("delivered", ann), sendgrid_event("open", ann, n=1)]
    items += [sendgrid_event("spamreport", bob, n=2, email="bob@example.com")]
    events = parse_events(json.dumps(items).encode())
    # The same events, and a retry of them with new sg_event_ids, in the other order.
    retried = parse_events(
        json.dumps([{**i, "sg_event_id": i["sg_event_id"] + "-r"} for i in items[::-1]]).encode()
    )
    posts = [events, retried] * 3
    start = threading.Barrier(len(posts))
    counts: list[int] = []
    errors: list[BaseException] = []

    def deliver(batch: Any) -> None:
        start.wait()
        try:
            counts.append(record_events(sessions, hooked, batch))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=deliver, args=(batch,)) for batch in posts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(counts) == 3
    assert len(stored(sessions)) == 3
    assert status_of(sessions, "bob@example.com") is Status.COMPLAINED


def test_the_dedupe_key_is_the_message_the_event_and_its_second() -> None:
    [event] = parse_events(json.dumps([sendgrid_event("open", None)]).encode())
    assert dedupe_key(event) == f"{MESSAGE}.filterdrecv-5645d9c87f-abcd.0.0|open|{SENT_AT}"


def test_drip_serve_records_through_its_hook(
    hooked: Settings,
    welcome: dict[str, Delivery],
    signer: SendGridSigner,
    sessions: sessionmaker[Session],
) -> None:
    body = json.dumps([sendgrid_event("delivered", welcome["ann@example.com"])]).encode()
    unkeyed = hooked.model_copy(update={"sendgrid_webhook_key": None})
    answers = []
    for settings in (hooked, unkeyed):
        hook = event_recorder(settings, sessions)
        assert isinstance(hook, Recorder)
        with TestClient(create_app(settings, record_events=hook)) as client:
            answers.append(
                client.post("/webhooks/sendgrid", content=body, headers=signer.sign(body))
            )
    assert answers[0].json() == {"received": 1, "recorded": 1}
    assert answers[1].status_code == 403  # no key: refused, as before the recorder
    assert len(stored(sessions)) == 1
