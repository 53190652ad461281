"""Provides a session's clock in words and the warning for a pause running past its rule."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo
from typing import Literal

from testday.console_client.messages import SessionDict
from testday.core.reasons import duration, hhmm
from testday.core.sessions import DEFAULT_PAUSE_LEAD_S, DEFAULT_PAUSE_LIMIT_MIN, PauseAlert

STATE_LABEL = {
    "scheduled": "scheduled",
    "checking": "checking",
    "in_progress": "in progress",
    "paused": "paused",
    "completed": "completed",
    "cancelled": "cancelled",
}
UNDER_WAY = ("in_progress", "paused")


# The core's record, built here from the hub's dict: the dashboard runs the clock itself.
PauseWarning = PauseAlert


def session_name(session: SessionDict) -> str:
    return str(session.get("name") or session["id"])


def state_label(session: SessionDict) -> str:
    state = str(session.get("state") or "")
    return STATE_LABEL.get(state, state.replace("_", " "))


def pause_limit_s(session: SessionDict) -> float:
    limit = session.get("pause_limit_s")
    return float(limit) if limit is not None else DEFAULT_PAUSE_LIMIT_MIN * 60.0


def pause_lead_s(session: SessionDict) -> float:
    lead = session.get("pause_lead_s")
    return float(lead) if lead is not None else float(DEFAULT_PAUSE_LEAD_S)


def entered_at(session: SessionDict, state: str) -> float | None:
    """When the session's history last entered ``state``."""
    history = session.get("history") or ()
    return next((float(t["ts"]) for t in reversed(history) if t.get("to") == state), None)


def time_left(session: SessionDict, now: float) -> float:
    """Testing time left of the planned length; pauses do not count against it."""
    start, end = session.get("scheduled_start"), session.get("scheduled_end")
    started = session.get("started_at")
    if start is None or end is None:
        return 0.0
    if started is None:
        return float(end) - now
    paused = float(session.get("paused_total_s") or 0.0)
    return (float(end) - float(start)) - (now - float(started) - paused)


def clock_parts(session: SessionDict, now: float, tz: tzinfo | None = None) -> tuple[str, str]:
    """(what, when): ("in progress", "42 min left"), ("paused 6 min", "resume by 10:52"), …"""
    state = str(session.get("state") or "")
    if state in ("scheduled", "checking"):
        start = session.get("scheduled_start")
        if start is None:
            return state, "not scheduled"
        if now <= float(start):
            return state, f"starts {hhmm(float(start), tz)}"
        return state, f"due {hhmm(float(start), tz)} · {duration(now - float(start))} late"
    if state == "in_progress":
        left = time_left(session, now)
        return "in progress", f"{duration(left)} {'left' if left >= 0 else 'over'}"
    if state == "paused":
        since = session.get("paused_since")
        if since is None:
            return "paused", ""
        deadline = float(since) + pause_limit_s(session)
        what = f"paused {duration(now - float(since))}"
        if now < deadline:
            return what, f"resume by {hhmm(deadline, tz)}"
        return what, f"limit passed {hhmm(deadline, tz)}"
    if state in ("completed", "cancelled"):
        ended = entered_at(session, state)
        return state, hhmm(ended, tz) if ended is not None else ""
    return state_label(session), ""


def session_clock(session: SessionDict, now: float, tz: tzinfo | None = None) -> str:
    """ "in progress · 42 min left", "paused 6 min · resume by 10:52", "starts 09:00", …"""
    what, when = clock_parts(session, now, tz)
    state = session.get("state")
    if state == "scheduled":
        return when
    if state in ("completed", "cancelled"):
        return f"{what} {when}".strip()
    return " · ".join(part for part in (what, when) if part)


def pause_warning(
    session: SessionDict, now: float, tz: tzinfo | None = None
) -> PauseWarning | None:
    """A warning ``pause_lead_s`` before a pause breaks its rule, "expired" once it has."""
    since = session.get("paused_since")
    if session.get("state") != "paused" or since is None:
        return None
    since = float(since)
    limit = pause_limit_s(session)
    deadline = since + limit
    remaining = deadline - now
    if remaining > pause_lead_s(session):
        return None
    head = f"Session {session_name(session)} paused since {hhmm(since, tz)}"
    rule = f"a pause over {duration(limit)} blocks review of answered items"
    level: Literal["warning", "expired"]
    if remaining > 0:
        level = "warning"
        text = f"{head}: resume by {hhmm(deadline, tz)} ({duration(remaining)} left) — {rule}"
    else:
        level = "expired"
        text = f"{head}: pause limit passed at {hhmm(deadline, tz)} — {rule}"
    rooms = tuple(session.get("rooms") or ())
    return PauseWarning(session["id"], level, since, deadline, remaining, text, rooms)


def pause_warnings(
    sessions: Iterable[SessionDict], now: float, tz: tzinfo | None = None
) -> dict[str, PauseWarning]:
    """Every paused session's warning, the most urgent first (expired, then least time left)."""
    found = [w for s in sessions if (w := pause_warning(s, now, tz)) is not None]
    found.sort(key=lambda w: (w.remaining_s, w.session_id))
    return {w.session_id: w for w in found}


def readiness(session: SessionDict) -> str:
    """The readiness sweep in one word: "ready", "3 to fix", or "—" before any sweep."""
    sweep = session.get("sweep")
    if not sweep:
        return "—"
    if sweep.get("ready"):
        return "ready"
    return f"{sweep.get('must_fix', 0)} to fix"
