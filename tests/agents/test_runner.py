"""Tests the agent's main loop against a real in-process hub: spooling, replay, backoff."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

from testday_agent.collect import SystemCollector
from testday_agent.identity import load_device_key, load_identity
from testday_agent.protocol import BatteryFacts, Checks, Facts
from testday_agent.runner import QUICK_POLL_S, AgentOptions, AgentRunner, full_jitter
from testday_agent.spool import Spool

from testday.hub.hub import Hub, HubSettings
from tests.conftest import AGENT_TOKEN
from tests.eventually import eventually


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_runner(state_dir: Path, hub_url: str, interval: float = 0.3) -> tuple[AgentRunner, Spool]:
    state_dir.mkdir(parents=True, exist_ok=True)
    spool = Spool(state_dir / "spool.log")
    options = AgentOptions(
        hub_url=hub_url,
        token=AGENT_TOKEN,
        state_dir=state_dir,
        room="112",
        interval_s=interval,
        backoff_cap_s=0.5,
        hostname="lab-01",
        os_family="linux",
        os_version="12",
    )
    return AgentRunner(options, load_identity(state_dir), SystemCollector(), spool), spool


def test_full_jitter_stays_within_its_cap() -> None:
    """Backoff delays are spread between 0 and min(cap, 2^attempt)."""
    delays = [full_jitter(attempt, cap=60) for attempt in range(12) for _ in range(50)]
    assert all(0 <= d <= 60 for d in delays)
    assert max(full_jitter(0) for _ in range(200)) <= 1.0
    assert len({round(d, 3) for d in delays}) > 100  # jittered, not a fixed schedule


async def test_reports_made_before_the_hub_exists_are_replayed_as_history(
    tmp_path: Path, hub_settings: HubSettings
) -> None:
    """An agent started with no hub spools its reports, then replays them once the hub is up."""
    port = free_port()
    runner, spool = make_runner(tmp_path / "agent", f"ws://127.0.0.1:{port}")
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        await eventually(lambda: runner.reports_made >= 4, 10, what="four reports spooled")
        assert spool.depth() >= 4 and not runner.connected.is_set()
        settings = HubSettings(**{**hub_settings.__dict__, "port": port})
        async with Hub(settings) as hub:
            await asyncio.wait_for(runner.connected.wait(), 10)
            assert load_device_key(tmp_path / "agent"), "the enrolled key is kept on disk"
            assert hub.store is not None
            store, device_id = hub.store, runner.identity.device_id

            async def replayed() -> bool:
                stored = await store.reports(device_id)
                return sum(r.history for r in stored) >= 4 and spool.depth() <= 1

            await eventually(replayed, 10, what="the spool replayed and acked")
            stored = await hub.store.reports(device_id)
            assert sum(r.history for r in stored) >= 4, "spooled reports arrive as history"
            assert any(not r.history for r in stored), "the fresh report is live"
            assert spool.depth() <= 1, "acked reports leave the spool"
            live = hub.fleet.devices[device_id]
            assert live.presence == "online" and live.facts is not None
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 10)
        spool.close()


class ToggleSource:
    """A collector source whose readiness-relevant state the test flips."""

    def __init__(self) -> None:
        self.state = 0
        self.quick_states: list[tuple[int]] = []  # what the quick watcher has read, in order

    async def collect(self, checks: Checks) -> Facts:
        return Facts(battery=BatteryFacts(present=True, percent=50.0, plugged=bool(self.state)))

    def quick_state(self, checks: Checks) -> tuple[int]:
        state = (self.state,)
        self.quick_states.append(state)
        return state


async def test_a_readiness_change_is_reported_at_once(tmp_path: Path) -> None:
    """Unplugging (a quick-state change) triggers a report long before the next interval (600 s)."""
    state_dir = tmp_path / "agent"
    state_dir.mkdir()
    spool = Spool(state_dir / "spool.log")
    source = ToggleSource()
    options = AgentOptions(
        hub_url=f"ws://127.0.0.1:{free_port()}",
        token=AGENT_TOKEN,
        state_dir=state_dir,
        interval_s=600,
        backoff_cap_s=5,
    )
    runner = AgentRunner(options, load_identity(state_dir), source, spool)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        # The watcher must have read the plugged-in state first, or unplugging is no change.
        await eventually(
            lambda: runner.reports_made >= 1 and source.quick_states,
            5 * QUICK_POLL_S,
            what="the first report and the watcher's first reading",
        )
        source.state = 1
        await eventually(
            lambda: runner.reports_made >= 2, 5 * QUICK_POLL_S, what="the report unplugging made"
        )
        assert runner.reports_made == 2
        newest = spool.pending(limit=10)[-1]
        assert newest.facts.battery is not None and newest.facts.battery.plugged is True
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        spool.close()


async def test_agent_follows_the_interval_the_hub_sends(tmp_path: Path, hub: Hub) -> None:
    """With no interval of its own, the agent reports at the hub's (1 s here), not its default.

    Three reports within 12 s cannot come at the default 15 s interval (0.9-1.1 × 15 s apart)."""
    state_dir = tmp_path / "agent"
    state_dir.mkdir()
    spool = Spool(state_dir / "spool.log")
    options = AgentOptions(
        hub_url=f"ws://127.0.0.1:{hub.port}",
        token=AGENT_TOKEN,
        state_dir=state_dir,
        interval_s=None,
    )
    runner = AgentRunner(options, load_identity(state_dir), ToggleSource(), spool)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        await asyncio.wait_for(runner.connected.wait(), 10)
        received = hub.metrics.reports_received
        await eventually(
            lambda: hub.metrics.reports_received - received >= 3,
            12,
            what="three reports at the hub's 1 s interval",
        )
        assert runner.interval_s == hub.settings.interval_s == 1.0
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        spool.close()
