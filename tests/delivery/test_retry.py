"""The retry policy: bounded tries, the provider's wait for 429, full-jitter backoff."""

from __future__ import annotations

from collections import deque

import pytest

from delivery.base import EmailBackend
from delivery.errors import (
    ConfigurationError,
    DeliveryError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from delivery.message import Accepted, Batch, Outcome
from delivery.retry import RetryPolicy, send_with_retries
from tests.support.mail import make_batch


class ScriptedBackend(EmailBackend):
    """Answers each post with the next step of its script: an error, or acceptance."""

    def __init__(self, *script: DeliveryError | None) -> None:
        self.script = deque(script)
        self.posted: list[list[str]] = []

    def post(self, batch: Batch) -> list[Outcome]:
        self.posted.append([r.delivery_id for r in batch.recipients])
        step = self.script.popleft() if self.script else None
        if step is not None:
            raise step
        return [Accepted(r.delivery_id, "id") for r in batch.recipients]


def run(
    backend: EmailBackend, policy: RetryPolicy = RetryPolicy(), draw: float = 1.0
) -> tuple[list[Outcome], list[float]]:
    """Send three readers through `policy`; the outcomes and the waits it asked for."""
    waits: list[float] = []
    batch = make_batch(3)
    outcomes = send_with_retries(backend, batch, policy, sleep=waits.append, draw=lambda: draw)
    return outcomes, waits


def test_a_transient_error_is_retried_after_a_jittered_wait() -> None:
    backend = ScriptedBackend(TransientError("500"))
    outcomes, waits = run(backend, draw=0.5)
    assert outcomes == [Accepted(f"d{i}", "id") for i in range(3)]
    assert waits == [0.25]  # half of the first ceiling, 0.5 s
    assert len(backend.posted) == 2


def test_backoff_doubles_up_to_its_cap_then_the_last_error_is_raised() -> None:
    errors = [TransientError(f"try {n}") for n in range(1, 6)]
    backend = ScriptedBackend(*errors)
    waits: list[float] = []
    policy = RetryPolicy(tries=5, base_delay=1, max_delay=4)
    with pytest.raises(TransientError) as caught:
        send_with_retries(backend, make_batch(1), policy, sleep=waits.append, draw=lambda: 1.0)
    assert caught.value is errors[-1]
    assert waits == [1, 2, 4, 4]
    assert len(backend.posted) == 5


def test_a_rate_limit_waits_as_long_as_the_provider_says() -> None:
    backend = ScriptedBackend(RateLimitedError("429", retry_after=3.0))
    _, waits = run(backend)
    assert waits == [3.0]


def test_a_rate_limit_longer_than_max_wait_is_left_to_the_next_tick() -> None:
    backend = ScriptedBackend(RateLimitedError("429", retry_after=600.0))
    with pytest.raises(RateLimitedError):
        run(backend, RetryPolicy(max_wait=60))
    assert len(backend.posted) == 1


@pytest.mark.parametrize(
    "error", [PermanentError("400"), ConfigurationError("SENDGRID_API_KEY: 401")]
)
def test_permanent_and_configuration_errors_are_not_retried(error: DeliveryError) -> None:
    backend = ScriptedBackend(error)
    with pytest.raises(type(error)):
        run(backend)
    assert len(backend.posted) == 1


def test_a_retry_sends_only_what_is_not_settled_yet() -> None:
    backend = ScriptedBackend(
        TransientError("connection lost", settled=[Accepted("d0", "first")]),
        TransientError("connection lost", settled=[Accepted("d1", "second")]),
    )
    outcomes, _ = run(backend)
    assert backend.posted == [["d0", "d1", "d2"], ["d1", "d2"], ["d2"]]
    assert outcomes == [Accepted("d0", "first"), Accepted("d1", "second"), Accepted("d2", "id")]


def test_when_tries_run_out_the_error_carries_everything_settled() -> None:
    backend = ScriptedBackend(
        TransientError("lost", settled=[Accepted("d0", "first")]),
        TransientError("lost again"),
    )
    with pytest.raises(TransientError) as caught:
        run(backend, RetryPolicy(tries=2))
    assert caught.value.settled == (Accepted("d0", "first"),)


def test_a_policy_needs_a_try() -> None:
    with pytest.raises(ValueError, match="at least one try"):
        RetryPolicy(tries=0)
