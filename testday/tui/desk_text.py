"""Provides the words for sessions and incidents: table cells and the lines of their details."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from testday.console_client.fleet_model import FleetModel, name_of
from testday.console_client.messages import IncidentDict, SessionDict
from testday.console_client.session_clock import readiness, session_clock, session_name, state_label
from testday.core.reasons import duration
from testday.tui.formatting import VERDICT_LABEL, clip, hms

# (key, label, width): fixed widths, so a changing clock never makes DataTable re-measure.
SESSION_COLUMNS = (
    ("name", "Session", 20),
    ("rooms", "Rooms", 12),
    ("state", "State", 11),
    ("clock", "Clock", 31),
    ("readiness", "Readiness", 9),
)
INCIDENT_COLUMNS = (
    ("time", "Time", 5),
    ("id", "Id", 10),
    ("room", "Room", 8),
    ("category", "Category", 28),
    ("severity", "Severity", 10),
    ("status", "Status", 8),
    ("devices", "Dev", 3),
    ("source", "Source", 9),
)


def hm(ts: float | None, tz: tzinfo | None) -> str:
    return datetime.fromtimestamp(ts, tz).strftime("%H:%M") if ts is not None else "—"


def session_cells(session: SessionDict, now: float, tz: tzinfo | None) -> dict[str, str]:
    """Every column of one session's row, keyed like SESSION_COLUMNS."""
    return {
        "name": session_name(session),
        "rooms": ", ".join(session.get("rooms") or ()),
        "state": state_label(session),
        "clock": session_clock(session, now, tz),
        "readiness": readiness(session),
    }


def session_plan(session: SessionDict, tz: tzinfo | None) -> str:
    def part(key: str) -> str:
        return str(session.get(key) or "—")

    start, end = session.get("scheduled_start"), session.get("scheduled_end")
    return "\n".join(
        [
            f"program / test      {part('program')} / {part('test')}",
            f"grade · area        {part('grade')} · {part('content_area')}",
            f"proctor             {part('proctor')}",
            f"test administrator  {part('test_administrator')}",
            f"scheduled           {hm(start, tz)}–{hm(end, tz)}",
            f"rooms · profile     {', '.join(session.get('rooms') or ())} · {part('profile')}",
        ]
    )


def session_sweep(session: SessionDict, tz: tzinfo | None) -> str:
    """The readiness sweep's must-fix list, room by room, each with its runbook."""
    sweep = session.get("sweep")
    if not sweep:
        return "not checked yet: `c` runs the readiness sweep"
    head = f"checked {hms(sweep.get('checked_at', 0.0), tz)}: "
    if sweep.get("ready"):
        return head + "every device ready"
    lines = [head + f"{sweep.get('must_fix', 0)} devices to fix"]
    for room, devices in (sweep.get("rooms") or {}).items():
        lines.append(f"room {room}")
        for device in devices:
            verdict = VERDICT_LABEL.get(device.get("verdict", ""), device.get("verdict", "?"))
            name = device.get("hostname") or device.get("device_id", "?")
            for r in device.get("reasons") or [{"message": verdict, "runbook": ""}]:
                runbook = f"  (runbook {r['runbook']})" if r.get("runbook") else ""
                lines.append(f"  {name:<12} {verdict:<9} {r.get('message', '')}{runbook}")
    return "\n".join(lines)


def session_roster(session: SessionDict, model: FleetModel) -> str:
    roster: dict[str, str] = session.get("roster") or {}
    if not roster:
        return "no students assigned"
    lines = []
    for student, device_id in sorted(roster.items()):
        device = model.devices.get(device_id)
        lines.append(f"{student:<14} {name_of(device) if device else device_id}")
    return "\n".join(lines)


def session_history(session: SessionDict, tz: tzinfo | None) -> str:
    lines = []
    for step in session.get("history") or ():
        moved = f"{step.get('from', '?')} → {step.get('to', '?')}".replace("_", " ")
        note = f" — {step['note']}" if step.get("note") else ""
        who = step.get("actor") or "?"
        lines.append(
            f"{hms(step.get('ts', 0.0), tz)}  {step.get('action', '?'):<7} {moved}  by {who}{note}"
        )
    return "\n".join(lines) or "no changes yet"


# --- incidents --------------------------------------------------------------------------------


def incident_time(incident: IncidentDict) -> float:
    return float(incident.get("occurred_at") or incident.get("created_at") or 0.0)


def incident_cells(incident: IncidentDict, tz: tzinfo | None) -> dict[str, str]:
    """Every column of one incident's row, keyed like INCIDENT_COLUMNS."""
    kind = f"{incident.get('category', '?')}/{incident.get('subcategory', '?')}"
    return {
        "time": hm(incident_time(incident), tz),
        "id": str(incident.get("id", "")),
        "room": str(incident.get("room") or "—"),
        "category": clip(kind.replace("_", " "), 28),
        "severity": str(incident.get("severity") or ""),
        "status": str(incident.get("status") or ""),
        "devices": str(len(incident.get("devices") or ())),
        "source": str(incident.get("source") or ""),
    }


def incident_fields(incident: IncidentDict, model: FleetModel, tz: tzinfo | None) -> str:
    """Every field of one incident, one per line."""

    def when(key: str) -> str:
        ts = incident.get(key)
        return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M:%S") if ts else "—"

    devices = [
        name_of(model.devices[d]) if d in model.devices else d
        for d in incident.get("devices") or ()
    ]
    session_id = incident.get("session_id")
    session = model.sessions.get(session_id or "")
    rows: list[tuple[str, Any]] = [
        ("status", incident.get("status")),
        ("source", incident.get("source")),
        ("category", f"{incident.get('category')} / {incident.get('subcategory')}"),
        ("severity", incident.get("severity")),
        ("room", incident.get("room")),
        ("session", session_name(session) if session else session_id),
        ("devices", ", ".join(devices)),
        ("students", ", ".join(incident.get("students") or ())),
        ("occurred", when("occurred_at")),
        ("logged", f"{when('created_at')} by {incident.get('created_by') or '?'}"),
        ("updated", when("updated_at")),
        ("action taken", incident.get("action_taken")),
        ("outcome asked", incident.get("requested_outcome")),
        ("deadline", deadline_text(incident, model.hub_now(), tz)),
    ]
    return "\n".join(
        f"{label:<14} {value if value not in (None, '') else '—'}" for label, value in rows
    )


def deadline_text(incident: IncidentDict, now: float, tz: tzinfo | None) -> str:
    """Each deadline clock of the site's rules: "file: due in 3 h (Tue 10:14)", "met", …"""
    parts = []
    for clock in incident.get("deadlines") or ():
        due = float(clock["due"])
        at = datetime.fromtimestamp(due, tz).strftime("%a %H:%M")
        if clock.get("met"):
            state = "met"
        elif now >= due:
            state = f"overdue by {duration(now - due)} ({at})"
        else:
            state = f"due in {duration(due - now)} ({at})"
        parts.append(f"{clock.get('label', 'deadline')}: {state}")
    return "; ".join(parts) or "—"


def incident_timeline(incident: IncidentDict, tz: tzinfo | None) -> str:
    lines = [
        f"{hms(s.get('at', 0.0), tz)}  {s.get('text', '')}" for s in incident.get("sequence") or ()
    ]
    return "\n".join(lines) or "no timeline drafted"
