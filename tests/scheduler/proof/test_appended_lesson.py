"""A lesson appended to the course spec mid-course reaches everyone who has not completed
the course, without a restart (the scheduler's job follows the spec file), and nobody
who already completed it."""

from __future__ import annotations

import email
import os
import shutil
from email import policy
from pathlib import Path

import yaml
from sqlalchemy.orm import Session, sessionmaker

from scheduler.runner import jobs_in_force
from subscribers import Status
from tests.scheduler.proof.conftest import (
    TICK,
    Clock,
    Enrol,
    never_two_within_20_hours,
    proof_settings,
    sent_by_subscriber,
    status_of,
    utc,
)

FIXTURES = Path(__file__).resolve().parents[2] / "course" / "fixtures"
ZONE, HOUR = "Europe/London", 9
DONE, MIDWAY, STARTING = "done@example.com", "midway@example.com", "starting@example.com"
APPENDED_AT = utc(2026, 4, 8, 20, 0)  # Wednesday evening


def write_spec(path: Path, lessons: int) -> None:
    """The zinc fixture course cut to its first `lessons` lessons."""
    spec = yaml.safe_load((FIXTURES / "zinc.yaml").read_text(encoding="utf-8"))
    spec["lessons"] = spec["lessons"][:lessons]
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    stat = path.stat()  # a coarse file-system clock must still see a change
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + lessons * 1_000_000_000))


def subjects_in_outbox(outbox: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(outbox.glob("*.eml"), key=lambda p: int(p.stem)):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        found.setdefault(str(message["To"]).split("<")[-1].rstrip(">"), []).append(
            str(message["Subject"])
        )
    return found


def test_an_appended_lesson_reaches_those_not_yet_completed(
    tmp_path: Path, db: sessionmaker[Session], enrol: Enrol, clock: Clock
) -> None:
    shutil.copytree(FIXTURES / "articles", tmp_path / "course" / "articles")
    spec = tmp_path / "course" / "zinc.yaml"
    write_spec(spec, lessons=3)
    settings = proof_settings(tmp_path, course=spec, backend="outbox")
    jobs = jobs_in_force(settings)  # what `drip run` ticks with

    enrol(DONE, ZONE, HOUR, utc(2026, 4, 6, 10, 0))  # Monday: done by Wednesday
    enrol(MIDWAY, ZONE, HOUR, utc(2026, 4, 7, 10, 0))  # Tuesday
    enrol(STARTING, ZONE, HOUR, utc(2026, 4, 8, 10, 0))  # Wednesday
    at = utc(2026, 4, 6, 10, 0)
    while at < APPENDED_AT:
        clock.tick(db, jobs(), at)
        at += TICK
    assert status_of(db, DONE) == (Status.COMPLETED, 3)
    assert status_of(db, MIDWAY) == (Status.ACTIVE, 2)
    assert status_of(db, STARTING) == (Status.ACTIVE, 1)

    write_spec(spec, lessons=4)  # the fourth lesson, "sources", is appended
    assert len(jobs().course.lessons) == 4
    while at < utc(2026, 4, 14, 0, 0):
        clock.tick(db, jobs(), at)
        at += TICK

    sent = sent_by_subscriber(db)
    assert [s.lesson for s in sent[DONE]] == ["welcome", "immunity", "healing"]
    assert status_of(db, DONE) == (Status.COMPLETED, 3)  # not brought back
    for person in (MIDWAY, STARTING):
        assert [s.lesson for s in sent[person]] == ["welcome", "immunity", "healing", "sources"]
        assert never_two_within_20_hours(s.at for s in sent[person])
        assert status_of(db, person) == (Status.COMPLETED, 4)
    outbox = subjects_in_outbox(settings.outbox_dir)
    assert outbox[MIDWAY][-1] == outbox[STARTING][-1] == "Oysters, beans or a supplement?"
    assert len(outbox[DONE]) == 3
