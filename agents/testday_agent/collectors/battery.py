"""Provides the battery collector: charge, whether plugged in, and the estimated time left."""

from __future__ import annotations

import psutil

from testday_agent.protocol import BatteryFacts

# psutil reports these sentinels instead of a number of seconds.
_NO_ESTIMATE = {psutil.POWER_TIME_UNLIMITED, psutil.POWER_TIME_UNKNOWN}


def read_battery() -> tuple[float, bool | None, float | None] | None:
    """(percent, plugged, seconds left) or None when the device has no battery."""
    sensors = getattr(psutil, "sensors_battery", None)
    if sensors is None:  # platforms where psutil has no battery support at all
        return None
    battery = sensors()
    if battery is None:
        return None
    secs = battery.secsleft
    seconds_left = None if secs in _NO_ESTIMATE or secs is None or secs < 0 else float(secs)
    return float(battery.percent), battery.power_plugged, seconds_left


def collect_battery() -> BatteryFacts:
    """Battery facts; a desktop without a battery is present=False, not an error."""
    reading = read_battery()
    if reading is None:
        return BatteryFacts(present=False)
    percent, plugged, seconds_left = reading
    return BatteryFacts(
        present=True,
        percent=round(percent, 1),
        plugged=plugged,
        minutes_left=None if seconds_left is None else round(seconds_left / 60, 1),
    )
