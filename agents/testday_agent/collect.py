"""Provides the agent's collection source: every collector run together, failures kept as facts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

from testday_agent.collectors.apps import ProcessTable, collect_apps, is_running, one_line
from testday_agent.collectors.battery import collect_battery, read_battery
from testday_agent.collectors.network import probe_network, quick_interface
from testday_agent.collectors.self_stats import SelfStats
from testday_agent.collectors.system import collect_system, os_family
from testday_agent.protocol import (
    AppFacts,
    AppRule,
    BatteryFacts,
    Checks,
    Facts,
    NetworkFacts,
    SystemFacts,
)

T = TypeVar("T")


class CollectorSource(Protocol):
    async def collect(self, checks: Checks) -> Facts:
        """One full collection, network probes included; never raises."""
        ...

    def quick_state(self, checks: Checks) -> tuple[object, ...]:
        """A cheap snapshot of readiness facts; a change means a report is due now."""
        ...


def _guard(name: str, errors: dict[str, str], fn: Callable[[], T]) -> T | None:
    try:
        return fn()
    except Exception as exc:
        errors[name] = one_line(exc)
        return None


class SystemCollector:
    """Collects from this machine: battery, apps, system in a thread, network probes alongside."""

    def __init__(self, spool_stats: Callable[[], tuple[int, int]] | None = None) -> None:
        self._spool_stats = spool_stats
        self._self_stats = SelfStats()
        self._processes = ProcessTable()

    def _rules(self, checks: Checks) -> list[AppRule]:
        family = os_family()
        return [rule for rule in checks.apps if rule.os_family == family]

    def _collect_local(
        self, checks: Checks
    ) -> tuple[BatteryFacts | None, list[AppFacts] | None, SystemFacts | None, dict[str, str]]:
        errors: dict[str, str] = {}
        battery = _guard("battery", errors, collect_battery)

        def apps() -> list[AppFacts]:
            rules = self._rules(checks)
            needs_scan = any(rule.process_names for rule in rules)
            running = self._processes.names(full=True) if needs_scan else frozenset()
            return collect_apps(rules, os_family(), errors=errors, running=running)

        app_facts = _guard("apps", errors, apps)
        system = _guard("system", errors, lambda: collect_system(checks.disk_path))
        return battery, app_facts, system, errors

    async def _network(self, checks: Checks) -> tuple[NetworkFacts | None, dict[str, str]]:
        errors: dict[str, str] = {}
        try:
            return await probe_network(checks, errors), errors
        except Exception as exc:  # probe_network promises not to raise; the agent must not either
            return None, {"network": one_line(exc)}

    async def collect(self, checks: Checks) -> Facts:
        start = time.perf_counter()
        errors: dict[str, str] = {}
        battery = app_facts = system = network = None
        # The thread keeps file reads and process scans off the loop: websocket pings keep flowing.
        local, remote = await asyncio.gather(
            asyncio.to_thread(self._collect_local, checks),
            self._network(checks),
            return_exceptions=True,
        )
        if isinstance(local, BaseException):
            errors["collect"] = one_line(local)
        else:
            battery, app_facts, system, local_errors = local
            errors.update(local_errors)
        if isinstance(remote, BaseException):
            errors["network"] = one_line(remote)
        else:
            network, network_errors = remote
            errors.update(network_errors)
        depth, dropped = 0, 0
        if self._spool_stats is not None:
            stats = _guard("agent", errors, self._spool_stats)
            if stats is not None:
                depth, dropped = stats
        collect_ms = (time.perf_counter() - start) * 1000
        agent = _guard("agent", errors, lambda: self._self_stats.sample(collect_ms, depth, dropped))
        return Facts(
            battery=battery,
            apps=app_facts or [],
            network=network,
            system=system,
            agent=agent,
            errors=errors,
        )

    def quick_state(self, checks: Checks) -> tuple[object, ...]:
        """(battery plugged and percent in 5 % steps, apps' running flags, interface and IPv4)."""
        try:
            reading = read_battery()
            battery: object = None if reading is None else (reading[1], int(reading[0] // 5) * 5)
        except Exception:
            battery = "error"
        try:
            rules = [rule for rule in self._rules(checks) if rule.process_names]
            # Incremental: only new processes are read, so this stays within a few milliseconds.
            names = self._processes.names(full=False) if rules else frozenset()
            apps: object = tuple((rule.name, is_running(rule, names)) for rule in rules)
        except Exception:
            apps = "error"
        try:
            interface: object = quick_interface()
        except Exception:
            interface = "error"
        return battery, apps, interface
