"""kill -9 in the middle of a send of 3,000 (three batches of 1,000), then restarts:
every subscriber gets the welcome, and what is duplicated is at most the one batch in
flight. A real `drip send` process on SQLite sends through the real sendgrid client to
the stand-in, whose answer to the second request is held back, so the kill lands in
one of SCHEDULING.md's two crash windows:

- after the claim, before the provider took anything (the request is never accepted):
  nothing is duplicated;
- after the provider accepted the batch, before its 202 reached the database: that
  batch is sent again once its lease runs out, and no more than that.

Restart 1 is another `drip send` at once: it sends the batch nobody claimed, and leaves
the dead process's batch alone while its lease runs. Restart 2 comes 16 minutes later
(the clock moved on in-process): the lease has run out and that batch goes.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from time_machine import TimeMachineFixture

from drip.columns import utc_now
from drip.settings import Settings
from scheduler.job import SendJob
from scheduler.ledger import BATCH_SIZE, LEASE
from scheduler.run import send_due
from tests.scheduler.proof.conftest import proof_settings
from tests.scheduler.proof.processes import (
    add_due_subscribers,
    deliveries_by_status,
    recipients_at,
    start_drip,
    wait_until,
)
from tests.support.database import migrated_database
from tests.support.sendgrid_standin import Fault, SendGridStandIn

pytestmark = pytest.mark.slow

SUBSCRIBERS = 3 * BATCH_SIZE
HELD = 2  # the request whose answer never comes: the second batch


@pytest.fixture
def sendgrid_settings(tmp_path: Path, sendgrid_standin: SendGridStandIn) -> Settings:
    return proof_settings(tmp_path, **sendgrid_standin.settings_overrides())


@pytest.fixture
def ledger(sendgrid_settings: Settings) -> Iterator[sessionmaker[Session]]:
    with migrated_database(sendgrid_settings.database_url) as sessions:
        yield sessions


def kill_mid_send(
    settings: Settings, standin: SendGridStandIn, held: Fault, tmp_path: Path
) -> None:
    """`drip send` killed with SIGKILL while the stand-in holds request HELD."""
    standin.fail_request(HELD, held)
    child = start_drip(settings, "send", log=tmp_path / "send.log")
    try:
        # The stand-in has decided on request HELD (accepted it, or not) and holds the answer.
        wait_until(lambda: standin.statuses.total() >= HELD, timeout=60, what="request 2")
    finally:
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL


def restart_now(settings: Settings, tmp_path: Path) -> None:
    child = start_drip(settings, "send", log=tmp_path / "restart.log")
    assert child.wait(timeout=60) == 0, (tmp_path / "restart.log").read_text()


def restart_after_the_lease(
    settings: Settings, sessions: sessionmaker[Session], time_machine: TimeMachineFixture
) -> int:
    time_machine.move_to(utc_now() + LEASE + timedelta(minutes=1), tick=True)
    return send_due(sessions, SendJob.from_settings(settings)).sent


@pytest.mark.parametrize(
    ("held", "duplicates"),
    [
        pytest.param(Fault(status=500, delay=60), 0, id="killed-before-the-provider-took-it"),
        pytest.param(Fault.slow(60), BATCH_SIZE, id="killed-after-the-provider-took-it"),
    ],
)
def test_kill_9_mid_send_loses_nothing_and_duplicates_at_most_one_batch(
    held: Fault,
    duplicates: int,
    sendgrid_settings: Settings,
    ledger: sessionmaker[Session],
    sendgrid_standin: SendGridStandIn,
    time_machine: TimeMachineFixture,
    tmp_path: Path,
) -> None:
    add_due_subscribers(ledger, sendgrid_settings, SUBSCRIBERS)

    kill_mid_send(sendgrid_settings, sendgrid_standin, held, tmp_path)
    killed = deliveries_by_status(ledger)
    # The first batch is recorded. The one in flight is leased to the dead process, and
    # so may be the next one, which a run claims and personalises while the provider
    # handles the one before (it is never posted before that answer).
    assert killed["sent"] == BATCH_SIZE
    assert BATCH_SIZE <= killed["sending"] <= 2 * BATCH_SIZE
    assert killed["sending"] + killed.get("queued", 0) == SUBSCRIBERS - BATCH_SIZE

    restart_now(sendgrid_settings, tmp_path)  # sends what was never claimed, no more
    leased = killed["sending"]
    assert deliveries_by_status(ledger) == {"sent": SUBSCRIBERS - leased, "sending": leased}

    assert restart_after_the_lease(sendgrid_settings, ledger, time_machine) == leased
    assert deliveries_by_status(ledger) == {"sent": SUBSCRIBERS}

    received = recipients_at(sendgrid_standin)
    assert len(received) == SUBSCRIBERS  # nothing lost
    assert sum(received.values()) - SUBSCRIBERS == duplicates  # at most the batch in flight
    assert max(received.values()) <= 2
