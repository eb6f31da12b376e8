"""Real `drip` processes for the crash and worker proofs: their environment, a list of
due subscribers to send to, and what the SendGrid stand-in received."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from drip.db import transaction
from drip.settings import Settings
from scheduler.models import Delivery
from subscribers import import_csv
from tests.support.sendgrid_standin import SendGridStandIn

DRIP = Path(sys.executable).with_name("drip")  # the console script of this environment


def child_environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that makes a child `drip` use exactly `settings`."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("DRIP_")}
    env.pop("SENDGRID_API_KEY", None)
    values = {
        "DRIP_DATABASE_URL": settings.database_url,
        "DRIP_COURSE": str(settings.course),
        "DRIP_OUTBOX_DIR": str(settings.outbox_dir),
        "DRIP_VAR_DIR": str(settings.var_dir),
        "DRIP_POSTAL_ADDRESS": settings.postal_address,
        "DRIP_BASE_URL": settings.base_url,
        "DRIP_SECRET_KEY": settings.secret(),
        "DRIP_SENDGRID_HOST": settings.sendgrid_host,
        "DRIP_BACKEND": settings.delivery_backend,
    }
    if settings.sendgrid_api_key is not None:
        values["SENDGRID_API_KEY"] = settings.sendgrid_api_key.get_secret_value()
    return env | values | extra


def start_drip(settings: Settings, *arguments: str, log: Path) -> subprocess.Popen[bytes]:
    """`drip ARGUMENTS...` in a child process, its output in `log`."""
    with log.open("ab") as output:
        return subprocess.Popen(
            [str(DRIP), *arguments],
            env=child_environment(settings),
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=log.parent,
        )


def add_due_subscribers(sessions: sessionmaker[Session], settings: Settings, count: int) -> None:
    """`count` confirmed subscribers (reader-00001@example.com, ...), their welcome due now."""
    lines = ["email,name,timezone,hour"]
    lines += [f"reader-{n:05d}@example.com,Reader {n},Europe/London,8" for n in range(count)]
    data = io.BytesIO("\n".join(lines).encode())
    with transaction(sessions) as session:
        report = import_csv(
            session, settings, data, filename="readers.csv", confirmed_source="proof tests"
        )
    assert report.added == count


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def recipients_at(standin: SendGridStandIn) -> Counter[str]:
    """How many times the stand-in accepted an email to each address."""
    counts: Counter[str] = Counter()
    for request in list(standin.accepted):
        for personalization in json.loads(request.body)["personalizations"]:
            counts.update(recipient["email"] for recipient in personalization["to"])
    return counts


def deliveries_by_status(sessions: sessionmaker[Session]) -> Mapping[str, int]:
    with sessions() as session:
        rows = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
        return {str(status): int(count) for status, count in rows}
