"""bench.send at a tiny size: the benchmark's code path sends everyone, once, in as few
requests as SendGrid allows, and counts what it claims to count. No timing asserted."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench import send
from course import load_course
from drip.settings import DEFAULT_COURSE
from tests.support.sendgrid_standin import SendGridStandIn

# Monday 2 March 2026, 09:00 UTC: the tick everyone is due at.
MONDAY_9_UTC = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_every_due_subscriber_gets_one_email_in_one_request_per_thousand(
    sendgrid_standin: SendGridStandIn, tmp_path: Path
) -> None:
    lesson = load_course(DEFAULT_COURSE).lessons[2]
    count = 2_100

    result = send.run_size(count, lesson, sendgrid_standin, tmp_path, MONDAY_9_UTC, in_child=False)

    assert (result.send.sent, result.send.failed, result.send.deferred) == (count, 0, 0)
    assert result.requests == math.ceil(count / 1000) == 3
    assert result.recipients == count
    assert result.statuses == {"202": 3}
    assert result.problems() == []
    emails = sendgrid_standin.emails
    assert len(emails) == count
    assert {email.to for email in emails} == {
        f"reader{n}@example{n % 97}.com" for n in range(count)
    }
    assert {email.categories for email in emails} == {(lesson.slug,)}


def test_the_naive_loop_sends_each_sampled_subscriber_alone(
    sendgrid_standin: SendGridStandIn, tmp_path: Path
) -> None:
    lesson = load_course(DEFAULT_COURSE).lessons[2]
    url = f"sqlite:///{tmp_path / 'naive.db'}"
    send.populate(url, 50, lesson, MONDAY_9_UTC)

    naive = send.run_naive(url, tmp_path, lesson, sendgrid_standin, sample=5)

    assert (naive.sample, naive.accepted, naive.requests) == (5, 5, 5)
    emails = sendgrid_standin.emails
    # Spread over the list: every tenth subscriber (ids 10, 20, ...; reader n has id n+1).
    assert [email.to for email in emails] == [
        f"reader{n}@example{n}.com" for n in (9, 19, 29, 39, 49)
    ]
    for email in emails:  # rendered whole for its reader: no merge key left to fill in
        assert "%%drip." not in email.html + email.text + email.subject
        assert "https://course.example.org/unsubscribe/" in email.html


def test_the_command_prints_every_figure_and_writes_them_down(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["--subscribers", "200", "--naive-sample", "3", "--profile"]
    send.main([*arguments, "--results", str(tmp_path)])

    out = capsys.readouterr().out
    assert "INVALID RUN" not in out
    assert "HTTP requests at the stand-in                1 (200 recipients)" in out
    for figure in ("send_due (wall clock)", "peak RSS of the sending process", "speed-up"):
        assert figure in out
    assert "profile of send_due for 200" in out
    assert (tmp_path / "send-200.prof").stat().st_size > 0
    (written,) = tmp_path.glob("send-*.json")
    results = json.loads(written.read_text(encoding="utf-8"))
    assert results["problems"] == []
    (size,) = results["sizes"]
    assert (size["subscribers"], size["send"]["sent"], size["requests"]) == (200, 200, 1)
    assert size["send"]["peak_rss_mib"] > 0
    assert (results["naive"]["accepted"], results["naive"]["requests"]) == (3, 3)
