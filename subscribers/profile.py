"""What a person tells us besides their address: name, time zone, send hour; and the
consent record, cleaned before it is stored. Blank zone and hour take the defaults
(DRIP_TIMEZONE, DRIP_SEND_HOUR)."""

from __future__ import annotations

from dataclasses import dataclass

from drip.settings import Settings
from subscribers.consent import Consent
from subscribers.errors import InvalidField
from subscribers.models import NAME_LENGTH, SOURCE_LENGTH, USER_AGENT_LENGTH
from subscribers.schedule import known_timezone, valid_hour


def clean_name(name: str) -> str:
    """One line of text: a name ends up in a To: header, where a line break is an attack."""
    cleaned = " ".join(name.split())
    if len(cleaned) > NAME_LENGTH:
        raise InvalidField(f"name is longer than {NAME_LENGTH} characters")
    return cleaned


@dataclass(frozen=True)
class Profile:
    name: str
    timezone: str
    send_hour: int

    @classmethod
    def clean(
        cls,
        settings: Settings,
        name: str = "",
        timezone: str | None = None,
        send_hour: int | None = None,
    ) -> Profile:
        return cls(
            name=clean_name(name),
            timezone=known_timezone(timezone) if timezone else settings.timezone,
            send_hour=settings.send_hour if send_hour is None else valid_hour(send_hour),
        )


def _line(value: str, field: str, limit: int) -> str:
    cleaned = " ".join(value.split())
    if len(cleaned) > limit:
        raise InvalidField(f"consent {field} is longer than {limit} characters")
    return cleaned


def clean_consent(consent: Consent) -> Consent:
    """The record as stored: a source is required; the user agent is clipped, not refused
    (browsers send long ones, and a sign-up must not fail on it)."""
    source = _line(consent.source, "source", SOURCE_LENGTH)
    if not source:
        raise InvalidField("consent source is required (where did this person subscribe?)")
    agent = consent.user_agent
    return Consent(
        source=source,
        form=_line(consent.form, "form", SOURCE_LENGTH),
        text=consent.text.strip(),
        ip=consent.ip.strip()[:45] if consent.ip else None,
        user_agent=" ".join(agent.split())[:USER_AGENT_LENGTH] if agent else None,
    )
