"""Provides room network health: each room judged from its devices' states, reasons and a line.

Pure. A room no device serves, or none polled yet, is ``unknown``. Codes are part of the product's
interface (stored, exported, shown on the Network screen): add new ones, never rename.

- ``net.ap_unreachable`` (problem): the room's access point does not answer.
- ``net.ap_over_capacity`` (warning): the AP carries more clients than its capacity for testing.
- ``net.port_down`` (problem): the switch port feeding the room is down.
- ``net.uplink_busy``: the room's port at ≥ 80 % of its speed (warning), ≥ 95 % (problem).
- ``net.uplink_short`` (warning): the port's speed is below testers × the profile's per-student
  bandwidth (skipped when the profile gives none).
- ``net.ups_on_battery`` (problem): a UPS powering the room's network is on battery.
- ``net.ups_unreachable``, ``net.switch_unreachable``, ``net.controller_unreachable`` (warning):
  the device does not answer; the room may still work, but it cannot be watched.
- ``net.device_rebooted`` (warning): a device serving the room restarted in the last 10 minutes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal

from testday.core.net_state import InterfaceState, NetDevice, NetDeviceState
from testday.core.presentation import duration, hhmm

__all__ = ["CODES", "NetReason", "RoomNetwork", "network_at", "room_network", "serving"]

Severity = Literal["warning", "problem"]
Status = Literal["ok", "warning", "problem", "unknown"]

CODES = (
    "net.ap_unreachable", "net.ap_over_capacity", "net.port_down", "net.uplink_busy",
    "net.uplink_short", "net.ups_on_battery", "net.ups_unreachable", "net.switch_unreachable",
    "net.controller_unreachable", "net.device_rebooted",
)  # fmt: skip
BUSY_WARN, BUSY_PROBLEM = 0.80, 0.95
REBOOT_WINDOW_S = 600.0


@dataclass(frozen=True)
class _Kind:
    label: str  # on the room card and in timelines
    title: str  # in reason messages
    unreachable: str  # the code when it does not answer, with its severity
    severity: Severity


KIND = {
    "access_point": _Kind("AP", "Access point", "net.ap_unreachable", "problem"),
    "switch": _Kind("switch", "Switch", "net.switch_unreachable", "warning"),
    "wireless_controller": _Kind(
        "controller", "Wireless controller", "net.controller_unreachable", "warning"
    ),
    "ups": _Kind("UPS", "UPS", "net.ups_unreachable", "warning"),
}
ADVICE = {
    "access_point": "check it has power and its cable is plugged in; the room's Wi-Fi may be down",
    "switch": "the room's port cannot be checked; if devices drop too, check the switch",
    "wireless_controller": "access points may keep working; check the controller",
    "ups": "whether it is on mains or battery is unknown",
}
# The room card reads the access point first, then its uplink, then power.
ORDER = ("access_point", "switch", "ups", "wireless_controller")


@dataclass(frozen=True)
class NetReason:
    code: str
    severity: Severity
    message: str  # for the technician, in plain words
    device: str
    value: str | float | None = None
    threshold: str | float | None = None


@dataclass(frozen=True)
class RoomNetwork:
    room: str
    status: Status
    reasons: tuple[NetReason, ...]  # problems first
    summary: str  # one line for the room card


def _key(room: str) -> str:
    return room.strip().casefold()  # as site.toml's room lookup forgives


def serving(room: str, devices: Mapping[str, NetDevice]) -> list[NetDevice]:
    """The devices listing ``room`` (or a switch port feeding it), access points first."""
    key = _key(room)
    found = [d for d in devices.values() if key in map(_key, (*d.rooms, *d.ports.values()))]
    return sorted(found, key=lambda d: ORDER.index(d.kind))


def _ports(room: str, device: NetDevice, state: NetDeviceState) -> list[InterfaceState]:
    feeding = {i for i, r in device.ports.items() if _key(r) == _key(room)}
    return [i for i in state.interfaces if i.index in feeding]


def _port_name(port: InterfaceState) -> str:
    return port.name or f"ifIndex {port.index}"


def _bps(value: float) -> str:
    units = (("Gbit/s", 1e9), ("Mbit/s", 1e6), ("kbit/s", 1e3), ("bit/s", 1.0))
    unit, scale = next((u, s) for u, s in units if value >= s or s == 1.0)
    return f"{round(value / scale, 1):g} {unit}"


def room_network(
    room: str,
    devices: Mapping[str, NetDevice],
    states: Mapping[str, NetDeviceState],
    testers: int,
    per_student_kbps: float | None,
    now: float,
    *,
    tz: tzinfo | None = None,
) -> RoomNetwork:
    """The room's network health; ``tz`` sets how times in messages read (None: local time)."""
    found = serving(room, devices)
    if not found:
        return RoomNetwork(room, "unknown", (), "no network device listed for this room")
    reasons: list[NetReason] = []
    parts: list[str] = []
    polled = False
    for device in found:
        state = states.get(device.name)
        label = f"{KIND[device.kind].label} {device.name}"
        if state is None or state.reachable is None:
            parts.append(f"{label} not polled yet")
            continue
        polled = True
        if not state.reachable:
            reasons.append(_unreachable(device, state, now, tz))
            since = state.unreachable_since
            parts.append(f"{label} unreachable" + (f" since {hhmm(since, tz)}" if since else ""))
            continue
        reasons.extend(_rebooted(device, state, now, tz))
        if device.kind == "access_point":
            reasons.extend(_clients(device, state))
            clients = f" · {state.ap_clients} clients / {device.capacity}"
            parts.append(label + (clients if state.ap_clients is not None else " up"))
        elif device.kind == "switch":
            ports = _ports(room, device, state)
            for port in ports:
                reasons.extend(_port(room, device, port, testers, per_student_kbps))
                if port.up is False:
                    parts.append(f"{label} port {_port_name(port)} down")
            busy = [p.utilisation for p in ports if p.up and p.utilisation is not None]
            if busy:
                parts.append(f"uplink {max(busy) * 100:.0f} %")
        elif device.kind == "ups" and state.ups is not None and state.ups.on_battery:
            reasons.append(_on_battery(device, state))
            parts.append(f"{label} on battery{_left(state.ups.minutes_left)}")
    reasons.sort(key=lambda r: r.severity != "problem")  # stable: equal severities keep order
    status: Status = reasons[0].severity if reasons else "ok" if polled else "unknown"
    return RoomNetwork(room, status, tuple(reasons), " · ".join(parts))


