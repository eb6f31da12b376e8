"""`drip subscribers ...` end to end: the real command on the real database (both)."""

from __future__ import annotations

import email
import email.policy
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from admin.cli import app
from drip.db import make_engine, session_factory, transaction
from drip.settings import get_settings, load_settings
from subscribers import Status, confirm

Run = Callable[..., Result]


@pytest.fixture
def env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DRIP_DATABASE_URL", database_url)
    monkeypatch.setenv("DRIP_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("DRIP_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.fixture
def drip(env: Path) -> Run:
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> Result:
        result = runner.invoke(app, ["subscribers", *args])
        assert result.exit_code == code, result.output
        return result

    return run


def _outbox(env: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_string(path.read_text(encoding="utf-8"), policy=email.policy.default)  # type: ignore[misc]
        for path in sorted((env / "outbox").glob("*.eml"))
    ]


def test_add_sends_a_confirmation_whose_link_confirms(drip: Run, env: Path) -> None:
    result = drip(
        "add", "Ann@Example.com", "--name", "Ann", "--timezone", "Asia/Kolkata", "--hour", "7"
    )
    assert result.stdout.strip() == "Ann@example.com: pending; confirmation email sent"
    [message] = _outbox(env)
    assert message["To"] == "Ann <Ann@example.com>"
    text = message.get_body(preferencelist=("plain",))
    assert text is not None  # rendered from the confirmation templates: HTML and text
    url = next(word for word in text.get_content().split() if "/confirm/" in word)
    assert url.startswith("http://127.0.0.1:8000/confirm/")
    settings = get_settings()
    engine = make_engine(settings.database_url)
    with transaction(session_factory(engine)) as session:
        assert confirm(session, settings, url.rsplit("/", 1)[1]).status is Status.ACTIVE
    engine.dispose()
    again = drip("add", "ann@example.com", "--json")
    assert json.loads(again.stdout)["status"] == "active"
    assert json.loads(again.stdout)["confirmation_sent"] is False
    assert len(_outbox(env)) == 1


def test_add_again_while_pending_does_not_resend_at_once(drip: Run, env: Path) -> None:
    drip("add", "ann@example.com")
    result = drip("add", "ann@example.com")
    assert "not resent" in result.stdout
    assert len(_outbox(env)) == 1


def test_add_confirmed_leaves_an_existing_subscriber_alone(drip: Run) -> None:
    drip("add", "ann@example.com")
    result = drip("add", "ann@example.com", "--confirmed", "--source", "sheet")
    assert (
        result.stdout.strip() == "ann@example.com is already pending; nothing changed, nothing sent"
    )


def test_add_confirmed_needs_a_source(drip: Run) -> None:
    result = drip("add", "ann@example.com", "--confirmed", code=2)
    assert "--confirmed needs --source" in result.output
    added = drip("add", "ann@example.com", "--confirmed", "--source", "paper list", "--json")
    assert json.loads(added.stdout) == {
        "email": "ann@example.com",
        "name": "",
        "status": "active",
        "timezone": "UTC",
        "hour": 8,
        "lessons_sent": 0,
        "next_due_at": json.loads(added.stdout)["next_due_at"],
        "created": True,
        "confirmation_sent": False,
    }


def test_import_reports_rejected_rows_and_a_summary(drip: Run, env: Path) -> None:
    csv = env / "leads.csv"
    csv.write_text(
        "email,name,hour,notes\nann@example.com,Ann,7,x\nnope,,,\nbob@example.com,,30,\n"
    )
    result = drip("import", str(csv), "--confirmed", "--source", "webinar")
    assert result.stderr.splitlines() == [
        "row 3: invalid email address 'nope': An email address must have an @-sign.",
        "row 4: bad hour '30' (use a whole hour from 0 to 23)",
    ]
    assert result.stdout.splitlines() == [
        "leads.csv: 3 rows: 1 added; 0 already subscribed (unchanged); "
        "2 rejected (1 invalid address, 1 bad hour)",
        "ignored columns: notes",
    ]
    again = json.loads(
        drip("import", str(csv), "--confirmed", "--source", "webinar", "--json").stdout
    )
    assert (again["added"], again["unchanged"], again["rejected"]) == (0, 1, 2)
    assert again["rejections"][1] == {
        "row": 4,
        "reason": "bad hour",
        "message": "bad hour '30' (use a whole hour from 0 to 23)",
    }


def test_import_without_confirmed_invites_by_email(drip: Run, env: Path) -> None:
    csv = env / "leads.csv"
    csv.write_text("email\nann@example.com\nbob@example.com\n")
    report = json.loads(drip("import", str(csv), "--json").stdout)
    assert (report["added"], report["confirmations_sent"]) == (2, 2)
    assert sorted(m["To"] for m in _outbox(env)) == ["ann@example.com", "bob@example.com"]
    listed = json.loads(drip("list", "--status", "pending", "--json").stdout)
    assert [s["email"] for s in listed] == ["ann@example.com", "bob@example.com"]


def test_export_list_show_pause_resume_unsubscribe_erase(drip: Run, env: Path) -> None:
    drip("add", "ann@example.com", "--name", "Ann", "--confirmed", "--source", "sheet")
    drip("add", "bob@example.com", "--confirmed", "--source", "sheet")
    out = env / "out.csv"
    assert drip("export", str(out)).stdout.strip() == f"exported 2 subscribers to {out}"
    assert out.read_text().splitlines()[1] == "ann@example.com,Ann,UTC,8,active"
    assert drip("export").stdout.splitlines()[0] == "email,name,timezone,hour,status"

    assert drip("pause", "ann@example.com").stdout.strip() == "ann@example.com: paused"
    assert (
        json.loads(drip("list", "--status", "paused", "--json").stdout)[0]["email"]
        == "ann@example.com"
    )
    assert drip("resume", "ann@example.com").stdout.startswith(
        "ann@example.com: active; next lesson due "
    )
    shown = json.loads(drip("show", "ann@example.com", "--json").stdout)
    assert shown["consent"]["source"] == "sheet"
    assert shown["consent"]["opt_in"] == "attested"
    assert "consent" in drip("show", "ann@example.com").stdout

    assert (
        json.loads(drip("unsubscribe", "ann@example.com", "--json").stdout)["status"]
        == "unsubscribed"
    )
    assert json.loads(drip("erase", "ann@example.com", "--json").stdout) == {
        "email": "ann@example.com",
        "erased": True,
        "suppressed": True,
    }
    assert [line.split()[0] for line in drip("list").stdout.splitlines()] == ["bob@example.com"]
    assert drip("list", "--json", "--status", "paused").stdout.strip() == "[]"


def test_user_errors_are_raised_as_drip_errors(drip: Run) -> None:
    result = drip("pause", "nobody@example.com", code=1)
    assert str(result.exception) == "no subscriber with the address 'nobody@example.com'"


def test_the_drip_command_prints_one_line_and_exits_1(env: Path) -> None:
    process = subprocess.run(
        [
            sys.executable,
            "-c",
            "from admin.cli import main; main()",
            "subscribers",
            "resume",
            "x@example.com",
        ],
        capture_output=True,
        text=True,
        env={**os.environ},
        cwd=env,
        check=False,
    )
    assert process.returncode == 1
    assert process.stderr == "error: no subscriber with the address 'x@example.com'\n"
    assert load_settings().database_url  # the environment the child saw is ours


def test_list_on_an_unknown_status_is_a_usage_error(drip: Run) -> None:
    assert "Invalid value" in drip("list", "--status", "gone", code=2).output
