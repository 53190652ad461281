"""Tests the demo scenario: deterministic per seed, and played over a real hub."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from testday.config.profiles import default_profiles_dir, load_profiles
from testday.demo.scenario import Scenario, Step, build_scenario, older
from testday.demo.simulated_fleet import SimulatedFleet
from testday.hub.hub import Hub
from tests.conftest import AGENT_TOKEN
from tests.eventually import eventually

NWEA = load_profiles(default_profiles_dir())["nwea-map"]


def test_same_seed_same_morning() -> None:
    """A seed fixes the devices and the timeline; another seed changes them."""
    a = build_scenario(NWEA, rooms=4, per_room=30, seed=3)
    b = build_scenario(NWEA, rooms=4, per_room=30, seed=3)
    c = build_scenario(NWEA, rooms=4, per_room=30, seed=4)

    def shape(s: Scenario) -> list[tuple[object, ...]]:
        return [
            (
                x.identity.device_id,
                x.device.app_version,
                x.device.battery_start,
                x.device.drain_per_min,
                x.device.plugged,
                x.device.wifi,
                x.device.seed,
            )
            for x in s.agents
        ]

    assert shape(a) == shape(b)
    assert shape(a) != shape(c)
    assert a.timeline == b.timeline
    assert a.timeline != c.timeline


def test_the_morning_has_the_promised_troubles() -> None:
    """One room's Wi-Fi degrades then recovers; some devices drop and come back; some apps lag."""
    scenario = build_scenario(NWEA, rooms=4, per_room=30, seed=1)
    actions = [s.action for s in scenario.timeline]
    assert actions.count("wifi_degrade") == actions.count("wifi_recover") == 1
    drops = {s.target for s in scenario.timeline if s.action == "drop"}
    returns = {s.target for s in scenario.timeline if s.action == "return"}
    assert drops and drops == returns
    by_room: dict[str, list[float]] = {}
    rooms = {a.identity.device_id: a.device.room for a in scenario.agents}
    for step in scenario.timeline:
        if step.action == "drop":
            by_room.setdefault(rooms[step.target], []).append(step.at_s)
    # One room loses most of its 30 devices within seconds: the room-level incident's cue.
    outage = [
        room
        for room, times in by_room.items()
        if max(sum(1 for t in times if start <= t <= start + 5) for start in times) >= 15
    ]
    assert len(outage) == 1
    for device_id in drops:
        drop_at = next(
            s.at_s for s in scenario.timeline if s.action == "drop" and s.target == device_id
        )
        back_at = next(
            s.at_s for s in scenario.timeline if s.action == "return" and s.target == device_id
        )
        assert back_at > drop_at
    versions = {a.device.app_version for a in scenario.agents}
    assert "5.4.386.0" in versions or "5.5.3.8" in versions, "a few outdated secure browsers"
    assert len({round(a.device.drain_per_min, 3) for a in scenario.agents}) > 50


def test_older_version() -> None:
    """The outdated app is just below the profile's minimum."""
    assert older("5.4.387.0") == "5.4.386.0"
    assert older("3.2.0") == "3.1.0"


def presence(hub: Hub, device_id: str) -> str:
    return hub.fleet.devices[device_id].presence


async def test_dropped_device_goes_offline_and_comes_back(tmp_path: Path, hub: Hub) -> None:
    """Playing a drop and a return moves a simulated device offline and online on a real hub."""
    scenario = build_scenario(NWEA, rooms=1, per_room=3, seed=2)
    scenario.timeline = []
    fleet = SimulatedFleet(scenario, f"ws://127.0.0.1:{hub.port}", AGENT_TOKEN, tmp_path)
    await fleet.start()
    try:
        assert await fleet.wait_connected() == 3
        device_id = scenario.agents[0].identity.device_id
        await fleet.apply(Step(0, "drop", device_id))
        # The agent's close is done; the hub may still be handling its side of it.
        await eventually(lambda: presence(hub, device_id) == "offline", 10, what="dropped")
        await fleet.apply(Step(0, "return", device_id))
        await eventually(lambda: presence(hub, device_id) == "online", 10, what="back online")
    finally:
        await fleet.stop()


def test_demo_command_runs_the_fleet_and_prints_it() -> None:
    """`testday demo --plain` starts hub and fleet on loopback and prints every device."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "testday.cli.main",
            "demo",
            "--plain",
            "--rooms",
            "2",
            "--devices",
            "3",
            "--seconds",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "6/6 connected" in done.stdout
    assert "6 devices:" in done.stdout
    assert "VERDICT" in done.stdout
