"""send_due end to end on the memory backend: what goes out, what is recorded, never twice,
day by day at named instants; outcomes, stops, dry runs and the templates in force."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from delivery.memory import MemoryBackend
from delivery.message import Deferred, Outcome, PersonalEmail, Rejected
from drip.db import transaction
from drip.settings import Settings
from render import load_templates
from render.versions import save_version
from scheduler.claims import retry_failed
from scheduler.errors import InstantInThePast, TemplatesBroken
from scheduler.job import SendJob
from scheduler.run import send_due
from subscribers import Status, Subscriber, restart, unsubscribe
from tests.scheduler.conftest import (
    MONDAY_9_UTC,
    TUESDAY_8_UTC,
    AddSubscriber,
    deliveries,
    subscriber,
)

DAY = timedelta(days=1)


def test_the_welcome_goes_to_every_new_subscriber_once(
    sessions: sessionmaker[Session], job: SendJob, memory: MemoryBackend, add: AddSubscriber
) -> None:
    add("ann@example.com", name="Ann")
    add("bob@example.com", name="Bob", timezone="Asia/Kolkata", hour=7)

    report = send_due(sessions, job, at=MONDAY_9_UTC)

    assert (report.sent, report.failed, report.deferred, report.skipped) == (2, 0, 0, 0)
    assert report.by_lesson == {"welcome": 2}
    assert sorted(email.to for email in memory.outbox) == ["ann@example.com", "bob@example.com"]
    assert {row.status for row in deliveries(sessions)} == {"sent"}
    ann = subscriber(sessions, "ann@example.com")
    assert ann.lessons_sent == 1
    assert ann.last_sent_at == MONDAY_9_UTC
    assert ann.next_due_at == TUESDAY_8_UTC


def test_a_second_run_at_the_same_instant_sends_nothing(
    sessions: sessionmaker[Session], job: SendJob, memory: MemoryBackend, add: AddSubscriber
) -> None:
    add("ann@example.com")
    add("bob@example.com")
    send_due(sessions, job, at=MONDAY_9_UTC)

    again = send_due(sessions, job, at=MONDAY_9_UTC)

    assert (again.sent, again.failed, again.deferred, again.skipped) == (0, 0, 0, 0)
    assert len(memory.outbox) == 2


def test_each_day_brings_the_next_lesson_at_the_subscribers_hour_until_completed(
    sessions: sessionmaker[Session], job: SendJob, memory: MemoryBackend, add: AddSubscriber
) -> None:
    add("ann@example.com")  # UTC, 08:00
    lessons = job.course.lessons
    send_due(sessions, job, at=MONDAY_9_UTC)

    seven_fifty_nine = TUESDAY_8_UTC - timedelta(minutes=1)
    assert send_due(sessions, job, at=seven_fifty_nine).sent == 0
    for day in range(1, len(lessons)):
        report = send_due(sessions, job, at=TUESDAY_8_UTC + (day - 1) * DAY)
        assert report.by_lesson == {lessons[day].slug: 1}

    assert [email.subject for email in memory.outbox] == [lesson.subject for lesson in lessons]
    ann = subscriber(sessions, "ann@example.com")
    assert (ann.status, ann.lessons_sent, ann.next_due_at) == (Status.COMPLETED, len(lessons), None)
    assert send_due(sessions, job, at=TUESDAY_8_UTC + 30 * DAY).sent == 0


def test_a_subscriber_past_the_end_of_a_shortened_course_is_completed_not_kept_due(
    sessions: sessionmaker[Session],
    job: SendJob,
    memory: MemoryBackend,
    add: AddSubscriber,
    db_settings: Settings,
) -> None:
    add("ann@example.com")
    add("bob@example.com", now=TUESDAY_8_UTC + 2 * DAY)  # joins later: one lesson in
    for day in range(3):  # Ann: welcome and lessons 2 and 3
        send_due(sessions, job, at=MONDAY_9_UTC + day * DAY)
    assert subscriber(sessions, "ann@example.com").lessons_sent == 3
    shortened = replace(job.course, lessons=job.course.lessons[:2])
    short_job = SendJob.from_settings(db_settings, course=shortened, backend_factory=lambda: memory)
    sent_before = len(memory.outbox)

    report = send_due(sessions, short_job, at=TUESDAY_8_UTC + 3 * DAY)

    ann = subscriber(sessions, "ann@example.com")
    assert (ann.status, ann.next_due_at) == (Status.COMPLETED, None)
    bob = subscriber(sessions, "bob@example.com")
    assert (bob.status, bob.lessons_sent) == (Status.ACTIVE, 1)  # still has lesson 2 to come
    assert report.sent == len(memory.outbox) - sent_before
    assert {email.to for email in memory.outbox[sent_before:]} <= {"bob@example.com"}


def test_each_email_is_personalised_with_the_subscribers_own_links(
    sessions: sessionmaker[Session], job: SendJob, memory: MemoryBackend, add: AddSubscriber
) -> None:
    add("ann@example.com", name="Ann")
    add("bob@example.com", name="Bob")

    send_due(sessions, job, at=MONDAY_9_UTC)

    by_address = {email.to: email for email in memory.outbox}
    ann, bob = by_address["ann@example.com"], by_address["bob@example.com"]
    assert "Hi Ann," in ann.html
    assert "Hi Bob," in bob.html
    ann_link = _unsubscribe_link(ann)
    assert ann_link.startswith("https://course.example.org/unsubscribe/")
    assert ann_link in ann.html
    assert ann_link not in bob.html
    assert ann.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert ann.category == "welcome"


def _unsubscribe_link(email: PersonalEmail) -> str:
    return email.headers["List-Unsubscribe"].strip("<>")


def test_a_dry_run_plans_and_writes_nothing(
    sessions: sessionmaker[Session], job: SendJob, memory: MemoryBackend, add: AddSubscriber
) -> None:
    add("ann@example.com")
    add("bob@example.com")

    report = send_due(sessions, job, at=MONDAY_9_UTC, dry_run=True)

    assert report.dry_run
    assert report.planned == ((1, "welcome", 2),)
    assert report.sent == 0
    assert memory.outbox == []
    assert deliveries(sessions) == []
    assert subscriber(sessions, "ann@example.com").lessons_sent == 0


def test_a_broken_template_stops_the_run_before_anything_is_sent(
    sessions: sessionmaker[Session],
    db_settings: Settings,
    job: SendJob,
    memory: MemoryBackend,
    add: AddSubscriber,
) -> None:
    add("ann@example.com")
    templates = load_templates()
    broken = templates["welcome.html"].replace("{{ lesson.title }}</h1>", "{{ lesson.title }</h1>")
    line = 1 + broken[: broken.index("{{ lesson.title }<")].count("\n")
    with transaction(sessions) as session:
        save_version(session, "welcome.html", broken, "mia")  # bypassing the editor's check

    with pytest.raises(TemplatesBroken, match=rf"welcome\.html:{line}\b"):
        send_due(sessions, job, at=MONDAY_9_UTC)

    assert memory.outbox == []
    assert {row.status for row in deliveries(sessions)} <= {"queued"}
    assert subscriber(sessions, "ann@example.com").lessons_sent == 0


def test_sends_use_the_template_versions_marketers_saved(
    sessions: sessionmaker[Session], job: SendJob, memory: MemoryBackend, add: AddSubscriber
) -> None:
    add("ann@example.com")
    with transaction(sessions) as session:
        save_version(session, "welcome.subject.txt", "{{ lesson.subject }} (from Mia)", "mia")

    send_due(sessions, job, at=MONDAY_9_UTC)

    assert memory.outbox[0].subject == f"{job.course.lessons[0].subject} (from Mia)"


def test_an_instant_before_the_last_recorded_send_is_refused(
    sessions: sessionmaker[Session], job: SendJob, add: AddSubscriber
) -> None:
    add("ann@example.com")
    send_due(sessions, job, at=TUESDAY_8_UTC)

    with pytest.raises(InstantInThePast, match="earlier than the last send recorded"):
        send_due(sessions, job, at=MONDAY_9_UTC)


def test_stop_ends_the_run_between_batches_and_the_rest_goes_next_time(
    sessions: sessionmaker[Session], job: SendJob, memory: MemoryBackend, add: AddSubscriber
) -> None:
    for n in range(5):
        add(f"reader{n}@example.com")
    job.batch_size = 2
    stop = threading.Event()
    handled: list[int] = []

    def progress(count: int) -> None:
        handled.append(count)
        stop.set()  # as SIGTERM would, while the first batch is in hand

    first = send_due(sessions, job, at=MONDAY_9_UTC, stop=stop, progress=progress)
    rest = send_due(sessions, job, at=MONDAY_9_UTC)

    assert (first.sent, handled, rest.sent) == (2, [2], 3)
    assert len(memory.outbox) == 5


def test_someone_who_unsubscribes_during_a_run_is_not_sent_their_queued_lesson(
    sessions: sessionmaker[Session],
    db_settings: Settings,
    job: SendJob,
    memory: MemoryBackend,
    add: AddSubscriber,
) -> None:
    add("ann@example.com")
    add("bob@example.com")  # claimed while ann's batch is with the provider
    leaving = add("zed@example.com")  # queued with them, claimed only after ann's is done
    job.batch_size = 1

    def unsubscribe_zed(_count: int) -> None:
        with transaction(sessions) as session:
            zed = session.get_one(Subscriber, leaving.id)
            unsubscribe(session, db_settings, zed, now=MONDAY_9_UTC)

    report = send_due(sessions, job, at=MONDAY_9_UTC, progress=unsubscribe_zed)

    assert (report.sent, report.skipped) == (2, 1)
    assert [email.to for email in memory.outbox] == ["ann@example.com", "bob@example.com"]


class PickyBackend(MemoryBackend):
    """Refuses one address for good and defers another (as an SMTP 5xx and 4xx would)."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: dict[str, str] = {
            "bad@example.com": "rejected",
            "slow@example.com": "deferred",
        }

    def deliver(self, email: PersonalEmail) -> Outcome:
        answer = self.answers.get(email.to)
        if answer == "rejected":
            return Rejected(email.delivery_id, "550 5.1.1 no such mailbox")
        if answer == "deferred":
            return Deferred(email.delivery_id, "451 4.2.0 try again later")
        return super().deliver(email)


