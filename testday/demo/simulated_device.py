"""Provides a simulated testing device: a collector source with scripted, seeded readings."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from testday_agent import __version__ as agent_version
from testday_agent.protocol import (
    AgentFacts,
    AppFacts,
    BatteryFacts,
    Checks,
    DnsResult,
    EndpointResult,
    Facts,
    NetworkFacts,
    SystemFacts,
)


@dataclass
class RoomConditions:
    """What the room's network is doing now; the scenario changes it as the morning goes on."""

    wifi_degraded: bool = False


@dataclass
class SimulatedDevice:
    """Readings for one fake device; collect() has the shape of the real SystemCollector."""

    hostname: str
    room: str
    os_family: str
    os_version: str
    app_version: str
    battery_present: bool = True
    battery_start: float = 100.0
    drain_per_min: float = 0.5
    plugged: bool = False
    wifi: bool = True
    base_latency_ms: float = 40.0
    conditions: RoomConditions = field(default_factory=RoomConditions)
    clock: Callable[[], float] = time.time
    seed: int = 0
    started_at: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def battery_percent(self) -> float:
        if self.plugged:
            return min(100.0, self.battery_start + (self.clock() - self.started_at) / 60 * 1.0)
        minutes = (self.clock() - self.started_at) / 60
        return max(0.0, self.battery_start - self.drain_per_min * minutes)

    async def collect(self, checks: Checks) -> Facts:
        rng = self._rng
        degraded = self.conditions.wifi_degraded and self.wifi
        battery = BatteryFacts(present=False)
        if self.battery_present:
            percent = round(self.battery_percent(), 1)
            minutes_left = (
                None
                if self.plugged or not self.drain_per_min
                else round(percent / self.drain_per_min, 0)
            )
            battery = BatteryFacts(
                present=True, percent=percent, plugged=self.plugged, minutes_left=minutes_left
            )
        apps = [
            AppFacts(
                name=rule.name,
                installed=True,
                version=self.app_version,
                running=True,
                source="simulated",
            )
            for rule in checks.apps
            if rule.os_family == self.os_family
        ]
        endpoints = []
        for endpoint in checks.endpoints:
            lost = degraded and rng.random() < 0.6
            latency = self.base_latency_ms * (8 if degraded else 1) * rng.uniform(0.8, 1.3)
            endpoints.append(
                EndpointResult(
                    name=endpoint.name,
                    host=endpoint.host,
                    port=endpoint.port,
                    ok=not lost,
                    connect_ms=None if lost else round(latency, 1),
                    error=f"timed out after {checks.connect_timeout_s:g} s" if lost else None,
                )
            )
        dns = [
            DnsResult(host=h, ok=True, ms=round(rng.uniform(1, 9), 1), addresses=["192.0.2.10"])
            for h in checks.hosts
        ]
        network = NetworkFacts(
            interface="wlan0" if self.wifi else "eth0",
            kind="wifi" if self.wifi else "wired",
            ipv4=f"198.51.100.{self._rng.randint(2, 250)}",
            gateway="198.51.100.1",
            wifi_signal_percent=(round(rng.uniform(15, 30)) if degraded else 80)
            if self.wifi
            else None,
            dns=dns,
            endpoints=endpoints,
        )
        system = SystemFacts(
            os_family=self.os_family,  # type: ignore[arg-type]
            os_version=self.os_version,
            hostname=self.hostname,
            uptime_s=round(self.clock() - self.started_at + 3600, 0),
            disk_free_mb=12_000.0,
            memory_total_mb=8192.0,
            memory_available_mb=round(rng.uniform(2500, 5000)),
            cpu_percent=round(rng.uniform(3, 25), 1),
        )
        agent = AgentFacts(version=agent_version, rss_mb=24.0, cpu_percent=0.2, collect_ms=12.0)
        return Facts(battery=battery, apps=apps, network=network, system=system, agent=agent)

    def quick_state(self, checks: Checks) -> tuple[object, ...]:
        bucket = int(self.battery_percent() // 5) if self.battery_present else None
        return (self.plugged, bucket, self.conditions.wifi_degraded)
