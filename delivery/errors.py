"""One family of delivery errors, so the scheduler decides retry or give up in one place.

After healthchecks' `TransportError(message, permanent=False)`:

- `TransientError` (`permanent` False): 5xx, timeouts, refused or dropped connections.
  Retry with backoff (`delivery.retry`); when the tries run out, the batch stays due.
- `RateLimitedError` (a transient error): SendGrid's 429; `retry_after` says how many
  seconds to wait (from `X-RateLimit-Reset`).
- `PermanentError` (`permanent` True): this batch will never be accepted as it is
  (a SendGrid 400 or 413, a batch over a provider limit). `reasons` keeps the
  provider's messages, to be recorded on every delivery of the batch.
- `ConfigurationError`: a bad key, a refused login, an unusable setting. It names the
  variable to fix and stops the run; nothing is marked failed, the batch stays due.

Every one is a `DripError`, so one that reaches the CLI is printed as one line. A
scheduler catches `ConfigurationError` first (or lets it through), then
`DeliveryError` and reads `permanent`.

Errors raised part-way through a batch carry `settled`: the outcomes of the recipients
already dealt with before the failure (an SMTP connection lost after 40 of 100
messages), so those are recorded and only the rest is retried.

Webhook requests to refuse raise `WebhookError` (bad or missing signature, malformed
body); it is not a sending error and has no `permanent` flag.
"""

from __future__ import annotations

from collections.abc import Sequence

from delivery.message import Outcome
from drip.errors import DripError


class DeliveryError(DripError):
    """The root of sending errors; `permanent` says whether retrying can ever help."""

    permanent: bool = False

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        settled: Sequence[Outcome] = (),
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds to wait before trying again, if known
        self.settled: tuple[Outcome, ...] = tuple(settled)


class TransientError(DeliveryError):
    """Try again later: an outage, a timeout, a dropped connection."""


class RateLimitedError(TransientError):
    """The provider asked us to slow down; `retry_after` is the wait in seconds."""


class PermanentError(DeliveryError):
    """This batch will never be accepted as it is; `reasons` are the provider's words."""

    permanent = True

    def __init__(
        self,
        message: str,
        *,
        reasons: Sequence[str] = (),
        status: int | None = None,
        settled: Sequence[Outcome] = (),
    ) -> None:
        super().__init__(message, settled=settled)
        self.reasons: tuple[str, ...] = tuple(reasons) or (message,)
        self.status = status  # the provider's HTTP status, when there was one


class ConfigurationError(DeliveryError, ValueError):
    """A setting is wrong (the message names the variable): stop the run, mark nothing."""


class WebhookError(DripError, ValueError):
    """A webhook request to refuse; the message says why."""


class WebhookSignatureError(WebhookError):
    """Missing, stale or wrong signature, or no key configured: answer 403."""


class WebhookPayloadError(WebhookError):
    """A correctly signed body that is not the JSON array of events expected: answer 400."""
