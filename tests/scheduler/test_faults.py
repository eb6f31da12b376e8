"""Faults through the real sendgrid client against the stand-in: the run retries what can
be retried, leaves due what could not be sent, records refusals per delivery, and stops
on a bad key without marking anything failed."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from delivery.errors import ConfigurationError
from delivery.sendgrid import SendGridBackend
from drip.settings import Settings
from scheduler.job import SendJob
from scheduler.run import send_due
from subscribers import Purpose, Subscriber, Tokens
from tests.scheduler.conftest import MONDAY_9_UTC, AddSubscriber, Waits, deliveries, subscriber
from tests.support.sendgrid_standin import Fault, SendGridStandIn

NEXT_TICK = MONDAY_9_UTC + timedelta(minutes=1)
READERS = [f"reader{n}@example.com" for n in range(6)]


@pytest.fixture
def database_url() -> str:
    """These run on SQLite only: the database plays no part in a provider's faults."""
    return "sqlite:///drip.db"  # in the test's own folder (tests run in tmp_path)


@pytest.fixture
def sendgrid_job(job: SendJob, db_settings: Settings, sendgrid_standin: SendGridStandIn) -> SendJob:
    """The job, sending through the real client to the stand-in, two recipients a batch."""
    settings = db_settings.model_copy(
        update={
            "backend": "sendgrid",
            "sendgrid_api_key": SecretStr(sendgrid_standin.api_key),
            "sendgrid_host": sendgrid_standin.url,
        }
    )
    job.settings = settings
    job.backend_factory = lambda: SendGridBackend(settings, timeout=0.5)
    job.batch_size = 2
    return job


@pytest.fixture
def readers(add: AddSubscriber) -> list[str]:
    for address in READERS:
        add(address, name=address.split("@")[0].title())
    return READERS


def _statuses(sessions: sessionmaker[Session]) -> list[str]:
    return [row.status for row in deliveries(sessions)]


def test_every_recipient_reads_their_own_email_with_their_own_unsubscribe_link(
    sessions: sessionmaker[Session],
    sendgrid_job: SendJob,
    sendgrid_standin: SendGridStandIn,
    readers: list[str],
    db_settings: Settings,
) -> None:
    report = send_due(sessions, sendgrid_job, at=MONDAY_9_UTC)

    assert report.sent == 6
    assert sendgrid_standin.stats()["requests"] == 3
    tokens = Tokens.from_settings(db_settings)
    for address in readers:
        email = sendgrid_standin.email_to(address)
        link = email.headers["List-Unsubscribe"].strip("<>")
        key = tokens.verify(Purpose.UNSUBSCRIBE, link.rsplit("/", 1)[1]).key
        assert key == subscriber(sessions, address).key
        assert link in email.html
        assert f"Hi {address.split('@')[0].title()}," in email.html
        assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert email.categories == ("welcome",)
        assert email.custom_args["course"] == sendgrid_job.course.slug
    message_ids = {email.to: email.message_id for email in sendgrid_standin.emails}
    for row in deliveries(sessions):
        assert row.status == "sent"
        address = subscriber_email(sessions, row.subscriber_id)
        assert row.provider_message_id == message_ids[address]  # the request's X-Message-Id


def test_a_rate_limit_waits_as_sendgrid_says_then_sends(
    sessions: sessionmaker[Session],
    sendgrid_job: SendJob,
    sendgrid_standin: SendGridStandIn,
    readers: list[str],
    waits: Waits,
) -> None:
    sendgrid_standin.fail_next(Fault.rate_limited(reset_in=2))

    report = send_due(sessions, sendgrid_job, at=MONDAY_9_UTC)

    assert (report.sent, report.deferred) == (6, 0)
    assert sendgrid_standin.stats()["statuses"] == {"429": 1, "202": 3}
    assert len(waits.seconds) == 1
    assert 0 < waits.seconds[0] <= 2


