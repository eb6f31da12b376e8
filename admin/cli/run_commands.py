"""`drip run` (the scheduler) and `drip worker` (an extra sending process), and the
scheduler that `drip serve` runs beside the web app. Thin: scheduler.runner does the work.

SIGTERM and Ctrl-C set a stop event: the batch in hand is finished and recorded, then the
process exits 0. A second signal quits at once (that batch is then resent after its lease,
as after a crash).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from types import FrameType

import typer
from apscheduler.schedulers.background import BackgroundScheduler

from admin.cli.runtime import Runtime
from delivery.errors import ConfigurationError
from drip.errors import DripError
from drip.settings import Settings, get_settings
from scheduler.runner import jobs_in_force, scheduler_for, work, worker_id

log = logging.getLogger("drip.scheduler")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class SendingRefused(DripError):
    """This process must not send as configured."""


def check_can_send(settings: Settings, command: str) -> None:
    """In production, refuse to send emails that print the placeholder postal address."""
    if settings.env == "production" and settings.has_placeholder_postal_address:
        raise SendingRefused(
            f"DRIP_POSTAL_ADDRESS: set the sender's real postal address before `{command}` "
            "sends in production (every email prints it)"
        )


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per tick


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and Ctrl-C set `stop`, so the batch in hand is finished and recorded.

    A second signal quits at once, as a crash would (exit 128 + the signal's number):
    the batch in hand is then sent again after its lease, like after a kill -9.
    """

    signalled: list[int] = []

    def finish(signum: int, _frame: FrameType | None) -> None:
        if signalled:
            os._exit(128 + signum)  # no cleanup: the ledger is built for exactly this
        signalled.append(signum)
        # Event.set takes a lock the interrupted main thread may hold (inside wait()):
        # set it from another thread, never from the handler itself.
        threading.Thread(target=_stopping, args=(stop, signum), daemon=True).start()

    previous = {signum: signal.signal(signum, finish) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stopping(stop: threading.Event, signum: int) -> None:
    name = signal.Signals(signum).name
    log.info("%s: finishing the batch in hand, then stopping (again to quit at once)", name)
    stop.set()


@contextmanager
def scheduled_sending(
    settings: Settings, stop: threading.Event | None = None
) -> Iterator[BackgroundScheduler]:
    """The scheduler running (a tick now, then every minute) until the block ends; then
    the batch in hand is finished and the scheduler shut down.

    With `stop` (`drip run`), a configuration error (a bad API key) sets it and is raised
    when the block ends: it will not mend itself. Without (`drip serve`), it is logged at
    each tick and the web app keeps serving.
    """
    errors: list[ConfigurationError] = []

    def alarm(error: ConfigurationError) -> None:
        if stop is not None:
            errors.append(error)
            stop.set()

    stopping = stop if stop is not None else threading.Event()
    with closing(Runtime(settings)) as rt:
        jobs = jobs_in_force(settings)
        scheduler = scheduler_for(rt.sessions, jobs, stop=stopping, on_configuration_error=alarm)
        scheduler.start()
        try:
            yield scheduler
        finally:
            stopping.set()
            scheduler.shutdown(wait=True)  # waits for the tick in hand: it stops between batches
    if errors:
        raise errors[0]


def run() -> None:
    """Run the scheduler: send what is due now and every minute, until stopped.

    SIGTERM or Ctrl-C finish the batch in hand, then exit 0. Run ONE scheduler per
    deployment (APScheduler job stores must not be shared); add `drip worker`
    processes to send faster on PostgreSQL.

    Example: DRIP_ENV=production DRIP_POSTAL_ADDRESS="Acme, 1 Main St, Springfield" drip run
    """
    settings = get_settings()
    check_can_send(settings, "drip run")
    _configure_logging()
    stop = threading.Event()
    with stop_on_signals(stop), scheduled_sending(settings, stop):
        log.info("scheduler started: sending what is due every minute (Ctrl-C stops)")
        stop.wait()
    log.info("scheduler stopped")


def worker(
    name: str | None = typer.Option(
        None, "--id", help="This worker's name in the deliveries log (default host:pid)."
    ),
) -> None:
    """An extra sending process: send what is due, then again at each whole minute.

    Several workers may run against one PostgreSQL database: they share the due
    deliveries and never send one twice. On SQLite one process sends at a time.
    SIGTERM or Ctrl-C finish the batch in hand, then exit 0.

    Example: DRIP_DATABASE_URL=postgresql+psycopg://drip@db/drip drip worker --id worker-2
    """
    settings = get_settings()
    check_can_send(settings, "drip worker")
    _configure_logging()
    stop = threading.Event()
    label = worker_id(name)
    with stop_on_signals(stop), closing(Runtime(settings)) as rt:
        log.info("worker %s started", label)
        work(rt.sessions, jobs_in_force(settings), stop=stop, worker=label)
    log.info("worker %s stopped", label)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("worker")(worker)
