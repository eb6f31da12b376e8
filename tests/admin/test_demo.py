"""`drip demo`: a week of sends to six people in six time zones, in var/demo/ only.

The demo's week starts at midnight UTC of the day it runs; the tests run it on
Monday 2 March 2026, so the week ends on Sunday 8 March, when New York and Los Angeles
move their clocks forward.
"""

from __future__ import annotations

import email
import json
import re
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest
import time_machine
from typer.testing import CliRunner

from admin.cli import app
from drip.settings import get_settings

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEMO = Path("var/demo")  # under the test's working directory
LESSONS_RECEIVED = {
    "asha@example.com": 6,
    "ben@example.com": 6,
    "chloe@example.com": 6,
    "dan@example.com": 6,
    "eva@example.com": 3,  # unsubscribed on Wednesday evening
    "finn@example.com": 4,  # paused on Tuesday evening, resumed on Friday evening
}


@pytest.fixture
def user_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's own database and outbox, which the demo must leave alone."""
    monkeypatch.setenv("DRIP_DATABASE_URL", f"sqlite:///{tmp_path / 'mine' / 'drip.db'}")
    monkeypatch.setenv("DRIP_OUTBOX_DIR", str(tmp_path / "mine" / "outbox"))
    get_settings.cache_clear()
    return tmp_path / "mine"


def run_demo(*args: str) -> str:
    get_settings.cache_clear()
    with time_machine.travel(MONDAY, tick=False):
        result = CliRunner().invoke(app, ["demo", *args])
    assert result.exit_code == 0, result.output
    return result.output


def received(outbox: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(outbox.glob("*.eml"), key=lambda p: int(p.stem)):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        address = message["To"].addresses[0].addr_spec
        found.setdefault(address, []).append(str(message["Subject"]))
    return found


def rows(output: str, name: str) -> list[str]:
    """`name`'s lines in the day tables (UTC time, who, their time, what)."""
    return [line for line in output.splitlines() if re.match(rf"│ \d\d:\d\d │ {name}\s+│", line)]


def test_the_demo_sends_a_week_of_lessons_into_its_own_outbox(user_data: Path) -> None:
    output = run_demo()

    inbox = received(DEMO / "outbox")
    assert {address: len(subjects) for address, subjects in inbox.items()} == LESSONS_RECEIVED
    assert all(len(set(subjects)) == len(subjects) for subjects in inbox.values())  # never twice
    assert (DEMO / "gallery" / "index.html").is_file()
    assert len(list((DEMO / "gallery").glob("*.html"))) > 6
    assert not user_data.exists()  # the user's database and outbox were never touched

    # The table: each person's lessons at their own hour, in their own time zone.
    asha = rows(output, "Asha")
    assert "Mon 05:30 IST" in asha[0]  # the welcome, at sign-up
    assert all("07:00 IST" in row for row in asha[1:])
    assert len(asha) == 6
    assert all("08:00 EST" in row for row in rows(output, "Ben")[1:])
    assert all("06:00 AEDT" in row for row in rows(output, "Dan")[1:])
    eva = rows(output, "Eva")
    assert "unsubscribed" in eva[-1]
    finn = rows(output, "Finn")
    assert [("paused" in row, "resumed" in row) for row in finn if "lesson" not in row] == [
        (True, False),
        (False, True),
    ]
    assert "Sun 07:00 PDT" in finn[-1]  # the day Los Angeles moved its clocks forward
    assert "Day 7 · Sunday 8 March 2026" in output
    assert "var/demo/outbox/ (31 .eml files" in output
    assert "var/demo/gallery/index.html" in output


def test_the_demo_starts_afresh_on_every_run(user_data: Path) -> None:
    run_demo()
    diary = json.loads(run_demo("--json"))

    assert len(list((DEMO / "outbox").glob("*.eml"))) == 31  # not 62: a fresh world
    lessons = [entry for entry in diary["diary"] if entry["what"] == "lesson"]
    assert len(lessons) == 31
    by_person: dict[str, list[int]] = {}
    for entry in lessons:
        by_person.setdefault(entry["email"], []).append(entry["position"])
    assert by_person == {
        address: list(range(1, count + 1)) for address, count in LESSONS_RECEIVED.items()
    }
    assert diary["start"] == "2026-03-02T00:00:00+00:00"
