"""Provides tests of the agent's collectors, run for real on this machine and on loopback only."""

from __future__ import annotations

import asyncio
import os
import plistlib
import re
import select
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import psutil
import pytest
from testday_agent.collectors.apps import collect_apps
from testday_agent.collectors.battery import collect_battery
from testday_agent.collectors.network import (
    probe_endpoint,
    probe_network,
    quick_interface,
    read_active_interface,
)
from testday_agent.collectors.self_stats import MIN_WINDOW_S, SelfStats
from testday_agent.collectors.system import collect_system, os_family, os_version
from testday_agent.protocol import AppRule, Checks, Endpoint

from tests.eventually import eventually, eventually_blocking

FAMILY = os_family()
OTHER_FAMILY = "windows" if FAMILY != "windows" else "linux"
OWN_PROCESS = psutil.Process().name()
T = TypeVar("T")


# --- battery and system ------------------------------------------------------------------------


def test_battery_matches_psutil() -> None:
    facts = collect_battery()
    battery = psutil.sensors_battery()
    assert facts.present is (battery is not None)
    if battery is None:
        assert facts.percent is None and facts.plugged is None and facts.minutes_left is None
    else:
        assert facts.percent is not None and 0 <= facts.percent <= 100
        assert facts.minutes_left is None or facts.minutes_left >= 0


def test_system_facts_describe_this_machine() -> None:
    facts = collect_system(None)
    assert facts.os_family == FAMILY
    assert facts.hostname == socket.gethostname()
    assert facts.disk_path == str(Path.home())
    assert facts.disk_free_mb is not None and facts.disk_free_mb > 0
    assert facts.memory_total_mb is not None and facts.memory_available_mb is not None
    assert 0 < facts.memory_available_mb <= facts.memory_total_mb
    assert facts.uptime_s is not None and facts.uptime_s > 0
    if hasattr(os, "getloadavg"):
        assert facts.load1 is not None and facts.load1 >= 0


def test_os_version_starts_with_a_number() -> None:
    assert re.match(r"\d+", os_version()), os_version()


def test_disk_path_not_yet_created_uses_nearest_existing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "responses" / "not-yet"
    facts = collect_system(str(missing))
    assert facts.disk_path == str(missing)
    assert facts.disk_free_mb == pytest.approx(psutil.disk_usage(str(tmp_path)).free / 2**20, 1)


def test_cpu_percent_is_none_until_it_has_a_baseline_then_a_percentage() -> None:
    collect_system(None)
    time.sleep(1.05)  # time passing is the point: a CPU share needs an interval (1 s at least)
    facts = collect_system(None)
    assert facts.cpu_percent is not None and 0 <= facts.cpu_percent <= 100


def test_self_stats_measure_own_cpu_and_memory() -> None:
    """A busy window reads high, an idle one low; a window too short for the CPU clock's ticks
    repeats the last figure rather than a ratio of noise (one tick over 50 µs is 20,000 %)."""
    stats = SelfStats()
    assert stats.sample().cpu_percent is None  # no window measured yet
    deadline = time.process_time() + MIN_WINDOW_S + 0.1
    while time.process_time() < deadline:
        pass  # burn CPU so the sample has something to see
    facts = stats.sample(collect_ms=12.345, spool_depth=3, spool_dropped=1)
    assert facts.rss_mb is not None and facts.rss_mb > 1
    assert facts.cpu_percent is not None and facts.cpu_percent > 20
    assert (facts.collect_ms, facts.spool_depth, facts.spool_dropped) == (12.35, 3, 1)
    assert stats.sample().cpu_percent == facts.cpu_percent  # at once: the same figure again
    time.sleep(MIN_WINDOW_S + 0.1)  # an idle window: time passing is the point
    idle = stats.sample()
    assert idle.cpu_percent is not None and idle.cpu_percent < facts.cpu_percent


# --- apps --------------------------------------------------------------------------------------


def test_app_found_by_path_and_version_file(tmp_path: Path) -> None:
    binary = tmp_path / "testnav"
    binary.write_text("#!/bin/sh\n")
    version_file = tmp_path / "VERSION"
    version_file.write_text("TestNav build 1.13.2 (release)\n")
    rule = AppRule(
        name="TestNav", os_family=FAMILY, paths=[str(binary)], version_file=str(version_file)
    )
    [facts] = collect_apps([rule], FAMILY)
    assert facts.installed and facts.version == "1.13.2" and facts.source == str(binary)
    assert facts.running is None  # no process names: unknown rather than "not running"


