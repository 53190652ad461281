"""Provides the simulated fleet: real agent runners over loopback, played along a scenario."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from testday_agent.runner import AgentOptions, AgentRunner
from testday_agent.spool import Spool

from testday.demo.scenario import Scenario, SimulatedAgent, Step

log = logging.getLogger(__name__)


class _Running:
    """One simulated device's runner, its stop switch and its task."""

    def __init__(self, runner: AgentRunner, spool: Spool) -> None:
        self.runner = runner
        self.spool = spool
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(runner.run(self.stop))


class SimulatedFleet:
    """Runs one AgentRunner per simulated device against a hub, each with its own spool."""

    def __init__(
        self,
        scenario: Scenario,
        hub_url: str,
        token: str,
        state_root: Path,
        interval_s: float | None = None,
    ) -> None:
        self.scenario = scenario
        self.hub_url = hub_url
        self.token = token
        self.state_root = state_root
        self.interval_s = interval_s
        self._agents = {a.identity.device_id: a for a in scenario.agents}
        self._running: dict[str, _Running] = {}

    @property
    def runners(self) -> list[AgentRunner]:
        return [r.runner for r in self._running.values()]

    async def start(self) -> None:
        for device_id in self._agents:
            self._start(device_id)

    def _start(self, device_id: str) -> None:
        agent: SimulatedAgent = self._agents[device_id]
        state_dir = self.state_root / device_id
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
        self._running[device_id] = _Running(runner, spool)

    async def drop(self, device_id: str) -> None:
        """The device goes away (lid closed, battery out): its agent stops, the hub sees it."""
        running = self._running.pop(device_id, None)
        if running is not None:
            running.stop.set()
            with contextlib.suppress(Exception):
                await running.task
            running.spool.close()

    async def apply(self, step: Step) -> None:
        if step.action in ("wifi_degrade", "wifi_recover"):
            conditions = self.scenario.conditions.get(step.target)
            if conditions is not None:
                conditions.wifi_degraded = step.action == "wifi_degrade"
        elif step.action == "drop":
            await self.drop(step.target)
        elif step.action == "return" and step.target not in self._running:
            self._start(step.target)

    async def play(self) -> None:
        """Apply the scenario's timeline in real time; returns when the last step is done."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        for step in self.scenario.timeline:
            await asyncio.sleep(max(0.0, started + step.at_s - loop.time()))
            log.info("scenario: %s %s", step.action, step.target)
            await self.apply(step)

    async def wait_connected(self, timeout: float = 10.0) -> int:
        runners = self.runners
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(r.connected.wait() for r in runners)), timeout)
        return sum(1 for r in runners if r.connected.is_set())

    async def stop(self) -> None:
        for device_id in list(self._running):
            await self.drop(device_id)
