"""Provides FleetModel: the dashboard's data layer, fed by hub messages, free of any UI library."""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from testday.console_client.fleet_order import (
    SESSION_RANK,
    RoomSummary,
    natural_key,
    room_of,
    sort_key,
)
from testday.console_protocol.desk_views import IncidentView, SessionView
from testday.console_protocol.device_views import BatteryPoint, DeviceView, EventView
from testday.console_protocol.messages import (
    ConnectionState,
    DeskChanged,
    DevicesChanged,
    EventsAppended,
    HubMessage,
    NetworkChanged,
    Snapshot,
)
from testday.console_protocol.network_views import NetDeviceView, RoomNetworkView
from testday.core.presentation import VERDICTS

MAX_EVENTS = 5_000
MAX_BATTERY_POINTS = 120


@dataclass(frozen=True)
class FleetChanges:
    """What changed since the last take: the dashboard applies exactly this on its next tick."""

    devices: frozenset[str] = frozenset()  # changed, added or removed (absent from the model)
    rooms: frozenset[str] = frozenset()  # rooms whose summary may differ
    events: tuple[EventView, ...] = ()  # appended since the last take, oldest first
    reset: bool = False  # a Snapshot replaced everything (event history included)
    sessions: frozenset[str] = frozenset()  # session ids created or changed
    incidents: frozenset[str] = frozenset()  # incident ids created or changed
    network: frozenset[str] = frozenset()  # network device names changed


@dataclass
class _Pending:
    devices: set[str] = field(default_factory=set)
    rooms: set[str] = field(default_factory=set)
    events: deque[EventView] = field(default_factory=lambda: deque(maxlen=MAX_EVENTS))
    reset: bool = False
    sessions: set[str] = field(default_factory=set)
    incidents: set[str] = field(default_factory=set)
    network: set[str] = field(default_factory=set)


