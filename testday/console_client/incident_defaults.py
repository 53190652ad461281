"""Provides an incident form's prefill: room, device, session, students and a likely category."""

from __future__ import annotations

from dataclasses import dataclass

from testday.console_client.fleet_model import FleetModel
from testday.console_client.fleet_order import UNASSIGNED
from testday.console_protocol.desk_views import IncidentView, SessionView
from testday.console_protocol.device_views import DeviceView
from testday.core.reasons import SEVERITY_RANK

# A reason code's prefix → the irregularity category it most likely means; first match wins.
# Only a default: the proctor can pick another, but the fast path should rarely need to.
REASON_CATEGORIES: tuple[tuple[str, tuple[str, str]], ...] = (
    ("device.offline", ("technical", "device_lost")),
    ("device.late", ("technical", "device_lost")),
    ("app.", ("technical", "app_stopped")),
    ("battery.", ("technical", "battery")),
    ("endpoint.", ("technical", "endpoint_unreachable")),
    ("network.", ("technical", "endpoint_unreachable")),
    ("dns.", ("technical", "endpoint_unreachable")),
)
DEVICE_DEFAULT = ("technical", "device_failure")
NO_DEVICE_DEFAULT = ("other", "other")  # a room or a session: nothing says what happened
DEFAULT_SEVERITY = "procedural"


def worst_reason_code(device: DeviceView) -> str | None:
    """The code of the device's most severe reason (the first among equals)."""
    reasons = device.reasons
    if not reasons:
        return "device.offline" if device.verdict == "offline" else None
    worst = max(reasons, key=lambda r: SEVERITY_RANK.get(r.severity, 0))
    return worst.code or None


def default_category(device: DeviceView | None) -> tuple[str, str]:
    """(category, subcategory) an incident on ``device`` most likely has, from its worst reason."""
    if device is None:
        return NO_DEVICE_DEFAULT
    code = worst_reason_code(device) or ""
    return next(
        (pair for prefix, pair in REASON_CATEGORIES if code.startswith(prefix)), DEVICE_DEFAULT
    )


@dataclass(frozen=True)
class IncidentDraft:
    """What the form opens with; ``room_choices`` lists a multi-room session's rooms."""

    room: str = ""
    devices: tuple[str, ...] = ()
    session_id: str | None = None
    students: tuple[str, ...] = ()
    category: str = NO_DEVICE_DEFAULT[0]
    subcategory: str = NO_DEVICE_DEFAULT[1]
    severity: str = DEFAULT_SEVERITY
    room_choices: tuple[str, ...] = ()

    @property
    def ask_room(self) -> bool:
        """The form asks for the room when none is known or a session spans several."""
        return not self.room or len(self.room_choices) > 1


def draft_for_device(model: FleetModel, device_id: str) -> IncidentDraft:
    device = model.devices.get(device_id) or DeviceView(id=device_id)
    room = device.room or ""
    session = model.session_for_room(room) if room else None
    category, subcategory = default_category(device)
    return IncidentDraft(
        room=room,
        devices=(device_id,),
        session_id=session.id if session else None,
        students=session.students_on(device_id) if session else (),
        category=category,
        subcategory=subcategory,
    )


def draft_for_room(model: FleetModel, room: str) -> IncidentDraft:
    if room == UNASSIGNED:  # devices that reported no room: the form asks which one
        return IncidentDraft()
    session = model.session_for_room(room)
    return IncidentDraft(room=room, session_id=session.id if session else None)


def draft_for_session(session: SessionView) -> IncidentDraft:
    rooms = session.rooms
    return IncidentDraft(room=rooms[0] if rooms else "", session_id=session.id, room_choices=rooms)


def draft_for_incident(model: FleetModel, incident: IncidentView | None) -> IncidentDraft:
    """A new incident next to an existing one: its room and session, no device."""
    if incident is None:
        return IncidentDraft()
    room = incident.room or ""
    session_id = incident.session_id
    if session_id is None and room:
        session = model.session_for_room(room)
        session_id = session.id if session else None
    return IncidentDraft(room=room, session_id=session_id)
