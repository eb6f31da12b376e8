"""`drip run`, `drip worker` and the scheduler `drip serve` runs: they refuse the placeholder
postal address in production, and SIGTERM lets the batch in hand finish, then exit 0."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from admin.cli import main
from admin.cli.run_commands import scheduled_sending
from admin.cli.web_commands import scheduler_job
from delivery.errors import ConfigurationError
from drip.db import transaction
from drip.settings import Settings, get_settings
from scheduler.ledger import BATCH_SIZE
from subscribers import Consent, add_confirmed
from tests.scheduler.proof.processes import (
    add_due_subscribers,
    deliveries_by_status,
    start_drip,
    wait_until,
)
from tests.support.database import migrated_database


@pytest.fixture
def outbox_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"backend": "outbox"})


@pytest.fixture
def sessions(outbox_settings: Settings) -> Iterator[sessionmaker[Session]]:
    with migrated_database(outbox_settings.database_url) as sessions:
        yield sessions


def run_drip(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["drip", *args])
    get_settings.cache_clear()
    with pytest.raises(SystemExit) as exited:
        main()
    code = exited.value.code
    return code if isinstance(code, int) else 1


@pytest.mark.parametrize("command", ["run", "worker"])
def test_production_refuses_the_placeholder_postal_address(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DRIP_ENV", "production")
    assert run_drip(monkeypatch, command) == 1
    error = capsys.readouterr().err
    assert "DRIP_POSTAL_ADDRESS" in error
    assert f"drip {command}" in error


def outbox_files(settings: Settings) -> int:
    return len(list(settings.outbox_dir.glob("*.eml")))


@pytest.mark.slow
def test_sigterm_mid_batch_finishes_the_batch_then_exits_0(
    outbox_settings: Settings, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    subscribers = 3 * BATCH_SIZE
    add_due_subscribers(sessions, outbox_settings, subscribers)
    log = tmp_path / "run.log"
    child = start_drip(outbox_settings, "run", log=log)
    try:
        wait_until(lambda: outbox_files(outbox_settings) > 0, timeout=60, what="the first email")
    finally:
        child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=60) == 0, log.read_text()

    status = deliveries_by_status(sessions)
    sent = status.get("sent", 0)
    assert sent > 0
    assert sent % BATCH_SIZE == 0  # whole batches: the one in hand was finished...
    assert "sending" not in status  # ...and recorded; none left leased
    assert sent < subscribers  # ...and no batch started after the signal
    assert outbox_files(outbox_settings) == sent  # every email written is recorded as sent
    print(f"\nsent before stopping: {sent} of {subscribers}")
    assert "finishing the batch in hand" in log.read_text()


@pytest.mark.slow
def test_a_second_ctrl_c_quits_at_once_leaving_the_batch_to_its_lease(
    outbox_settings: Settings, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    add_due_subscribers(sessions, outbox_settings, 2 * BATCH_SIZE)
    log = tmp_path / "run.log"
    child = start_drip(outbox_settings, "run", log=log)
    try:
        wait_until(lambda: outbox_files(outbox_settings) > 0, timeout=60, what="the first email")
        child.send_signal(signal.SIGINT)
        wait_until(lambda: "finishing the batch" in log.read_text(), timeout=10, what="the log")
    finally:
        child.send_signal(signal.SIGINT)
    assert child.wait(timeout=60) == 128 + signal.SIGINT
    status = deliveries_by_status(sessions)
    # Left leased, as after a crash, and sent after the lease: the batch in hand, and the
    # next one if the pipelined run had already claimed it (claimed, never posted).
    assert "sent" not in status
    assert BATCH_SIZE <= status["sending"] <= 2 * BATCH_SIZE
    assert outbox_files(outbox_settings) < BATCH_SIZE


def test_drip_serve_runs_the_scheduler_until_it_stops(
    outbox_settings: Settings, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        add_confirmed(session, outbox_settings, "ann@example.com", consent=Consent(source="t"))
    with scheduler_job(outbox_settings) as scheduler:
        wait(lambda: outbox_files(outbox_settings) == 1)
        assert scheduler.running  # type: ignore[attr-defined]
    assert not scheduler.running  # type: ignore[attr-defined]
    assert deliveries_by_status(sessions) == {"sent": 1}


def test_drip_run_stops_on_a_configuration_error_naming_the_setting(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    with transaction(sessions) as session:
        add_confirmed(session, settings, "ann@example.com", consent=Consent(source="t"))
    blocked = settings.outbox_dir
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_text("a file where the outbox folder should be", encoding="utf-8")
    stop = threading.Event()
    outbox = settings.model_copy(update={"backend": "outbox"})
    with (
        pytest.raises(ConfigurationError, match="DRIP_OUTBOX_DIR"),
        scheduled_sending(outbox, stop),
    ):
        assert stop.wait(timeout=20)  # set by the error, as `drip run` waits for it
    assert deliveries_by_status(sessions) == {"queued": 1}  # nothing marked failed


def wait(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
