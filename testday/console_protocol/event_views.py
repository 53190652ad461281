"""Provides each event kind's data as a typed view, read from an event's free-form ``data``.

The log keeps ``data`` as the hub wrote it (kinds come and go between versions), so an event
travels whole; a console reads it through the view of its kind, never by string keys.
"""

from __future__ import annotations

import msgspec

from testday.console_protocol.device_views import EventView, Status, View


class Connected(View):
    """device.connected"""

    peer: str = ""
    host: str = ""


class Disconnected(View):
    """device.disconnected"""

    peer: str = ""
    why: str = ""


class DuplicateIdentity(View):
    """identity.duplicate: two live connections claim one device."""

    peers: tuple[str, ...] = ()


class VerdictChanged(View):
    """verdict.changed"""

    status: Status
    was: Status | None = None
    reasons: tuple[str, ...] = ()  # reason codes, worst first


class SpoolDropped(View):
    """agent.spool_dropped: reports an agent's full spool let go."""

    count: int = 0


class CommandResult(View):
    """command.result"""

    command_id: str = ""
    ok: bool = False
    output: str = ""


class NetworkNoted(View):
    """net.*: what the network watch saw, worded by the hub."""

    text: str = ""
    rooms: tuple[str, ...] = ()


EventData = (
    Connected
    | Disconnected
    | DuplicateIdentity
    | VerdictChanged
    | SpoolDropped
    | CommandResult
    | NetworkNoted
)
_BY_KIND: dict[str, type[EventData]] = {
    "device.connected": Connected,
    "device.disconnected": Disconnected,
    "identity.duplicate": DuplicateIdentity,
    "verdict.changed": VerdictChanged,
    "agent.spool_dropped": SpoolDropped,
    "command.result": CommandResult,
}


def event_data(event: EventView) -> EventData | None:
    """The typed data of ``event``; None for a kind this console does not know, or data that is
    not of its kind's shape (a hub of another version)."""
    view: type[EventData] | None = (
        NetworkNoted if event.kind.startswith("net.") else _BY_KIND.get(event.kind)
    )
    if view is None:
        return None
    try:
        return msgspec.convert(event.data, view)
    except msgspec.ValidationError:
        return None
