"""Benchmark: personalised emails per second, two stages against the naive loop.

One lesson of the default course (the longest), 10,000 subscribers. The two-stage path
renders and inlines the lesson once, then fills in each subscriber's merge fields; the
naive loop renders the templates with Jinja and inlines them with premailer for every
subscriber (timed on an evenly spread sample, in the same run). Both produce the same
bytes: the benchmark checks that on the sample before it prints anything.

Targets (issue 3): at least 20,000 emails/s on one core, at least 100x the naive loop.
Run: `make bench` or `python -m bench.render [SUBSCRIBERS] [NAIVE_SAMPLE]`.
"""

from __future__ import annotations

import gc
import os
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable

from course import load_course
from course.model import Lesson
from drip.settings import load_settings
from drip.substitution import substitute
from render import Email, PreparedEmail, Reader, Renderer, Sender
from render.samples import SAMPLE_TOKEN

SUBSCRIBERS = 10_000
NAIVE_SAMPLE = 60
REPEATS = 3
TARGET_RATE = 20_000
TARGET_RATIO = 100

NAMES = ("Ana Souza", "", "Zoë O'Brien", "山田 太郎", "Ελένη", 'Sam "Q" <Lee> & Co', "Priya")


def readers(count: int, base_url: str) -> list[Reader]:
    """Distinct subscribers with links as long as signed ones, and awkward names."""
    return [
        Reader(
            email=f"reader{n}@example.com",
            name=NAMES[n % len(NAMES)] + (f" {n}" if NAMES[n % len(NAMES)] else ""),
            unsubscribe_url=f"{base_url}/unsubscribe/{n}.{SAMPLE_TOKEN}",
            preferences_url=f"{base_url}/preferences/{n}.{SAMPLE_TOKEN}",
            view_url=f"{base_url}/view/{n}.{SAMPLE_TOKEN}",
        )
        for n in range(count)
    ]


def timed(work: Callable[[], int], repeats: int = 1) -> float:
    """The best of `repeats` wall-clock timings: the others met a busy machine."""
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def report(label: str, value: str) -> None:
    print(f"{label:<42} {value}")


def two_stage(prepared: PreparedEmail, everyone: list[Reader]) -> int:
    total = 0
    for reader in everyone:
        email = prepared.personalise(reader)
        total += len(email.html) + len(email.text) + len(email.subject)
    return total


def with_substitute(prepared: PreparedEmail, everyone: list[Reader]) -> int:
    """Stage 2 the generic way, as delivery.message.personalise does it (a regex search)."""
    total = 0
    for reader in everyone:
        subs = prepared.substitutions(reader)
        for body in (prepared.subject, prepared.html, prepared.text):
            total += len(substitute(body, subs))
    return total


def substitutions_only(prepared: PreparedEmail, everyone: list[Reader]) -> int:
    return sum(len(prepared.substitutions(reader)) for reader in everyone)


def naive(renderer: Renderer, lesson: Lesson, sample: list[Reader]) -> list[Email]:
    kind = renderer.kind_of(lesson)
    return [renderer.render_full(kind, lesson, reader) for reader in sample]


def peak_memory(work: Callable[[], int]) -> int:
    """The peak of Python allocations while `work` runs, in bytes (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to CPU {core}"
    return "not pinned (no sched_setaffinity here)"


def main(argv: list[str]) -> int:
    count = int(argv[0]) if argv else SUBSCRIBERS
    sample_size = int(argv[1]) if len(argv) > 1 else NAIVE_SAMPLE
    core = one_core()
    settings = load_settings(postal_address="Drip Bench Ltd, 1 Bench Street, Benchville 12345")
    course = load_course(settings.course)
    lesson = max(course.lessons, key=lambda candidate: candidate.words())
    renderer = Renderer(course, Sender.from_settings(settings))
    everyone = readers(count, settings.base_url)
    sample = everyone[:: max(1, count // sample_size)][:sample_size]

    stage_one = timed(lambda: len(renderer.prepare_lesson(lesson).html))
    prepared = renderer.prepare_lesson(lesson)
    naive_seconds = timed(lambda: len(naive(renderer, lesson, sample)))
    for reader, full in zip(sample, naive(renderer, lesson, sample[:10]), strict=False):
        if prepared.personalise(reader) != full:
            print(f"MISMATCH: two stages differ from a full render for {reader.email}")
            return 1
    merge_seconds = timed(lambda: two_stage(prepared, everyone), REPEATS)
    subs_seconds = timed(lambda: substitutions_only(prepared, everyone), REPEATS)
    generic_seconds = timed(lambda: with_substitute(prepared, everyone), REPEATS)
    peak = peak_memory(lambda: two_stage(prepared, everyone))

    rate = count / merge_seconds
    naive_rate = len(sample) / naive_seconds
    ratio = rate / naive_rate
    html_kb = len(prepared.html.encode("utf-8")) / 1024
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"lesson {lesson.position} ({lesson.slug}): {lesson.words()} words, {html_kb:.1f} KB HTML"
    )
    print(f"subscribers: {count:,}; one core: {core}; best of {REPEATS} runs")
    report("stage 1 (render, inline, check; once)", f"{stage_one * 1000:,.1f} ms")
    report("two stages: personalised emails", f"{rate:,.0f} emails/s")
    report("  each", f"{merge_seconds / count * 1e6:.1f} µs")
    report("substitutions only (SendGrid's share)", f"{count / subs_seconds:,.0f} /s")
    report("stage 2 by drip.substitution.substitute", f"{count / generic_seconds:,.0f} emails/s")
    report(f"naive loop (sample of {len(sample)})", f"{naive_rate:,.1f} emails/s")
    report("  each", f"{naive_seconds / len(sample) * 1000:.1f} ms")
    report("speed-up, two stages / naive", f"{ratio:,.0f}x")
    report("peak Python memory, stage-2 loop", f"{peak / 1024:,.0f} KiB")
    report("peak process memory (max RSS)", f"{rss:,.1f} MiB")
    rate_ok, ratio_ok = rate >= TARGET_RATE, ratio >= TARGET_RATIO
    print(f"target >= {TARGET_RATE:,} emails/s: {'met' if rate_ok else 'MISSED'}")
    print(f"target >= {TARGET_RATIO}x the naive loop: {'met' if ratio_ok else 'MISSED'}")
    return 0 if rate_ok and ratio_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
