"""A sliding-window rate limiter kept in memory (one `drip serve` process serves the site).

Used for login failures (per address and per name) and sign-ups (per address). A limit
forgets a key once its window has passed, and the number of keys is capped so that a
flood of addresses cannot grow the process without bound.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_KEYS = 50_000


@dataclass
class RateLimiter:
    limit: int  # events allowed per window
    window: float  # seconds
    clock: Callable[[], float] = time.monotonic
    _events: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)

    def _recent(self, key: str) -> deque[float]:
        events = self._events.get(key)
        if events is None:
            return deque()
        horizon = self.clock() - self.window
        while events and events[0] <= horizon:
            events.popleft()
        if not events:
            del self._events[key]
        return events

    def retry_after(self, key: str) -> int:
        """Seconds until `key` may act again; 0 when it is under its limit now."""
        events = self._recent(key)
        if len(events) < self.limit:
            return 0
        return max(1, math.ceil(events[0] + self.window - self.clock()))

    def record(self, key: str) -> None:
        events = self._recent(key)
        events.append(self.clock())
        self._events[key] = events
        self._events.move_to_end(key)
        while len(self._events) > MAX_KEYS:
            self._events.popitem(last=False)

    def reset(self, key: str) -> None:
        self._events.pop(key, None)


@dataclass
class Limits:
    """The limits one web app enforces (tests build their own, with a clock they control)."""

    login_per_address: RateLimiter = field(default_factory=lambda: RateLimiter(20, 15 * 60))
    login_per_name: RateLimiter = field(default_factory=lambda: RateLimiter(5, 15 * 60))
    signup_per_address: RateLimiter = field(default_factory=lambda: RateLimiter(5, 10 * 60))
