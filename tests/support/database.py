"""A migrated database for tests that make their own settings (and so their own URL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from drip.db import make_engine, session_factory, upgrade


@contextmanager
def migrated_database(url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on the database at `url`, migrated to the head; the engine is disposed after."""
    engine = make_engine(url)
    upgrade(engine)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()