def test_a_server_error_is_retried(
    sessions: sessionmaker[Session],
    sendgrid_job: SendJob,
    sendgrid_standin: SendGridStandIn,
    readers: list[str],
    waits: Waits,
) -> None:
    sendgrid_standin.fail_next(Fault.server_error(500))

    report = send_due(sessions, sendgrid_job, at=MONDAY_9_UTC)

    assert (report.sent, report.deferred) == (6, 0)
    assert sendgrid_standin.stats()["statuses"] == {"500": 1, "202": 3}
    assert len(waits.seconds) == 1


def test_when_the_tries_run_out_the_rows_stay_due_for_the_next_tick(
    sessions: sessionmaker[Session],
    sendgrid_job: SendJob,
    sendgrid_standin: SendGridStandIn,
    readers: list[str],
) -> None:
    # The first batch goes out; then the connection drops, SendGrid takes the batch but
    # answers after the client's timeout, and the connection drops again: three tries.
    sendgrid_standin.fail_request(2, Fault.dropped())
    sendgrid_standin.fail_request(3, Fault.slow(2.0))
    sendgrid_standin.fail_request(4, Fault.dropped())

    report = send_due(sessions, sendgrid_job, at=MONDAY_9_UTC)

    assert (report.sent, report.failed, report.deferred) == (2, 0, 2)
    assert sorted(_statuses(sessions)) == ["queued"] * 4 + ["sent"] * 2  # the run stopped
    assert {row.lease_until for row in deliveries(sessions) if row.status == "queued"} == {None}
    assert sum(subscriber(sessions, a).lessons_sent for a in readers) == 2

    next_tick = send_due(sessions, sendgrid_job, at=NEXT_TICK)

    assert next_tick.sent == 4
    assert set(_statuses(sessions)) == {"sent"}
    delivered = Counter(email.to for email in sendgrid_standin.emails)
    assert set(delivered) == set(readers)  # nothing lost
    # SendGrid has no idempotency key: the batch it took before the timeout went twice,
    # and that one batch is all that was duplicated.
    assert sorted(delivered.values()) == [1, 1, 1, 1, 2, 2]


def test_a_refused_batch_fails_alone_with_sendgrids_words_and_the_others_go_out(
    sessions: sessionmaker[Session],
    sendgrid_job: SendJob,
    sendgrid_standin: SendGridStandIn,
    readers: list[str],
) -> None:
    message = "The content value must be a string at least one character in length."
    sendgrid_standin.fail_request(2, Fault.bad_request(message, "content.0.value"))

    report = send_due(sessions, sendgrid_job, at=MONDAY_9_UTC)

    assert (report.sent, report.failed, report.deferred) == (4, 2, 0)
    failed = [row for row in deliveries(sessions) if row.status == "failed"]
    assert [row.error for row in failed] == [f"content.0.value: {message}"] * 2
    assert sorted(email.to for email in sendgrid_standin.emails) == sorted(
        set(readers) - {subscriber_email(sessions, row.subscriber_id) for row in failed}
    )
    assert send_due(sessions, sendgrid_job, at=NEXT_TICK).sent == 0  # held, not resent


def subscriber_email(sessions: sessionmaker[Session], subscriber_id: int) -> str:
    with sessions() as session:
        return session.get_one(Subscriber, subscriber_id).email


def test_a_bad_key_stops_the_run_naming_the_setting_and_marks_nothing_failed(
    sessions: sessionmaker[Session],
    sendgrid_job: SendJob,
    sendgrid_standin: SendGridStandIn,
    readers: list[str],
) -> None:
    settings = sendgrid_job.settings.model_copy(update={"sendgrid_api_key": SecretStr("SG.wrong")})
    sendgrid_job.backend_factory = lambda: SendGridBackend(settings, timeout=0.5)

    with pytest.raises(ConfigurationError, match="SENDGRID_API_KEY"):
        send_due(sessions, sendgrid_job, at=MONDAY_9_UTC)

    assert sendgrid_standin.stats()["requests"] == 1  # no retries, no further batches
    rows = deliveries(sessions)
    assert {(row.status, row.attempts, row.lease_until) for row in rows} == {("queued", 0, None)}
    assert all(subscriber(sessions, a).lessons_sent == 0 for a in readers)
