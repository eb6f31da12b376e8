"""Migrations apply on both databases and are idempotent."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

from drip.db import upgrade


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    upgrade(engine)
    assert "alembic_version" in inspect(engine).get_table_names()


def test_sqlite_runs_in_wal_mode(tmp_path_factory: object, settings: object) -> None:
    from drip.db import make_engine

    engine = make_engine("sqlite:///var/wal-check.db")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()
