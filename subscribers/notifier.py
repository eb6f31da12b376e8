"""The seam through which the lifecycle sends its own emails (confirmation, goodbye).

subscribers imports neither render nor delivery: the admin layer hands the lifecycle a
`Notifier` that renders the email (render's `confirmation` and `unsubscribed` kinds)
and sends it through a delivery backend. The values passed are plain, like render's
per-subscriber "reader": the notifier never touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Confirmation:
    """A double opt-in request: the person must click `confirm_url` to start the course.
    (The fields of render's `confirmation` kind: there is nothing to unsubscribe from yet,
    and someone who did not ask for it need only ignore it.)"""

    email: str
    name: str
    confirm_url: str


@dataclass(frozen=True)
class Goodbye:
    """The one email after an unsubscribe, saying it worked."""

    email: str
    name: str


class Notifier(Protocol):
    def send_confirmation(self, confirmation: Confirmation) -> None: ...

    def send_goodbye(self, goodbye: Goodbye) -> None: ...
