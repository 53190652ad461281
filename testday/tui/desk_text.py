"""Provides the words for sessions and incidents: table cells and the lines of their details."""

from __future__ import annotations

from datetime import tzinfo

from testday.console_client.fleet_model import FleetModel
from testday.console_client.session_clock import readiness, session_clock, state_label
from testday.console_protocol.desk_views import IncidentView, SessionView
from testday.core.presentation import day_time, deadline_line, hm, hms, label, verdict_label
from testday.tui.formatting import clip

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


def session_cells(session: SessionView, now: float, tz: tzinfo | None) -> dict[str, str]:
    """Every column of one session's row, keyed like SESSION_COLUMNS."""
    return {
        "name": session.title,
        "rooms": ", ".join(session.rooms),
        "state": state_label(session),
        "clock": session_clock(session, now, tz),
        "readiness": readiness(session),
    }


def session_plan(session: SessionView, tz: tzinfo | None) -> str:
    def part(value: str) -> str:
        return value or "—"

    s = session
    return "\n".join(
        [
            f"program / test      {part(s.program)} / {part(s.test)}",
            f"grade · area        {part(s.grade)} · {part(s.content_area)}",
            f"proctor             {part(s.proctor)}",
            f"test administrator  {part(s.test_administrator)}",
            f"scheduled           {hm(s.scheduled_start, tz)}–{hm(s.scheduled_end, tz)}",
            f"rooms · profile     {', '.join(s.rooms)} · {part(s.profile)}",
        ]
    )


def session_sweep(session: SessionView, tz: tzinfo | None) -> str:
    """The readiness sweep's must-fix list, room by room, each with its runbook."""
    sweep = session.sweep
    if sweep is None:
        return "not checked yet: `c` runs the readiness sweep"
    head = f"checked {hms(sweep.checked_at, tz)}: "
    if sweep.ready:
        return head + "every device ready"
    lines = [head + f"{sweep.must_fix} devices to fix"]
    for room, devices in sweep.rooms.items():
        lines.append(f"room {room}")
        for device in devices:
            verdict = verdict_label(device.verdict)
            # A device without reasons still needs a line: its verdict says why.
            reasons = [(r.message, r.runbook) for r in device.reasons] or [(verdict, "")]
            for message, runbook in reasons:
                book = f"  (runbook {runbook})" if runbook else ""
                lines.append(f"  {device.name:<12} {verdict:<9} {message}{book}")
    return "\n".join(lines)


def session_roster(session: SessionView, model: FleetModel) -> str:
    if not session.roster:
        return "no students assigned"
    lines = []
    for entry in sorted(session.roster, key=lambda e: e.student):
        device = model.devices.get(entry.device_id)
        lines.append(f"{entry.student:<14} {device.name if device else entry.device_id}")
    return "\n".join(lines)


def session_history(session: SessionView, tz: tzinfo | None) -> str:
    lines = []
    for step in session.history:
        moved = f"{label(step.from_state)} → {label(step.to_state)}"
        note = f" — {step.note}" if step.note else ""
        who = step.actor or "?"
        lines.append(f"{hms(step.ts, tz)}  {step.action:<7} {moved}  by {who}{note}")
    return "\n".join(lines) or "no changes yet"


# --- incidents --------------------------------------------------------------------------------


def incident_cells(incident: IncidentView, tz: tzinfo | None) -> dict[str, str]:
    """Every column of one incident's row, keyed like INCIDENT_COLUMNS."""
    kind = f"{incident.category or '?'}/{incident.subcategory or '?'}"
    return {
        "time": hm(incident.when, tz),
        "id": incident.id,
        "room": incident.room or "—",
        "category": clip(label(kind), 28),
        "severity": incident.severity or "",
        "status": incident.status,
        "devices": str(len(incident.devices)),
        "source": incident.source,
    }


def incident_fields(incident: IncidentView, model: FleetModel, tz: tzinfo | None) -> str:
    """Every field of one incident, one per line."""
    i = incident
    devices = [model.devices[d].name if d in model.devices else d for d in i.devices]
    session = model.sessions.get(i.session_id or "")
    rows: list[tuple[str, str | None]] = [
        ("status", i.status),
        ("source", i.source),
        ("category", f"{i.category or '—'} / {i.subcategory or '—'}"),
        ("severity", i.severity),
        ("room", i.room),
        ("session", session.title if session else i.session_id),
        ("devices", ", ".join(devices)),
        ("students", ", ".join(i.students)),
        ("occurred", day_time(i.occurred_at, tz)),
        ("logged", f"{day_time(i.created_at, tz)} by {i.created_by or '?'}"),
        ("updated", day_time(i.updated_at, tz)),
        ("action taken", i.action_taken),
        ("outcome asked", i.requested_outcome),
        ("deadline", deadline_text(i, model.hub_now(), tz)),
    ]
    return "\n".join(f"{label:<14} {value or '—'}" for label, value in rows)


def deadline_text(incident: IncidentView, now: float, tz: tzinfo | None) -> str:
    """Each deadline clock of the site's rules: "file: due in 3 h (Tue 10:14)", "met", …"""
    parts = [deadline_line(d.label, d.due, d.met, now, tz) for d in incident.deadlines]
    return "; ".join(parts) or "—"


def incident_timeline(incident: IncidentView, tz: tzinfo | None) -> str:
    lines = [f"{hms(s.at, tz)}  {s.text}" for s in incident.sequence]
    return "\n".join(lines) or "no timeline drafted"
