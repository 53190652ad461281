"""Provides the shell commands' reads of a running hub: its address, the operator secret, GET."""

from __future__ import annotations

import argparse
import json
import os
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

DEFAULT_HUB = "http://127.0.0.1:8765"


class HubApiError(Exception):
    """The hub could not be asked, or refused; the message says which, in plain words."""


def http_base(hub: str) -> str:
    """Accept ws://, wss://, http:// or a bare host:port and return the HTTP base URL."""
    if hub.startswith("ws://"):
        hub = "http://" + hub[len("ws://") :]
    elif hub.startswith("wss://"):
        hub = "https://" + hub[len("wss://") :]
    elif not hub.startswith(("http://", "https://")):
        hub = "http://" + hub
    return hub.rstrip("/")


def hub_address(args: argparse.Namespace) -> str:
    return args.hub or os.environ.get("TESTDAY_HUB") or DEFAULT_HUB


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


def get_json(hub: str, token: str | None, path: str, query: dict[str, str] | None = None) -> Any:
    """GET ``path`` from the hub with the operator secret; urllib's errors pass through."""
    url = http_base(hub) + path
    if query:
        url += "?" + urllib.parse.urlencode(query)
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token or ''}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def hub_get(
    args: argparse.Namespace, data_dir: Path, path: str, query: dict[str, str] | None = None
) -> Any:
    """What ``path`` answers on the hub ``args`` names; HubApiError says why it could not."""
    hub = hub_address(args)
    try:
        return get_json(hub, console_token(args, data_dir), path, query)
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            raise HubApiError(
                f"{http_base(hub)} refused the operator secret; pass --console-token or set "
                "TESTDAY_CONSOLE_TOKEN"
            ) from None
        raise HubApiError(f"{http_base(hub)} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise HubApiError(f"cannot reach the hub at {http_base(hub)}: {reason}") from None