def test_outcomes_are_recorded_per_recipient(
    sessions: sessionmaker[Session], job: SendJob, add: AddSubscriber
) -> None:
    backend = PickyBackend()
    job.backend_factory = lambda: backend
    for email in ("ann@example.com", "bad@example.com", "slow@example.com"):
        add(email)

    report = send_due(sessions, job, at=MONDAY_9_UTC)

    assert (report.sent, report.failed, report.deferred) == (1, 1, 1)
    rows = {row.subscriber_id: row for row in deliveries(sessions)}
    bad, slow = subscriber(sessions, "bad@example.com"), subscriber(sessions, "slow@example.com")
    assert (rows[bad.id].status, rows[bad.id].error) == ("failed", "550 5.1.1 no such mailbox")
    assert bad.next_due_at is None  # held until the failure is retried
    assert (rows[slow.id].status, rows[slow.id].error) == ("queued", "451 4.2.0 try again later")
    assert (rows[slow.id].lease_until, slow.lessons_sent) == (None, 0)
    ann = subscriber(sessions, "ann@example.com")
    assert rows[ann.id].provider_message_id == "memory-1"
    assert rows[ann.id].sent_at == MONDAY_9_UTC

    backend.answers.clear()
    next_tick = send_due(sessions, job, at=MONDAY_9_UTC + timedelta(minutes=1))
    assert (next_tick.sent, next_tick.failed) == (1, 0)  # slow went out; bad is held

    with transaction(sessions) as session:
        assert retry_failed(session, now=MONDAY_9_UTC + timedelta(minutes=1)) == 1
    retried = send_due(sessions, job, at=MONDAY_9_UTC + timedelta(minutes=2))
    assert retried.by_lesson == {"welcome": 1}
    assert sorted(email.to for email in backend.outbox) == [
        "ann@example.com",
        "bad@example.com",
        "slow@example.com",
    ]
    assert subscriber(sessions, "bad@example.com").lessons_sent == 1


