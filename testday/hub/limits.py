"""Provides token-bucket rate limits for handshakes and per-connection messages."""

from __future__ import annotations

import time
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

    def allow(self, cost: float = 1.0) -> bool:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= cost:
            self._tokens -= cost
            return True
        return False


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
