"""The consent record: what a person agreed to, where, and how it was proven.

Kept with the subscriber (and in their export) because a regulator or the person may
ask: when did I subscribe, on which form, to what wording, and did I confirm it?
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class OptIn(StrEnum):
    DOUBLE = "double"  # the person clicked the link in the confirmation email
    ATTESTED = "attested"  # an admin vouches for consent given elsewhere (`--confirmed --source`)


@dataclass(frozen=True)
class Consent:
    """Where a subscription came from, as the web form or an admin tells it."""

    source: str  # e.g. "web form", "import of leads.csv", "webinar 2026-03 (paper list)"
    form: str = ""  # which form or page, or the imported file
    text: str = ""  # the consent wording shown, or its version label
    ip: str | None = None
    user_agent: str | None = None
