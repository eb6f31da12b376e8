"""The default backend: one `.eml` file per message under DRIP_OUTBOX_DIR.

`make demo` sends for real into these files; any mail client opens them. A file is
named after its delivery, so a retried send overwrites it rather than adding a second
copy, and it is written to a temporary file and renamed, so a reader (or a crash) never
sees half an email.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path

from delivery.base import LocalBackend
from delivery.errors import ConfigurationError, TransientError
from delivery.message import Accepted, Outcome, PersonalEmail, Rejected
from delivery.mime import mime_message, wire_policy
from drip.settings import Settings

_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]")


def outbox_filename(delivery_id: str) -> str:
    """`<delivery_id>.eml`, with a short hash when the id needs escaping (stays unique)."""
    safe = _UNSAFE_IN_NAME.sub("_", delivery_id)
    if safe != delivery_id or safe.startswith("."):
        safe = f"{safe.lstrip('.')}-{hashlib.sha256(delivery_id.encode()).hexdigest()[:8]}"
    return f"{safe}.eml"


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder and a rename."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())  # the rename must not outlive the data in a power cut
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


class OutboxBackend(LocalBackend):
    max_recipients = 1000

    def __init__(self, settings: Settings) -> None:
        self.directory = Path(settings.outbox_dir)
        self.unsubscribe_mailto = settings.unsubscribe_mailto

    def path_for(self, delivery_id: str) -> Path:
        return self.directory / outbox_filename(delivery_id)

    def deliver(self, email: PersonalEmail) -> Outcome:
        try:
            message = mime_message(email)
        except ValueError as error:
            return Rejected(email.delivery_id, str(error))
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_atomically(
                self.path_for(email.delivery_id), message.as_bytes(policy=wire_policy(email))
            )
        except (PermissionError, NotADirectoryError, FileExistsError) as error:
            raise ConfigurationError(
                f"DRIP_OUTBOX_DIR: cannot write to {self.directory}: {error}"
            ) from error
        except OSError as error:  # a full disk may be freed: try again later
            raise TransientError(f"cannot write to the outbox {self.directory}: {error}") from error
        return Accepted(email.delivery_id, message["Message-ID"])