def test_a_send_hour_is_local_time(
    sessions: sessionmaker[Session], job: SendJob, memory: MemoryBackend, add: AddSubscriber
) -> None:
    add("priya@example.com", timezone="Asia/Kolkata", hour=7)  # 07:00 IST is 01:30 UTC
    send_due(sessions, job, at=MONDAY_9_UTC)  # 14:30 IST: lesson 2 no sooner than 20 h later

    tuesday_0130_utc = datetime.fromisoformat("2026-03-03T01:30:00+00:00")  # only 16.5 h later
    wednesday_0130_utc = tuesday_0130_utc + DAY
    assert send_due(sessions, job, at=tuesday_0130_utc).sent == 0
    assert send_due(sessions, job, at=wednesday_0130_utc - timedelta(minutes=1)).sent == 0
    assert send_due(sessions, job, at=wednesday_0130_utc).sent == 1


def test_a_subscriber_who_restarts_gets_the_course_again_from_the_welcome(
    sessions: sessionmaker[Session], job: SendJob, memory: MemoryBackend, add: AddSubscriber
) -> None:
    ann = add("ann@example.com")
    send_due(sessions, job, at=MONDAY_9_UTC)
    send_due(sessions, job, at=TUESDAY_8_UTC)
    with transaction(sessions) as session:
        restart(session, session.get_one(Subscriber, ann.id), now=TUESDAY_8_UTC + DAY)

    again = send_due(sessions, job, at=TUESDAY_8_UTC + DAY)
    twice = send_due(sessions, job, at=TUESDAY_8_UTC + DAY)

    assert (again.by_lesson, twice.sent) == ({"welcome": 1}, 0)
    assert [email.subject for email in memory.outbox] == [
        job.course.lessons[0].subject,
        job.course.lessons[1].subject,
        job.course.lessons[0].subject,
    ]
    assert subscriber(sessions, "ann@example.com").lessons_sent == 1


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_concurrent_runs_on_postgresql_share_the_work_and_send_each_lesson_once(
    sessions: sessionmaker[Session], job: SendJob, memory: MemoryBackend, add: AddSubscriber
) -> None:
    readers = [f"reader{n}@example.com" for n in range(40)]
    for address in readers:
        add(address)
    job.batch_size = 3
    reports = []

    def run(worker: str) -> None:
        reports.append(send_due(sessions, job, at=MONDAY_9_UTC, worker=worker))

    workers = [threading.Thread(target=run, args=(f"w{n}",)) for n in range(3)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()

    assert sorted(email.to for email in memory.outbox) == sorted(readers)
    assert sum(report.sent for report in reports) == 40
    assert {row.status for row in deliveries(sessions)} == {"sent"}


def test_the_report_counts_every_outcome_per_lesson(
    sessions: sessionmaker[Session], job: SendJob, add: AddSubscriber
) -> None:
    add("ann@example.com")
    send_due(sessions, job, at=MONDAY_9_UTC)  # Ann's welcome; lesson 2 due on Tuesday
    add("bad@example.com", now=TUESDAY_8_UTC)
    add("slow@example.com", now=TUESDAY_8_UTC)
    backend = PickyBackend()
    job.backend_factory = lambda: backend

    report = send_due(sessions, job, at=TUESDAY_8_UTC)

    second = job.course.lessons[1].slug
    assert report.per_lesson == {
        "welcome": {"sent": 0, "failed": 1, "deferred": 1, "skipped": 0},
        second: {"sent": 1, "failed": 0, "deferred": 0, "skipped": 0},
    }
    assert (report.sent, report.failed, report.deferred) == (1, 1, 1)
    assert report.as_json()["per_lesson"]["welcome"]["deferred"] == 1