def test_app_version_by_command_means_installed() -> None:
    command = [sys.executable, "-c", "print('TestNav 1.13.2')"]
    rule = AppRule(name="TestNav", os_family=FAMILY, version_command=command)
    [facts] = collect_apps([rule], FAMILY)
    assert facts.installed and facts.version == "1.13.2"
    assert facts.source is not None and "TestNav 1.13.2" in facts.source


def test_version_command_output_on_stderr_and_failing_exit_still_counts() -> None:
    script = "import sys; sys.stderr.write('openjdk version \"17.0.9\"'); sys.exit(3)"
    rule = AppRule(
        name="Java",
        os_family=FAMILY,
        version_command=[sys.executable, "-c", script],
        version_pattern=r'version "([\d.]+)"',
    )
    assert collect_apps([rule], FAMILY)[0].version == "17.0.9"


def test_missing_app_is_not_installed(tmp_path: Path) -> None:
    rule = AppRule(
        name="Gone",
        os_family=FAMILY,
        paths=[str(tmp_path / "nothing")],
        version_command=[str(tmp_path / "no-such-binary"), "--version"],
        process_names=["no-such-process-xyz"],
    )
    [facts] = collect_apps([rule], FAMILY)
    assert not facts.installed and facts.version is None and facts.source is None
    assert facts.running is False


def test_running_matches_own_process_case_insensitively() -> None:
    rules = [
        AppRule(name="Me", os_family=FAMILY, process_names=[OWN_PROCESS.upper()]),
        AppRule(name="Other", os_family=FAMILY, process_names=["no-such-process-xyz"]),
    ]
    me, other = collect_apps(rules, FAMILY)
    assert me.running is True and other.running is False


def test_rule_for_another_os_family_is_ignored(tmp_path: Path) -> None:
    rules = [
        AppRule(name="Here", os_family=FAMILY, paths=[str(tmp_path)]),
        AppRule(name="Elsewhere", os_family=OTHER_FAMILY, paths=[str(tmp_path)]),
    ]
    assert [facts.name for facts in collect_apps(rules, FAMILY)] == ["Here"]


def test_paths_expand_home_environment_and_wildcards(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "App-1.2").mkdir()
    (tmp_path / "App-1.10").mkdir()
    monkeypatch.setenv("TESTDAY_APPS", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    by_env = AppRule(name="Env", os_family=FAMILY, paths=["$TESTDAY_APPS/App-1.2"])
    by_home = AppRule(name="Home", os_family=FAMILY, paths=["~/App-1.2"])
    by_glob = AppRule(name="Glob", os_family=FAMILY, paths=[str(tmp_path / "App-*")])
    env, home, glob_ = collect_apps([by_env, by_home, by_glob], FAMILY)
    assert env.source == home.source == str(tmp_path / "App-1.2")
    assert glob_.installed and glob_.source in {
        str(tmp_path / "App-1.2"),
        str(tmp_path / "App-1.10"),
    }


def test_macos_bundle_version_from_info_plist(tmp_path: Path) -> None:
    bundle = tmp_path / "TestNav.app"
    (bundle / "Contents").mkdir(parents=True)
    with (bundle / "Contents" / "Info.plist").open("wb") as f:
        plistlib.dump({"CFBundleShortVersionString": "1.13.2", "CFBundleVersion": "1132"}, f)
    rule = AppRule(name="TestNav", os_family="macos", bundle=str(bundle))
    [facts] = collect_apps([rule], "macos")
    assert facts.installed and facts.version == "1.13.2" and facts.source == str(bundle)


def test_invalid_version_pattern_is_reported_and_the_rest_still_detected(tmp_path: Path) -> None:
    rule = AppRule(
        name="TestNav",
        os_family=FAMILY,
        paths=[str(tmp_path)],
        version_command=[sys.executable, "-c", "print('1.0')"],
        version_pattern="([",
    )
    good = AppRule(name="Good", os_family=FAMILY, paths=[str(tmp_path)])
    errors: dict[str, str] = {}
    broken, fine = collect_apps([rule, good], FAMILY, errors=errors)
    assert broken.installed and broken.version is None and fine.installed
    assert re.fullmatch(r"TestNav: \w+: .*position \d+", errors["apps"]), errors["apps"]
    with pytest.raises(ValueError, match="TestNav"):
        collect_apps([rule], FAMILY)


def returned_within(call: Callable[[], T], timeout: float, what: str) -> T:
    """call()'s result, run in a thread; fails if it is still running after ``timeout``."""
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(call)
        eventually_blocking(future.done, timeout, what=what)
        return future.result()


@pytest.mark.slow
def test_hanging_version_command_times_out_without_raising() -> None:
    """A command that never answers is given up after COMMAND_TIMEOUT_S, not waited out."""
    command = [sys.executable, "-c", "import time; time.sleep(30)"]
    rule = AppRule(name="Hangs", os_family=FAMILY, version_command=command)
    # Generous beside the 3 s timeout, far short of the command's 30 s.
    [facts] = returned_within(lambda: collect_apps([rule], FAMILY), 20, "collect_apps to give up")
    assert not facts.installed and facts.version is None


@pytest.mark.slow
def test_version_command_whose_helper_keeps_running_does_not_hang() -> None:
    """A helper the command started keeps its output open: no waiting for its end-of-file."""
    script = (
        "import subprocess, sys; "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); "
        "import time; time.sleep(30)"
    )
    rule = AppRule(name="Spawns", os_family=FAMILY, version_command=[sys.executable, "-c", script])
    [facts] = returned_within(lambda: collect_apps([rule], FAMILY), 20, "collect_apps to give up")
    assert facts.version is None


