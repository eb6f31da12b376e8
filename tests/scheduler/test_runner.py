"""The processes that send: the APScheduler job and the `drip worker` loop, each a thin
call of `send_due`, on SQLite, into an in-memory backend (or the SendGrid stand-in)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from delivery.errors import ConfigurationError
from delivery.memory import MemoryBackend
from drip.db import transaction
from drip.errors import DripError
from drip.settings import Settings, load_settings
from scheduler.job import SendJob
from scheduler.models import Delivery
from scheduler.runner import (
    JOB_ID,
    jobs_in_force,
    scheduler_for,
    seconds_to_next_minute,
    send_tick,
    work,
)
from subscribers import Consent, add_confirmed
from tests.support.database import migrated_database
from tests.support.sendgrid_standin import SendGridStandIn

ANN = "ann@example.com"


@pytest.fixture
def sessions(settings: Settings) -> Iterator[sessionmaker[Session]]:
    with migrated_database(settings.database_url) as sessions:
        yield sessions


@pytest.fixture
def inbox() -> MemoryBackend:
    return MemoryBackend()


@pytest.fixture
def job(settings: Settings, inbox: MemoryBackend) -> SendJob:
    return SendJob.from_settings(settings, backend_factory=lambda: inbox)


@pytest.fixture
def ann_is_due(sessions: sessionmaker[Session], settings: Settings) -> None:
    """Ann confirmed a moment ago: her welcome is due."""
    with transaction(sessions) as session:
        add_confirmed(session, settings, ANN, consent=Consent(source="runner tests"))


def deliveries(sessions: sessionmaker[Session]) -> list[tuple[str, str | None, str]]:
    with sessions() as session:
        rows = session.execute(select(Delivery.lesson, Delivery.worker, Delivery.status))
        return [(lesson, worker, status) for lesson, worker, status in rows]


def wait(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_one_interval_job_every_minute_coalesced_one_at_a_time_with_a_generous_grace(
    sessions: sessionmaker[Session], job: SendJob
) -> None:
    scheduler = scheduler_for(sessions, job)
    scheduler.start(paused=True)  # configured, but never runs here
    try:
        (only,) = scheduler.get_jobs()
        assert only.id == JOB_ID
        assert isinstance(only.trigger, IntervalTrigger)
        assert only.trigger.interval.total_seconds() == 60
        assert only.coalesce is True
        assert only.max_instances == 1
        assert only.misfire_grace_time >= 3600
        assert only.func is send_tick
        assert isinstance(scheduler._lookup_jobstore("default"), MemoryJobStore)
        assert only.next_run_time <= datetime.now(UTC)  # the first tick at start
    finally:
        scheduler.shutdown(wait=False)


def test_the_scheduled_tick_sends_what_is_due(
    sessions: sessionmaker[Session], job: SendJob, inbox: MemoryBackend, ann_is_due: None
) -> None:
    stop = threading.Event()
    scheduler = scheduler_for(sessions, job, stop=stop, worker="scheduler-test")
    scheduler.start()
    try:
        wait(lambda: deliveries(sessions) == [("welcome", "scheduler-test", "sent")])
    finally:
        stop.set()
        scheduler.shutdown(wait=True)
    assert [email.to for email in inbox.outbox] == [ANN]


def test_a_tick_with_stop_already_set_claims_nothing(
    sessions: sessionmaker[Session], job: SendJob, inbox: MemoryBackend, ann_is_due: None
) -> None:
    stopped = threading.Event()
    stopped.set()
    report = send_tick(sessions, job, stop=stopped, worker="w")
    assert report is not None
    assert report.sent == 0
    assert inbox.outbox == []
    assert deliveries(sessions) == [("welcome", None, "queued")]  # still due, unclaimed


def test_the_worker_sends_then_waits_for_the_next_minute_until_stopped(
    sessions: sessionmaker[Session], job: SendJob, inbox: MemoryBackend, ann_is_due: None
) -> None:
    stop = threading.Event()
    worker = threading.Thread(target=work, args=(sessions, job), kwargs={"stop": stop})
    worker.start()
    try:
        wait(lambda: len(inbox.outbox) == 1)
    finally:
        stop.set()
        worker.join(timeout=20)
    assert not worker.is_alive()
    ((lesson, name, status),) = deliveries(sessions)
    assert (lesson, status) == ("welcome", "sent")
    assert name is not None
    assert name.endswith(f":{os.getpid()}")
    assert len(inbox.outbox) == 1


def test_a_worker_with_a_bad_api_key_stops_naming_it_and_marks_nothing_failed(
    tmp_path: Path,
    sessions: sessionmaker[Session],
    settings: Settings,
    sendgrid_standin: SendGridStandIn,
    ann_is_due: None,
) -> None:
    overrides = sendgrid_standin.settings_overrides() | {"sendgrid_api_key": "SG.wrong"}
    bad = load_settings(**settings.model_dump(include={"database_url", "var_dir"}), **overrides)
    with pytest.raises(ConfigurationError, match="SENDGRID_API_KEY"):
        work(sessions, SendJob.from_settings(bad), stop=threading.Event())
    assert deliveries(sessions) == [("welcome", None, "queued")]


def test_the_job_in_force_follows_the_course_spec_file(tmp_path: Path, settings: Settings) -> None:
    spec = tmp_path / "course.yaml"
    spec.write_bytes(settings.course.read_bytes())
    articles = settings.course.parent / "articles"
    (tmp_path / "articles").symlink_to(articles)
    jobs = jobs_in_force(settings.model_copy(update={"course": spec}))
    first = jobs()
    assert jobs() is first  # unchanged: the same job, its renders kept
    touch(spec, 1)
    second = jobs()
    assert second is not first


def test_a_broken_spec_keeps_the_last_good_course_in_force(
    tmp_path: Path, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    spec = tmp_path / "course.yaml"
    spec.write_bytes(settings.course.read_bytes())
    (tmp_path / "articles").symlink_to(settings.course.parent / "articles")
    jobs = jobs_in_force(settings.model_copy(update={"course": spec}))
    good = jobs()

    spec.write_text("slug: [unclosed", encoding="utf-8")
    touch(spec, 1)
    assert jobs() is good
    assert jobs() is good
    assert caplog.text.count("cannot be built") == 1  # said once, not every minute
    assert "course.yaml:1: not valid YAML" in caplog.text  # what and where

    spec.write_bytes(settings.course.read_bytes())
    touch(spec, 2)
    assert jobs() is not good


def test_a_spec_broken_from_the_start_is_an_error(tmp_path: Path, settings: Settings) -> None:
    spec = tmp_path / "course.yaml"
    spec.write_text("slug: [unclosed", encoding="utf-8")
    with pytest.raises(DripError, match=r"course\.yaml:1"):
        jobs_in_force(settings.model_copy(update={"course": spec}))()


def touch(path: Path, seconds: int) -> None:
    """Move `path`'s modification time on (a coarse file-system clock must see it)."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + seconds * 1_000_000_000))


@pytest.mark.parametrize(
    ("now", "seconds"),
    [
        (datetime(2026, 3, 2, 8, 0, 0, tzinfo=UTC), 60.0),
        (datetime(2026, 3, 2, 8, 0, 59, 500_000, tzinfo=UTC), 0.5),
        (datetime(2026, 3, 2, 23, 59, 30, tzinfo=UTC), 30.0),
    ],
)
def test_a_worker_ticks_on_the_whole_minute(now: datetime, seconds: float) -> None:
    assert seconds_to_next_minute(now) == seconds
