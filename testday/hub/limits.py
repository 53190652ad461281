"""Provides token-bucket rate limits: handshakes, failed ones per address, messages per link."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


class TokenBucket:
    """Allows `rate` events per second on average, with bursts up to `burst`."""

    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._stamp = clock()

    def available(self) -> float:
        """Tokens there are now."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        return self._tokens

    def allow(self, cost: float = 1.0) -> bool:
        if self.available() >= cost:
            self._tokens -= cost
            return True
        return False


class FailureLimiter:
    """Failed attempts per address, each address its own token bucket; bounded in memory."""

    def __init__(
        self, rate: float, burst: float, kept: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate, self.burst, self.kept, self._clock = rate, burst, kept, clock
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def blocked(self, address: str) -> bool:
        """Whether ``address`` has failed too often lately to be heard at all."""
        bucket = self._buckets.get(address)
        return bucket is not None and bucket.available() < 1.0

    def failed(self, address: str) -> None:
        bucket = self._buckets.pop(address, None)
        if bucket is None:
            bucket = TokenBucket(self.rate, self.burst, self._clock)
            if len(self._buckets) >= self.kept:
                self._buckets.popitem(last=False)
        self._buckets[address] = bucket  # the most recent failure last
        bucket.allow()


@dataclass(frozen=True)
class Limits:
    """What one agent connection and the whole hub may do before being refused."""

    max_frame_bytes: int = 64 * 1024
    messages_per_s: float = 5.0  # an agent sends one report per interval, plus replay batches
    message_burst: float = 30.0
    bad_frames_before_close: int = 5
    handshakes_per_s: float = 500.0  # 10,000 agents back within 30 s needs ~340/s
    handshake_burst: float = 1000.0
    hello_timeout_s: float = 10.0
    # Failed handshakes per address: a guessing or misconfigured client is slowed on its own,
    # before it can spend the hub-wide budget that honest devices need.
    failures_per_s: float = 0.5
    failure_burst: float = 10.0
    failing_addresses_kept: int = 10_000  # the oldest is forgotten past this
