"""`drip send` and `drip failures` through Typer's CliRunner, on SQLite and PostgreSQL,
sending into the outbox (the default backend)."""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import update
from typer.testing import CliRunner, Result

from admin.cli import app
from drip.db import make_engine, session_factory, transaction
from drip.settings import get_settings
from scheduler.models import Delivery

Run = Callable[..., Result]
MONDAY = "2026-03-02T09:00:00Z"
TUESDAY = "2026-03-03T08:00:00+00:00"


@pytest.fixture
def env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DRIP_DATABASE_URL", database_url)
    monkeypatch.setenv("DRIP_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("DRIP_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DRIP_BASE_URL", "https://course.example.org")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _monday_morning() -> Iterator[None]:
    """The subscribers sign up on Monday morning, just before the ticks the tests give."""
    with time_machine.travel(datetime(2026, 3, 2, 8, 55, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def drip(env: Path) -> Run:
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> Result:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        return result

    return run


@pytest.fixture
def two_readers(drip: Run) -> None:
    for address in ("ann@example.com", "bob@example.com"):
        drip("subscribers", "add", address, "--confirmed", "--source", "cli test")


def _outbox(env: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for path in sorted((env / "outbox").glob("*.eml"))
    ]


def test_a_dry_run_names_who_would_get_which_lesson_and_sends_nothing(
    drip: Run, env: Path, two_readers: None
) -> None:
    result = drip("send", "--dry-run", "--at", MONDAY)

    assert "nothing sent" in result.stdout
    assert "welcome" in result.stdout
    assert "2 would get an email." in result.stdout
    assert "  ann@example.com: welcome" in result.stdout
    assert _outbox(env) == []

    as_json = json.loads(drip("send", "--dry-run", "--at", MONDAY, "--json").stdout)
    assert as_json["dry_run"] is True
    assert as_json["planned"] == [{"position": 1, "lesson": "welcome", "count": 2}]
    assert as_json["recipients"] == [
        {"email": "ann@example.com", "lesson": "welcome"},
        {"email": "bob@example.com", "lesson": "welcome"},
    ]


def test_send_prints_the_tally_and_json_for_scripts(
    drip: Run, env: Path, two_readers: None
) -> None:
    result = drip("send", "--at", MONDAY, "--json")

    assert json.loads(result.stdout) == {
        "at": "2026-03-02T09:00:00+00:00",
        "dry_run": False,
        "sent": 2,
        "failed": 0,
        "deferred": 0,
        "skipped": 0,
        "by_lesson": {"welcome": 2},
        "per_lesson": {"welcome": {"sent": 2, "failed": 0, "deferred": 0, "skipped": 0}},
        "planned": [],
    }
    assert sorted(str(message["To"]) for message in _outbox(env)) == [
        "ann@example.com",
        "bob@example.com",
    ]
    again = drip("send", "--at", MONDAY)
    assert again.stdout.startswith("Sent 0, failed 0, deferred 0, skipped 0")
    tuesday = drip("send", "--at", TUESDAY)
    assert "Sent 2, failed 0, deferred 0, skipped 0" in tuesday.stdout


def test_going_back_in_time_is_a_user_error(drip: Run, two_readers: None) -> None:
    drip("send", "--at", TUESDAY)

    result = drip("send", "--at", MONDAY, code=1)

    assert "earlier than the last send recorded" in str(result.exception)


@pytest.mark.parametrize("bad", ["tomorrow", "2026-13-01"])
def test_an_unreadable_instant_is_a_user_error(drip: Run, bad: str) -> None:
    result = drip("send", "--at", bad, code=1)
    assert f"--at {bad!r} is not an ISO-8601 instant" in str(result.exception)


def test_lesson_without_to_is_a_usage_error(drip: Run) -> None:
    result = drip("send", "--lesson", "2", code=2)
    assert "--lesson needs --to" in result.output


def test_a_test_send_goes_to_the_address_given(drip: Run, env: Path, two_readers: None) -> None:
    result = drip(
        "send", "--lesson", "2", "--to", "me@example.com", "--subscriber", "ann@example.com"
    )

    assert result.stdout.strip() == "Sent a test of lesson 2 to me@example.com (outbox)."
    (message,) = _outbox(env)
    assert str(message["To"]) == "me@example.com"
    assert (
        str(message["Subject"]) == "[Test] Cold hands, tingling, cramps: the signs of low magnesium"
    )
    nobody = drip(
        "send", "--lesson", "2", "--to", "me@example.com", "--subscriber", "x@example.com", code=1
    )
    assert "no subscriber with the address 'x@example.com'" in str(nobody.exception)


def test_failures_are_listed_and_retried(
    drip: Run, env: Path, two_readers: None, database_url: str
) -> None:
    drip("send", "--at", MONDAY)
    assert json.loads(drip("failures", "--json").stdout) == []
    assert "No failed deliveries." in drip("failures").stdout
    _mark_failed(database_url, "400: The from address does not match a verified Sender Identity")

    listed = json.loads(drip("failures", "--json").stdout)
    assert [(item["email"], item["lesson"], item["reason"]) for item in listed] == [
        (
            "ann@example.com",
            "welcome",
            "400: The from address does not match a verified Sender Identity",
        )
    ]
    assert "drip send --retry-failed" in drip("failures").stdout

    result = drip("send", "--retry-failed", "--at", MONDAY)

    assert result.stdout.splitlines()[:2] == [
        "Queued 1 failed deliveries again.",
        "Sent 1, failed 0, deferred 0, skipped 0 (as at 2026-03-02T09:00:00+00:00).",
    ]
    assert json.loads(drip("failures", "--json").stdout) == []


def _mark_failed(database_url: str, reason: str) -> None:
    """As a SendGrid 400 would have left ann's welcome: failed, and ann held."""
    engine = make_engine(database_url)
    try:
        with transaction(session_factory(engine)) as session:
            session.execute(
                update(Delivery)
                .where(Delivery.id == 1)
                .values(status="failed", error=reason, provider_message_id=None, sent_at=None)
            )
            session.execute(
                update(Delivery.__table__.metadata.tables["subscribers"])
                .where(Delivery.__table__.metadata.tables["subscribers"].c.id == 1)
                .values(lessons_sent=0, last_sent_at=None, next_due_at=None)
            )
    finally:
        engine.dispose()
