"""Provides the checks and field building behind the dashboard's requests (REQUEST_OPS)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from testday.console_client.messages import RequestError
from testday.core.incident_fields import TimedLine, check_text
from testday.core.timeline import draft_timeline
from testday.hub.desk_drafts import context_fields, device_refs, state_ids

if TYPE_CHECKING:
    from testday.hub.session_desk import SessionDesk

MANUAL_DRAFT_S = 15 * 60.0  # a dashboard incident drafts its devices' events this far back
SESSION_ARGS = {"session_id", "action", "note"}
INCIDENT_ARGS = {"category", "subcategory", "severity", "room", "description", "devices",
                 "students", "session_id"}  # fmt: skip
INCIDENT_REQUIRED = ("category", "subcategory", "severity", "room", "description")


def session_action_args(args: dict[str, Any]) -> tuple[str, str, str]:
    """(session id, action, note) of a session.action request."""
    known_args("session.action", args, SESSION_ARGS)
    note = args.get("note") or ""
    if not isinstance(note, str):
        raise RequestError(f"session.action: note must be text, got {note!r}")
    return (
        text_arg("session.action", args, "session_id"),
        text_arg("session.action", args, "action"),
        note,
    )


def manual_incident(desk: SessionDesk, args: dict[str, Any]) -> tuple[datetime, dict[str, Any]]:
    """When and the ``created`` fields of an incident.add request (IncidentLog checks them)."""
    known_args("incident.add", args, INCIDENT_ARGS)
    for name in INCIDENT_REQUIRED:
        if args.get(name) in (None, ""):
            raise RequestError(f"incident.add needs {name}")
    description = check_text("description", args["description"])
    room = check_text("room", args["room"])
    device_ids = list_arg(args, "devices")
    students = list_arg(args, "students")
    session = desk.live_session(room)
    if args.get("session_id"):
        session = desk.sessions.get(args["session_id"])
        if session is None:
            raise RequestError(f"no session {args['session_id']!r}")
    affected: tuple[Any, ...] = tuple(students)  # checked by the incident: errors name the field
    if device_ids and not students and session is not None:
        # Who was on those devices: the roster is the record the report must carry.
        affected = state_ids(s for s, d in session.current_roster.items() if d in device_ids)
    now = datetime.now(desk.tz)
    recent = desk.drafter.recent(device_ids, now.timestamp() - MANUAL_DRAFT_S)
    drafted = draft_timeline(recent, [], desk.tz, desk.hostnames(device_ids), session)
    return now, {
        **context_fields(session, desk.hub.site.info),
        "category": args["category"], "subcategory": args["subcategory"],
        "severity": args["severity"], "room": room, "source": "dashboard",
        "devices": device_refs(device_ids, desk.hub.fleet.devices),
        "affected_students": affected, "occurred_at": now,
        "sequence": (TimedLine(now, description), *drafted),
    }  # fmt: skip


def known_args(op: str, args: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(args) - known)
    if unknown:
        raise RequestError(
            f"{op}: unknown argument {unknown[0]!r} (known: {', '.join(sorted(known))})"
        )


def text_arg(op: str, args: dict[str, Any], name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str) or not value.strip():
        raise RequestError(f"{op} needs {name}")
    return value


def list_arg(args: dict[str, Any], name: str) -> list[str]:
    value = args.get(name) or []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise RequestError(f"incident.add: {name} must be a list of ids, got {value!r}")
    return list(value)
