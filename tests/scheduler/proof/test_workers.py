"""Three `drip worker` processes against one PostgreSQL database and 10,000 due
subscribers: they share the work (FOR UPDATE SKIP LOCKED claims) and each subscriber
gets exactly one email, counted at the SendGrid stand-in. SIGTERM stops each worker
with exit status 0."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from drip.db import make_engine
from drip.settings import Settings
from scheduler.models import Delivery
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

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

SUBSCRIBERS = 10_000
WORKERS = 3


@pytest.fixture
def postgres_settings(
    tmp_path: Path, postgres_server_url: str, sendgrid_standin: SendGridStandIn
) -> Settings:
    engine = make_engine(postgres_server_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()
    return proof_settings(
        tmp_path, database_url=postgres_server_url, **sendgrid_standin.settings_overrides()
    )


@pytest.fixture
def ledger(postgres_settings: Settings) -> Iterator[sessionmaker[Session]]:
    with migrated_database(postgres_settings.database_url) as sessions:
        yield sessions


def stop(workers: list[subprocess.Popen[bytes]]) -> list[int]:
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    return [worker.wait(timeout=30) for worker in workers]


def sent_by_worker(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        rows = session.execute(select(Delivery.worker, func.count()).group_by(Delivery.worker))
        return {str(worker): int(count) for worker, count in rows}


def test_three_workers_on_postgres_send_each_subscriber_exactly_one_email(
    postgres_settings: Settings,
    ledger: sessionmaker[Session],
    sendgrid_standin: SendGridStandIn,
    tmp_path: Path,
) -> None:
    add_due_subscribers(ledger, postgres_settings, SUBSCRIBERS)
    # Answers take a moment, as SendGrid's do, so the workers' claims overlap in time.
    sendgrid_standin.fail_next(*[Fault.slow(0.5)] * (SUBSCRIBERS // 1000))
    workers = [
        start_drip(postgres_settings, "worker", "--id", f"w{n}", log=tmp_path / f"w{n}.log")
        for n in range(1, WORKERS + 1)
    ]
    try:
        wait_until(
            lambda: deliveries_by_status(ledger) == {"sent": SUBSCRIBERS},
            timeout=120,
            what="every delivery sent",
        )
    finally:
        codes = stop(workers)
    assert codes == [0] * WORKERS, [(tmp_path / f"w{n}.log").read_text() for n in (1, 2, 3)]

    received = recipients_at(sendgrid_standin)
    assert len(received) == SUBSCRIBERS
    assert set(received.values()) == {1}  # exactly one email each
    shares = sent_by_worker(ledger)
    assert sum(shares.values()) == SUBSCRIBERS
    assert set(shares) <= {"w1", "w2", "w3"}
    assert len(shares) >= 2  # shared: the claims of several workers interleaved
    print(f"\nsent by worker: {shares}")  # the figure for the report (pytest -s)
