"""Provides `testday devices`: the live fleet from a hub, as a table (problems first) or JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from testday.cli.fleet_table import render_table

DEFAULT_HUB = "http://127.0.0.1:8765"


def http_base(hub: str) -> str:
    """Accept ws://, wss://, http:// or a bare host:port and return the HTTP base URL."""
    if hub.startswith("ws://"):
        hub = "http://" + hub[len("ws://") :]
    elif hub.startswith("wss://"):
        hub = "https://" + hub[len("wss://") :]
    elif not hub.startswith(("http://", "https://")):
        hub = "http://" + hub
    return hub.rstrip("/")


def console_token(args: argparse.Namespace, data_dir: Path) -> str | None:
    token = args.console_token or os.environ.get("TESTDAY_CONSOLE_TOKEN")
    if token:
        return token
    try:
        stored = tomllib.loads((data_dir / "secrets.toml").read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return None
    value = stored.get("console_token")
    return str(value) if value else None


def fetch_devices(hub: str, token: str | None, room: str | None = None) -> list[dict[str, Any]]:
    url = http_base(hub) + "/api/devices"
    if room:
        url += "?" + urllib.parse.urlencode({"room": room})
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token or ''}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def run_devices(args: argparse.Namespace, data_dir: Path) -> int:
    hub = args.hub or os.environ.get("TESTDAY_HUB") or DEFAULT_HUB
    token = console_token(args, data_dir)
    try:
        devices = fetch_devices(hub, token, args.room)
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            print(
                f"testday devices: {http_base(hub)} refused the operator secret; pass "
                "--console-token or set TESTDAY_CONSOLE_TOKEN",
                file=sys.stderr,
            )
        else:
            print(f"testday devices: {http_base(hub)} answered HTTP {exc.code}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        print(
            f"testday devices: cannot reach the hub at {http_base(hub)}: {reason}", file=sys.stderr
        )
        return 1
    if args.json:
        print(json.dumps(devices, indent=2))
    else:
        print(render_table(devices))
    return 0
