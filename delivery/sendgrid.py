"""SendGrid: one v3 `mail/send` request per batch, through the official client.

One request carries up to 1,000 recipients as personalizations sharing one rendered
subject, HTML and text; each personalization holds its recipient's merge fields as
`substitutions` (SendGrid performs the literal replacement), its delivery id in
`custom_args` (it comes back in webhook events) and its List-Unsubscribe headers.

The request body is built by `sendgrid_payload`, a pure function of the batch and the
settings. We build the JSON ourselves rather than with `sendgrid.helpers.mail.Mail`,
whose `add_personalization` inserts at the front and so reverses the order. The
client checks none of SendGrid's documented limits; this module does, before sending,
so no request SendGrid would refuse is ever made (see `EmailBackend.send`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from email.utils import parseaddr, quote
from http.client import HTTPException
from typing import Any

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient

from delivery.base import EmailBackend
from delivery.errors import (
    ConfigurationError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from delivery.message import Accepted, Batch, Deferred, Outcome, Recipient, Rejected
from delivery.message import recipient_headers as _recipient_headers
from drip.settings import Settings

DELIVERY_ID_ARG = "delivery_id"  # the custom arg naming the delivery, in events too
MAX_RECIPIENTS = 1000  # to + cc + bcc over all personalizations of one request
MAX_SUBSTITUTIONS_BYTES = 10_000  # per personalization
MAX_CUSTOM_ARGS_BYTES = 10_000  # the message's and the personalization's together
MAX_REQUEST_BYTES = 30_000_000  # "less than 30MB"; counted in decimal to stay clear of it
MAX_CATEGORY_LENGTH = 255
DEFAULT_TIMEOUT = 30.0  # seconds; the client has no timeout of its own
# Headers SendGrid refuses in `headers` (it sets them itself).
RESERVED_HEADERS = frozenset(
    {
        "x-sg-id",
        "x-sg-eid",
        "received",
        "dkim-signature",
        "content-type",
        "content-transfer-encoding",
        "to",
        "from",
        "subject",
        "reply-to",
        "cc",
        "bcc",
    }
)
_PERSONALIZATION_FIELD = re.compile(r"personalizations\.(\d+)\b")


def json_size(value: object) -> int:
    """Bytes of `value` as compact UTF-8 JSON: how the limits are counted."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def size_over(mapping: Mapping[str, str], limit: int) -> int | None:
    """`json_size(mapping)` when it is over `limit`, else None.

    Measured only when it might be: a character takes at most 6 bytes in JSON (an
    escape like \\u001f) and each entry 6 more (quotes, colon, comma), so a mapping whose
    bound is under the limit needs no encoding. That is every recipient, in practice,
    and a batch of 1,000 is screened without 1,000 JSON encodings.
    """
    characters = sum(len(key) + len(value) for key, value in mapping.items())
    if 6 * (characters + len(mapping)) + 2 <= limit:
        return None
    size = json_size(dict(mapping))
    return size if size > limit else None


def sendgrid_payload(batch: Batch, settings: Settings) -> dict[str, Any]:
    """The `POST /v3/mail/send` body for `batch`: one personalization per recipient."""
    payload: dict[str, Any] = {
        "personalizations": [
            _personalization(recipient, settings.unsubscribe_mailto)
            for recipient in batch.recipients
        ],
        "from": _sender(batch.from_address),
        "subject": batch.subject,
        "content": _content(batch),
    }
    if batch.category:
        payload["categories"] = [batch.category]
    if batch.custom_args:
        payload["custom_args"] = dict(batch.custom_args)
    if settings.sendgrid_sandbox:
        payload["mail_settings"] = {"sandbox_mode": {"enable": True}}
    return payload


def _personalization(recipient: Recipient, mailto: str | None) -> dict[str, Any]:
    personalization: dict[str, Any] = {
        "to": [_recipient(recipient)],
        "custom_args": {DELIVERY_ID_ARG: recipient.delivery_id},
    }
    if recipient.substitutions:
        personalization["substitutions"] = dict(recipient.substitutions)
    headers = _recipient_headers(recipient, mailto)
    if headers:
        personalization["headers"] = headers
    return personalization


def _recipient(recipient: Recipient) -> dict[str, str]:
    to = {"email": recipient.email}
    name = " ".join(recipient.name.split())
    if name:
        # SendGrid does not quote display names in personalizations: a comma or a
        # semicolon in one silently drops the email (sendgrid-python#291). Quoting every
        # name ourselves works around it, as anymail does.
        to["name"] = f'"{quote(name)}"'
    return to


def _sender(from_address: str) -> dict[str, str]:
    name, email = parseaddr(from_address)
    return {"email": email, "name": name} if name else {"email": email}


def _content(batch: Batch) -> list[dict[str, str]]:
    # SendGrid wants text/plain first, then text/html, and no empty values.
    parts = [("text/plain", batch.text), ("text/html", batch.html)]
    return [{"type": kind, "value": value} for kind, value in parts if value]


def _custom_args(batch: Batch, recipient: Recipient) -> dict[str, str]:
    return {**batch.custom_args, DELIVERY_ID_ARG: recipient.delivery_id}


