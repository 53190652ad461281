"""Provides `testday demo`: an embedded hub and a simulated fleet on loopback, in the dashboard."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path

from testday.cli.fleet_table import render_table
from testday.console_client.owned_hub import OwnedHubClient
from testday.demo.demo_hub import DemoHub, DemoOptions


def add_arguments(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "demo",
        description="Start an embedded hub and a simulated fleet (real agent code, simulated "
        "readings, real loopback websockets) and open the dashboard on it.",
    )
    parser.add_argument("--rooms", type=int, default=4, help="rooms (default 4)")
    parser.add_argument("--devices", type=int, default=30, help="devices per room (default 30)")
    parser.add_argument("--seed", type=int, default=1, help="scenario seed (default 1)")
    parser.add_argument(
        "--speed",
        type=float,
        default=2.0,
        help="batteries drain this many times faster than in life (default 2)",
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        help="no dashboard: run for --seconds, then print the fleet table",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=6.0,
        help="with --plain: how long to run before printing (default 6)",
    )


def run_demo(args: argparse.Namespace) -> int:
    if args.rooms < 1 or args.devices < 1 or args.speed <= 0:
        print(
            "testday demo: --rooms and --devices must be at least 1, --speed above 0",
            file=sys.stderr,
        )
        return 2
    options = DemoOptions(rooms=args.rooms, devices=args.devices, seed=args.seed, speed=args.speed)
    with tempfile.TemporaryDirectory(prefix="testday-demo-") as tmp:
        demo = DemoHub(Path(tmp), options)
        if args.plain:
            return asyncio.run(_plain(demo, args.seconds))
        # Warnings would draw over the dashboard: they go to a file instead.
        logging.basicConfig(filename=Path(tmp) / "demo.log", level=logging.WARNING)
        from testday.tui.run import run_dashboard

        run_dashboard(OwnedHubClient(demo.make_hub(), demo.start_fleet, demo.stop_fleet))
    return 0


async def _plain(demo: DemoHub, seconds: float) -> int:
    hub = demo.make_hub()
    async with hub:
        await demo.start_fleet()
        assert demo.fleet is not None
        total = len(demo.fleet.scenario.agents)
        print(
            f"hub on ws://127.0.0.1:{hub.port}; {total} simulated devices in "
            f"{demo.options.rooms} rooms (seed {demo.options.seed})…",
            flush=True,
        )
        connected = await demo.fleet.wait_connected()
        print(f"{connected}/{total} connected; running for {seconds:g} s…", flush=True)
        await asyncio.sleep(seconds)
        print(render_table(hub.views.devices()))
        await demo.stop_fleet()
    return 0
