"""drip.db.bulk_insert_ignoring_conflicts writes what SQLAlchemy itself would write, and
skips conflicting rows, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum

import pytest
from sqlalchemy import Column, Engine, Enum, Integer, MetaData, String, Table, cast, select

from drip.columns import UTCDateTime
from drip.db import bulk_insert_ignoring_conflicts


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


metadata = MetaData()
things = Table(
    "bulk_things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(20), unique=True, nullable=False),
    Column("at", UTCDateTime),
    Column(
        "colour", Enum(Colour, native_enum=False, values_callable=lambda e: [m.value for m in e])
    ),
)
ON_THE_SECOND = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)  # no microseconds: a format trap
LATER = datetime(2026, 3, 2, 9, 0, 0, 250_000, tzinfo=UTC)


@pytest.fixture
def table(engine: Engine) -> Iterator[Table]:
    metadata.create_all(engine)
    yield things
    metadata.drop_all(engine)


def test_rows_are_stored_as_sqlalchemy_stores_them(engine: Engine, table: Table) -> None:
    with engine.begin() as connection:
        connection.execute(
            table.insert(), [{"key": "orm", "at": ON_THE_SECOND, "colour": Colour.RED}]
        )
        bulk_insert_ignoring_conflicts(
            connection,
            table,
            [
                {"key": "bulk", "at": ON_THE_SECOND, "colour": Colour.RED},
                {"key": "later", "at": LATER, "colour": Colour.BLUE},
            ],
            "key",
        )
    with engine.connect() as connection:
        stored = dict(connection.execute(select(table.c.key, cast(table.c.at, String))).all())
        assert stored["bulk"] == stored["orm"]  # the same text on SQLite, so SQL compares right
        read = {
            key: (at, colour)
            for key, at, colour in connection.execute(
                select(table.c.key, table.c.at, table.c.colour)
            )
        }
    assert read["bulk"] == (ON_THE_SECOND, Colour.RED)
    assert read["later"] == (LATER, Colour.BLUE)
    with engine.connect() as connection:
        after = select(table.c.key).where(table.c.at > ON_THE_SECOND)
        assert connection.execute(after).scalars().all() == ["later"]


def test_conflicting_rows_are_skipped(engine: Engine, table: Table) -> None:
    with engine.begin() as connection:
        bulk_insert_ignoring_conflicts(
            connection, table, [{"key": "a", "colour": Colour.RED}], "key"
        )
        bulk_insert_ignoring_conflicts(
            connection,
            table,
            [{"key": "a", "colour": Colour.BLUE}, {"key": "b", "colour": Colour.BLUE}],
            "key",
        )
        bulk_insert_ignoring_conflicts(connection, table, [], "key")
    with engine.connect() as connection:
        rows = connection.execute(select(table.c.key, table.c.colour).order_by(table.c.key)).all()
    assert [tuple(row) for row in rows] == [("a", Colour.RED), ("b", Colour.BLUE)]
