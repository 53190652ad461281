"""Provides the hub's network watch: SNMP polls and traps folded into device and room health."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from testday.config.network import NetworkConfig
from testday.console_protocol.network_views import NetDeviceView, RoomNetworkView
from testday.core.fleet import NETWORK_DEVICE_PREFIX, Device, FleetEvent
from testday.core.net_health import RoomNetwork, network_at, room_network, serving
from testday.core.net_rates import fold, served_rooms
from testday.core.net_state import NetDevice, NetDeviceState, NetEvent, PollSample
from testday.core.sessions import Session
from testday.hub.network_views import net_device_view, room_network_view
from testday.netwatch.poller import NetworkPoller
from testday.netwatch.trap_receiver import TrapReceiver

log = logging.getLogger(__name__)

RECENT_S = 15 * 60  # network events kept to cite in incident timelines
Record = Callable[[Sequence[FleetEvent]], object]  # into the hub's event log
# Network devices (by name) and rooms whose network health changed: dashboards are told.
NetworkChanged = Callable[[Iterable[str], Iterable[str]], None]


class NetworkStartError(RuntimeError):
    """The network watch could not start; the message names the setting to change."""


class NetworkWatch:
    """Owns the poller and trap receiver; every change reaches the hub's log and dashboards.

    A room's health weighs its access point and uplink against how many test there: the live
    session's roster, else the devices connected in the room (``fleet`` and ``live``, read only).
    """

    def __init__(
        self,
        config: NetworkConfig,
        record: Record,
        changed: NetworkChanged,
        fleet: Mapping[str, Device],
        live: Mapping[str, Session],
        per_student_kbps: Callable[[str], float | None],
    ) -> None:
        self.config = config
        self._record_events = record
        self._changed = changed
        self._fleet = fleet
        self._live = live
        self._per_student_kbps = per_student_kbps
        self.devices: dict[str, NetDevice] = {d.name: d for d in config.devices}
        self._by_address = {d.address: d for d in config.devices}
        self.states: dict[str, NetDeviceState] = {}
        self.rooms: dict[str, RoomNetworkView] = {}  # room → its last served health
        self.recent: deque[NetEvent] = deque(maxlen=2_000)
        self.poller = NetworkPoller(config.devices, self.on_sample)
        self.traps: TrapReceiver | None = None
        self._repolls: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int | None:
        """The trap receiver's UDP port, once listening."""
        return self.traps.port if self.traps is not None else None

    async def start(self) -> None:
        if self.config.trap_port:
            self.traps = TrapReceiver(
                self.config.trap_host,
                self.config.trap_port,
                set(self.config.trap_communities) or None,
                self.on_trap,
            )
            try:
                self.traps.start()
            except OSError as exc:
                where = f"{self.config.trap_host}:{self.config.trap_port}"
                raise NetworkStartError(
                    f"the trap receiver cannot listen on UDP {where}: {exc.strerror or exc} "
                    "(site.toml [network] trap_port)"
                ) from None
        self.poller.start()

    async def stop(self) -> None:
        for task in list(self._repolls):
            task.cancel()
        await self.poller.stop()
        if self.traps is not None:
            await self.traps.stop()

    # --- inputs ---------------------------------------------------------------------------------

    def on_sample(self, sample: PollSample) -> None:
        device = self.devices.get(sample.device)
        if device is None:
            return
        state, events = fold(self.states.get(device.name), sample, device)
        self.states[device.name] = state
        self._record(events)
        self._changed([device.name], self._rejudge(served_rooms(device)))

    def on_trap(self, trap: dict[str, Any]) -> None:
        """A trap is shown at once and its device polled again now, not at its next turn."""
        device = self._by_address.get(str(trap.get("source", "")).rsplit(":", 1)[0])
        name = device.name if device else str(trap.get("source", "unknown"))
        rooms = served_rooms(device) if device else ()
        if device is not None and trap.get("if_index") is not None:
            room = device.ports.get(int(trap["if_index"]))
            rooms = (room,) if room else rooms
        data: dict[str, object] = {
            k: trap[k] for k in ("name", "trap_oid", "if_index", "source") if k in trap
        }
        self._record([NetEvent(float(trap.get("ts", time.time())), "net.trap", name, rooms, data)])
        if device is not None:
            task = asyncio.create_task(self._repoll(device))
            self._repolls.add(task)
            task.add_done_callback(self._repolls.discard)

    async def _repoll(self, device: NetDevice) -> None:
        self.on_sample(await self.poller.poll_now(device))

    # --- outputs --------------------------------------------------------------------------------

    def device_views(self, names: Iterable[str] | None = None) -> list[NetDeviceView]:
        chosen = self.devices if names is None else [n for n in names if n in self.devices]
        return [net_device_view(self.devices[n], self.states.get(n)) for n in chosen]

    def room_views(self, rooms: Iterable[str] | None = None) -> list[RoomNetworkView]:
        if rooms is None:
            return list(self.rooms.values())
        return [self.rooms[r] for r in rooms if r in self.rooms]

    def room_health(self, room: str, now: float | None = None) -> RoomNetwork:
        now = time.time() if now is None else now
        per_student = self._per_student_kbps(room)
        return room_network(room, self.devices, self.states, self._testers(room), per_student, now)

    def tick(self, now: float) -> None:
        """Rooms are re-judged on the clock too: testers come and go, a reboot ages out."""
        changed = self._rejudge(self._served(), now)
        if changed:
            self._changed([], changed)

    def cited(self, room: str, since: float, until: float) -> list[tuple[float, str]]:
        """What the network showed for ``room`` around a room-level incident: its state then,
        and the network events of the window, as (time, text) for the drafted timeline."""
        lines = [(until, text) for text in network_at(room, self.devices, self.states, until)]
        for event in self.recent:
            if since <= event.ts <= until and room in event.rooms:
                lines.append((event.ts, describe(event)))
        return sorted(lines)

    # --- internals ------------------------------------------------------------------------------

    def _served(self) -> set[str]:
        return {room for d in self.devices.values() for room in served_rooms(d)}

    def _testers(self, room: str) -> int:
        live = self._live.get(room)
        if live is not None and live.current_roster:
            return len(live.current_roster)
        return sum(1 for d in self._fleet.values() if d.room == room and d.connections)

    def _rejudge(self, rooms: Iterable[str], now: float | None = None) -> list[str]:
        changed = []
        for room in rooms:
            if not serving(room, self.devices):
                continue
            fresh = room_network_view(self.room_health(room, now))
            if self.rooms.get(room) != fresh:
                self.rooms[room] = fresh
                changed.append(room)
        return changed

    def _record(self, events: list[NetEvent]) -> None:
        if not events:
            return
        self.recent.extend(events)
        cutoff = events[-1].ts - RECENT_S
        while self.recent and self.recent[0].ts < cutoff:
            self.recent.popleft()
        self._record_events([fleet_event(e) for e in events])


def fleet_event(event: NetEvent) -> FleetEvent:
    """The hub's log keys events by device: a network device's id is "net:NAME"."""
    device_id = NETWORK_DEVICE_PREFIX + event.device
    room = event.rooms[0] if len(event.rooms) == 1 else None
    data = {**event.data, "rooms": list(event.rooms), "text": describe(event)}
    return FleetEvent(ts=event.ts, kind=event.kind, device_id=device_id, room=room, data=data)


def describe(event: NetEvent) -> str:
    """One plain line for an event log or a timeline."""
    what = {
        "net.unreachable": "stopped answering",
        "net.reachable": "answers again",
        "net.rebooted": "restarted",
        "net.link_down": "port {interface} down",
        "net.link_up": "port {interface} up",
        "net.ups_on_battery": "on battery",
        "net.ups_on_mains": "back on mains power",
        "net.trap": "sent {name}",
    }.get(event.kind, event.kind)
    fields = {"interface": event.data.get("interface") or event.data.get("if_index", "?"),
              "name": event.data.get("name") or event.data.get("trap_oid", "a trap")}  # fmt: skip
    return f"{event.device} {what.format(**fields)}"
