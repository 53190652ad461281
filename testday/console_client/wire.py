"""Provides the /console websocket's frames: versioned JSON for snapshots, changes and events."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from testday.console_client.messages import (
    DeskChanged,
    DevicesChanged,
    EventsAppended,
    HubMessage,
    NetworkChanged,
    Snapshot,
)

WIRE_VERSION = 1


class WireError(ValueError):
    """A /console frame that does not decode or validate; the message names the field at fault."""


class _Frame(msgspec.Struct, tag_field="type", forbid_unknown_fields=True, kw_only=True):
    v: Literal[1] = WIRE_VERSION


class _Event(msgspec.Struct, forbid_unknown_fields=True):
    ts: float
    kind: str
    device_id: str | None
    room: str | None
    data: dict[str, Any]


class _SnapshotFrame(_Frame, tag="snapshot"):
    devices: list[dict[str, Any]]
    events: list[_Event]
    hub_time: float
    site: dict[str, Any] = {}
    battery_history: dict[str, list[tuple[float, float, bool]]] = {}
    sessions: list[dict[str, Any]] = []
    incidents: list[dict[str, Any]] = []
    network_devices: list[dict[str, Any]] = []
    network_rooms: list[dict[str, Any]] = []


class _DevicesFrame(_Frame, tag="devices"):
    devices: list[dict[str, Any]]
    hub_time: float


class _EventsFrame(_Frame, tag="events"):
    events: list[_Event]


class _DeskFrame(_Frame, tag="desk"):
    sessions: list[dict[str, Any]]
    incidents: list[dict[str, Any]]
    hub_time: float


class _NetworkFrame(_Frame, tag="network"):
    devices: list[dict[str, Any]]
    rooms: list[dict[str, Any]]
    hub_time: float


class Reply(_Frame, tag="reply"):
    """The hub's answer to one Request: ``result`` when ok, else ``error`` for the operator."""

    id: int
    ok: bool
    result: dict[str, Any] = {}
    error: str = ""


class Request(_Frame, tag="request"):
    """A dashboard asking the hub to act (messages.REQUEST_OPS); answered by a Reply."""

    id: int
    op: str
    actor: str  # who asks: the hub writes it into the session or incident log
    args: dict[str, Any] = {}


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(
    _SnapshotFrame | _DevicesFrame | _EventsFrame | _DeskFrame | _NetworkFrame | Reply
)
_request_decoder = msgspec.json.Decoder(Request)


def encode(message: HubMessage) -> bytes:
    """One UTF-8 JSON text frame for a message the hub sends."""
    frame: _Frame
    if isinstance(message, Snapshot):
        frame = _SnapshotFrame(
            devices=message.devices,
            events=message.events,  # type: ignore[arg-type]  # dicts encode like _Event
            hub_time=message.hub_time,
            site=message.site,
            battery_history=message.battery_history,  # type: ignore[arg-type]
            sessions=message.sessions,
            incidents=message.incidents,
            network_devices=message.network_devices,
            network_rooms=message.network_rooms,
        )
    elif isinstance(message, DevicesChanged):
        frame = _DevicesFrame(devices=message.devices, hub_time=message.hub_time)
    elif isinstance(message, EventsAppended):
        frame = _EventsFrame(events=message.events)  # type: ignore[arg-type]
    elif isinstance(message, NetworkChanged):
        frame = _NetworkFrame(
            devices=message.devices, rooms=message.rooms, hub_time=message.hub_time
        )
    elif isinstance(message, DeskChanged):
        frame = _DeskFrame(
            sessions=message.sessions, incidents=message.incidents, hub_time=message.hub_time
        )
    else:
        raise ValueError(f"{type(message).__name__} is not sent over the wire")
    return _encoder.encode(frame)


def encode_frame(frame: Request | Reply) -> bytes:
    return _encoder.encode(frame)


def decode_request(data: bytes | str) -> Request:
    """Decode a frame a dashboard sent; raises WireError naming the bad field."""
    try:
        return _request_decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise WireError(f"invalid request frame: {exc}") from None
    except msgspec.DecodeError as exc:
        raise WireError(f"request frame is not JSON: {exc}") from None


def decode(data: bytes | str) -> HubMessage | Reply:
    """Decode a frame from the hub; raises WireError naming the bad field."""
    try:
        frame = _decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise WireError(f"invalid console frame: {exc}") from None
    except msgspec.DecodeError as exc:
        raise WireError(f"console frame is not JSON: {exc}") from None
    if isinstance(frame, Reply):
        return frame
    if isinstance(frame, _EventsFrame):
        return EventsAppended(events=_events(frame.events))
    if isinstance(frame, _NetworkFrame):
        _check_keys("devices", frame.devices, "name")
        _check_keys("rooms", frame.rooms, "room")
        return NetworkChanged(devices=frame.devices, rooms=frame.rooms, hub_time=frame.hub_time)
    if isinstance(frame, _DeskFrame):
        _check_ids("sessions", frame.sessions)
        _check_ids("incidents", frame.incidents)
        return DeskChanged(
            sessions=frame.sessions, incidents=frame.incidents, hub_time=frame.hub_time
        )
    _check_devices(frame.devices)
    if isinstance(frame, _DevicesFrame):
        return DevicesChanged(devices=frame.devices, hub_time=frame.hub_time)
    _check_ids("sessions", frame.sessions)
    _check_ids("incidents", frame.incidents)
    return Snapshot(
        devices=frame.devices,
        events=_events(frame.events),
        hub_time=frame.hub_time,
        site=frame.site,
        battery_history=frame.battery_history,
        sessions=frame.sessions,
        incidents=frame.incidents,
        network_devices=frame.network_devices,
        network_rooms=frame.network_rooms,
    )


def _events(events: list[_Event]) -> list[dict[str, Any]]:
    return [msgspec.structs.asdict(e) for e in events]


def _check_devices(devices: list[dict[str, Any]]) -> None:
    _check_ids("devices", devices)


def _check_ids(name: str, items: list[dict[str, Any]]) -> None:
    _check_keys(name, items, "id")


def _check_keys(name: str, items: list[dict[str, Any]], key: str) -> None:
    # Only what every item must carry is checked, the rest passes through; the dashboard keys
    # rows by it, so an item without one would be a silent blank row.
    for i, item in enumerate(items):
        if not isinstance(item.get(key), str):
            raise WireError(
                f"invalid console frame: Expected a `str` {key} - at `$.{name}[{i}].{key}`"
            )
