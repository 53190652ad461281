"""Provides the agent's own footprint: version, resident memory and CPU use between samples."""

from __future__ import annotations

import time

import psutil

import testday_agent
from testday_agent.protocol import AgentFacts

_MB = 1024 * 1024
# CPU time advances in scheduler ticks (10 ms on most systems): over a shorter window than this
# one tick reads as hundreds or thousands of percent, so a sample that soon repeats the last one.
MIN_WINDOW_S = 0.5


class SelfStats:
    """Samples this process; CPU percent is of one core, averaged since the previous sample."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self._last_cpu_s = self._cpu_seconds()
        self._last_wall_s = time.monotonic()
        self._percent: float | None = None  # None until a window of MIN_WINDOW_S has passed

    def _cpu_seconds(self) -> float:
        times = self._process.cpu_times()
        return times.user + times.system

    def sample(
        self, collect_ms: float | None = None, spool_depth: int = 0, spool_dropped: int = 0
    ) -> AgentFacts:
        facts = AgentFacts(
            version=testday_agent.__version__,
            collect_ms=None if collect_ms is None else round(collect_ms, 2),
            spool_depth=spool_depth,
            spool_dropped=spool_dropped,
        )
        try:
            facts.rss_mb = round(self._process.memory_info().rss / _MB, 1)
            cpu_s = self._cpu_seconds()
            wall_s = time.monotonic()
            elapsed = wall_s - self._last_wall_s
            if elapsed >= MIN_WINDOW_S:
                self._percent = round(max(0.0, cpu_s - self._last_cpu_s) / elapsed * 100, 2)
                self._last_cpu_s, self._last_wall_s = cpu_s, wall_s
            facts.cpu_percent = self._percent
        except psutil.Error:
            pass  # our own process is always readable; this only guards exotic sandboxes
        return facts
