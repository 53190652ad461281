"""Provides the session, sweep and incident dicts the hub serves (console_client.messages)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from testday.core.fleet import Device
from testday.core.incident_deadlines import DeadlineRule, deadline
from testday.core.incidents import Incident
from testday.core.profile import Profile
from testday.core.readiness_sweep import SweepResult
from testday.core.sessions import (
    DEFAULT_PAUSE_LEAD_S,
    DEFAULT_PAUSE_LIMIT_MIN,
    Session,
    Transition,
    pause_limit_s,
)

# What `testday incident add` stores as its source; the dashboard knows it as "cli".
_SOURCE_NAMES = {"manual": "cli"}


def session_json(
    session: Session, profile: Profile | None, sweep: dict[str, Any] | None
) -> dict[str, Any]:
    """One SessionDict; ``profile`` None (not loaded here) falls back to the default pause rule."""
    limit = pause_limit_s(profile) if profile else DEFAULT_PAUSE_LIMIT_MIN * 60.0
    last = session.history[-1].ts if session.history else session.scheduled_start
    return {
        "id": session.id,
        "name": session.name,
        "profile": session.profile_id,
        "rooms": list(session.rooms),
        "state": session.state,
        "scheduled_start": session.scheduled_start,
        "scheduled_end": session.scheduled_end,
        "program": session.program,
        "test": session.test,
        "grade": session.grade,
        "content_area": session.content_area,
        "proctor": session.proctor,
        "test_administrator": session.test_administrator,
        "roster": session.current_roster,
        "started_at": next((t.ts for t in session.history if t.action == "start"), None),
        "paused_since": session.paused_since,
        # Pauses ended by the last transition; the dashboard adds an open one from paused_since,
        # so this dict only changes when the session does.
        "paused_total_s": session.paused_seconds(last),
        "pause_limit_s": limit,
        "pause_lead_s": float(DEFAULT_PAUSE_LEAD_S),
        "history": [_step(t) for t in session.history],
        "sweep": sweep,
    }


def _step(t: Transition) -> dict[str, Any]:
    return {"ts": t.ts, "action": t.action, "from": t.from_state, "to": t.to_state,
            "actor": t.actor, "note": t.note}  # fmt: skip


def sweep_json(result: SweepResult, devices: Mapping[str, Device]) -> dict[str, Any]:
    """The sweep as SessionDict's ``sweep``: only the devices that must be fixed, by room.

    ``unseen_roster`` (an addition to the documented shape) lists rostered devices not seen in the
    session's rooms; they count in ``must_fix`` as the CLI's check counts them.
    """
    rooms: dict[str, list[dict[str, Any]]] = {}
    for room in result.rooms:
        rooms[room.room] = [
            {
                "device_id": fix.device_id,
                "hostname": fix.hostname,
                "verdict": fix.status,
                "reasons": [
                    {"code": r.code, "message": r.message, "runbook": r.runbook}
                    for r in fix.reasons
                ],
            }
            for fix in room.must_fix
        ]
    unseen = [
        {
            "student": student,
            "device_id": device_id,
            "hostname": devices[device_id].hostname if device_id in devices else None,
            "room": devices[device_id].room if device_id in devices else None,
        }
        for student, device_id in result.unseen_roster
    ]
    return {
        "checked_at": result.checked_at,
        "ready": result.ready,
        "must_fix": len(result.must_fix) + len(result.unseen_roster),
        "rooms": rooms,
        "unseen_roster": unseen,
    }


def same_sweep(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """Equal but for when it was taken: a re-sweep that finds the same is no change."""
    if a is None or b is None:
        return a is b
    return {**a, "checked_at": 0} == {**b, "checked_at": 0}


def _epoch(value: Any) -> float | None:
    return value.timestamp() if value is not None else None


def incident_json(incident: Incident, rules: tuple[DeadlineRule, ...] = ()) -> dict[str, Any]:
    """One IncidentDict; ``rules`` are the site's deadline rules (the dashboard runs the clock)."""
    source = incident.source or "cli"
    # Due times and whether each is met do not depend on "now", so the dict changes only when
    # the incident does; the dashboard says "due in 3 h" or "overdue" with its own clock.
    clocks = [deadline(incident, rule, incident.updated_at) for rule in rules]
    unmet = [c.due.timestamp() for c in clocks if not c.met]
    return {
        "id": incident.id,
        "status": incident.status,
        "source": _SOURCE_NAMES.get(source, source),
        "category": incident.category,
        "subcategory": incident.subcategory,
        "severity": incident.severity,
        "room": incident.room,
        "session_id": incident.session_id,
        "devices": [d.device_id for d in incident.devices],
        "students": [s.state_id for s in incident.affected_students],
        "occurred_at": _epoch(incident.occurred_at),
        "created_at": incident.created_at.timestamp(),
        "updated_at": incident.updated_at.timestamp(),
        "created_by": incident.created_by,
        "sequence": [{"at": line.at.timestamp(), "text": line.text} for line in incident.sequence],
        "action_taken": incident.action_taken,
        "requested_outcome": incident.requested_outcome,
        "deadline": min(unmet, default=None),
        "deadlines": [{"label": c.label, "due": c.due.timestamp(), "met": c.met} for c in clocks],
    }