class SendGridBackend(EmailBackend):
    max_recipients = MAX_RECIPIENTS

    def __init__(self, settings: Settings, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        if settings.sendgrid_api_key is None:
            raise ConfigurationError("SENDGRID_API_KEY is not set, but the backend is sendgrid")
        self.settings = settings
        self.unsubscribe_mailto = settings.unsubscribe_mailto
        self.client = SendGridAPIClient(
            api_key=settings.sendgrid_api_key.get_secret_value(), host=settings.sendgrid_host
        )
        # The client has no timeout by default: a stalled request would hang a run.
        self.client.client.timeout = timeout
        # We encode the body ourselves (to measure it against the 30 MB limit) and hand
        # the client that string: it sends a string body as it is unless the content
        # type is exactly "application/json", in which case it would encode it again.
        self.client.client.request_headers["Content-Type"] = "application/json; charset=utf-8"

    def check_batch(self, batch: Batch) -> None:
        super().check_batch(batch)
        if len(batch.category) > MAX_CATEGORY_LENGTH:
            raise PermanentError(
                f"the category {batch.category[:40]!r}... is over SendGrid's "
                f"{MAX_CATEGORY_LENGTH} characters"
            )
        size = size_over(batch.custom_args, MAX_CUSTOM_ARGS_BYTES)
        if size is not None:
            raise PermanentError(
                f"the batch's custom_args take {size} bytes; SendGrid allows "
                f"{MAX_CUSTOM_ARGS_BYTES}"
            )

    def refusal(self, batch: Batch, recipient: Recipient) -> str | None:
        problem = super().refusal(batch, recipient)
        if problem:
            return problem
        reserved = [name for name in recipient.headers if name.lower() in RESERVED_HEADERS]
        if reserved:
            return f"SendGrid does not allow setting the header {reserved[0]}"
        size = size_over(recipient.substitutions, MAX_SUBSTITUTIONS_BYTES)
        if size is not None:
            return (
                f"substitutions take {size} bytes; SendGrid allows "
                f"{MAX_SUBSTITUTIONS_BYTES} per recipient"
            )
        size = size_over(_custom_args(batch, recipient), MAX_CUSTOM_ARGS_BYTES)
        if size is not None:
            return f"custom_args take {size} bytes; SendGrid allows {MAX_CUSTOM_ARGS_BYTES}"
        return None

    def post(self, batch: Batch) -> list[Outcome]:
        body = json.dumps(sendgrid_payload(batch, self.settings))  # ASCII: one byte a character
        size = len(body)
        if size > MAX_REQUEST_BYTES:
            raise PermanentError(
                f"the request would take {size:,} bytes; SendGrid allows under "
                f"{MAX_REQUEST_BYTES:,} (a smaller batch or a shorter email)",
                status=413,
            )
        try:
            response = self.client.client.mail.send.post(request_body=body)
        except HTTPError as error:  # any status other than 2xx
            return self._refused(batch, error)
        except (OSError, HTTPException) as error:  # URLError, timeouts, dropped connections
            raise TransientError(
                f"SendGrid at {self.settings.sendgrid_host} did not answer: {error}"
            ) from error
        message_id = response.headers.get("X-Message-Id")
        return [Accepted(r.delivery_id, message_id) for r in batch.recipients]

    def _refused(self, batch: Batch, error: HTTPError) -> list[Outcome]:
        status = int(error.status_code)
        errors = _error_list(error.body)
        said = "; ".join(_describe(item) for item in errors) or str(error.reason)
        if status == 429:
            raise RateLimitedError(
                f"SendGrid is rate-limiting us (429): {said}",
                retry_after=_seconds_until_reset(error.headers),
            )
        if status == 408 or status >= 500:
            raise TransientError(f"SendGrid answered {status}: {said}")
        if status in (401, 403):
            variable = "DRIP_FROM" if _about_sender(said) else "SENDGRID_API_KEY"
            raise ConfigurationError(f"{variable}: SendGrid refused to send ({status}): {said}")
        if status in (404, 405):
            raise ConfigurationError(
                f"DRIP_SENDGRID_HOST: {self.settings.sendgrid_host} has no v3 mail send "
                f"({status}): {said}"
            )
        outcomes = _blame_recipients(batch, errors) if status == 400 else None
        if outcomes is not None:
            return outcomes
        raise PermanentError(
            f"SendGrid refused the batch ({status}): {said}",
            reasons=[_describe(item) for item in errors] or [said],
            status=status,
        )


def _blame_recipients(batch: Batch, errors: list[Mapping[str, Any]]) -> list[Outcome] | None:
    """A 400 whose every error names a personalization: reject those recipients and defer
    the others (SendGrid sent nothing), so the next tick sends them without the bad ones.
    None when some error concerns the whole request."""
    blamed: dict[int, list[str]] = {}
    for item in errors:
        match = _PERSONALIZATION_FIELD.match(str(item.get("field") or ""))
        if match is None or int(match.group(1)) >= len(batch.recipients):
            return None
        blamed.setdefault(int(match.group(1)), []).append(_describe(item))
    if not blamed:
        return None
    return [
        Rejected(recipient.delivery_id, "SendGrid: " + "; ".join(blamed[index]))
        if index in blamed
        else Deferred(recipient.delivery_id, "not sent: SendGrid refused another recipient")
        for index, recipient in enumerate(batch.recipients)
    ]


def _error_list(body: bytes | str | None) -> list[Mapping[str, Any]]:
    """SendGrid's `{"errors": [{"message", "field", "help"}]}`, or [] for anything else."""
    try:
        errors = json.loads(body or b"").get("errors", [])
    except (ValueError, AttributeError):
        return []
    if not isinstance(errors, list):
        return []
    return [item for item in errors if isinstance(item, Mapping)]


def _describe(item: Mapping[str, Any]) -> str:
    message = str(item.get("message") or "").strip()
    field = item.get("field")
    return f"{field}: {message}" if field else message


def _about_sender(said: str) -> bool:
    lowered = said.lower()
    return "from address" in lowered or "sender identity" in lowered


def _seconds_until_reset(headers: Any) -> float | None:
    try:
        reset = float(headers.get("X-RateLimit-Reset"))
    except (AttributeError, TypeError, ValueError):
        return None
    return max(0.0, reset - time.time())
