"""CSV export writes the import's format: an export imports back as the same people."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import select

from drip.db import make_engine, session_factory, transaction, upgrade
from drip.settings import Settings
from subscribers import (
    Consent,
    Status,
    Subscriber,
    add_confirmed,
    export_csv,
    get,
    import_csv,
    pause,
)
from tests.subscribers.conftest import Step

PEOPLE = [
    ("ann@example.com", "Lee, Ann", "Asia/Kolkata", 7),
    ("bob@example.com", 'Bob "Bobby" Tables', "America/New_York", 18),
    ("cy@example.com", "", "UTC", 8),
    ("dörte@example.de", "Dörte", "Europe/Berlin", 0),
]


def _add_people(step: Step, settings: Settings) -> None:
    with step() as session:
        for email, name, zone, hour in PEOPLE:
            add_confirmed(
                session,
                settings,
                email,
                name=name,
                timezone=zone,
                send_hour=hour,
                consent=Consent("t"),
            )
        pause(session, get(session, "bob@example.com"))


def test_the_export_has_the_import_columns_and_a_status(step: Step, db_settings: Settings) -> None:
    _add_people(step, db_settings)
    out = io.StringIO()
    with step() as session:
        assert export_csv(session, out) == 4
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["email", "name", "timezone", "hour", "status"]
    assert rows[1:] == [
        [email, name, zone, str(hour), "paused" if email.startswith("bob") else "active"]
        for email, name, zone, hour in PEOPLE
    ]


def test_an_export_filtered_by_status(step: Step, db_settings: Settings) -> None:
    _add_people(step, db_settings)
    out = io.StringIO()
    with step() as session:
        assert export_csv(session, out, status=Status.PAUSED) == 1
    assert out.getvalue().splitlines()[1].startswith("bob@example.com,")


def test_an_export_imports_back_as_the_same_people(
    step: Step, db_settings: Settings, tmp_path: Path
) -> None:
    _add_people(step, db_settings)
    out = io.StringIO()
    with step() as session:
        export_csv(session, out)
    elsewhere = make_engine(f"sqlite:///{tmp_path / 'elsewhere.db'}")
    upgrade(elsewhere)
    with transaction(session_factory(elsewhere)) as session:
        report = import_csv(
            session,
            db_settings,
            io.BytesIO(out.getvalue().encode()),
            filename="export.csv",
            confirmed_source="moved from the old server",
        )
        assert (report.added, report.ignored_columns) == (4, ("status",))
        people = session.execute(
            select(
                Subscriber.email, Subscriber.name, Subscriber.timezone, Subscriber.send_hour
            ).order_by(Subscriber.id)
        ).all()
    elsewhere.dispose()
    assert [tuple(row) for row in people] == PEOPLE
