"""Provides what a console asks of a hub (session actions, new incidents) and the hub's answer."""

from __future__ import annotations

import msgspec

from testday.console_protocol.desk_views import IncidentView, SessionAction, SessionView


class RequestError(Exception):
    """The hub refused a request, or could not be asked; the message is for the operator."""


class _Ask(msgspec.Struct, tag_field="op", forbid_unknown_fields=True, kw_only=True):
    """A request's body, tagged by the operation it asks for."""


class SessionActionRequest(_Ask, tag="session.action"):
    """Move a session through its state machine; answered with the session after it."""

    session_id: str
    action: SessionAction
    note: str = ""


class IncidentAddRequest(_Ask, tag="incident.add"):
    """Log an incident; the hub adds the school, session and recent device events."""

    category: str
    subcategory: str
    severity: str
    room: str
    description: str
    devices: tuple[str, ...] = ()
    students: tuple[str, ...] = ()  # state IDs; by default those on the devices
    session_id: str | None = None  # by default the room's live session


HubRequest = SessionActionRequest | IncidentAddRequest


class Answer(msgspec.Struct, kw_only=True):
    """What a request made: the session it moved, or the incident it logged."""

    session: SessionView | None = None
    incident: IncidentView | None = None