def _unreachable(
    device: NetDevice, state: NetDeviceState, now: float, tz: tzinfo | None
) -> NetReason:
    kind = KIND[device.kind]
    since = state.unreachable_since
    when = f"since {hhmm(since, tz)}" if since is not None else "at the last poll"
    detail = f" ({state.detail})" if state.detail else ""
    message = f"{kind.title} {device.name} has not answered {when}{detail} — {ADVICE[device.kind]}"
    down = None if since is None else round(max(0.0, now - since))
    return NetReason(kind.unreachable, kind.severity, message, device.name, down)


def _rebooted(
    device: NetDevice, state: NetDeviceState, now: float, tz: tzinfo | None
) -> Iterator[NetReason]:
    at = state.rebooted_at
    if at is None or not 0 <= now - at < REBOOT_WINDOW_S:
        return
    message = (
        f"{KIND[device.kind].title} {device.name} restarted at {hhmm(at, tz)} "
        f"({duration(now - at)} ago) — devices may have dropped and reconnected; watch for a repeat"
    )
    yield NetReason(
        "net.device_rebooted", "warning", message, device.name, round(now - at), REBOOT_WINDOW_S
    )


def _clients(device: NetDevice, state: NetDeviceState) -> Iterator[NetReason]:
    clients = state.ap_clients
    if clients is None or clients <= device.capacity:
        return
    message = (
        f"Access point {device.name} carries {clients} devices, more than the {device.capacity} "
        "it serves well for testing — move some to another access point or stagger the start"
    )
    yield NetReason(
        "net.ap_over_capacity", "warning", message, device.name, clients, device.capacity
    )


