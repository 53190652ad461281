"""Provides the battery forecast: will this device's charge last until the test ends?

Samples are ``(hub_timestamp_s, percent, plugged)`` from recent reports, on the hub's clock. Only
the latest unplugged run inside the last 30 minutes counts: a plug-in resets the discharge curve,
and older readings describe a different workload. The rate is a least-squares fit over that run;
with too little of it (fewer than 2 samples, or under 60 s) the OS's own minutes-left estimate is
used instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

WINDOW_S = 30 * 60
MIN_SPAN_S = 60.0


@dataclass(frozen=True)
class Forecast:
    """A straight-line discharge from the latest reading; ``rate_per_min`` > 0 means draining."""

    rate_per_min: float  # percentage points lost per minute (0 when not draining)
    percent_now: float  # the latest reading the line starts from
    at: float  # hub timestamp of that reading
    until: float  # hub timestamp the charge must last to
    basis: Literal["observed", "os_estimate"]

    @property
    def percent_at_end(self) -> float:
        """Charge expected at ``until``, never below 0."""
        minutes = max(0.0, self.until - self.at) / 60.0
        return max(0.0, self.percent_now - self.rate_per_min * minutes)

    def when_it_hits(self, threshold: float) -> float | None:
        """Hub timestamp the charge reaches ``threshold`` %; None if it is not draining."""
        if self.percent_now <= threshold:
            return self.at
        if self.rate_per_min <= 0:
            return None
        return self.at + (self.percent_now - threshold) / self.rate_per_min * 60.0


def _latest_unplugged_run(
    samples: Sequence[tuple[float, float, bool]], now: float
) -> list[tuple[float, float]]:
    recent = sorted(s for s in samples if now - WINDOW_S <= s[0] <= now)
    run: list[tuple[float, float]] = []
    for ts, percent, plugged in reversed(recent):
        if plugged:
            break  # charging since then: earlier readings belong to another curve
        run.append((ts, percent))
    run.reverse()
    return run


def _slope_per_s(points: Sequence[tuple[float, float]]) -> float:
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_p = sum(p for _, p in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    cov = sum((t - mean_t) * (p - mean_p) for t, p in points)
    return cov / var


def forecast(
    samples: Sequence[tuple[float, float, bool]],
    now: float,
    until: float,
    minutes_left: float | None,
) -> Forecast | None:
    """Forecast the charge at ``until``; None when on AC power or nothing can be said."""
    run = _latest_unplugged_run(samples, now)
    if not run:
        return None  # no readings, or the latest one is on AC power
    at, percent_now = run[-1]
    if len(run) >= 2 and run[-1][0] - run[0][0] >= MIN_SPAN_S:
        # A rising or flat fit (noise, a brief charge) is "not draining", never a negative rate.
        rate = max(0.0, -_slope_per_s(run) * 60.0)
        return Forecast(rate, percent_now, at, until, "observed")
    if minutes_left is not None and minutes_left > 0:
        return Forecast(percent_now / minutes_left, percent_now, at, until, "os_estimate")
    return None
