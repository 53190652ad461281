"""Provides what a hub sends a console: a snapshot, then coalesced changes; and the link's state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import msgspec

from testday.console_protocol.desk_views import IncidentView, SessionView
from testday.console_protocol.device_views import BatteryPoint, DeviceView, EventView, SiteView
from testday.console_protocol.network_views import NetDeviceView, RoomNetworkView

# 2: typed requests (`ask`) and answers, site rooms and rosters as lists of views.
WIRE_VERSION: Literal[2] = 2


class Frame(msgspec.Struct, tag_field="type", forbid_unknown_fields=True, kw_only=True):
    """A /console frame: tagged by ``type`` and versioned, so another version is told apart."""

    v: Literal[2] = WIRE_VERSION


class Snapshot(Frame, tag="snapshot"):
    """Everything the hub knows now; replaces whatever the console held."""

    devices: list[DeviceView]
    events: list[EventView]  # the most recent, oldest first
    hub_time: float
    site: SiteView = msgspec.field(default_factory=SiteView)
    battery_history: dict[str, list[BatteryPoint]] = msgspec.field(default_factory=dict)
    sessions: list[SessionView] = []  # every session not yet archived
    incidents: list[IncidentView] = []  # every incident, oldest first
    network_devices: list[NetDeviceView] = []
    network_rooms: list[RoomNetworkView] = []


class DevicesChanged(Frame, tag="devices"):
    """Devices whose state changed since the last message (coalesced by the hub, 2–4 Hz)."""

    devices: list[DeviceView]
    hub_time: float


class EventsAppended(Frame, tag="events"):
    events: list[EventView]


class DeskChanged(Frame, tag="desk"):
    """Sessions and incidents created or changed since the last message, each one whole."""

    sessions: list[SessionView]
    incidents: list[IncidentView]
    hub_time: float


class NetworkChanged(Frame, tag="network"):
    """Network devices and rooms' network health that changed since the last message, whole."""

    devices: list[NetDeviceView]
    rooms: list[RoomNetworkView]
    hub_time: float


class ConnectionState(msgspec.Struct):
    """The client's link to the hub (never on the wire); when it drops, the console keeps its
    state, marked stale."""

    connected: bool
    detail: str  # plain words: "connected to ws://10.0.0.5:8765", "hub unreachable: …"


FeedMessage = Snapshot | DevicesChanged | EventsAppended | DeskChanged | NetworkChanged
HubMessage = FeedMessage | ConnectionState
Sink = Callable[[HubMessage], None]
