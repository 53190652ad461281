"""Provides a seeded testing-morning scenario and runs it with the real agent code over loopback."""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass
from pathlib import Path

from testday_agent.identity import Identity
from testday_agent.runner import AgentOptions, AgentRunner
from testday_agent.spool import Spool

from testday.core.profile import Profile
from testday.demo.simulated_device import RoomConditions, SimulatedDevice

ROOM_NAMES = ("112", "114", "Library", "Lab B", "201", "203", "Gym", "Media")
OS_MIX = (("chromeos", "144.0.7559.1"), ("windows", "10.0.22631"), ("macos", "14.6.1"))


@dataclass
class SimulatedAgent:
    device: SimulatedDevice
    identity: Identity


def _older(version: str) -> str:
    """A version just below `version`, for devices that missed the kiosk app update."""
    parts = [int(p) for p in version.split(".") if p.isdigit()] or [1]
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] > 0:
            parts[i] -= 1
            break
    return ".".join(str(p) for p in parts)


def build_scenario(profile: Profile, rooms: int, per_room: int, seed: int) -> list[SimulatedAgent]:
    """Deterministic for a seed: draining batteries, a few outdated apps, one room's Wi-Fi."""
    rng = random.Random(seed)
    agents: list[SimulatedAgent] = []
    names = [ROOM_NAMES[i] if i < len(ROOM_NAMES) else f"R{i + 1}" for i in range(rooms)]
    degraded_room = rng.choice(names) if rooms > 1 else None
    conditions = {room: RoomConditions(wifi_degraded=room == degraded_room) for room in names}
    for room in names:
        for n in range(per_room):
            os_family, os_version = OS_MIX[rng.randrange(len(OS_MIX))]
            app = next((a for a in profile.apps if a.detect.get(os_family) is not None), None)
            current = (app.min_version_for(os_family) if app else None) or "2.3.1"
            outdated = rng.random() < 0.06
            slug = room.lower().replace(" ", "")
            device = SimulatedDevice(
                hostname=f"{slug}-{n + 1:02d}",
                room=room,
                os_family=os_family,
                os_version=os_version,
                app_version=_older(current) if outdated else current,
                battery_present=os_family != "windows" or rng.random() < 0.5,
                battery_start=rng.choice((rng.uniform(15, 45), rng.uniform(55, 100), 100.0)),
                drain_per_min=rng.uniform(0.2, 1.2),
                plugged=rng.random() < 0.25,
                wifi=rng.random() < 0.85,
                base_latency_ms=rng.uniform(20, 90),
                conditions=conditions[room],
                seed=rng.randrange(1 << 30),
            )
            identity = Identity(
                device_id=f"sim-{slug}-{n + 1:02d}",
                hardware_uuid=None,
                serial=f"SIM{seed:03d}{len(agents):05d}",
            )
            agents.append(SimulatedAgent(device, identity))
    return agents


class SimulatedFleet:
    """Runs one AgentRunner per simulated device against a hub, each with its own spool."""

    def __init__(
        self,
        agents: list[SimulatedAgent],
        hub_url: str,
        token: str,
        state_root: Path,
        interval_s: float | None = None,
    ) -> None:
        self.agents = agents
        self.hub_url = hub_url
        self.token = token
        self.state_root = state_root
        self.interval_s = interval_s
        self.runners: list[AgentRunner] = []
        self._spools: list[Spool] = []
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        for agent in self.agents:
            state_dir = self.state_root / agent.identity.device_id
            state_dir.mkdir(parents=True, exist_ok=True)
            spool = Spool(state_dir / "spool.log")
            options = AgentOptions(
                hub_url=self.hub_url,
                token=self.token,
                state_dir=state_dir,
                room=agent.device.room,
                interval_s=self.interval_s,
                hostname=agent.device.hostname,
                os_family=agent.device.os_family,
                os_version=agent.device.os_version,
            )
            runner = AgentRunner(options, agent.identity, agent.device, spool)
            self.runners.append(runner)
            self._spools.append(spool)
            self._tasks.append(asyncio.create_task(runner.run(self._stop)))

    async def wait_connected(self, timeout: float = 10.0) -> int:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(r.connected.wait() for r in self.runners)), timeout
            )
        return sum(1 for r in self.runners if r.connected.is_set())

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for spool in self._spools:
            spool.close()
