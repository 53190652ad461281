"""Provides `testday console`: the live dashboard, attached to a hub or with one embedded."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from testday.cli.hub_api import console_token
from testday.config.files import CONSOLE_LOG, private_dir, private_file
from testday.config.profiles import ProfileError
from testday.config.site import SiteError
from testday.console_client.remote import RemoteClient
from testday.console_protocol.client import HubClient


def add_arguments(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "console",
        description="Open the live dashboard. With --hub it attaches to a running hub; "
        "without, it runs a hub inside the console that agents connect to as to `testday serve`.",
    )
    parser.add_argument(
        "--hub",
        help="attach to a running hub (e.g. http://10.0.0.5:8765); without it, a hub runs "
        "inside the console, serving agents like `testday serve`",
    )
    parser.add_argument(
        "--console-token",
        help="operator secret ($TESTDAY_CONSOLE_TOKEN; default: the local hub's data directory)",
    )
    parser.add_argument(
        "--data", type=Path, default=None, help="data directory of the local or embedded hub"
    )
    parser.add_argument("--host", default="0.0.0.0", help="embedded hub: address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="embedded hub: port")
    parser.add_argument("--profiles", type=Path, help="embedded hub: folder of profiles")
    parser.add_argument(
        "--interval", type=float, default=15.0, help="embedded hub: seconds between agent reports"
    )


def make_client(args: argparse.Namespace, data_dir: Path) -> HubClient:
    if args.hub:
        # No secret known: the hub answers 401, and the dashboard says the secret was refused.
        return RemoteClient(args.hub, console_token(args, data_dir) or "")
    # The hub (SQLite, SNMP) loads only when this console runs one itself.
    from testday.cli.serve import settings_from_args
    from testday.console_client.owned_hub import OwnedHubClient
    from testday.hub.hub import Hub

    return OwnedHubClient(Hub(settings_from_args(args, data_dir)))


def run_console(args: argparse.Namespace, data_dir: Path) -> int:
    # Logging would draw over the dashboard; warnings go to a file in the data directory.
    logging.basicConfig(
        filename=private_file(private_dir(data_dir) / CONSOLE_LOG),
        level=logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    try:
        client = make_client(args, data_dir)
    except (ProfileError, SiteError, ValueError) as exc:
        print(f"testday console: {exc}", file=sys.stderr)
        return 2
    from testday.tui.run import run_dashboard

    run_dashboard(client)
    return 0
