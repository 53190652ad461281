"""Provides the `testday` command: serve, devices, network, profiles, demo, incidents, sessions."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from testday import __version__
from testday.cli import console as console_cli
from testday.cli import demo as demo_cli
from testday.cli import deploy as deploy_cli
from testday.cli import incidents as incidents_cli
from testday.cli import network as network_cli
from testday.cli import runbook_run as runbook_run_cli
from testday.cli import runbooks as runbooks_cli
from testday.cli import sessions as sessions_cli
from testday.cli import ssh_trust as ssh_trust_cli

DEFAULT_PORT = 8765


def default_data_dir() -> Path:
    env = os.environ.get("TESTDAY_DATA")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local/share")
    return Path(base) / "testday"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="testday",
        description="Operations console for a school's online testing day: is every testing "
        "device in every room ready, and what to do when one is not.",
    )
    parser.add_argument("--version", action="version", version=f"testday {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = sub.add_parser(
        "serve",
        help="run the school's hub (agents and dashboards connect to it)",
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

    devices = sub.add_parser(
        "devices",
        help="print the live fleet, problems first",
        description="Ask a hub for its live fleet; print a table (problems first) or JSON.",
    )
    devices.add_argument(
        "--hub", help=f"hub address ($TESTDAY_HUB; default http://127.0.0.1:{DEFAULT_PORT})"
    )
    devices.add_argument(
        "--console-token",
        help="operator secret ($TESTDAY_CONSOLE_TOKEN; default: the local hub's data directory)",
    )
    devices.add_argument("--data", type=Path, default=None, help="local hub's data directory")
    devices.add_argument("--room", help="only this room")
    devices.add_argument("--json", action="store_true", help="print JSON instead of a table")
    network_cli.add_arguments(sub)

    profiles = sub.add_parser("profiles", help="testing-platform profiles")
    profiles_sub = profiles.add_subparsers(dest="profiles_command", metavar="ACTION", required=True)
    check = profiles_sub.add_parser("check", help="validate every profile; exit 1 on any error")
    check.add_argument("--profiles", type=Path, help="folder of profiles (default: shipped ones)")
    profiles_sub.add_parser("list", help="list the profiles and their key thresholds")

    console = sub.add_parser(
        "console",
        help="the live dashboard (attached to a hub, or with one embedded)",
        description="Open the live dashboard. With --hub it attaches to a running hub; "
        "without, it runs a hub inside the console that agents connect to as to `testday serve`.",
    )
    console_cli.add_arguments(console)

    demo = sub.add_parser(
        "demo",
        help="the dashboard with an embedded hub and a simulated fleet",
        description="Start an embedded hub and a simulated fleet (real agent code, simulated "
        "readings, real loopback websockets) and open the dashboard on it.",
    )
    demo_cli.add_arguments(demo)
    incidents_cli.add_arguments(sub)
    sessions_cli.add_arguments(sub)
    deploy_cli.add_arguments(sub)
    runbook_run_cli.add_arguments(runbooks_cli.add_arguments(sub))
    ssh_trust_cli.add_arguments(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            from testday.cli.serve import run_serve

            return run_serve(args, args.data or default_data_dir())
        if args.command == "devices":
            from testday.cli.devices import run_devices

            return run_devices(args, args.data or default_data_dir())
        if args.command == "network":
            return network_cli.run_network(args, args.data or default_data_dir())
        if args.command == "profiles":
            from testday.cli.profiles import run_profiles

            return run_profiles(args)
        if args.command == "console":
            return console_cli.run_console(args, args.data or default_data_dir())
        if args.command == "demo":
            return demo_cli.run_demo(args)
        if args.command in ("verify", "export", "incident"):
            return incidents_cli.run_incidents(args, args.data or default_data_dir())
        if args.command == "session":
            return sessions_cli.run_sessions(args, args.data or default_data_dir())
        if args.command == "deploy":
            return deploy_cli.run_deploy(args, args.data or default_data_dir())
        if args.command == "runbook":
            return runbooks_cli.run_runbook(args)
        if args.command == "ssh":
            return ssh_trust_cli.run_ssh(args, args.data or default_data_dir())
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
