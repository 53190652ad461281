"""Provides a seeded testing-morning scenario: the devices, and what happens to them when."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from testday_agent.identity import Identity

from testday.core.profile import Profile
from testday.demo.simulated_device import RoomConditions, SimulatedDevice

ROOM_NAMES = ("112", "114", "Library", "Lab B", "201", "203", "Gym", "Media")
OS_MIX = (("chromeos", "144.0.7559.1"), ("windows", "10.0.22631"), ("macos", "14.6.1"))
DROP_SHARE = 0.05  # devices that drop mid-session and come back
OUTAGE_SHARE = 0.7  # of one room's devices, lost at once when its access point fails


@dataclass
class SimulatedAgent:
    device: SimulatedDevice
    identity: Identity


@dataclass(frozen=True)
class Step:
    """One thing that happens `at_s` seconds into the demo."""

    at_s: float
    action: Literal["wifi_degrade", "wifi_recover", "drop", "return"]
    target: str  # a room name, or a device id


@dataclass
class Scenario:
    agents: list[SimulatedAgent]
    conditions: dict[str, RoomConditions]
    timeline: list[Step] = field(default_factory=list)


def older(version: str) -> str:
    """A version just below `version`, for devices that missed the kiosk app update."""
    parts = [int(p) for p in version.split(".") if p.isdigit()] or [1]
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] > 0:
            parts[i] -= 1
            break
    return ".".join(str(p) for p in parts)


def build_scenario(
    profile: Profile, rooms: int, per_room: int, seed: int, speed: float = 1.0
) -> Scenario:
    """Deterministic for a seed: draining batteries, a few outdated apps, one room's Wi-Fi
    degrading a little after the start, and a few devices dropping and coming back.

    `speed` makes batteries drain that many times faster, so a short demo shows the forecast
    moving.
    """
    rng = random.Random(seed)
    names = [ROOM_NAMES[i] if i < len(ROOM_NAMES) else f"R{i + 1}" for i in range(rooms)]
    conditions = {room: RoomConditions() for room in names}
    agents: list[SimulatedAgent] = []
    for room in names:
        slug = room.lower().replace(" ", "")
        for n in range(per_room):
            os_family, os_version = OS_MIX[rng.randrange(len(OS_MIX))]
            app = next((a for a in profile.apps if a.detect.get(os_family) is not None), None)
            current = (app.min_version_for(os_family) if app else None) or "2.3.1"
            device = SimulatedDevice(
                hostname=f"{slug}-{n + 1:02d}",
                room=room,
                os_family=os_family,
                os_version=os_version,
                app_version=older(current) if rng.random() < 0.06 else current,
                battery_present=os_family != "windows" or rng.random() < 0.5,
                # Most batteries were charged overnight; a few carts were not plugged in.
                battery_start=rng.uniform(15, 45) if rng.random() < 0.12 else rng.uniform(70, 100),
                # ~0.1–0.35 %/min is a healthy laptop or Chromebook; one in ten is worn out.
                drain_per_min=(
                    rng.uniform(0.6, 1.0) if rng.random() < 0.1 else rng.uniform(0.1, 0.35)
                )
                * speed,
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
    return Scenario(agents, conditions, _timeline(rng, names, agents))


def _timeline(rng: random.Random, rooms: list[str], agents: list[SimulatedAgent]) -> list[Step]:
    steps: list[Step] = []
    if len(rooms) > 1:
        room = rng.choice(rooms)
        start = rng.uniform(15, 30)
        steps += [Step(start, "wifi_degrade", room), Step(start + 90, "wifi_recover", room)]
    dropping = rng.sample(agents, max(1, round(len(agents) * DROP_SHARE)))
    for agent in dropping:
        at = rng.uniform(10, 60)
        back = at + rng.uniform(15, 45)
        device_id = agent.identity.device_id
        steps += [Step(at, "drop", device_id), Step(back, "return", device_id)]
    if len(rooms) > 2:
        steps += _outage(rng, rng.choice(rooms[1:]), agents, {s.target for s in steps})
    return sorted(steps, key=lambda s: s.at_s)


def _outage(
    rng: random.Random, room: str, agents: list[SimulatedAgent], busy: set[str]
) -> list[Step]:
    """Most of one room drops within seconds (its access point fails) and returns together,
    which the hub must report as one room-level incident rather than one per device."""
    members = [
        a.identity.device_id
        for a in agents
        if a.device.room == room and a.identity.device_id not in busy
    ]
    lost = rng.sample(members, round(len(members) * OUTAGE_SHARE))
    at = rng.uniform(75, 90)
    back = at + rng.uniform(40, 60)
    steps: list[Step] = []
    for device_id in lost:
        steps += [
            Step(at + rng.uniform(0, 5), "drop", device_id),
            Step(back + rng.uniform(0, 10), "return", device_id),
        ]
    return steps
