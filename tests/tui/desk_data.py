"""Provides sessions and incidents for dashboard tests, shaped as the hub serves them."""

from __future__ import annotations

from typing import Any

from testday.console_client.messages import DeskChanged, IncidentDict, SessionDict
from tests.core.devices import NOW, PROFILE

LIMIT_S = 20 * 60.0  # the profile's pause rule
LEAD_S = 5 * 60.0


def make_session(
    session_id: str,
    name: str,
    rooms: tuple[str, ...] = ("112",),
    state: str = "scheduled",
    *,
    start: float = NOW + 3600,
    minutes: float = 60,
    started_at: float | None = None,
    paused_since: float | None = None,
    roster: dict[str, str] | None = None,
    sweep: dict[str, Any] | None = None,
    history: list[dict[str, Any]] | None = None,
) -> SessionDict:
    """A session dict with every key of the contract (messages.SessionDict)."""
    return {
        "id": session_id,
        "name": name,
        "profile": PROFILE.id,
        "rooms": list(rooms),
        "state": state,
        "scheduled_start": start,
        "scheduled_end": start + minutes * 60,
        "program": "State Assessment",
        "test": "ELA Grade 7",
        "grade": "7",
        "content_area": "ELA",
        "proctor": "Ms Rivera",
        "test_administrator": "Mr Chen",
        "roster": roster or {},
        "started_at": started_at,
        "paused_since": paused_since,
        "paused_total_s": 0.0,
        "pause_limit_s": LIMIT_S,
        "pause_lead_s": LEAD_S,
        "history": history or [],
        "sweep": sweep,
    }


def running(session_id: str = "s-ela", name: str = "ELA 7", **kw: Any) -> SessionDict:
    """Under way since 10 minutes ago, planned for an hour, c112-04 has student 1001."""
    roster = {"1001": "c112-04", "1002": "c112-01"}
    step = {"ts": NOW - 600, "action": "start", "from": "scheduled", "to": "in_progress",
            "actor": "rivera", "note": ""}  # fmt: skip
    defaults: dict[str, Any] = {
        "state": "in_progress", "start": NOW - 600, "started_at": NOW - 600,
        "roster": roster, "history": [step],
    }  # fmt: skip
    return make_session(session_id, name, **(defaults | kw))


def paused(since: float = NOW, **kw: Any) -> SessionDict:
    step = {"ts": since, "action": "pause", "from": "in_progress", "to": "paused",
            "actor": "rivera", "note": "fire drill"}  # fmt: skip
    session = running(state="paused", paused_since=since, **kw)
    session["history"] = [*session["history"], step]
    return session


def make_incident(
    incident_id: str, room: str = "112", *, at: float = NOW, **kw: Any
) -> IncidentDict:
    """An incident dict with every key of the contract (messages.IncidentDict)."""
    incident: IncidentDict = {
        "id": incident_id,
        "status": "open",
        "source": "dashboard",
        "category": "technical",
        "subcategory": "device_lost",
        "severity": "procedural",
        "room": room,
        "session_id": None,
        "devices": ["c112-04"],
        "students": ["1001"],
        "occurred_at": at,
        "created_at": at,
        "updated_at": at,
        "created_by": "rivera",
        "sequence": [
            {"at": at, "text": "c112-04 went offline"},
            {"at": at + 60, "text": "student 1001 moved to c112-02"},
        ],
        "action_taken": "",
        "requested_outcome": "none",
        "deadline": None,
    }
    return incident | kw


def desk(
    *sessions: SessionDict, incidents: tuple[IncidentDict, ...] = (), hub_time: float = NOW
) -> DeskChanged:
    return DeskChanged(list(sessions), list(incidents), hub_time)
