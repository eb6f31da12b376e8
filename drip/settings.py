"""One settings object for the whole of drip, read from the environment and `.env`.

Every variable is documented in README.md ("Configuration"); a bad value is refused
with a message that names the variable, so an operator knows what to fix.
"""

from __future__ import annotations

import re
import secrets
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from drip.errors import DripError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_COURSE = REPO_ROOT / "course" / "default" / "magnesium.yaml"
PLACEHOLDER_POSTAL_ADDRESS = (
    "Your Company, 1 Example Street, Example City 00000 (set DRIP_POSTAL_ADDRESS)"
)

Backend = Literal["sendgrid", "smtp", "outbox"]


class SettingsError(DripError, ValueError):
    """A setting has a bad value; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DRIP_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    database_url: str = "sqlite:///var/drip.db"
    course: Path = DEFAULT_COURSE
    backend: Backend | None = None
    sendgrid_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SENDGRID_API_KEY", "DRIP_SENDGRID_API_KEY")
    )
    sendgrid_host: str = "https://api.sendgrid.com"
    sendgrid_sandbox: bool = False
    sendgrid_webhook_key: str | None = None
    smtp_url: SecretStr | None = None
    outbox_dir: Path = Path("var/outbox")
    from_address: str = Field(
        default="Magnesium Course <course@example.com>",
        validation_alias=AliasChoices("DRIP_FROM", "from_address"),
    )
    unsubscribe_mailto: str | None = None
    postal_address: str = PLACEHOLDER_POSTAL_ADDRESS
    base_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr | None = None
    send_hour: int = 8
    timezone: str = "UTC"
    env: Literal["development", "production"] = "development"
    var_dir: Path = Path("var")

    @field_validator("send_hour")
    @classmethod
    def _hour_in_range(cls, value: int) -> int:
        if not 0 <= value <= 23:
            raise ValueError(f"must be an hour from 0 to 23, got {value}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown IANA time zone {value!r}") from error
        return value

    @field_validator("base_url", "sendgrid_host")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value.rstrip("/")

    @field_validator("from_address")
    @classmethod
    def _mailbox(cls, value: str) -> str:
        if "@" not in parseaddr(value)[1]:
            raise ValueError(f"must be an address like 'Name <me@example.com>', got {value!r}")
        return value

    @field_validator("unsubscribe_mailto")
    @classmethod
    def _bare_address(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(
            r"[^\s@<>,;:\"]+@[^\s@<>,;:\"]+\.[^\s@<>,;:\"]+", value
        ):
            raise ValueError(f"must be a bare address like unsubscribe@example.com, got {value!r}")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parts = urlsplit(value.get_secret_value())
            if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
                raise ValueError(
                    "must look like smtp://user:pass@host:587 or smtps://user:pass@host:465"
                )
        return value

    @property
    def delivery_backend(self) -> Backend:
        """The backend: explicit, else SendGrid with a key, else SMTP with a URL, else files."""
        if self.backend is not None:
            return self.backend
        if self.sendgrid_api_key is not None:
            return "sendgrid"
        if self.smtp_url is not None:
            return "smtp"
        return "outbox"

    @property
    def has_placeholder_postal_address(self) -> bool:
        return self.postal_address == PLACEHOLDER_POSTAL_ADDRESS

    def secret(self) -> str:
        """The signing key: DRIP_SECRET_KEY, else one generated once into var/secret."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.var_dir / "secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
            path.chmod(0o600)
        return path.read_text(encoding="utf-8").strip()


def _variable_name(field: str) -> str:
    info = Settings.model_fields[field]
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"DRIP_{field.upper()}"


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning pydantic's report into one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        lines = []
        for problem in error.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "?"
            name = _variable_name(field) if field in Settings.model_fields else field
            message = str(problem["msg"]).removeprefix("Value error, ")
            lines.append(f"{name}: {message}")
        raise SettingsError("; ".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own with `load_settings`)."""
    return load_settings()
