"""Provides the network watch's words: room and device cells and interface lines (CLI and TUI)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo
from typing import Any

from testday.console_client.fleet_order import natural_key
from testday.console_protocol.network_views import (
    InterfaceView,
    NetDeviceView,
    NetReasonView,
    RoomNetworkView,
    UpsView,
)
from testday.core.presentation import age, duration, hhmm

EMPTY = "no network devices in site.toml — see README (Network watch)"
KIND_LABEL = {"access_point": "AP", "switch": "switch", "wireless_controller": "WLC", "ups": "UPS"}
STATUS_RANK = {"problem": 0, "warning": 1, "unknown": 2, "ok": 3}  # problems first
# Table-sized names for the reason codes of testday.core.net_health.
REASON_TITLE = {
    "net.ap_unreachable": "AP unreachable",
    "net.ap_over_capacity": "AP over capacity",
    "net.port_down": "Port down",
    "net.uplink_busy": "Uplink busy",
    "net.uplink_short": "Uplink too slow",
    "net.ups_on_battery": "UPS on battery",
    "net.ups_unreachable": "UPS unreachable",
    "net.switch_unreachable": "Switch unreachable",
    "net.controller_unreachable": "WLC unreachable",
    "net.device_rebooted": "Restarted",
}
FAILURE = {  # why a poll failed (testday.core.net_state.Failure), for the technician
    "timeout": "no answer (down, or a wrong community)",
    "auth": "wrong SNMPv3 key",
    "unknown_user": "unknown SNMPv3 user",
    "decrypt": "wrong SNMPv3 privacy key",
    "error": "SNMP error",
}

# (key, label, width): keys address DataTable columns; widths fit 100 columns together.
ROOM_COLUMNS = (
    ("room", "Room", 8),
    ("status", "Network", 8),
    ("summary", "Summary", 42),  # 2 spare: a scrollbar when rooms outgrow their third
    ("reason", "First reason", 26),
)
DEVICE_COLUMNS = (
    ("name", "Device", 12),
    ("kind", "Kind", 6),
    ("rooms", "Rooms", 10),
    ("state", "State", 23),
    ("load", "Clients · power · ports", 26),  # by kind: an AP's clients, a UPS, switch ports
    ("polled", "Polled", 8),
)


# --- rooms ------------------------------------------------------------------------------------


def room_order(room: RoomNetworkView) -> tuple[int, tuple[Any, ...]]:
    return (STATUS_RANK.get(room.status, 2), natural_key(room.room))


def reason_title(reason: NetReasonView) -> str:
    title = REASON_TITLE.get(reason.code, reason.code)
    return f"{title} ({reason.device})" if reason.device else title


def first_reason(room: RoomNetworkView) -> str:
    reasons = room.reasons
    if not reasons:
        return ""
    more = f" +{len(reasons) - 1}" if len(reasons) > 1 else ""
    return reason_title(reasons[0]) + more


def room_cells(room: RoomNetworkView) -> dict[str, str]:
    """Every column of one room's row, keyed like ROOM_COLUMNS."""
    return {
        "room": room.room,
        "status": room.status,
        "summary": room.summary,
        "reason": first_reason(room),
    }


def room_line(room: RoomNetworkView) -> str:
    """The highlighted room's first reason in full, for the line under the tables."""
    reasons = room.reasons
    if not reasons:
        return f"{room.room}: network {room.status}"
    more = f"  (+{len(reasons) - 1} more)" if len(reasons) > 1 else ""
    return f"{room.room}: {reasons[0].message}{more}"


# --- devices ----------------------------------------------------------------------------------


def device_rank(device: NetDeviceView) -> int:
    """Unreachable, then needing a look (on battery, a port down), not polled, fine."""
    if device.reachable is False:
        return 0
    if (device.ups is not None and device.ups.on_battery) or _down(device):
        return 1
    return 2 if device.reachable is None else 3


def device_order(device: NetDeviceView) -> tuple[int, tuple[Any, ...]]:
    return (device_rank(device), natural_key(device.name))


def state_text(device: NetDeviceView, tz: tzinfo | None) -> str:
    """ "ok", "unreachable since 10:02" or "not polled yet"."""
    if device.reachable is None:
        return "not polled yet"
    if device.reachable:
        return "ok"
    since = device.unreachable_since
    return "unreachable" + (f" since {hhmm(since, tz)}" if since is not None else "")


