"""Absolute URLs for the links in emails, under DRIP_BASE_URL (the routes of SPEC.md).

Build one `Links` per run (it holds the signers) and ask it per subscriber:

    links = Links.from_settings(settings)
    links.unsubscribe(subscriber)  # http://127.0.0.1:8000/unsubscribe/<token>
"""

from __future__ import annotations

from typing import Protocol

from drip.settings import Settings
from subscribers.tokens import Purpose, Tokens


class HasKey(Protocol):
    """Anything with a subscriber's public key: a `Subscriber`, or a row of a query."""

    @property
    def key(self) -> str: ...


class Links:
    def __init__(self, base_url: str, tokens: Tokens) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens

    @classmethod
    def from_settings(cls, settings: Settings) -> Links:
        return cls(settings.base_url, Tokens.from_settings(settings))

    def _url(self, purpose: Purpose, subscriber: HasKey, lesson: str | None = None) -> str:
        token = self.tokens.sign(purpose, subscriber.key, lesson)
        return f"{self.base_url}/{purpose.value}/{token}"

    def confirm(self, subscriber: HasKey) -> str:
        return self._url(Purpose.CONFIRM, subscriber)

    def unsubscribe(self, subscriber: HasKey) -> str:
        return self._url(Purpose.UNSUBSCRIBE, subscriber)

    def preferences(self, subscriber: HasKey) -> str:
        return self._url(Purpose.PREFERENCES, subscriber)

    def view(self, subscriber: HasKey, lesson_slug: str) -> str:
        return self._url(Purpose.VIEW, subscriber, lesson_slug)
