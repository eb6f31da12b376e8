"""Subscribers: the store, double opt-in, unsubscribe, suppression, import, export, erase.

The public API, which the CLI, the web app and the scheduler call (every function
works inside the caller's session transaction and never commits):

- models: `Subscriber`, `Status`, `Suppression`, `SuppressionReason`, `ENDED`
- coming in: `subscribe`, `confirm`, `add_confirmed` (optin)
- their choices: `pause`, `resume`, `change_schedule`, `restart`, `unsubscribe`,
  `unsubscribe_with_token` (lifecycle); and the course's own step, `lesson_sent`
- leaving for good: `suppress` (webhooks), `erase`
- finding: `find`, `get`, `subscriber_for`, `viewer_for` (lookup)
- links and tokens: `Links`, `Tokens`, `Purpose`
- email: the `Notifier` protocol with `Confirmation` and `Goodbye`
- data: `import_csv`, `export_csv`, `personal_data`
"""

from subscribers.consent import Consent, OptIn
from subscribers.erasure import erase
from subscribers.exporter import export_csv
from subscribers.importer import ImportReport, Rejected, Rejection, import_csv
from subscribers.lifecycle import (
    change_schedule,
    lesson_sent,
    pause,
    restart,
    resume,
    unsubscribe,
    unsubscribe_with_token,
)
from subscribers.links import Links
from subscribers.lookup import find, get, subscriber_for, viewer_for
from subscribers.models import ENDED, Status, Subscriber, Suppression, SuppressionReason
from subscribers.notifier import Confirmation, Goodbye, Notifier
from subscribers.optin import add_confirmed, confirm, subscribe
from subscribers.personal_data import personal_data
from subscribers.suppression import suppress
from subscribers.tokens import Purpose, Tokens

__all__ = [
    "ENDED",
    "Confirmation",
    "Consent",
    "Goodbye",
    "ImportReport",
    "Links",
    "Notifier",
    "OptIn",
    "Purpose",
    "Rejected",
    "Rejection",
    "Status",
    "Subscriber",
    "Suppression",
    "SuppressionReason",
    "Tokens",
    "add_confirmed",
    "change_schedule",
    "confirm",
    "erase",
    "export_csv",
    "find",
    "get",
    "import_csv",
    "lesson_sent",
    "pause",
    "personal_data",
    "restart",
    "resume",
    "subscribe",
    "subscriber_for",
    "suppress",
    "unsubscribe",
    "unsubscribe_with_token",
    "viewer_for",
]
