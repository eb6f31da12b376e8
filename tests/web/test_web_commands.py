"""`drip users add` and `drip serve`, run as a user runs them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from admin.cli.run_commands import SendingRefused, check_can_send
from admin.web.users import Role, authenticate
from drip.db import make_engine, session_factory
from drip.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
DRIP = [sys.executable, "-c", "from admin.cli import main; main()"]


def _drip(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*DRIP, *args], env=env, input=stdin, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "DRIP_DATABASE_URL": settings.database_url,
        "DRIP_VAR_DIR": str(settings.var_dir),
        "DRIP_OUTBOX_DIR": str(settings.outbox_dir),
        "DRIP_POSTAL_ADDRESS": settings.postal_address,
        "PYTHONPATH": str(REPO),  # this checkout's code, whatever the venv points at
    }


def test_users_add_makes_a_login_with_the_password_from_the_environment(
    env: dict[str, str], settings: Settings
) -> None:
    with_password = {**env, "DRIP_PASSWORD": "a long passphrase"}
    result = _drip("users", "add", "ada", "--role", "admin", env=with_password)
    assert result.returncode == 0, result.stderr
    assert "added admin 'ada'" in result.stdout
    engine = make_engine(settings.database_url)
    with session_factory(engine)() as session:
        user = authenticate(session, "ada", "a long passphrase")
        assert user is not None
        assert user.role == Role.ADMIN
        assert user.password_hash.startswith("$argon2id$")
    engine.dispose()


def test_users_add_reads_the_password_from_a_prompt(env: dict[str, str]) -> None:
    typed = "a long passphrase\na long passphrase\n"  # and again, to confirm
    result = _drip("users", "add", "mia", "--role", "marketer", env=env, stdin=typed)
    assert result.returncode == 0, result.stderr
    assert "added marketer 'mia'" in result.stdout


def test_users_add_refuses_in_one_line(env: dict[str, str]) -> None:
    short = _drip("users", "add", "ada", "--role", "admin", env={**env, "DRIP_PASSWORD": "short"})
    assert short.returncode == 1
    assert short.stderr.strip() == "error: password for 'ada': at least 10 characters"
    ok = {**env, "DRIP_PASSWORD": "a long passphrase"}
    assert _drip("users", "add", "ada", "--role", "admin", env=ok).returncode == 0
    again = _drip("users", "add", "ada", "--role", "admin", env=ok)
    assert again.returncode == 1
    assert again.stderr.strip() == "error: user 'ada' already exists"
    assert _drip("users", "add", "bob", "--role", "boss", env=ok).returncode == 2


def test_serve_refuses_the_placeholder_address_in_production() -> None:
    with pytest.raises(SendingRefused, match="DRIP_POSTAL_ADDRESS"):
        check_can_send(load_settings(env="production"), "drip serve")
    check_can_send(
        load_settings(env="production", postal_address="1 Real Street, Town"), "drip serve"
    )


@pytest.mark.slow
def test_serve_answers_keeps_tokens_out_of_its_log_and_stops_on_sigterm(
    env: dict[str, str],
) -> None:
    server = subprocess.Popen(
        [*DRIP, "serve", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = _wait_for_url(server)
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok", "database": "ok"}
        assert httpx.get(f"{url}/subscribe").status_code == 200
        assert httpx.get(f"{url}/view/secret-token-123").status_code == 400
    finally:
        server.terminate()
        log, _ = server.communicate(timeout=15)
    assert server.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it ended on
    assert "Application shutdown complete" in log
    assert "GET /view/[token]" in log
    assert "secret-token-123" not in log


def _wait_for_url(server: subprocess.Popen[str]) -> str:
    assert server.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = server.stdout.readline()
        match = re.search(r"Uvicorn running on (http://\S+)", line)
        if match:
            return match.group(1)
        if not line and server.poll() is not None:
            break
    raise AssertionError("drip serve did not start")
