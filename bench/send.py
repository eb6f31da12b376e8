"""Benchmark: one daily send of 100,000 due subscribers, SQLite, through SendGrid's API.

A fresh SQLite database gets `--subscribers` active subscribers (default 100,000; bulk
inserted, several time zones and hours), all due the same lesson now. One `send_due`
sends them with the SendGrid backend (the real `sendgrid` client) against the SendGrid
stand-in served by its own process on 127.0.0.1, which validates every request against
SendGrid's schema and limits and counts them. The send runs in a child process of its
own so its peak RSS is the send's, not the set-up's.

Baseline, measured in the same run against the same stand-in: the naive loop on a
sample of the same subscribers, per email a full render (Jinja and premailer) and one
HTTP request through the same client. It writes no ledger, so the ratio flatters it.

Figures: emails/s of `send_due` (its wall clock) and of the whole run (database, bulk
insert and the child's start included), HTTP requests counted at the stand-in, peak
RSS of the sending process, and the speed-up per email over the naive loop, each with
its target (issue 5). `--million` also sends 1,000,000 and compares the cost per email
with the 100,000 run (it should not grow: the send is linear). `--profile` writes the
sends' cProfile statistics (main thread) under bench/results/ and prints the top costs.

    python -m bench.send [--subscribers N] [--million] [--profile]

Results are also written to bench/results/send-<time>.json.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import multiprocessing
import os
import pstats
import resource
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, select

from course import load_course
from course.model import Lesson
from delivery.message import Accepted, Batch, Recipient
from delivery.sendgrid import SendGridBackend
from drip.db import bulk_insert_ignoring_conflicts, make_engine, session_factory, upgrade
from drip.settings import Settings, load_settings
from render import Renderer, Sender
from scheduler.job import SendJob
from scheduler.ledger import ClaimedRow
from scheduler.recipients import reader_for
from scheduler.run import send_due
from subscribers.addresses import Address
from subscribers.consent import Consent, OptIn
from subscribers.links import Links
from subscribers.models import Subscriber
from subscribers.optin import subscriber_row
from subscribers.profile import Profile
from tests.support.sendgrid_standin import standin_process

SUBSCRIBERS = 100_000
MILLION = 1_000_000
NAIVE_SAMPLE = 300
TARGET_RATE = 10_000  # emails/s, send_due's wall clock
TARGET_RSS_MIB = 300
TARGET_RATIO = 60  # times the naive loop, per email
RECIPIENTS_PER_REQUEST = 1000  # SendGrid's most; the request target is one per thousand
INSERT_CHUNK = 20_000
RESULTS = Path(__file__).resolve().parent / "results"

ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
)
NAMES = ("Ana Souza", "", "Zoë O'Brien", "山田 太郎", "Ελένη", 'Sam "Q" <Lee>, Co', "Priya")
CONSENT = Consent(source="benchmark")


# --- the database --------------------------------------------------------------------


def bench_settings(database_url: str, folder: Path, **overrides: Any) -> Settings:
    return load_settings(
        database_url=database_url,
        var_dir=folder / "var",
        outbox_dir=folder / "outbox",
        secret_key="bench-secret-not-for-production",
        base_url="https://course.example.org",
        postal_address="Drip Bench Ltd, 1 Bench Street, Benchville 12345",
        **overrides,
    )


def subscriber_rows(
    start: int, stop: int, lesson: Lesson, at: datetime
) -> Iterator[dict[str, Any]]:
    """Active subscribers `start`..`stop`-1, each due `lesson` at some hour before `at`
    (as the previous lesson's send left them), spread over zones and send hours."""
    for n in range(start, stop):
        email = f"reader{n}@example{n % 97}.com"
        name = NAMES[n % len(NAMES)] + (f" {n}" if NAMES[n % len(NAMES)] else "")
        profile = Profile(name, ZONES[n % len(ZONES)], (n // len(ZONES)) % 24)
        row = subscriber_row(Address(email, email), profile, CONSENT, OptIn.ATTESTED, at)
        row["lessons_sent"] = lesson.position - 1
        row["next_due_at"] = at - timedelta(minutes=n % 1440)
        yield row


def populate(database_url: str, count: int, lesson: Lesson, at: datetime) -> None:
    """A fresh database (migrated) with `count` due subscribers, inserted in bulk."""
    engine = make_engine(database_url)
    upgrade(engine)
    table = Subscriber.metadata.tables["subscribers"]
    with engine.begin() as connection:
        for start in range(0, count, INSERT_CHUNK):
            rows = list(subscriber_rows(start, min(count, start + INSERT_CHUNK), lesson, at))
            bulk_insert_ignoring_conflicts(connection, table, rows, "email_key")
    with engine.connect() as connection:
        inserted = connection.scalar(select(func.count()).select_from(table))
    engine.dispose()
    if inserted != count:
        raise RuntimeError(f"set-up inserted {inserted} subscribers, not {count}")


# --- the send, in a child process ----------------------------------------------------


@dataclass(frozen=True)
class SendSpec:
    """What the child needs (picklable): where the database is, how to reach SendGrid."""

    database_url: str
    folder: str
    overrides: dict[str, Any]
    at: datetime
    profile_to: str | None = None


@dataclass(frozen=True)
class SendFigures:
    sent: int
    failed: int
    deferred: int
    skipped: int
    seconds: float  # send_due's wall clock
    cpu_seconds: float  # the sending process's CPU time (user + system) during send_due
    peak_rss_mib: float  # the child's ru_maxrss, imports and all


def measure_send(spec: SendSpec) -> SendFigures:
    """One `send_due` of everything due, as `drip send` runs it; timed, RSS read after."""
    settings = bench_settings(spec.database_url, Path(spec.folder), **spec.overrides)
    job = SendJob.from_settings(settings)
    engine = make_engine(spec.database_url)
    sessions = session_factory(engine)
    profiler = cProfile.Profile() if spec.profile_to else None
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    report = send_due(sessions, job, at=spec.at)
    if profiler is not None:
        profiler.disable()
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    engine.dispose()
    if profiler is not None and spec.profile_to:
        profiler.dump_stats(spec.profile_to)
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return SendFigures(
        report.sent, report.failed, report.deferred, report.skipped, seconds, cpu, rss_kib / 1024
    )


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def send_in_child(spec: SendSpec) -> SendFigures:
    """`measure_send` in a fresh interpreter: the parent's set-up leaves no trace in it."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        return pool.submit(measure_send, spec).result()


# --- the naive loop ------------------------------------------------------------------


def sample_rows(database_url: str, size: int) -> list[ClaimedRow]:
    """`size` subscribers spread evenly over the list, as the claim would return them."""
    engine = make_engine(database_url)
    table = Subscriber.metadata.tables["subscribers"]
    with engine.connect() as connection:
        total = int(connection.scalar(select(func.count()).select_from(table)) or 0)
        step = max(1, total // size)
        query = (
            select(
                table.c.id,
                table.c.email,
                table.c.name,
                table.c.key,
                table.c.timezone,
                table.c.send_hour,
            )
            .where(table.c.id % step == 0)
            .order_by(table.c.id)
            .limit(size)
        )
        rows = [ClaimedRow(-n - 1, *row) for n, row in enumerate(connection.execute(query))]
    engine.dispose()
    return rows


def naive_loop(settings: Settings, lesson: Lesson, rows: Sequence[ClaimedRow]) -> tuple[float, int]:
    """Per subscriber: sign their links, render the whole email (Jinja, premailer) and
    send it alone through the same SendGrid client. Seconds and emails accepted."""
    course = load_course(settings.course)
    renderer = Renderer(course, Sender.from_settings(settings))
    kind = renderer.kind_of(lesson)
    links = Links.from_settings(settings)
    fields = frozenset({"unsubscribe_url", "preferences_url", "view_url"})
    accepted = 0
    with SendGridBackend(settings) as backend:
        started = time.perf_counter()
        for row in rows:
            reader = reader_for(links, row, lesson.slug, fields)
            email = renderer.render_full(kind, lesson, reader)
            recipient = Recipient(
                email=row.email,
                name=row.name,
                delivery_id=str(row.delivery_id),
                unsubscribe_url=reader.unsubscribe_url,
            )
            batch = Batch(
                settings.from_address,
                email.subject,
                email.html,
                email.text,
                (recipient,),
                category=lesson.slug,
                custom_args={"course": course.slug},
            )
            accepted += sum(isinstance(outcome, Accepted) for outcome in backend.send(batch))
        seconds = time.perf_counter() - started
    return seconds, accepted


# --- the run -------------------------------------------------------------------------


class StandIn(Protocol):
    def stats(self) -> dict[str, Any]: ...

    def settings_overrides(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class SizeResult:
    subscribers: int
    setup_seconds: float  # a fresh database and the bulk insert
    total_seconds: float  # set-up, the child's start and the send
    send: SendFigures
    requests: int  # counted at the stand-in
    recipients: int  # accepted by the stand-in
    standin_seconds: float  # the stand-in's handling of those requests (the sender waits)
    statuses: dict[str, int]

    @property
    def rate(self) -> float:
        return self.send.sent / self.send.seconds

    @property
    def total_rate(self) -> float:
        return self.send.sent / self.total_seconds

    @property
    def per_email_us(self) -> float:
        return self.send.seconds / self.subscribers * 1e6

    @property
    def cpu_per_email_us(self) -> float:
        return self.send.cpu_seconds / self.subscribers * 1e6

    @property
    def request_target(self) -> int:
        return math.ceil(self.subscribers / RECIPIENTS_PER_REQUEST)

    def problems(self) -> list[str]:
        """What makes the run not count: anything not sent, or not seen by SendGrid."""
        found = []
        sent = self.send
        if (sent.sent, sent.failed, sent.deferred, sent.skipped) != (self.subscribers, 0, 0, 0):
            found.append(f"send_due reported {sent} for {self.subscribers:,} due")
        if self.recipients != self.subscribers:
            found.append(f"the stand-in accepted {self.recipients:,} recipients")
        if set(self.statuses) != {"202"}:
            found.append(f"the stand-in answered {self.statuses}")
        return found


def run_size(
    count: int,
    lesson: Lesson,
    standin: StandIn,
    folder: Path,
    at: datetime,
    profile_to: Path | None = None,
    in_child: bool = True,
) -> SizeResult:
    """Set up `count` due subscribers in a fresh database and send them all, once."""
    url = f"sqlite:///{folder / f'send-{count}.db'}"
    started = time.perf_counter()
    populate(url, count, lesson, at)
    setup = time.perf_counter() - started
    before = standin.stats()
    spec = SendSpec(
        url, str(folder), standin.settings_overrides(), at, str(profile_to) if profile_to else None
    )
    figures = send_in_child(spec) if in_child else measure_send(spec)
    total = time.perf_counter() - started
    after = standin.stats()
    statuses = {
        status: count - before["statuses"].get(status, 0)
        for status, count in after["statuses"].items()
        if count != before["statuses"].get(status, 0)
    }
    return SizeResult(
        subscribers=count,
        setup_seconds=setup,
        total_seconds=total,
        send=figures,
        requests=after["requests"] - before["requests"],
        recipients=after["recipients"] - before["recipients"],
        standin_seconds=after["handling_seconds"] - before["handling_seconds"],
        statuses=statuses,
    )


@dataclass(frozen=True)
class NaiveResult:
    sample: int
    seconds: float
    accepted: int
    requests: int

    @property
    def per_email_us(self) -> float:
        return self.seconds / self.sample * 1e6


def run_naive(
    database_url: str, folder: Path, lesson: Lesson, standin: StandIn, sample: int
) -> NaiveResult:
    settings = bench_settings(database_url, folder, **standin.settings_overrides())
    rows = sample_rows(database_url, sample)
    before = standin.stats()["requests"]
    seconds, accepted = naive_loop(settings, lesson, rows)
    return NaiveResult(len(rows), seconds, accepted, standin.stats()["requests"] - before)


def machine_load() -> str:
    """The load the figures met: on a shared machine, other work slows the send."""
    one, five, _ = os.getloadavg()
    cores = os.cpu_count() or 1
    return f"machine: {cores} cores, load average {one:.1f} (1 min), {five:.1f} (5 min)"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def line(label: str, value: str, target: str = "") -> None:
    print(f"{label:<44} {value:<28} {target}".rstrip())


def print_size(result: SizeResult, naive: NaiveResult) -> list[bool]:
    """The figures of one size with their targets; the verdicts, in order."""
    send = result.send
    ratio = naive.per_email_us / result.per_email_us
    checks = [
        result.rate >= TARGET_RATE,
        result.requests <= result.request_target,
        send.peak_rss_mib < TARGET_RSS_MIB,
        ratio >= TARGET_RATIO,
    ]
    rate_ok, requests_ok, rss_ok, ratio_ok = checks
    print(f"-- {result.subscribers:,} due subscribers --")
    line("set-up (fresh database, bulk insert)", f"{result.setup_seconds:,.1f} s")
    line(
        "send_due (wall clock)",
        f"{send.seconds:,.2f} s = {result.rate:,.0f} emails/s",
        f"[target >= {TARGET_RATE:,}/s: {verdict(rate_ok)}]",
    )
    line("  per email", f"{result.per_email_us:,.1f} µs")
    line(
        "  the stand-in's handling (overlapped)",
        f"{result.standin_seconds:,.2f} s (read, parse, validate)",
    )
    line(
        "  CPU time of the sending process",
        f"{send.cpu_seconds:,.2f} s = {send.sent / send.cpu_seconds:,.0f} emails/CPU-s",
    )
    line(
        "whole run (set-up, child start, send)",
        f"{result.total_seconds:,.1f} s = {result.total_rate:,.0f} emails/s",
    )
    line(
        "HTTP requests at the stand-in",
        f"{result.requests:,} ({result.recipients:,} recipients)",
        f"[target <= {result.request_target:,}: {verdict(requests_ok)}]",
    )
    line(
        "peak RSS of the sending process",
        f"{send.peak_rss_mib:,.0f} MiB",
        f"[target < {TARGET_RSS_MIB} MiB: {verdict(rss_ok)}]",
    )
    line(
        "speed-up per email over the naive loop",
        f"{ratio:,.0f}x",
        f"[target >= {TARGET_RATIO}x: {verdict(ratio_ok)}]",
    )
    return checks


def print_naive(naive: NaiveResult) -> None:
    line(
        f"naive loop (sample of {naive.sample})",
        f"{naive.sample / naive.seconds:,.1f} emails/s = {naive.per_email_us / 1000:,.1f} ms each",
        f"({naive.requests} requests)",
    )


def print_profile(path: Path, count: int, top: int = 15) -> None:
    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    stats.sort_stats("tottime").print_stats(top)
    print(f"profile of send_due for {count:,}, main thread (top {top} by own time; {path}):")
    lines = out.getvalue().splitlines()
    start = next((i for i, text in enumerate(lines) if "ncalls" in text), 0)
    print("\n".join(lines[start:]))


def write_results(folder: Path, payload: dict[str, Any]) -> Path:
    path = folder / f"send-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def as_json(result: SizeResult) -> dict[str, Any]:
    return {
        **asdict(result),
        "emails_per_second": result.rate,
        "total_emails_per_second": result.total_rate,
        "per_email_us": result.per_email_us,
        "cpu_per_email_us": result.cpu_per_email_us,
    }


def pick_lesson(settings: Settings, slug: str | None) -> Lesson:
    """`slug`'s lesson, or the longest (the most to render, as bench.render does)."""
    course = load_course(settings.course)
    if slug:
        return course.lesson(slug)
    return max(course.lessons, key=lambda candidate: candidate.words())


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.send", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--subscribers", type=int, default=SUBSCRIBERS, metavar="N")
    parser.add_argument(
        "--million", action="store_true", help=f"also send {MILLION:,} and compare per email"
    )
    parser.add_argument("--naive-sample", type=int, default=NAIVE_SAMPLE, metavar="N")
    parser.add_argument("--lesson", help="the lesson everyone is due (default: the longest)")
    parser.add_argument("--profile", action="store_true", help="cProfile each send")
    parser.add_argument("--results", type=Path, default=RESULTS, help=f"default: {RESULTS}")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    arguments = parse(argv)
    at = datetime.now(UTC).replace(second=0, microsecond=0)
    with (
        tempfile.TemporaryDirectory(prefix="drip-bench-send-") as tmp,
        standin_process() as standin,
    ):
        folder = Path(tmp)
        lesson = pick_lesson(bench_settings("sqlite://", folder), arguments.lesson)
        print(
            f"lesson {lesson.position} ({lesson.slug}), SQLite in {folder}, "
            f"SendGrid stand-in at {standin.url} (its own process)"
        )
        print(machine_load())
        results_dir: Path = arguments.results
        results_dir.mkdir(parents=True, exist_ok=True)
        sizes = [arguments.subscribers] + ([MILLION] if arguments.million else [])
        results = []
        for count in sizes:
            profile_to = results_dir / f"send-{count}.prof" if arguments.profile else None
            results.append(run_size(count, lesson, standin, folder, at, profile_to))
        first_db = f"sqlite:///{folder / f'send-{sizes[0]}.db'}"
        naive = run_naive(first_db, folder, lesson, standin, arguments.naive_sample)
    print_naive(naive)
    verdicts: list[bool] = []
    problems: list[str] = []
    for result in results:
        verdicts += print_size(result, naive)
        problems += result.problems()
    if naive.accepted != naive.sample or naive.requests != naive.sample:
        problems.append(f"the naive loop: {naive}")
    if len(results) > 1:
        base, big = results
        growth = big.per_email_us / base.per_email_us
        line(
            f"cost per email, {big.subscribers:,} / {base.subscribers:,}",
            f"{big.per_email_us:,.1f} / {base.per_email_us:,.1f} µs = {growth:.2f}",
            "(1.00: linear)",
        )
        big_cpu, base_cpu = big.cpu_per_email_us, base.cpu_per_email_us
        line(
            "  in CPU time of the sending process",
            f"{big_cpu:,.1f} / {base_cpu:,.1f} µs = {big_cpu / base_cpu:.2f}",
        )
    if arguments.profile:
        for count in sizes:
            print_profile(results_dir / f"send-{count}.prof", count)
    path = write_results(
        results_dir,
        {
            "at": at,
            "lesson": lesson.slug,
            "sizes": [as_json(result) for result in results],
            "naive": {**asdict(naive), "per_email_us": naive.per_email_us},
            "problems": problems,
        },
    )
    print(f"results: {path}")
    for problem in problems:
        print(f"INVALID RUN: {problem}")
    return 1 if problems or not all(verdicts) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
