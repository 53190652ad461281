"""Provides tests of the agent's collection source: collections, errors as facts, quick state."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import psutil
import pytest
import testday_agent
from testday_agent.collect import CollectorSource, SystemCollector
from testday_agent.collectors.system import os_family
from testday_agent.protocol import AppRule, Checks, Endpoint, Report, decode_agent_message, encode

FAMILY = os_family()


async def test_collect_fills_every_part_and_round_trips_the_protocol() -> None:
    collector = SystemCollector(spool_stats=lambda: (4, 2))
    started = time.perf_counter()
    facts = await collector.collect(Checks())
    took_ms = (time.perf_counter() - started) * 1000
    assert facts.errors == {}
    assert facts.battery is not None and facts.system is not None and facts.network is not None
    assert facts.system.os_family == FAMILY
    agent = facts.agent
    assert agent is not None and agent.version == testday_agent.__version__
    assert agent.collect_ms is not None and 0 < agent.collect_ms <= took_ms  # its own, in ms
    assert (agent.spool_depth, agent.spool_dropped) == (4, 2)
    assert agent.rss_mb is not None and agent.rss_mb > 1
    report = Report(seq=1, sent_at=time.time(), facts=facts)
    assert decode_agent_message(encode(report)) == report


def test_system_collector_satisfies_the_protocol() -> None:
    source: CollectorSource = SystemCollector()
    assert callable(source.collect) and callable(source.quick_state)


async def test_failing_app_rule_becomes_an_error_not_an_exception(tmp_path: Path) -> None:
    rule = AppRule(name="TestNav", os_family=FAMILY, paths=[str(tmp_path)], version_pattern="(")
    facts = await SystemCollector().collect(Checks(apps=[rule]))
    assert facts.apps[0].installed and facts.apps[0].version is None
    assert set(facts.errors) == {"apps"} and "TestNav" in facts.errors["apps"]
    assert "\n" not in facts.errors["apps"] and "Traceback" not in facts.errors["apps"]
    assert facts.system is not None and facts.battery is not None  # the others still ran


async def test_failing_spool_stats_is_an_agent_error() -> None:
    def broken() -> tuple[int, int]:
        raise RuntimeError("spool\nlocked")

    facts = await SystemCollector(spool_stats=broken).collect(Checks())
    assert facts.errors == {"agent": "RuntimeError: spool locked"}
    assert facts.agent is not None and facts.agent.spool_depth == 0


async def test_collect_runs_probes_with_apps_and_reports_them(tmp_path: Path) -> None:
    rule = AppRule(
        name="Me", os_family=FAMILY, paths=[str(tmp_path)], process_names=[psutil.Process().name()]
    )
    checks = Checks(
        apps=[rule],
        hosts=["localhost"],
        endpoints=[Endpoint(name="nothing", host="127.0.0.1", port=_closed_port())],
    )
    facts = await SystemCollector().collect(checks)
    assert facts.apps[0].running is True
    assert facts.network is not None and facts.network.dns[0].ok
    assert facts.network.endpoints[0].error == "connection refused"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_quick_state_notices_an_app_starting_and_stopping(tmp_path: Path) -> None:
    sleep = shutil.which("sleep")
    if sleep is None:
        pytest.skip("no sleep binary to run under a unique name")
    name = "tdq" + uuid.uuid4().hex[:8]  # under 15 characters: Linux process names are cut there
    binary = tmp_path / name
    shutil.copy(sleep, binary)
    checks = Checks(apps=[AppRule(name="Kiosk", os_family=FAMILY, process_names=[name])])
    collector = SystemCollector()
    before = collector.quick_state(checks)
    assert before[1] == (("Kiosk", False),)
    proc = subprocess.Popen([str(binary), "30"])
    try:
        running = collector.quick_state(checks)
        assert running[1] == (("Kiosk", True),) and running != before
    finally:
        proc.kill()
        proc.wait()
    assert collector.quick_state(checks) == before


def test_quick_state_is_stable() -> None:
    """Nothing changing, quick_state reads the same each time (its 5 ms is the benchmark's)."""
    collector = SystemCollector()
    checks = Checks(apps=[AppRule(name="Me", os_family=FAMILY, process_names=["python"])])
    first = collector.quick_state(checks)
    for _ in range(20):
        assert collector.quick_state(checks) == first
    battery, _apps, interface = first
    assert battery is None or (isinstance(battery[1], int) and battery[1] % 5 == 0)
    assert len(interface) == 2


def test_quick_state_ignores_other_families() -> None:
    other = "windows" if FAMILY != "windows" else "linux"
    checks = Checks(apps=[AppRule(name="X", os_family=other, process_names=["python"])])
    assert SystemCollector().quick_state(checks)[1] == ()
