"""Provides `testday demo`: an embedded hub and a simulated fleet on loopback, then the table."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from testday.cli.fleet_table import render_table
from testday.demo.simulated_fleet import SimulatedFleet, build_scenario
from testday.hub.hub import Hub, HubSettings


def run_demo(args: argparse.Namespace) -> int:
    if args.rooms < 1 or args.devices < 1:
        print("testday demo: --rooms and --devices must be at least 1", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="testday-demo-") as tmp:
        return asyncio.run(_demo(args, Path(tmp)))


async def _demo(args: argparse.Namespace, tmp: Path) -> int:
    data_dir = tmp / "hub"
    data_dir.mkdir(parents=True)
    # NWEA publishes secure-browser minimums per OS, so the scenario's outdated apps show up.
    (data_dir / "site.toml").write_text(
        '[site]\nname = "Demo Middle School"\ndefault_profile = "nwea-map"\n'
    )
    settings = HubSettings(data_dir=data_dir, host="127.0.0.1", port=0, interval_s=2.0)
    async with Hub(settings) as hub:
        profile = hub.profiles[hub.site.profile_for(None)]
        agents = build_scenario(profile, args.rooms, args.devices, args.seed)
        fleet = SimulatedFleet(
            agents, f"ws://127.0.0.1:{hub.port}", hub.secrets.agent_token, tmp / "agents"
        )
        print(
            f"hub on ws://127.0.0.1:{hub.port}; starting {len(agents)} simulated devices in "
            f"{args.rooms} rooms (profile {profile.name}, seed {args.seed})…",
            flush=True,
        )
        await fleet.start()
        connected = await fleet.wait_connected()
        print(
            f"{connected}/{len(agents)} connected; letting them report for {args.seconds:g} s…",
            flush=True,
        )
        await asyncio.sleep(args.seconds)
        print(render_table(hub.devices_json()))
        await fleet.stop()
    return 0