class FleetModel:
    """Every device the hub reported, its recent events and battery history, and what is dirty.

    ``apply`` is cheap and does no rendering: a hub may deliver hundreds of changes a second,
    and the dashboard drains them on its own timer with ``take_changes``.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        max_events: int = MAX_EVENTS,
        max_battery_points: int = MAX_BATTERY_POINTS,
    ) -> None:
        self._clock = clock
        self._max_battery_points = max_battery_points
        self.devices: dict[str, DeviceView] = {}
        self.events: deque[EventView] = deque(maxlen=max_events)
        self.battery: dict[str, deque[BatteryPoint]] = {}
        self.site_name = ""
        self.site_rooms: dict[str, str] = {}  # room → profile id the site assigns
        self.sessions: dict[str, SessionView] = {}
        self.incidents: dict[str, IncidentView] = {}  # in the order they were created
        self.network_devices: dict[str, NetDeviceView] = {}
        self.network_rooms: dict[str, RoomNetworkView] = {}
        self.connected = False
        self.detail = "connecting…"
        self.stale = False
        self.has_snapshot = False
        self._hub_time: float | None = None
        self._hub_time_received = 0.0
        self._by_room: dict[str, set[str]] = {}
        self._sort_keys: dict[str, tuple[Any, ...]] = {}  # computed once per change, read per tick
        self._counts: Counter[str] = Counter()
        self._pending = _Pending()

    # --- input ----------------------------------------------------------------------------------

    def apply(self, message: HubMessage) -> None:
        """Fold one hub message into the model; marks what changed for the next take."""
        if isinstance(message, Snapshot):
            self._apply_snapshot(message)
        elif isinstance(message, DevicesChanged):
            self._set_hub_time(message.hub_time)
            for device in message.devices:
                self._put(device)
                self._extend_battery(device)
        elif isinstance(message, EventsAppended):
            self.events.extend(message.events)
            self._pending.events.extend(message.events)
        elif isinstance(message, NetworkChanged):
            self._set_hub_time(message.hub_time)
            self._put_network(message.devices, message.rooms)
        elif isinstance(message, DeskChanged):
            self._set_hub_time(message.hub_time)
            for session in message.sessions:
                self._put_session(session)
            for incident in message.incidents:
                self.incidents[incident.id] = incident
                self._pending.incidents.add(incident.id)
        elif isinstance(message, ConnectionState):
            self.connected = message.connected
            self.detail = message.detail
            if not message.connected and self.has_snapshot:
                # Keep the last state on screen, marked: a proctor must not trust it blindly.
                self.stale = True

    def _apply_snapshot(self, snapshot: Snapshot) -> None:
        self._set_hub_time(snapshot.hub_time)
        self.site_name = snapshot.site.name
        old_site_rooms = set(self.site_rooms)
        self.site_rooms = {r.room: r.profile for r in snapshot.site.rooms}
        fresh = {d.id: d for d in snapshot.devices}
        for device_id in list(self.devices):
            if device_id not in fresh:
                self._remove(device_id)
        for device in snapshot.devices:
            self._put(device)
        self.battery = {}
        for device in snapshot.devices:
            history = snapshot.battery_history.get(device.id, [])
            points = deque(history[-self._max_battery_points :], maxlen=self._max_battery_points)
            self.battery[device.id] = points
            self._extend_battery(device)
        self.events.clear()
        self.events.extend(snapshot.events)
        for session in self.sessions.values():
            self._pending.rooms.update(session.rooms)
        self.sessions = {}
        for session in snapshot.sessions:
            self._put_session(session)
        self.incidents = {i.id: i for i in snapshot.incidents}
        self._pending.rooms.update(self.network_rooms)
        self.network_devices, self.network_rooms = {}, {}
        self._put_network(snapshot.network_devices, snapshot.network_rooms)
        self._pending.sessions.clear()
        self._pending.incidents.clear()
        self._pending.events.clear()
        self._pending.reset = True
        self._pending.rooms |= old_site_rooms | set(self.site_rooms)
        self.has_snapshot = True
        self.connected = True
        self.stale = False

    def _put(self, device: DeviceView) -> None:
        device_id = device.id
        old = self.devices.get(device_id)
        if old is not None:
            self._unindex(old)
        self.devices[device_id] = device
        self._sort_keys[device_id] = sort_key(device)
        room = room_of(device)
        self._by_room.setdefault(room, set()).add(device_id)
        self._counts[device.verdict] += 1
        self._pending.devices.add(device_id)
        self._pending.rooms.add(room)

    def _remove(self, device_id: str) -> None:
        old = self.devices.pop(device_id)
        del self._sort_keys[device_id]
        self._unindex(old)
        self.battery.pop(device_id, None)
        self._pending.devices.add(device_id)

    def _unindex(self, device: DeviceView) -> None:
        room = room_of(device)
        members = self._by_room.get(room)
        if members is not None:
            members.discard(device.id)
            if not members:
                del self._by_room[room]
        self._counts[device.verdict] -= 1
        self._pending.rooms.add(room)

    def _put_network(self, devices: list[NetDeviceView], rooms: list[RoomNetworkView]) -> None:
        for device in devices:
            self.network_devices[device.name] = device
            self._pending.network.add(device.name)
        for room in rooms:
            self.network_rooms[room.room] = room
            self._pending.rooms.add(room.room)

    def _put_session(self, session: SessionView) -> None:
        old = self.sessions.get(session.id)
        self.sessions[session.id] = session
        self._pending.sessions.add(session.id)
        # A room card shows its session: rooms it left and rooms it joined both change.
        self._pending.rooms.update(session.rooms)
        if old is not None:
            self._pending.rooms.update(old.rooms)

    def _extend_battery(self, device: DeviceView) -> None:
        battery = device.facts.battery if device.facts is not None else None
        seen = device.last_seen
        if battery is None or battery.percent is None or seen is None:
            return
        points = self.battery.setdefault(device.id, deque(maxlen=self._max_battery_points))
        if not points or seen > points[-1][0]:
            points.append((seen, battery.percent, bool(battery.plugged)))

    def _set_hub_time(self, hub_time: float) -> None:
        self._hub_time = hub_time
        self._hub_time_received = self._clock()

    # --- output ---------------------------------------------------------------------------------

    def take_changes(self) -> FleetChanges:
        """Everything pending since the last take (devices, rooms, events, reset), then clear."""
        pending, self._pending = self._pending, _Pending()
        return FleetChanges(
            devices=frozenset(pending.devices),
            rooms=frozenset(pending.rooms),
            events=tuple(pending.events),
            reset=pending.reset,
            sessions=frozenset(pending.sessions),
            incidents=frozenset(pending.incidents),
            network=frozenset(pending.network),
        )

    def hub_now(self) -> float:
        """The hub's clock now, so ages ("12 s ago") do not depend on this machine's clock."""
        if self._hub_time is None:
            return self._clock()
        return self._hub_time + max(0.0, self._clock() - self._hub_time_received)

    def counts(self) -> dict[str, int]:
        """Devices per verdict across the whole fleet, every verdict present (0 when none)."""
        return {verdict: self._counts.get(verdict, 0) for verdict in VERDICTS}

    def room_names(self) -> list[str]:
        """Rooms with devices, assigned a profile by the site, or named by a session."""
        session_rooms = {room for s in self.sessions.values() for room in s.rooms}
        return sorted(set(self._by_room) | set(self.site_rooms) | session_rooms, key=natural_key)

    def session_for_room(self, room: str) -> SessionView | None:
        """The room's session under way, else the one checking or scheduled to start soonest."""
        live = [s for s in self.sessions.values() if room in s.rooms and s.state in SESSION_RANK]
        return min(
            live, key=lambda s: (SESSION_RANK[s.state], s.scheduled_start, s.id), default=None
        )

    def sorted_sessions(self) -> list[SessionView]:
        """Under way first, then checking, scheduled, and finished ones last; by start time."""
        return sorted(
            self.sessions.values(),
            key=lambda s: (SESSION_RANK.get(s.state, 3), s.scheduled_start, s.id),
        )

    def rooms(self) -> list[RoomSummary]:
        return [self.room(name) for name in self.room_names()]

    def room(self, room: str) -> RoomSummary:
        members = [self.devices[i] for i in self._by_room.get(room, ())]
        counts: Counter[str] = Counter(d.verdict for d in members)
        profiles = Counter(d.profile for d in members if d.profile)
        profile = self.site_rooms.get(room) or (profiles.most_common(1)[0][0] if profiles else None)
        worst = min(members, key=lambda d: self._sort_keys[d.id], default=None)
        if worst is not None and worst.verdict == "ready":
            worst = None
        return RoomSummary(
            room=room,
            counts={verdict: counts.get(verdict, 0) for verdict in VERDICTS},
            profile=profile,
            worst_device=worst.name if worst else None,
            worst_reason=worst.reasons[0] if worst and worst.reasons else None,
            session=self.session_for_room(room),
            network=self.network_rooms.get(room),
        )

    def sort_key_of(self, device_id: str) -> tuple[Any, ...]:
        """The device's problems-first key (see ``sort_key``), cached since its last change."""
        return self._sort_keys[device_id]

    def events_for(self, device_id: str) -> list[EventView]:
        """This device's events still held, oldest first."""
        return [e for e in self.events if e.device_id == device_id]

    def battery_history(self, device_id: str) -> list[BatteryPoint]:
        return list(self.battery.get(device_id, ()))

    def sorted_devices(self, devices: Iterable[DeviceView] | None = None) -> list[DeviceView]:
        """Problems first, then room, then hostname."""
        chosen = self.devices.values() if devices is None else devices
        return sorted(chosen, key=lambda d: self._sort_keys[d.id])
