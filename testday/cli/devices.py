"""Provides `testday devices`: the live fleet from a hub, as a table (problems first) or JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import msgspec

from testday.cli.fleet_table import render_table
from testday.cli.hub_api import DEFAULT_HUB, HubApiError, get_view, hub_get
from testday.console_protocol.device_views import DeviceView

DEVICES_PATH = "/api/devices"


def add_arguments(sub: argparse._SubParsersAction) -> None:
    devices = sub.add_parser(
        "devices",
        description="Ask a hub for its live fleet; print a table (problems first) or JSON.",
    )
    devices.add_argument("--hub", help=f"hub address ($TESTDAY_HUB; default {DEFAULT_HUB})")
    devices.add_argument(
        "--console-token",
        help="operator secret ($TESTDAY_CONSOLE_TOKEN; default: the local hub's data directory)",
    )
    devices.add_argument("--data", type=Path, default=None, help="local hub's data directory")
    devices.add_argument("--room", help="only this room")
    devices.add_argument("--json", action="store_true", help="print JSON instead of a table")


def fetch_devices(hub: str, token: str | None, room: str | None = None) -> list[DeviceView]:
    return get_view(hub, token, DEVICES_PATH, list[DeviceView], {"room": room} if room else None)


def hub_devices(
    args: argparse.Namespace, data_dir: Path, room: str | None = None
) -> list[DeviceView]:
    """The live fleet of the hub ``args`` names (one room's, with ``room``); HubApiError."""
    return hub_get(args, data_dir, DEVICES_PATH, list[DeviceView], {"room": room} if room else None)


def run_devices(args: argparse.Namespace, data_dir: Path) -> int:
    try:
        devices = hub_devices(args, data_dir, args.room)
    except HubApiError as exc:
        print(f"testday devices: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(msgspec.json.format(msgspec.json.encode(devices), indent=2).decode())
    else:
        print(render_table(devices))
    return 0
