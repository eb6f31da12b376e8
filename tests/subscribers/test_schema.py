"""The migration builds what the models describe, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

# Every module with tables registers them on Base.metadata, which the migrations must match.
import admin.web.template_versions
import admin.web.users  # noqa: F401
import scheduler.models  # noqa: F401
import subscribers.models  # noqa: F401
from drip.db import Base
from subscribers import Consent, Status, Subscriber
from subscribers.addresses import normalise
from subscribers.consent import OptIn
from subscribers.optin import subscriber_row
from subscribers.profile import Profile

KOLKATA = timezone(timedelta(hours=5, minutes=30))


def _row(email: str, now: datetime) -> dict[str, object]:
    profile = Profile("Ann", "UTC", 8)
    return subscriber_row(normalise(email), profile, Consent("test"), OptIn.ATTESTED, now)


def test_the_migration_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_the_scheduler_claims_on_an_index_of_status_and_due_time(engine: Engine) -> None:
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes("subscribers")}
    assert indexes["ix_subscribers_due"] == ["status", "next_due_at"]


def test_instants_come_back_aware_utc(sessions: sessionmaker[Session]) -> None:
    written = datetime(2026, 3, 2, 14, 40, tzinfo=KOLKATA)  # 09:10 UTC
    with sessions.begin() as session:
        session.add(Subscriber(**_row("ann@example.com", written)))
    with sessions() as session:
        subscriber = session.scalars(select(Subscriber)).one()
        assert subscriber.next_due_at == written
        assert subscriber.next_due_at is not None
        assert subscriber.next_due_at.tzinfo is UTC
        assert subscriber.next_due_at.hour == 9
        # and SQL compares instants, not local wall times
        due = select(Subscriber.id).where(
            Subscriber.next_due_at <= datetime(2026, 3, 2, 9, 10, tzinfo=UTC)
        )
        assert session.scalars(due).all() == [subscriber.id]
        early = datetime(2026, 3, 2, 9, 9, tzinfo=UTC)
        assert (
            session.scalars(select(Subscriber.id).where(Subscriber.next_due_at <= early)).all()
            == []
        )


def test_a_naive_datetime_is_refused(sessions: sessionmaker[Session]) -> None:
    row = _row("ann@example.com", datetime(2026, 3, 2, 9, tzinfo=UTC))
    row["next_due_at"] = datetime(2026, 3, 2, 9)
    with pytest.raises(StatementError, match="naive datetime"), sessions.begin() as session:
        session.add(Subscriber(**row))


def test_one_subscriber_per_address_whatever_the_case(sessions: sessionmaker[Session]) -> None:
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    with sessions.begin() as session:
        session.add(Subscriber(**_row("Ann@example.com", now)))
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(Subscriber(**_row("ANN@EXAMPLE.COM", now)))


@pytest.mark.parametrize(
    ("column", "value"),
    [("status", "'deleted'"), ("send_hour", "24"), ("lessons_sent", "-1"), ("opt_in", "'maybe'")],
)
def test_the_database_refuses_impossible_values(
    sessions: sessionmaker[Session], engine: Engine, column: str, value: str
) -> None:
    with sessions.begin() as session:
        session.add(Subscriber(**_row("ann@example.com", datetime(2026, 3, 2, 9, tzinfo=UTC))))
    # Straight SQL, past the ORM's own checks: the CHECK constraints must hold.
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text(f"UPDATE subscribers SET {column} = {value}"))


def test_status_values_are_the_statuses(sessions: sessionmaker[Session]) -> None:
    assert [s.value for s in Status] == [
        "pending",
        "active",
        "paused",
        "completed",
        "unsubscribed",
        "bounced",
        "complained",
    ]
