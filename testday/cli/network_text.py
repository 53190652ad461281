"""Provides the network watch's words: room and device cells, interface lines, the CLI report."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from datetime import tzinfo
from typing import Any

from testday.cli.fleet_table import _seen
from testday.console_client.fleet_order import natural_key
from testday.core.reasons import duration, hhmm

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


def room_order(room: dict[str, Any]) -> Hashable:
    return (STATUS_RANK.get(room.get("status", ""), 2), natural_key(room["room"]))


def reason_title(reason: dict[str, Any]) -> str:
    code = str(reason.get("code", ""))
    title = REASON_TITLE.get(code, code)
    return f"{title} ({reason['device']})" if reason.get("device") else title


def first_reason(room: dict[str, Any]) -> str:
    reasons = room.get("reasons") or []
    if not reasons:
        return ""
    more = f" +{len(reasons) - 1}" if len(reasons) > 1 else ""
    return reason_title(reasons[0]) + more


def room_cells(room: dict[str, Any]) -> dict[str, str]:
    """Every column of one room's row, keyed like ROOM_COLUMNS."""
    return {
        "room": room["room"],
        "status": str(room.get("status", "unknown")),
        "summary": str(room.get("summary") or ""),
        "reason": first_reason(room),
    }


def room_line(room: dict[str, Any]) -> str:
    """The highlighted room's first reason in full, for the line under the tables."""
    reasons = room.get("reasons") or []
    if not reasons:
        return f"{room['room']}: network {room.get('status', 'unknown')}"
    more = f"  (+{len(reasons) - 1} more)" if len(reasons) > 1 else ""
    return f"{room['room']}: {reasons[0].get('message', '')}{more}"


# --- devices ----------------------------------------------------------------------------------


def device_rank(device: dict[str, Any]) -> int:
    """Unreachable, then needing a look (on battery, a port down), not polled, fine."""
    reachable = device.get("reachable")
    if reachable is False:
        return 0
    if (device.get("ups") or {}).get("on_battery") or _down(device):
        return 1
    return 2 if reachable is None else 3


def device_order(device: dict[str, Any]) -> Hashable:
    return (device_rank(device), natural_key(device["name"]))


def state_text(device: dict[str, Any], tz: tzinfo | None) -> str:
    """ "ok", "unreachable since 10:02" or "not polled yet"."""
    reachable = device.get("reachable")
    if reachable is None:
        return "not polled yet"
    if reachable:
        return "ok"
    since = device.get("unreachable_since")
    return "unreachable" + (f" since {hhmm(since, tz)}" if since is not None else "")


def clients_text(device: dict[str, Any]) -> str:
    clients, capacity = device.get("ap_clients"), device.get("capacity")
    if clients is None:
        return ""
    return f"{clients}/{capacity}" if capacity else str(clients)


def ups_text(ups: dict[str, Any] | None) -> str:
    """ "on battery · 62 % · 14 min", or "on mains · 100 %"."""
    if not ups:
        return ""
    battery = ups.get("on_battery")
    parts = ["on battery" if battery else "on mains" if battery is False else "power unknown"]
    if ups.get("charge_percent") is not None:
        parts.append(f"{ups['charge_percent']} %")
    if battery and ups.get("minutes_left") is not None:
        parts.append(f"{ups['minutes_left']} min")
    return " · ".join(parts)


def _mapped(device: dict[str, Any]) -> list[dict[str, Any]]:
    """The ports feeding rooms; a switch without mapped ports: every interface shown."""
    interfaces = device.get("interfaces") or []
    return [i for i in interfaces if i.get("room")] or interfaces


def _down(device: dict[str, Any]) -> int:
    return sum(1 for i in _mapped(device) if i.get("up") is False)


def ports_text(device: dict[str, Any]) -> str:
    """Ports down, and the busiest mapped port's utilisation: "1 down · 41 %"."""
    ports = _mapped(device)
    if not ports:
        return ""
    down = _down(device)
    busy = [i["utilisation"] for i in ports if i.get("up") and i.get("utilisation") is not None]
    parts = [f"{down} down" if down else "all up"]
    if busy:
        parts.append(f"{max(busy) * 100:.0f} %")
    return " · ".join(parts)


def load_text(device: dict[str, Any]) -> str:
    """What a device carries, by kind: an AP's clients, a UPS's power, a switch's ports."""
    kind = device.get("kind")
    if kind == "ups":
        return ups_text(device.get("ups"))
    if kind == "switch":
        return ports_text(device)
    clients = clients_text(device)
    return f"{clients} clients" if clients else ""


def age_text(device: dict[str, Any], now: float) -> str:
    last_poll = device.get("last_poll")
    return "-" if last_poll is None else _seen(last_poll, now)


def device_cells(device: dict[str, Any], now: float, tz: tzinfo | None) -> dict[str, str]:
    """Every column of one device's row, keyed like DEVICE_COLUMNS."""
    return {
        "name": device["name"],
        "kind": KIND_LABEL.get(device.get("kind", ""), str(device.get("kind", "?"))),
        "rooms": ", ".join(device.get("rooms") or ()) or "-",
        "state": state_text(device, tz),
        "load": load_text(device),
        "polled": age_text(device, now),
    }


def failure_text(device: dict[str, Any]) -> str:
    """Why it does not answer: the poller's own words, else its failure's."""
    if device.get("detail"):
        return str(device["detail"])
    failure = device.get("failure")
    return FAILURE.get(failure, str(failure)) if failure else ""


def device_line(device: dict[str, Any], tz: tzinfo | None) -> str:
    """The highlighted device in one line: address, state, why."""
    why = failure_text(device) if device.get("reachable") is False else ""
    line = f"{device['name']} ({device.get('address', '?')}): {state_text(device, tz)}"
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


def interface_rows(device: dict[str, Any]) -> list[tuple[str, ...]]:
    rows = []
    for i in device.get("interfaces") or []:
        up = i.get("up")
        util = i.get("utilisation")
        errors = i.get("errors_per_s")
        rows.append((
            str(i.get("name") or f"ifIndex {i.get('index')}"),
            "up" if up else "down" if up is False else "?",
            rate(i.get("speed_bps")),
            rate(i.get("in_bps")),
            rate(i.get("out_bps")),
            f"{util * 100:.0f} %" if util is not None else "-",
            f"{errors:.2g}" if errors is not None else "-",
            str(i.get("room") or "-"),
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


def interface_lines(device: dict[str, Any]) -> list[str]:
    rows = interface_rows(device)
    return columns([INTERFACE_HEADER, *rows]) if rows else ["no interfaces reported"]
