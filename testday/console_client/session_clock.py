"""Provides a session's clock in words and the warning for a pause running past its rule."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo
from typing import Literal

from testday.console_protocol.desk_views import SessionView
from testday.core.presentation import duration, hhmm, label
from testday.core.sessions import PauseAlert

UNDER_WAY = ("in_progress", "paused")


# The core's record, built here from the hub's session view: the dashboard runs the clock.
PauseWarning = PauseAlert


def state_label(session: SessionView) -> str:
    """ "in progress", "paused", …"""
    return label(session.state)


def entered_at(session: SessionView, state: str) -> float | None:
    """When the session's history last entered ``state``."""
    return next((t.ts for t in reversed(session.history) if t.to_state == state), None)


def time_left(session: SessionView, now: float) -> float:
    """Testing time left of the planned length; pauses do not count against it."""
    start, end, started = session.scheduled_start, session.scheduled_end, session.started_at
    if started is None:
        return end - now
    return (end - start) - (now - started - session.paused_total_s)


def clock_parts(session: SessionView, now: float, tz: tzinfo | None = None) -> tuple[str, str]:
    """(what, when): ("in progress", "42 min left"), ("paused 6 min", "resume by 10:52"), …"""
    state = session.state
    if state in ("scheduled", "checking"):
        start = session.scheduled_start
        if now <= start:
            return state, f"starts {hhmm(start, tz)}"
        return state, f"due {hhmm(start, tz)} · {duration(now - start)} late"
    if state == "in_progress":
        left = time_left(session, now)
        return "in progress", f"{duration(left)} {'left' if left >= 0 else 'over'}"
    if state == "paused":
        since = session.paused_since
        if since is None:
            return "paused", ""
        deadline = since + session.pause_limit_s
        what = f"paused {duration(now - since)}"
        if now < deadline:
            return what, f"resume by {hhmm(deadline, tz)}"
        return what, f"limit passed {hhmm(deadline, tz)}"
    if state in ("completed", "cancelled"):
        ended = entered_at(session, state)
        return state, hhmm(ended, tz) if ended is not None else ""
    return state_label(session), ""


def session_clock(session: SessionView, now: float, tz: tzinfo | None = None) -> str:
    """ "in progress · 42 min left", "paused 6 min · resume by 10:52", "starts 09:00", …"""
    what, when = clock_parts(session, now, tz)
    state = session.state
    if state == "scheduled":
        return when
    if state in ("completed", "cancelled"):
        return f"{what} {when}".strip()
    return " · ".join(part for part in (what, when) if part)


def pause_warning(
    session: SessionView, now: float, tz: tzinfo | None = None
) -> PauseWarning | None:
    """A warning ``pause_lead_s`` before a pause breaks its rule, "expired" once it has."""
    since = session.paused_since
    if session.state != "paused" or since is None:
        return None
    limit = session.pause_limit_s
    deadline = since + limit
    remaining = deadline - now
    if remaining > session.pause_lead_s:
        return None
    head = f"Session {session.title} paused since {hhmm(since, tz)}"
    rule = f"a pause over {duration(limit)} blocks review of answered items"
    level: Literal["warning", "expired"]
    if remaining > 0:
        level = "warning"
        text = f"{head}: resume by {hhmm(deadline, tz)} ({duration(remaining)} left) — {rule}"
    else:
        level = "expired"
        text = f"{head}: pause limit passed at {hhmm(deadline, tz)} — {rule}"
    return PauseWarning(session.id, level, since, deadline, remaining, text, session.rooms)


def pause_warnings(
    sessions: Iterable[SessionView], now: float, tz: tzinfo | None = None
) -> dict[str, PauseWarning]:
    """Every paused session's warning, the most urgent first (expired, then least time left)."""
    found = [w for s in sessions if (w := pause_warning(s, now, tz)) is not None]
    found.sort(key=lambda w: (w.remaining_s, w.session_id))
    return {w.session_id: w for w in found}


def readiness(session: SessionView) -> str:
    """The readiness sweep in one word: "ready", "3 to fix", or "—" before any sweep."""
    sweep = session.sweep
    if sweep is None:
        return "—"
    if sweep.ready:
        return "ready"
    return f"{sweep.must_fix} to fix"