def clients_text(device: NetDeviceView) -> str:
    clients, capacity = device.ap_clients, device.capacity
    if clients is None:
        return ""
    return f"{clients}/{capacity}" if capacity else str(clients)


def ups_text(ups: UpsView | None) -> str:
    """ "on battery · 62 % · 14 min", or "on mains · 100 %"."""
    if ups is None:
        return ""
    battery = ups.on_battery
    parts = ["on battery" if battery else "on mains" if battery is False else "power unknown"]
    if ups.charge_percent is not None:
        parts.append(f"{ups.charge_percent} %")
    if battery and ups.minutes_left is not None:
        parts.append(f"{ups.minutes_left} min")
    return " · ".join(parts)


def _mapped(device: NetDeviceView) -> tuple[InterfaceView, ...]:
    """The ports feeding rooms; a switch without mapped ports: every interface shown."""
    interfaces = device.interfaces
    return tuple(i for i in interfaces if i.room) or interfaces


def _down(device: NetDeviceView) -> int:
    return sum(1 for i in _mapped(device) if i.up is False)


def ports_text(device: NetDeviceView) -> str:
    """Ports down, and the busiest mapped port's utilisation: "1 down · 41 %"."""
    ports = _mapped(device)
    if not ports:
        return ""
    down = _down(device)
    busy = [i.utilisation for i in ports if i.up and i.utilisation is not None]
    parts = [f"{down} down" if down else "all up"]
    if busy:
        parts.append(f"{max(busy) * 100:.0f} %")
    return " · ".join(parts)


def load_text(device: NetDeviceView) -> str:
    """What a device carries, by kind: an AP's clients, a UPS's power, a switch's ports."""
    if device.kind == "ups":
        return ups_text(device.ups)
    if device.kind == "switch":
        return ports_text(device)
    clients = clients_text(device)
    return f"{clients} clients" if clients else ""


def age_text(device: NetDeviceView, now: float) -> str:
    return "-" if device.last_poll is None else age(device.last_poll, now)


def device_cells(device: NetDeviceView, now: float, tz: tzinfo | None) -> dict[str, str]:
    """Every column of one device's row, keyed like DEVICE_COLUMNS."""
    return {
        "name": device.name,
        "kind": KIND_LABEL.get(device.kind, device.kind),
        "rooms": ", ".join(device.rooms) or "-",
        "state": state_text(device, tz),
        "load": load_text(device),
        "polled": age_text(device, now),
    }


def failure_text(device: NetDeviceView) -> str:
    """Why it does not answer: the poller's own words, else its failure's."""
    if device.detail:
        return device.detail
    failure = device.failure
    return FAILURE.get(failure, failure) if failure else ""


def device_line(device: NetDeviceView, tz: tzinfo | None) -> str:
    """The highlighted device in one line: address, state, why."""
    why = failure_text(device) if device.reachable is False else ""
    line = f"{device.name} ({device.address}): {state_text(device, tz)}"
    return line + (f" — {why}" if why else "")


def uptime_text(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    if seconds >= 2 * 86_400:
        days, rest = divmod(round(seconds), 86_400)
        return f"{days} d {rest // 3600} h"
    return duration(seconds)


def rate(bps: float | None) -> str:
    if bps is None:
        return "-"
    units = (("G", 1e9), ("M", 1e6), ("k", 1e3))
    unit, scale = next(((u, s) for u, s in units if bps >= s), ("", 1.0))
    return f"{bps / scale:.3g} {unit}bit/s"


INTERFACE_HEADER = ("INTERFACE", "LINK", "SPEED", "IN", "OUT", "UTIL", "ERR/S", "ROOM")


def interface_rows(device: NetDeviceView) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for i in device.interfaces:
        up, util, errors = i.up, i.utilisation, i.errors_per_s
        rows.append((
            i.name or f"ifIndex {i.index}",
            "up" if up else "down" if up is False else "?",
            rate(i.speed_bps),
            rate(i.in_bps),
            rate(i.out_bps),
            f"{util * 100:.0f} %" if util is not None else "-",
            f"{errors:.2g}" if errors is not None else "-",
            i.room or "-",
        ))  # fmt: skip
    return rows


def columns(rows: Iterable[tuple[str, ...]], indent: str = "") -> list[str]:
    """Rows as left-aligned columns two spaces apart."""
    rows = list(rows)
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def interface_lines(device: NetDeviceView) -> list[str]:
    rows = interface_rows(device)
    return columns([INTERFACE_HEADER, *rows]) if rows else ["no interfaces reported"]