# --- network -----------------------------------------------------------------------------------


@pytest.fixture
async def tcp_server() -> AsyncIterator[int]:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """A listener whose accept queue is full: Linux drops further SYNs, so connects time out."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    clients = []
    for _ in range(3):
        client = socket.socket()
        client.setblocking(False)
        client.connect_ex(("127.0.0.1", port))
        clients.append(client)
    # A connection waiting in the accept queue makes the listener readable: the queue is full.
    eventually_blocking(
        lambda: select.select([server], [], [], 0)[0], 5, what="the accept queue full"
    )
    yield port
    for client in clients:
        client.close()
    server.close()


async def test_probes_reach_open_port_and_report_refused_and_dns(
    tcp_server: int, closed_port: int
) -> None:
    checks = Checks(
        hosts=["localhost", "a" * 64 + ".example"],
        endpoints=[
            Endpoint(name="hub", host="127.0.0.1", port=tcp_server),
            Endpoint(name="by-name", host="localhost", port=tcp_server),
            Endpoint(name="closed", host="127.0.0.1", port=closed_port),
        ],
        connect_timeout_s=2.0,
    )
    started = time.perf_counter()
    facts = await probe_network(checks)
    took_ms = (time.perf_counter() - started) * 1000
    localhost, bad_name = facts.dns
    assert localhost.ok and localhost.ms is not None
    assert {"127.0.0.1", "::1"} & set(localhost.addresses)
    assert not bad_name.ok and bad_name.error  # a label over 63 characters never leaves the host
    hub, by_name, closed = facts.endpoints
    assert hub.ok and hub.error is None
    assert hub.connect_ms is not None and 0 <= hub.connect_ms <= took_ms  # in ms, this probe's
    assert by_name.ok and by_name.port == tcp_server
    assert not closed.ok and closed.error == "connection refused" and closed.connect_ms is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="relies on Linux SYN drops")
async def test_connect_timeout_is_reported(full_backlog: int) -> None:
    """A connect the listener never completes gives up at the probe's timeout and says so."""
    probe = asyncio.ensure_future(
        probe_endpoint(Endpoint(name="slow", host="127.0.0.1", port=full_backlog), 0.3)
    )
    # Generous beside 0.3 s, far short of the kernel's own SYN retries (over a minute).
    result = await eventually(
        lambda: probe.done() and probe.result(), 10, what="the probe to give up"
    )
    assert not result.ok and result.error == "timed out after 0.3 s"


async def test_active_interface_is_the_default_route() -> None:
    facts = await probe_network(Checks())
    assert facts.dns == [] and facts.endpoints == []
    quick_name, quick_has_ipv4 = quick_interface()
    assert facts.interface == quick_name
    if facts.interface is None:
        pytest.skip("this machine has no default route")
    addresses = [a.address for a in psutil.net_if_addrs()[facts.interface]]
    assert facts.kind in {"wifi", "wired", "other"}
    assert (facts.ipv4 in addresses) and quick_has_ipv4
    assert facts.wifi_signal_percent is None or 0 <= facts.wifi_signal_percent <= 100
    if sys.platform.startswith("linux"):
        assert facts.interface in Path("/proc/net/route").read_text()
        assert read_active_interface() == facts
