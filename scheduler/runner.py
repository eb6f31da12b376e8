"""The processes that send: the APScheduler job (`drip run`, `drip serve`) and the worker loop.

Both are thin: every minute they call `scheduler.run.send_due`, which asks the database
what is due and handles it batch by batch. No state lives in the scheduler, so:

- one interval trigger (every minute) drives the job, never a cron trigger: the
  calendar (send hours, DST) is the planner's, tested there, not APScheduler's, whose
  cron triggers misbehave around DST changes (its issues #606, #980, #1021);
- a missed or coalesced tick costs nothing, since the next one finds the same due rows;
- the job store is in memory and the job has a fixed id with `replace_existing`, so a
  restart never adds a second copy (#463). A job store must never be shared by two
  schedulers (APScheduler's FAQ): run ONE scheduler process per deployment, and spread
  the sending over `drip worker` processes instead, which share work through the
  deliveries table (FOR UPDATE SKIP LOCKED on PostgreSQL).

`stop` is checked by `send_due` between batches: setting it (SIGTERM, Ctrl-C, the web
app shutting down) lets the batch in hand finish and be recorded, then the run returns.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from delivery.errors import ConfigurationError
from drip.errors import DripError
from drip.settings import Settings
from scheduler.job import SendJob
from scheduler.run import RunReport, default_worker, send_due

log = logging.getLogger("drip.scheduler")

JOB_ID = "drip-send-due"  # fixed, so replace_existing keeps exactly one copy
TICK = timedelta(minutes=1)
#: APScheduler's default grace is 1 s: a tick late by more (a busy machine, a suspended
#: laptop) would be dropped silently. A late tick is as good as a punctual one here.
MISFIRE_GRACE = timedelta(hours=24)
WORKER_ID_LENGTH = 64  # deliveries.worker

#: A job, or something that makes the job in force at each tick (templates a marketer
#: saved since the process started are then used from the next tick on).
JobSource = SendJob | Callable[[], SendJob]
ConfigurationAlarm = Callable[[ConfigurationError], None]


def worker_id(name: str | None = None) -> str:
    """Who claimed a delivery, as recorded in deliveries.worker: `name`, else host:pid."""
    return (name or default_worker())[:WORKER_ID_LENGTH]


class JobsInForce:
    """The job for each tick: the course as its spec file is now, so a lesson appended
    to the spec reaches subscribers without a restart (the job itself follows the
    templates marketers save). It is rebuilt only when the spec file changed, so each
    lesson's stage-1 render is reused from tick to tick.

    A spec edited into a broken state is reported once and the last good course keeps
    being sent, so a typo in the spec does not stop everyone's daily lesson.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.job: SendJob | None = None
        self.built_from: int | None = None  # the spec's mtime the job (or failure) is of

    def __call__(self) -> SendJob:
        modified = _modified(self.settings)
        if self.job is None or modified != self.built_from:
            try:
                job = SendJob.from_settings(self.settings)
            except DripError as error:
                if self.job is None:
                    raise
                if modified != self.built_from:
                    log.error("the course spec changed but cannot be built: %s", error)
                    log.error("sending the course as it was until the spec is fixed")
                self.built_from = modified
                return self.job
            self.job, self.built_from = job, modified
        return self.job


def jobs_in_force(settings: Settings) -> JobsInForce:
    return JobsInForce(settings)


def _modified(settings: Settings) -> int:
    try:
        return settings.course.stat().st_mtime_ns
    except OSError:
        return 0  # SendJob.from_settings reports the missing file, naming it


def _job_in_force(job: JobSource) -> SendJob:
    return job if isinstance(job, SendJob) else job()


def _log_report(report: RunReport, worker: str) -> None:
    if report.sent or report.failed or report.deferred or report.skipped:
        log.info(
            "%s: sent %d, failed %d, deferred %d, skipped %d (%s)",
            worker,
            report.sent,
            report.failed,
            report.deferred,
            report.skipped,
            ", ".join(f"{slug} {count}" for slug, count in report.by_lesson.items()) or "-",
        )


def send_tick(
    sessions: sessionmaker[Session],
    job: JobSource,
    *,
    stop: threading.Event,
    worker: str,
    on_configuration_error: ConfigurationAlarm | None = None,
) -> RunReport | None:
    """One tick: send what is due now. A user-fixable error is logged as one line (and a
    configuration error handed to `on_configuration_error`); the next tick tries again."""
    try:
        report = send_due(sessions, _job_in_force(job), worker=worker, stop=stop)
    except ConfigurationError as error:
        log.error("sending stopped: %s", error)
        if on_configuration_error is not None:
            on_configuration_error(error)
        return None
    except DripError as error:
        log.error("sending failed this tick: %s", error)
        return None
    except SQLAlchemyError as error:  # the database restarting; the next tick retries
        log.error("sending failed this tick, database error: %s", error)
        return None
    _log_report(report, worker)
    return report


def scheduler_for(
    sessions: sessionmaker[Session],
    job: JobSource,
    *,
    stop: threading.Event | None = None,
    worker: str | None = None,
    on_configuration_error: ConfigurationAlarm | None = None,
) -> BackgroundScheduler:
    """A scheduler (not started) whose one job sends what is due, now and every minute.

    Set `stop`, then `shutdown(wait=True)`, to finish the batch in hand and stop.
    """
    scheduler = BackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        timezone=UTC,
    )
    scheduler.add_job(
        send_tick,
        IntervalTrigger(seconds=int(TICK.total_seconds()), timezone=UTC),
        args=(sessions, job),
        kwargs={
            "stop": stop if stop is not None else threading.Event(),
            "worker": worker_id(worker),
            "on_configuration_error": on_configuration_error,
        },
        id=JOB_ID,
        name="send what is due",
        replace_existing=True,
        coalesce=True,  # ticks missed while one ran long: run once, not once per tick
        max_instances=1,  # never two runs at once in this process
        misfire_grace_time=int(MISFIRE_GRACE.total_seconds()),
        next_run_time=datetime.now(UTC),  # the first tick at start, not a minute later
    )
    return scheduler


def seconds_to_next_minute(now: datetime) -> float:
    """How long until the next whole minute (a worker ticks on the minute)."""
    next_minute = now.replace(second=0, microsecond=0) + TICK
    return (next_minute - now).total_seconds()


def work(
    sessions: sessionmaker[Session],
    job: JobSource,
    *,
    stop: threading.Event,
    worker: str | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """The `drip worker` loop: send what is due, sleep until the next minute, until `stop`.

    Several workers on one PostgreSQL database share the due rows (each claim takes a
    batch no other worker holds). A configuration error (a bad API key) is raised: it
    will not go away by itself, and the process should stop saying what to fix.
    """
    name = worker_id(worker)
    errors: list[ConfigurationError] = []
    while not stop.is_set():
        send_tick(sessions, job, stop=stop, worker=name, on_configuration_error=errors.append)
        if errors:
            raise errors[0]
        stop.wait(seconds_to_next_minute(clock()))
