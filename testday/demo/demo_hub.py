"""Provides the demo's hub: an embedded hub on loopback that starts and plays a simulated fleet."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from testday.demo import demo_sessions
from testday.demo.scenario import build_scenario
from testday.demo.simulated_fleet import SimulatedFleet
from testday.hub.hub import Hub, HubSettings

DEMO_PROFILE = "nwea-map"  # NWEA publishes secure-browser minimums, so outdated apps show up
DEMO_INTERVAL_S = 2.0  # agents report faster than the real default, so the demo moves


@dataclass
class DemoOptions:
    rooms: int = 4
    devices: int = 30  # per room
    seed: int = 1
    speed: float = 2.0  # batteries drain this many times faster than in life


@dataclass
class DemoHub:
    """Builds the hub and, once it listens, the fleet; both stop together."""

    data_root: Path
    options: DemoOptions = field(default_factory=DemoOptions)
    fleet: SimulatedFleet | None = None
    hub: Hub | None = None
    _player: asyncio.Task[None] | None = None

    def make_hub(self) -> Hub:
        data_dir = self.data_root / "hub"
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / "site.toml").write_text(
            f'[site]\nname = "Demo Middle School"\ndefault_profile = "{DEMO_PROFILE}"\n'
        )
        settings = HubSettings(
            data_dir=data_dir, host="127.0.0.1", port=0, interval_s=DEMO_INTERVAL_S
        )
        self.hub = Hub(settings)
        return self.hub

    async def start_fleet(self) -> None:
        """Once the hub listens: the sessions of the morning, then the fleet playing it."""
        hub = self.hub
        assert hub is not None and hub.store is not None, "the hub starts before its fleet"
        o = self.options
        scenario = build_scenario(hub.profiles[DEMO_PROFILE], o.rooms, o.devices, o.seed, o.speed)
        # Through the store, as `testday session import` would: the hub picks them up itself.
        await demo_sessions.write(hub.store, scenario, DEMO_PROFILE, time.time())
        self.fleet = SimulatedFleet(
            scenario,
            f"ws://127.0.0.1:{hub.port}",
            hub.secrets.agent_token,
            self.data_root / "agents",
        )
        await self.fleet.start()
        self._player = asyncio.create_task(self.fleet.play())

    async def stop_fleet(self) -> None:
        if self._player is not None:
            self._player.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._player
        if self.fleet is not None:
            await self.fleet.stop()
