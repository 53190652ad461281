"""Tests the battery forecast: observed discharge, plug-in resets, the OS estimate fallback."""

from __future__ import annotations

import pytest

from testday.core.battery_forecast import forecast

NOW = 1_800_000_000.0


def draining(
    start_percent: float, per_min: float, minutes: int, step_s: float = 30.0
) -> list[tuple[float, float, bool]]:
    """Unplugged samples ending at NOW, losing per_min percentage points a minute."""
    count = int(minutes * 60 / step_s) + 1
    first = NOW - (count - 1) * step_s
    return [
        (first + i * step_s, start_percent - per_min * i * step_s / 60, False) for i in range(count)
    ]


def test_observed_rate_from_least_squares() -> None:
    """A steady 0.5 %/min drain over 10 minutes is measured as 0.5 %/min."""
    fc = forecast(draining(60, 0.5, 10), NOW, NOW + 3600, None)
    assert fc is not None
    assert fc.basis == "observed"
    assert fc.rate_per_min == pytest.approx(0.5)
    assert fc.percent_now == pytest.approx(55)
    assert fc.percent_at_end == pytest.approx(25)


def test_when_it_hits_a_threshold() -> None:
    """At 1 %/min from 30 %, 10 % is reached 20 minutes from now; 0 % after 30."""
    fc = forecast(draining(40, 1.0, 10), NOW, NOW + 3600, None)
    assert fc is not None
    assert fc.when_it_hits(10) == pytest.approx(NOW + 20 * 60)
    assert fc.when_it_hits(0) == pytest.approx(NOW + 30 * 60)
    assert fc.percent_at_end == 0.0  # clamped, never negative


def test_plug_in_resets_the_run() -> None:
    """Readings before a plug-in are ignored: only the run after it counts."""
    before = [(t - 600, p - 20, False) for t, p, _ in draining(90, 2.0, 5)]  # steep, old
    plug = [(NOW - 290, 50.0, True)]
    after = [(NOW - 240 + i * 60, 50.0 - i * 0.25, False) for i in range(5)]  # 0.25 %/min
    fc = forecast(before + plug + after, NOW, NOW + 3600, None)
    assert fc is not None
    assert fc.rate_per_min == pytest.approx(0.25)


def test_plugged_now_gives_no_forecast() -> None:
    """A device whose latest reading is on AC power has nothing to forecast."""
    samples = [*draining(80, 1.0, 5), (NOW, 75.0, True)]
    assert forecast(samples, NOW, NOW + 3600, 120) is None


def test_old_samples_outside_window_are_ignored() -> None:
    """Readings older than 30 minutes do not count, so a lone recent one falls back to the OS."""
    old = [(NOW - 3600, 90.0, False), (NOW - 3000, 85.0, False)]
    samples = [*old, (NOW, 50.0, False)]
    fc = forecast(samples, NOW, NOW + 3600, 100)
    assert fc is not None
    assert fc.basis == "os_estimate"
    assert fc.rate_per_min == pytest.approx(0.5)


def test_short_span_falls_back_to_os_estimate() -> None:
    """Two samples 30 s apart are too little to measure: the OS's minutes-left is used."""
    samples = [(NOW - 30, 41.0, False), (NOW, 40.0, False)]
    fc = forecast(samples, NOW, NOW + 3600, 80)
    assert fc is not None
    assert fc.basis == "os_estimate"
    assert fc.rate_per_min == pytest.approx(0.5)
    assert fc.percent_at_end == pytest.approx(10)


def test_nothing_to_go_on() -> None:
    """No usable span and no OS estimate: no forecast rather than a guess."""
    assert forecast([(NOW, 40.0, False)], NOW, NOW + 3600, None) is None
    assert forecast([(NOW, 40.0, False)], NOW, NOW + 3600, 0) is None
    assert forecast([], NOW, NOW + 3600, 60) is None


def test_charging_or_flat_is_not_draining() -> None:
    """A rising fit is a rate of 0: the charge is forecast to hold, never to grow."""
    rising = [(NOW - 120 + i * 30, 50.0 + i, False) for i in range(5)]
    fc = forecast(rising, NOW, NOW + 3600, None)
    assert fc is not None
    assert fc.rate_per_min == 0.0
    assert fc.percent_at_end == pytest.approx(54)
    assert fc.when_it_hits(10) is None


def test_unsorted_samples() -> None:
    """Samples arriving out of order are sorted by time before fitting."""
    samples = draining(60, 0.5, 10)
    fc = forecast(list(reversed(samples)), NOW, NOW + 3600, None)
    assert fc is not None
    assert fc.rate_per_min == pytest.approx(0.5)
