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

# A testing session as the hub serves it (testday.hub.desk_rows.session_json): id, name, profile,
# rooms (list), state (scheduled|checking|in_progress|paused|completed|cancelled),
# scheduled_start, scheduled_end (epoch s), program, test, grade, content_area, proctor,
# test_administrator, roster ({state ID: device id}, current), started_at (epoch s | None),
# paused_since (epoch s | None), paused_total_s, pause_limit_s (the profile's pause rule),
# pause_lead_s (how long before the limit to warn), history ([{ts, action, from, to, actor,
# note}]), sweep (None, or {checked_at, ready (bool), must_fix (int), rooms: {room: [{device_id,
# hostname, verdict, reasons: [{code, message, runbook}]}]}} — only devices that must be fixed).
SessionDict = dict[str, Any]

# An incident as the hub serves it (testday.hub.desk_rows.incident_json): id, status, source
# ("detector" | "dashboard" | "cli"), category, subcategory, severity, room, session_id, devices
# ([device id]), students ([state ID]), occurred_at, created_at, updated_at (epoch s), created_by,
# sequence ([{at: epoch s, text}]), action_taken, requested_outcome, deadline (the earliest unmet
# due time, epoch s | None), deadlines ([{label, due (epoch s), met (bool)}], per the site's rules).
IncidentDict = dict[str, Any]

# A network device as the network watch knows it (testday.hub.network_rows.net_device_json):
# name, kind, address, rooms, reachable (bool | None: not polled yet), unreachable_since, failure,
# detail, last_poll, uptime_s, rebooted_at, description, ap_clients, capacity, ups (None or
# {on_battery, charge_percent, minutes_left, battery_status}), interfaces ([{index, name, up,
# speed_bps, in_bps, out_bps, utilisation, errors_per_s, room}]: ports feeding rooms, and uplinks).
NetDeviceDict = dict[str, Any]

# A room's network health (testday.core.net_health.RoomNetwork): room, status (ok | warning |
# problem | unknown), summary (one line for the room card), reasons ([{code, message, device,
# value, threshold}]).
RoomNetworkDict = dict[str, Any]


@dataclass(frozen=True)
class Snapshot:
    """Everything the hub knows now; replaces whatever the dashboard held."""

    devices: list[DeviceDict]
    events: list[EventDict]  # the most recent events, oldest first
    hub_time: float
    site: dict[str, Any] = field(default_factory=dict)  # {"name": str, "rooms": {room: profile}}
    battery_history: dict[str, list[tuple[float, float, bool]]] = field(default_factory=dict)
    sessions: list[SessionDict] = field(default_factory=list)  # every session not yet archived
    incidents: list[IncidentDict] = field(default_factory=list)  # every incident, oldest first
    network_devices: list[NetDeviceDict] = field(default_factory=list)
    network_rooms: list[RoomNetworkDict] = field(default_factory=list)


@dataclass(frozen=True)
class DevicesChanged:
    """Devices whose state changed since the last message (coalesced by the hub, 2–4 Hz)."""

    devices: list[DeviceDict]
    hub_time: float


@dataclass(frozen=True)
class EventsAppended:
    events: list[EventDict]


@dataclass(frozen=True)
class DeskChanged:
    """Sessions and incidents created or changed since the last message, each one whole."""

    sessions: list[SessionDict]
    incidents: list[IncidentDict]
    hub_time: float


@dataclass(frozen=True)
class NetworkChanged:
    """Network devices and room network health that changed since the last message, whole."""

    devices: list[NetDeviceDict]
    rooms: list[RoomNetworkDict]
    hub_time: float


@dataclass(frozen=True)
class ConnectionState:
    """The client's link to the hub; when it drops, the dashboard keeps its state, marked stale."""

    connected: bool
    detail: str  # plain words: "connected to ws://10.0.0.5:8765", "hub unreachable: …"


HubMessage = (
    Snapshot | DevicesChanged | EventsAppended | DeskChanged | NetworkChanged | ConnectionState
)
Sink = Callable[[HubMessage], None]

# Requests a dashboard makes of the hub (HubClient.request); the hub answers each with a dict:
#   "session.action" {session_id, action: check|start|pause|resume|end|cancel, note?}
#       → {"session": SessionDict}
#   "incident.add" {category, subcategory, severity, room, description, devices?: [id],
#       students?: [state ID], session_id?} → {"incident": IncidentDict}
REQUEST_OPS = ("session.action", "incident.add")


class RequestError(Exception):
    """The hub refused a request, or could not be asked; the message is for the operator."""


class HubClient(Protocol):
    """Embedded or remote, the dashboard reads a hub only through this."""

    description: str  # "embedded hub" or the hub's address

    async def run(self, sink: Sink) -> None:
        """Connect, deliver a Snapshot, then changes; on loss deliver ConnectionState(False),
        reconnect by itself and deliver a fresh Snapshot. Runs until cancelled."""
        ...

    async def request(self, op: str, args: dict[str, Any], actor: str) -> dict[str, Any]:
        """Ask the hub to act (see REQUEST_OPS); raises RequestError with the hub's reason."""
        ...

    async def close(self) -> None: ...
