"""Provides the words and numbers shown to people: verdicts, batteries, times, ages, deadlines.

One home for them, so the dashboard, the command line and the exports say the same thing the
same way. Plain values in, text out: no view or record type is needed to use them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from testday_agent.protocol import AppFacts, BatteryFacts, NetworkFacts

# --- verdicts -----------------------------------------------------------------------------------

VERDICTS = ("offline", "not_ready", "warning", "ready")  # worst first: the problems-first order
VERDICT_RANK = {verdict: rank for rank, verdict in enumerate(VERDICTS)}
VERDICT_LABEL = {
    "offline": "offline",
    "not_ready": "not ready",
    "warning": "warning",
    "ready": "ready",
    "empty": "no devices",  # a room with none
}


def label(code: str) -> str:
    """A stable code in words: "in_progress" → "in progress", "not_ready" → "not ready"."""
    return code.replace("_", " ")


def verdict_label(status: str) -> str:
    """ "not ready", "offline", "no devices" (an empty room), …"""
    return VERDICT_LABEL.get(status, label(status))


# --- times ----------------------------------------------------------------------------------------


def duration(seconds: float) -> str:
    """``45 s``, ``7 min``, ``2 h 5 min`` (the sign is dropped: say "ago" or "left" around it)."""
    seconds = abs(seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes} min"


def hhmm(ts: float, tz: tzinfo | None) -> str:
    """A hub timestamp as HH:MM in ``tz`` (None: the host's local time)."""
    return datetime.fromtimestamp(ts, tz).strftime("%H:%M")


def hm(ts: float | None, tz: tzinfo | None) -> str:
    """HH:MM, or a dash for a time not known."""
    return hhmm(ts, tz) if ts is not None else "—"


def hms(ts: float, tz: tzinfo | None) -> str:
    return datetime.fromtimestamp(ts, tz).strftime("%H:%M:%S")


def day_minute(ts: float, tz: tzinfo | None = None) -> str:
    """ "2027-04-13 10:14", in ``tz`` (None: the host's local time)."""
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M")


DAY_TIME = "%Y-%m-%d %H:%M:%S"


def day_time(ts: float | None, tz: tzinfo | None) -> str:
    """ "2027-04-13 10:14:05", or a dash."""
    return datetime.fromtimestamp(ts, tz).strftime(DAY_TIME) if ts else "—"


def recorded_at(moment: datetime | None, missing: str = "") -> str:
    """A recorded moment as "2027-04-13 10:14:05", in the zone it was recorded in."""
    return moment.strftime(DAY_TIME) if moment else missing


def age(last_seen: float | None, now: float) -> str:
    """How long ago, sized for a table cell: "4s ago", "12m ago", "1.5h ago", "never"."""
    if last_seen is None:
        return "never"
    seconds = max(0.0, now - last_seen)
    if seconds < 90:
        return f"{seconds:.0f}s ago"
    if seconds < 5400:
        return f"{seconds / 60:.0f}m ago"
    return f"{seconds / 3600:.1f}h ago"


def megabytes(value: float) -> str:
    return f"{value:,.0f} MB"


# --- what a device reported -----------------------------------------------------------------------


def battery_text(battery: BatteryFacts | None) -> str:
    """ "40%", "40% AC", "none" (a desktop), "?" (not reported)."""
    if battery is None:
        return "?"
    if not battery.present:
        return "none"
    text = f"{battery.percent:.0f}%" if battery.percent is not None else "?"
    return text + (" AC" if battery.plugged else "")


def app_text(apps: Sequence[AppFacts]) -> str:
    """The first checked app's version, "missing", or "-" when no app is checked."""
    if not apps:
        return "-"
    app = apps[0]
    if not app.installed:
        return "missing"
    return app.version or "?"


def latency_text(network: NetworkFacts | None) -> str:
    """The slowest answering endpoint's connect time, "down" when none answers, "-" unprobed."""
    endpoints = network.endpoints if network is not None else []
    if not endpoints:
        return "-"
    times = [e.connect_ms for e in endpoints if e.ok and e.connect_ms is not None]
    return f"{max(times):.0f}ms" if times else "down"


# --- deadlines ------------------------------------------------------------------------------------


def _span(seconds: float) -> str:
    # Filing deadlines run to two weeks: past two days, whole days read best.
    return f"{seconds // 86400:.0f} d" if seconds >= 2 * 86400 else duration(seconds)


def deadline_state(due: float, met: bool, now: float) -> str:
    """ "met", "due in 3 h 0 min", "overdue by 45 min", "due in 12 d": one clock at ``now``."""
    if met:
        return "met"
    if now >= due:
        return f"overdue by {_span(now - due)}"
    return f"due in {_span(due - now)}"


def deadline_line(label: str, due: float, met: bool, now: float, tz: tzinfo | None) -> str:
    """ "file: due in 3 h 0 min (Tue 10:14)", "notify: met"."""
    state = deadline_state(due, met, now)
    if met:
        return f"{label}: {state}"
    return f"{label}: {state} ({datetime.fromtimestamp(due, tz):%a %H:%M})"
