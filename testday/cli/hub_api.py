"""Provides the shell commands' reads of a running hub: its address, the operator secret, GET.

What the hub answers is decoded into the console contract's typed views, so a field renamed on
one side fails here with the field's name, never as a wrong cell further on.
"""

from __future__ import annotations

import argparse
import os
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TypeVar

import msgspec

from testday.config.files import SECRETS_FILE

T = TypeVar("T")

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
        stored = tomllib.loads((data_dir / SECRETS_FILE).read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return None
    value = stored.get("console_token")
    return str(value) if value else None


def get_view(
    hub: str, token: str | None, path: str, view: type[T], query: dict[str, str] | None = None
) -> T:
    """GET ``path`` from the hub with the operator secret, decoded as ``view``; urllib's and
    msgspec's errors pass through."""
    url = http_base(hub) + path
    if query:
        url += "?" + urllib.parse.urlencode(query)
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token or ''}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return msgspec.json.decode(response.read(), type=view)


def hub_get(
    args: argparse.Namespace,
    data_dir: Path,
    path: str,
    view: type[T],
    query: dict[str, str] | None = None,
) -> T:
    """What ``path`` answers on the hub ``args`` names; HubApiError says why it could not."""
    hub = hub_address(args)
    try:
        return get_view(hub, console_token(args, data_dir), path, view, query)
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            raise HubApiError(
                f"{http_base(hub)} refused the operator secret; pass --console-token or set "
                "TESTDAY_CONSOLE_TOKEN"
            ) from None
        raise HubApiError(f"{http_base(hub)} answered HTTP {exc.code}") from None
    except msgspec.ValidationError as exc:
        raise HubApiError(
            f"{http_base(hub)}{path} answered in a shape this testday cannot read "
            f"(a hub of another version?): {exc}"
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise HubApiError(f"cannot reach the hub at {http_base(hub)}: {reason}") from None
