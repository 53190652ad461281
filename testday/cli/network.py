"""Provides `testday network`: each room's network health and the watched devices, from a hub."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import tzinfo
from pathlib import Path

import msgspec

from testday.cli.hub_api import HubApiError, hub_get
from testday.console_client.network_text import (
    DEVICE_COLUMNS,
    EMPTY,
    STATUS_RANK,
    columns,
    device_cells,
    device_order,
    failure_text,
    room_order,
)
from testday.console_protocol.network_views import NetDeviceView, NetworkReport, RoomNetworkView

DESCRIPTION = """\
Ask a hub what its network watch sees: each room's network health (problems first, with every
reason) and each access point, switch and UPS it polls over SNMP.

Exit status: 0 when every room's network is ok or unknown, 1 when any room has a problem (a
warning alone is 0, as with `testday session check`), 2 when the hub cannot be asked.
"""


def add_arguments(sub: argparse._SubParsersAction) -> None:
    network = sub.add_parser(
        "network",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    network.add_argument("--hub", help="hub address ($TESTDAY_HUB; default http://127.0.0.1:8765)")
    network.add_argument(
        "--console-token",
        help="operator secret ($TESTDAY_CONSOLE_TOKEN; default: the local hub's data directory)",
    )
    network.add_argument("--data", type=Path, default=None, help="local hub's data directory")
    network.add_argument(
        "--json", action="store_true", help="print the hub's /api/network answer as it is"
    )


def run_network(args: argparse.Namespace, data_dir: Path) -> int:
    try:
        report = hub_get(args, data_dir, "/api/network", NetworkReport)
    except HubApiError as exc:
        print(f"testday network: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(msgspec.json.format(msgspec.json.encode(report), indent=2).decode())
    else:
        print(render_network(report, time.time()))
    return exit_code(report)


def exit_code(report: NetworkReport) -> int:
    """1 when any room's network has a problem; warnings and unknowns do not fail a check."""
    return int(any(room.status == "problem" for room in report.rooms))


def render_network(report: NetworkReport, now: float, tz: tzinfo | None = None) -> str:
    """Rooms (problems first, each reason on its own line), then devices as on the dashboard."""
    rooms, devices = report.rooms, report.devices
    if not rooms and not devices:
        return EMPTY
    lines = [*_rooms(rooms), "", *_devices(devices, now, tz), ""]
    trap_port = report.trap_port
    lines.append(f"traps: listening on UDP {trap_port}" if trap_port else "traps: no receiver")
    lines.append(_totals(rooms, devices))
    return "\n".join(lines)


def _rooms(rooms: Sequence[RoomNetworkView]) -> list[str]:
    if not rooms:
        return ["rooms: none judged yet (each is judged once its devices are polled)"]
    lines = []
    ordered = sorted(rooms, key=room_order)
    heads = columns([("ROOM", "NETWORK", "SUMMARY")] + [_room_head(r) for r in ordered])
    lines.append(heads[0])
    for room, head in zip(ordered, heads[1:], strict=True):
        lines.append(head)
        for reason in room.reasons:
            lines.append(f"    {reason.severity}: {reason.message}")
    return lines


def _room_head(room: RoomNetworkView) -> tuple[str, str, str]:
    return room.room, room.status, room.summary


def _devices(devices: Sequence[NetDeviceView], now: float, tz: tzinfo | None) -> list[str]:
    if not devices:
        return ["no network devices listed"]
    ordered = sorted(devices, key=device_order)
    header = tuple(label.upper() for _, label, _ in DEVICE_COLUMNS)
    rows = [tuple(device_cells(d, now, tz).values()) for d in ordered]
    lines = columns([header, *rows])
    out = [lines[0]]
    for device, line in zip(ordered, lines[1:], strict=True):
        out.append(line)
        why = failure_text(device) if device.reachable is False else ""
        if why:
            out.append(f"    {why}")
    return out


def _totals(rooms: Sequence[RoomNetworkView], devices: Sequence[NetDeviceView]) -> str:
    counts: Counter[str] = Counter(r.status for r in rooms)
    by_status = ", ".join(f"{counts[s]} {s}" for s in STATUS_RANK if counts[s])
    unreachable = sum(1 for d in devices if d.reachable is False)
    return (
        f"{plural(len(rooms), 'room')}: {by_status or 'none'} · "
        f"{plural(len(devices), 'device')}, {unreachable} unreachable"
    )


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")
