"""Fixtures shared by every test package: settings in a temporary folder, and databases.

`database_url` is parametrised over SQLite and PostgreSQL; PostgreSQL runs on
127.0.0.1:5432 on every machine here (CI included), and each test run gets a database
of its own, dropped at the end, so parallel runs never meet.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from drip.db import make_engine, session_factory, upgrade
from drip.settings import Settings, load_settings

# Cross-area fixtures: `sendgrid_standin` (a SendGrid stand-in on 127.0.0.1).
pytest_plugins = ["tests.support.sendgrid_standin"]

POSTGRES_ADMIN_DSN = os.environ.get(
    "DRIP_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's .env or writes into the repo's var/."""
    for name in list(os.environ):
        if name.startswith("DRIP_") or name == "SENDGRID_API_KEY":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DRIP_SECRET_KEY", "test-secret-key-not-for-production")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        database_url=f"sqlite:///{tmp_path / 'drip.db'}",
        outbox_dir=tmp_path / "outbox",
        var_dir=tmp_path / "var",
        postal_address="Drip Test Ltd, 1 Test Street, Testville 12345",
    )


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run (or worker), dropped afterwards."""
    name = f"drip_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'drip.db'}"
        return
    server_url: str = request.getfixturevalue("postgres_server_url")
    engine = make_engine(server_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()
    yield server_url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)
