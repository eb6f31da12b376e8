"""Send a batch with a bounded number of tries: the retry policy, in one place.

- A rate limit (`RateLimitedError`) waits as the provider said (`retry_after`, from
  SendGrid's X-RateLimit-Reset), unless that is longer than `max_wait`.
- Other transient errors back off exponentially with full jitter (a random wait between
  0 and base * 2**n, capped), so several workers do not retry in step.
- When the tries run out (or the wait is too long) the last transient error is
  re-raised, carrying every outcome settled so far: the scheduler records those and
  leaves the rest of the batch due for the next tick.
- Permanent and configuration errors are raised at once: retrying cannot help.

A retry sends only the recipients not yet settled (an SMTP connection lost after 40 of
100 messages resends the other 60, not all 100).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from delivery.base import EmailBackend
from delivery.errors import TransientError
from delivery.message import Batch, Outcome


@dataclass(frozen=True)
class RetryPolicy:
    tries: int = 4  # sends in all, the first included
    base_delay: float = 0.5  # seconds; the cap of the first backoff
    max_delay: float = 8.0  # seconds; no backoff waits longer
    max_wait: float = 60.0  # a rate limit asking for longer is left to the next tick

    def __post_init__(self) -> None:
        if self.tries < 1:
            raise ValueError("a retry policy needs at least one try")

    def backoff(self, retry: int, draw: Callable[[], float]) -> float:
        """Full jitter: uniform between 0 and min(max_delay, base_delay * 2**retry)."""
        ceiling: float = min(self.max_delay, self.base_delay * 2.0**retry)
        return draw() * ceiling


DEFAULT_POLICY = RetryPolicy()


def send_with_retries(
    backend: EmailBackend,
    batch: Batch,
    policy: RetryPolicy = DEFAULT_POLICY,
    *,
    sleep: Callable[[float], None] = time.sleep,
    draw: Callable[[], float] = random.random,
) -> list[Outcome]:
    """`backend.send(batch)`, retried by `policy`; one outcome per recipient, in order."""
    settled: dict[str, Outcome] = {}
    remaining = batch
    for retry in range(policy.tries):
        try:
            settled.update((o.delivery_id, o) for o in backend.send(remaining))
            return [settled[recipient.delivery_id] for recipient in batch.recipients]
        except TransientError as error:
            settled.update((o.delivery_id, o) for o in error.settled)
            error.settled = tuple(settled.values())
            delay = _delay(error, retry, policy, draw)
            if retry + 1 == policy.tries or delay > policy.max_wait:
                raise
        sleep(delay)
        remaining = batch.excluding(settled)
    raise AssertionError("unreachable: the last try returns or raises")


def _delay(
    error: TransientError, retry: int, policy: RetryPolicy, draw: Callable[[], float]
) -> float:
    if error.retry_after is not None:
        return error.retry_after
    return policy.backoff(retry, draw)
