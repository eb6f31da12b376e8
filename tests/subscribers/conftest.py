"""Fixtures of the subscriber tests: settings on the parametrised database (SQLite and
PostgreSQL), a session per step, and a notifier that records what it was asked to send."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from drip.db import transaction
from drip.settings import Settings, load_settings
from subscribers import Consent
from subscribers.notifier import Confirmation, Goodbye

# Named instants the tests travel to.
MONDAY_9_UTC = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEB_FORM = Consent(
    source="web form",
    form="/subscribe",
    text="Send me the magnesium course, one lesson a day (consent v3)",
    ip="203.0.113.7",
    user_agent="Mozilla/5.0 (X11; Linux x86_64)",
)


@dataclass
class RecordingNotifier:
    """Keeps what the lifecycle asks to send (the real notifier renders and delivers)."""

    confirmations: list[Confirmation] = field(default_factory=list)
    goodbyes: list[Goodbye] = field(default_factory=list)

    def send_confirmation(self, confirmation: Confirmation) -> None:
        self.confirmations.append(confirmation)

    def send_goodbye(self, goodbye: Goodbye) -> None:
        self.goodbyes.append(goodbye)

    def token(self, index: int = -1) -> str:
        """The token in the confirm link of a recorded confirmation."""
        return self.confirmations[index].confirm_url.rsplit("/", 1)[1]


@pytest.fixture
def db_settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        database_url=database_url,
        outbox_dir=tmp_path / "outbox",
        var_dir=tmp_path / "var",
        base_url="https://course.example.org",
    )


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


Step = Callable[[], AbstractContextManager[Session]]


@pytest.fixture
def step(sessions: sessionmaker[Session]) -> Step:
    """`with step() as session:` one committed transaction, as one request would be."""
    return lambda: transaction(sessions)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work the test commits itself (or not)."""
    with sessions() as session:
        yield session
