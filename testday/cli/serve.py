"""Provides `testday serve`: run the hub until interrupted, and say how agents connect."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from pathlib import Path

import psutil

from testday.config.files import SECRETS_FILE, default_data_dir
from testday.config.profiles import ProfileError
from testday.config.site import SiteError
from testday.hub.hub import Hub, HubSettings
from testday.hub.network_watch import NetworkStartError

DEFAULT_PORT = 8765


def add_arguments(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser(
        "serve",
        description="Run the hub: agents report to ws://HOST:PORT/agent; operators read "
        "/api/devices; /healthz and /metrics are open. Secrets not given by flag or "
        "environment are generated once and kept in the data directory.",
    )
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (0 picks a free one)")
    serve.add_argument(
        "--data",
        type=Path,
        default=None,
        help="data directory (default: $TESTDAY_DATA or ~/.local/share/testday)",
    )
    serve.add_argument("--agent-token", help="site enrollment secret ($TESTDAY_AGENT_TOKEN)")
    serve.add_argument("--console-token", help="operator secret ($TESTDAY_CONSOLE_TOKEN)")
    serve.add_argument("--profiles", type=Path, help="folder of platform profiles (*.toml)")
    serve.add_argument(
        "--interval", type=float, default=15.0, help="seconds between agent reports (default 15)"
    )
    serve.add_argument("-v", "--verbose", action="store_true", help="log connections")


def settings_from_args(args: argparse.Namespace, data_dir: Path) -> HubSettings:
    """Hub settings from `serve`'s (or an embedded console's) options; flags beat environment."""
    return HubSettings(
        data_dir=data_dir,
        host=args.host,
        port=args.port,
        interval_s=args.interval,
        profiles_dir=args.profiles,
        agent_token=getattr(args, "agent_token", None) or os.environ.get("TESTDAY_AGENT_TOKEN"),
        console_token=args.console_token or os.environ.get("TESTDAY_CONSOLE_TOKEN"),
    )


def run_serve(args: argparse.Namespace, data_dir: Path) -> int:
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    settings = settings_from_args(args, data_dir)
    try:
        hub = Hub(settings)
    except (ProfileError, SiteError, ValueError) as exc:
        print(f"testday serve: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_serve(hub))


async def _serve(hub: Hub) -> int:
    try:
        await hub.start()
    except NetworkStartError as exc:
        print(f"testday serve: {exc}", file=sys.stderr)
        await hub.stop()
        return 2
    except OSError as exc:
        print(
            f"testday serve: cannot listen on {hub.settings.host}:{hub.settings.port}: "
            f"{exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    _print_banner(hub)
    try:
        await stop.wait()
    finally:
        await hub.stop()
    return 0


def _print_banner(hub: Hub) -> None:
    host = hub.settings.host
    shown = _lan_address() if host in ("0.0.0.0", "::", "") else host
    url = f"ws://{shown}:{hub.port}"
    kept = hub.settings.data_dir / SECRETS_FILE
    # The site secret enrolls any device: printed once, when it is made, never on a restart
    # (a terminal's scrollback and a service's journal keep what is printed).
    secret = hub.secrets.agent_token if hub.secrets.generated else f"<agent_token in {kept}>"
    lines = [
        f"testday hub listening on {url} (data: {hub.settings.data_dir})",
        f"  devices known: {len(hub.fleet.devices)}; profiles: {', '.join(sorted(hub.profiles))}",
        "  connect an agent:",
        f"    TESTDAY_AGENT_TOKEN={secret} testday-agent --hub {url} --room ROOM",
    ]
    if hub.secrets.generated:
        lines.append(f"  new secrets were generated and kept in {kept}: this is the only time")
    # The last line: tests and scripts read the banner up to it.
    lines.append(f"  fleet: testday devices --hub http://{shown}:{hub.port}{data_option(hub)}")
    print("\n".join(lines), flush=True)


def data_option(hub: Hub) -> str:
    """` --data DIR` when the hub keeps its data (and the operator secret) somewhere else than
    where `testday devices` looks by default, so the printed command works as it is."""
    data_dir = hub.settings.data_dir
    return "" if data_dir.resolve() == default_data_dir().resolve() else f" --data {data_dir}"


def _lan_address() -> str:
    """The first IPv4 address of an interface that is up, other than loopback."""
    stats = psutil.net_if_stats()
    for name, addresses in psutil.net_if_addrs().items():
        if name in stats and not stats[name].isup:
            continue
        for address in addresses:
            if address.family == socket.AF_INET and not address.address.startswith("127."):
                return address.address
    return "127.0.0.1"
