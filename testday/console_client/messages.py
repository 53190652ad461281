"""Provides the messages a hub client hands the dashboard: snapshot, changes, connection state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

# A device as the hub serves it: exactly one element of GET /api/devices
# (testday.hub.device_rows.device_json): id, hostname, room, asset_tag, os, agent_version,
# profile, presence, connected, duplicate_peers, verdict, reasons, last_online_verdict, facts,
# clock_skew_s, last_seq, last_seen, last_seen_iso, first_seen.
DeviceDict = dict[str, Any]

# An event as the hub logs it: {"ts": float, "kind": str, "device_id": str | None,
# "room": str | None, "data": dict}. Kinds so far: device.connected, device.disconnected,
# identity.duplicate, verdict.changed, agent.spool_dropped, command.result.
EventDict = dict[str, Any]


@dataclass(frozen=True)
class Snapshot:
    """Everything the hub knows now; replaces whatever the dashboard held."""

    devices: list[DeviceDict]
    events: list[EventDict]  # the most recent events, oldest first
    hub_time: float
    site: dict[str, Any] = field(default_factory=dict)  # {"name": str, "rooms": {room: profile}}
    battery_history: dict[str, list[tuple[float, float, bool]]] = field(default_factory=dict)


@dataclass(frozen=True)
class DevicesChanged:
    """Devices whose state changed since the last message (coalesced by the hub, 2–4 Hz)."""

    devices: list[DeviceDict]
    hub_time: float


@dataclass(frozen=True)
class EventsAppended:
    events: list[EventDict]


@dataclass(frozen=True)
class ConnectionState:
    """The client's link to the hub; when it drops, the dashboard keeps its state, marked stale."""

    connected: bool
    detail: str  # plain words: "connected to ws://10.0.0.5:8765", "hub unreachable: …"


HubMessage = Snapshot | DevicesChanged | EventsAppended | ConnectionState
Sink = Callable[[HubMessage], None]


class HubClient(Protocol):
    """Embedded or remote, the dashboard reads a hub only through this."""

    description: str  # "embedded hub" or the hub's address

    async def run(self, sink: Sink) -> None:
        """Connect, deliver a Snapshot, then changes; on loss deliver ConnectionState(False),
        reconnect by itself and deliver a fresh Snapshot. Runs until cancelled."""
        ...

    async def close(self) -> None: ...
