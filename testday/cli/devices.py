"""Provides `testday devices`: the live fleet from a hub, as a table (problems first) or JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from testday.cli.fleet_table import render_table
from testday.cli.hub_api import (
    DEFAULT_HUB,
    HubApiError,
    console_token,
    get_json,
    http_base,
    hub_get,
)

# Other commands found these here first.
__all__ = ["DEFAULT_HUB", "console_token", "fetch_devices", "http_base", "run_devices"]


def fetch_devices(hub: str, token: str | None, room: str | None = None) -> list[dict[str, Any]]:
    return get_json(hub, token, "/api/devices", {"room": room} if room else None)


def run_devices(args: argparse.Namespace, data_dir: Path) -> int:
    try:
        query = {"room": args.room} if args.room else None
        devices = hub_get(args, data_dir, "/api/devices", query)
    except HubApiError as exc:
        print(f"testday devices: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(devices, indent=2))
    else:
        print(render_table(devices))
    return 0