def _port(
    room: str,
    device: NetDevice,
    port: InterfaceState,
    testers: int,
    per_student_kbps: float | None,
) -> Iterator[NetReason]:
    where = f"{device.name} port {_port_name(port)}"
    if port.up is False:
        message = (
            f"Switch {where}, which feeds room {room}, is down — check the cable in the closet "
            "and at the room's access point"
        )
        yield NetReason("net.port_down", "problem", message, device.name, "down", "up")
        return
    used = port.utilisation
    if used is not None and used >= BUSY_WARN:
        severity: Severity = "problem" if used >= BUSY_PROBLEM else "warning"
        limit = BUSY_PROBLEM if severity == "problem" else BUSY_WARN
        message = (
            f"Room {room}'s uplink ({where}) is {used * 100:.0f} % busy — tests may load slowly; "
            "stop large downloads and updates on that network"
        )
        yield NetReason(
            "net.uplink_busy", severity, message, device.name, round(used * 100, 1), limit * 100
        )
    if per_student_kbps is None or not port.speed_bps:
        return
    needed = testers * per_student_kbps * 1000
    if port.speed_bps < needed:
        message = (
            f"Room {room}'s uplink ({where}) runs at {_bps(port.speed_bps)}, less than the "
            f"{_bps(needed)} its {testers} testers need ({per_student_kbps:g} kbit/s each) — "
            "move the room to a faster port or test fewer devices at once"
        )
        yield NetReason("net.uplink_short", "warning", message, device.name, port.speed_bps, needed)


def _on_battery(device: NetDevice, state: NetDeviceState) -> NetReason:
    ups = state.ups
    assert ups is not None  # checked by the caller
    known = [f"{ups.charge_percent} % charge"] if ups.charge_percent is not None else []
    if ups.minutes_left is not None:
        known.append(f"about {ups.minutes_left} min left")
    detail = f" ({', '.join(known)})" if known else ""
    message = (
        f"UPS {device.name} is on battery{detail} — the network equipment it powers goes down "
        "when it runs out; restore mains power or plan to pause testing"
    )
    return NetReason("net.ups_on_battery", "problem", message, device.name, ups.minutes_left)


def _left(minutes: int | None) -> str:
    return f", {minutes} min left" if minutes is not None else ""


def _hhmmss(ts: float, tz: tzinfo | None) -> str:
    return datetime.fromtimestamp(ts, tz).strftime("%H:%M:%S")


def network_at(
    room: str,
    devices: Mapping[str, NetDevice],
    states: Mapping[str, NetDeviceState],
    ts: float,
    *,
    tz: tzinfo | None = None,
) -> list[str]:
    """What the network showed for ``room`` at ``ts`` (from the states at or just after it), as
    timeline lines; [] when all was fine. A device down only after ``ts`` answered then."""
    lines: list[str] = []
    for device in serving(room, devices):
        state = states.get(device.name)
        if state is None:
            continue
        label = f"{KIND[device.kind].label} {device.name}"
        since = state.unreachable_since
        if state.reachable is False and since is not None and since <= ts:
            lines.append(f"{label} unreachable since {_hhmmss(since, tz)}")
            continue
        if state.last_answer is None:
            continue
        at = state.rebooted_at
        if at is not None and 0 <= ts - at < REBOOT_WINDOW_S:
            lines.append(f"{label} restarted at {_hhmmss(at, tz)}")
        clients = state.ap_clients
        if device.kind == "access_point" and clients is not None and clients > device.capacity:
            lines.append(f"{label} had {clients} clients (capacity {device.capacity})")
        for port in _ports(room, device, state) if device.kind == "switch" else []:
            where = f"{label} port {_port_name(port)} (room {room})"
            if port.up is False:
                lines.append(f"{where} down")
            elif port.utilisation is not None and port.utilisation >= BUSY_WARN:
                lines.append(f"{where} {port.utilisation * 100:.0f} % busy")
        ups = state.ups
        if device.kind == "ups" and ups is not None and ups.on_battery:
            lines.append(f"{label} on battery{_left(ups.minutes_left)}")
    return lines
