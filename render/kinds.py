"""The kinds of email drip sends, their template files and the reader fields each may use."""

from __future__ import annotations

from typing import Literal, get_args

from render.errors import RenderError

EmailKind = Literal["welcome", "lesson", "confirmation", "unsubscribed"]
KINDS: tuple[EmailKind, ...] = get_args(EmailKind)
LESSON_KINDS: frozenset[EmailKind] = frozenset({"welcome", "lesson"})

# The per-subscriber merge fields a template of each kind may print (`reader.<field>`).
# A confirmation has no lesson to view and nothing to unsubscribe from yet; a goodbye
# email goes to someone who has already left.
READER_FIELDS: dict[EmailKind, tuple[str, ...]] = {
    "welcome": ("name", "email", "unsubscribe_url", "preferences_url", "view_url"),
    "lesson": ("name", "email", "unsubscribe_url", "preferences_url", "view_url"),
    "confirmation": ("name", "email", "confirm_url"),
    "unsubscribed": ("name", "email"),
}


def as_kind(value: str) -> EmailKind:
    for kind in KINDS:
        if kind == value:
            return kind
    raise RenderError(f"unknown email kind {value!r}; drip knows {', '.join(KINDS)}")


def subject_template(kind: EmailKind) -> str:
    return f"{kind}.subject.txt"


def html_template(kind: EmailKind) -> str:
    return f"{kind}.html"


def text_template(kind: EmailKind) -> str:
    return f"{kind}.txt"
