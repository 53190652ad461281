"""Provides the /console websocket's frames: versioned JSON for snapshots, changes and events."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from testday.console_client.messages import (
    DevicesChanged,
    EventsAppended,
    HubMessage,
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


class _DevicesFrame(_Frame, tag="devices"):
    devices: list[dict[str, Any]]
    hub_time: float


class _EventsFrame(_Frame, tag="events"):
    events: list[_Event]


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(_SnapshotFrame | _DevicesFrame | _EventsFrame)


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
        )
    elif isinstance(message, DevicesChanged):
        frame = _DevicesFrame(devices=message.devices, hub_time=message.hub_time)
    elif isinstance(message, EventsAppended):
        frame = _EventsFrame(events=message.events)  # type: ignore[arg-type]
    else:
        raise ValueError(f"{type(message).__name__} is not sent over the wire")
    return _encoder.encode(frame)


def decode(data: bytes | str) -> HubMessage:
    """Decode a frame from the hub; raises WireError naming the bad field."""
    try:
        frame = _decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise WireError(f"invalid console frame: {exc}") from None
    except msgspec.DecodeError as exc:
        raise WireError(f"console frame is not JSON: {exc}") from None
    if isinstance(frame, _EventsFrame):
        return EventsAppended(events=_events(frame.events))
    _check_devices(frame.devices)
    if isinstance(frame, _DevicesFrame):
        return DevicesChanged(devices=frame.devices, hub_time=frame.hub_time)
    return Snapshot(
        devices=frame.devices,
        events=_events(frame.events),
        hub_time=frame.hub_time,
        site=frame.site,
        battery_history=frame.battery_history,
    )


def _events(events: list[_Event]) -> list[dict[str, Any]]:
    return [msgspec.structs.asdict(e) for e in events]


def _check_devices(devices: list[dict[str, Any]]) -> None:
    # Only what every device must carry is checked, the rest of device_json passes through; the
    # dashboard keys rows by id, so a device without one would be a silent blank row.
    for i, device in enumerate(devices):
        if not isinstance(device.get("id"), str):
            raise WireError(f"invalid console frame: Expected a `str` id - at `$.devices[{i}].id`")
