"""Provides the checks and field building behind a dashboard's requests (console_protocol)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo
from typing import Any, Protocol

from testday.config.site import Site
from testday.console_protocol.requests import IncidentAddRequest, RequestError, SessionActionRequest
from testday.core.fleet import Device
from testday.core.incident_fields import TimedLine, check_text
from testday.core.sessions import ACTIONS, Action, Session
from testday.core.timeline import draft_timeline
from testday.hub.desk_drafts import Drafter, context_fields, device_refs, state_ids

MANUAL_DRAFT_S = 15 * 60.0  # a dashboard incident drafts its devices' events this far back
INCIDENT_REQUIRED = ("category", "subcategory", "severity", "room", "description")


def checked_action(ask: SessionActionRequest) -> tuple[str, Action, str]:
    """(session id, action, note) of a session.action request.

    The wire decoder has checked the types already; an embedded console builds the request in
    this process, so what no type can say (an empty id, an action by another name) is checked
    here for both.
    """
    if not ask.session_id.strip():
        raise RequestError("session.action needs session_id")
    action = next((a for a in ACTIONS if a == ask.action), None)
    if action is None:
        known = ", ".join(ACTIONS)
        raise RequestError(f"session.action: unknown action {ask.action!r} (known: {known})")
    return ask.session_id, action, ask.note


class DeskState(Protocol):
    """What a dashboard's incident is built from (testday.hub.incident_desk), read only."""

    tz: tzinfo
    site: Site
    devices: Mapping[str, Device]
    drafter: Drafter

    @property
    def sessions(self) -> Mapping[str, Session]: ...

    def live_session(self, room: str) -> Session | None: ...

    def hostnames(self, device_ids: Iterable[str]) -> dict[str, str]: ...


def manual_incident(desk: DeskState, ask: IncidentAddRequest) -> tuple[datetime, dict[str, Any]]:
    """When and the ``created`` fields of an incident.add request (IncidentLog checks them)."""
    for name in INCIDENT_REQUIRED:
        if not str(getattr(ask, name)).strip():
            raise RequestError(f"incident.add needs {name}")
    description = check_text("description", ask.description)
    room = check_text("room", ask.room)
    device_ids = list(ask.devices)
    session = desk.live_session(room)
    if ask.session_id:
        session = desk.sessions.get(ask.session_id)
        if session is None:
            raise RequestError(f"no session {ask.session_id!r}")
    affected: tuple[Any, ...] = ask.students  # checked by the incident: errors name the field
    if device_ids and not ask.students and session is not None:
        # Who was on those devices: the roster is the record the report must carry.
        affected = state_ids(s for s, d in session.current_roster.items() if d in device_ids)
    now = datetime.now(desk.tz)
    recent = desk.drafter.recent(device_ids, now.timestamp() - MANUAL_DRAFT_S)
    drafted = draft_timeline(recent, [], desk.tz, desk.hostnames(device_ids), session)
    return now, {
        **context_fields(session, desk.site.info),
        "category": ask.category, "subcategory": ask.subcategory,
        "severity": ask.severity, "room": room, "source": "dashboard",
        "devices": device_refs(device_ids, desk.devices),
        "affected_students": affected, "occurred_at": now,
        "sequence": (TimedLine(now, description), *drafted),
    }  # fmt: skip
