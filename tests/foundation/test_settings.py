"""The settings object: defaults, the backend choice, and bad values named by variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from drip.settings import DEFAULT_COURSE, SettingsError, load_settings


def test_defaults_are_the_embedded_ones() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///var/drip.db"
    assert settings.delivery_backend == "outbox"
    assert settings.outbox_dir == Path("var/outbox")
    assert settings.send_hour == 8
    assert settings.timezone == "UTC"
    assert settings.course == DEFAULT_COURSE
    assert settings.base_url == "http://127.0.0.1:8000"


def test_backend_follows_the_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIP_SMTP_URL", "smtp://user:pass@mail.example.com:587")
    assert load_settings().delivery_backend == "smtp"
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.key")
    assert load_settings().delivery_backend == "sendgrid"
    monkeypatch.setenv("DRIP_BACKEND", "outbox")
    assert load_settings().delivery_backend == "outbox"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DRIP_SEND_HOUR", "25", "DRIP_SEND_HOUR: must be an hour from 0 to 23, got 25"),
        ("DRIP_SEND_HOUR", "eight", "DRIP_SEND_HOUR: Input should be a valid integer"),
        ("DRIP_TIMEZONE", "Mars/Olympus", "DRIP_TIMEZONE: unknown IANA time zone 'Mars/Olympus'"),
        ("DRIP_BASE_URL", "ftp://x", "DRIP_BASE_URL: must be an http(s) URL"),
        ("DRIP_FROM", "nobody", "DRIP_FROM: must be an address like"),
        ("DRIP_SMTP_URL", "http://x", "DRIP_SMTP_URL: must look like smtp://"),
        ("DRIP_UNSUBSCRIBE_MAILTO", "Leave <x@y.z>", "DRIP_UNSUBSCRIBE_MAILTO: must be a bare"),
        ("DRIP_BACKEND", "pigeon", "DRIP_BACKEND: Input should be 'sendgrid', 'smtp' or 'outbox'"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith(expected)


def test_secret_is_generated_once_and_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRIP_SECRET_KEY")
    settings = load_settings(var_dir=tmp_path / "var")
    first = settings.secret()
    assert len(first) >= 40
    assert settings.secret() == first
    assert (tmp_path / "var" / "secret").stat().st_mode & 0o777 == 0o600


def test_settings_read_a_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DRIP_SEND_HOUR=6\nDRIP_TIMEZONE=Asia/Kolkata\n")
    settings = load_settings()
    assert (settings.send_hour, settings.timezone) == (6, "Asia/Kolkata")
