"""Tests the hub's network watch end to end: a trap to a dashboard, an outage citing the AP."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from testday.config.network import NetworkConfig
from testday.console_protocol.messages import EventsAppended, NetworkChanged, Snapshot
from testday.core.fleet import Device
from testday.core.net_state import InterfaceState, NetDevice, NetDeviceState
from testday.demo.scenario import Scenario
from testday.demo.simulated_fleet import SimulatedFleet
from testday.hub.hub import Hub, HubSettings
from testday.hub.network_watch import NetworkStartError, NetworkWatch
from tests.conftest import AGENT_TOKEN
from tests.eventually import eventually
from tests.hub.test_incident_scenario import agent, start_session, texts
from tests.netwatch.conftest import free_udp_port, need

ROOM = "114"
DEVICES = [f"dev-b{n:02d}" for n in range(1, 16)]


def network_site(settings: HubSettings, trap_port: int, ap_port: int) -> None:
    """The loopback site plus an access point for room 114 on a port where nothing answers."""
    site = settings.data_dir / "site.toml"
    site.write_text(
        site.read_text()
        + f"""
[network]
trap_port = {trap_port}
trap_host = "127.0.0.1"
trap_communities = ["public"]

[[network.devices]]
name = "ap-114"
address = "127.0.0.1"
port = {ap_port}
kind = "access_point"
community = "public"
rooms = ["{ROOM}"]
poll_interval_s = 1
timeout_s = 0.3
retries = 1
"""
    )


@pytest.fixture
async def net_hub(hub_settings: HubSettings) -> AsyncIterator[Hub]:
    network_site(hub_settings, free_udp_port(), free_udp_port())
    settings = dataclasses.replace(hub_settings, detect_window_s=1.5, tick_s=0.25)
    async with Hub(settings) as hub:
        yield hub


async def next_of(subscription, kind, where, timeout: float):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no matching {kind.__name__} within {timeout} s"
        message = await asyncio.wait_for(subscription.__anext__(), remaining)
        if isinstance(message, kind) and where(message):
            return message


async def test_a_trap_reaches_a_dashboard(net_hub: Hub, tmp_path: Path) -> None:
    """snmptrap linkDown to the hub's trap port reaches the dashboard's feed as a net.trap event.

    How fast (≤ 1 s) is measured by benchmarks/latency_budgets.py."""
    snmptrap = need("snmptrap")
    assert net_hub.network is not None and net_hub.network.port
    async with net_hub.subscribe() as feed:
        assert isinstance(await feed.__anext__(), Snapshot)
        env = {"MIBS": "", "SNMP_PERSISTENT_DIR": str(tmp_path)}
        command = [snmptrap, "-v", "2c", "-c", "public", f"127.0.0.1:{net_hub.network.port}",
                   "", "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.7", "i", "7"]  # fmt: skip
        await asyncio.to_thread(subprocess.run, command, env=env, check=True, timeout=10)
        message = await next_of(
            feed,
            EventsAppended,
            lambda m: any(e.kind == "net.trap" for e in m.events),
            timeout=10,
        )
    trap = next(e for e in message.events if e.kind == "net.trap")
    assert trap.data["name"] == "linkDown" and trap.data["if_index"] == 7


async def test_an_unreachable_ap_is_shown_and_cited_by_the_room_outage(
    net_hub: Hub, tmp_path: Path
) -> None:
    """The AP that never answers turns its room red once a poll times out; when the room then
    drops, the room-level incident's drafted timeline says what the network showed."""
    hub = net_hub
    async with hub.subscribe() as feed:
        changed = await next_of(
            feed,
            NetworkChanged,
            lambda m: any(r.room == ROOM and r.status == "problem" for r in m.rooms),
            timeout=15,  # a poll's timeout × tries is 0.6 s: the bound is only a bound
        )
    (room,) = [r for r in changed.rooms if r.room == ROOM]
    assert room.reasons[0].code == "net.ap_unreachable"
    fleet = SimulatedFleet(
        Scenario([agent(d, ROOM) for d in DEVICES], conditions={}),
        f"ws://127.0.0.1:{hub.port}", AGENT_TOKEN, tmp_path / "agents", interval_s=0.5,
    )  # fmt: skip
    await fleet.start()
    try:
        assert await fleet.wait_connected(30) == len(DEVICES)
        await start_session(hub)
        await asyncio.gather(*(fleet.drop(d) for d in DEVICES[:12]))
        incidents = await eventually(hub.incidents.incident_views, 15, what="the room outage")
    finally:
        await fleet.stop()
    (outage,) = incidents
    lines = texts(outage)
    assert lines[0] == "12 of 15 devices in room 114 dropped"
    assert any(line.startswith("network: AP ap-114 unreachable since") for line in lines), lines


async def test_a_taken_trap_port_is_named_in_the_error(hub_settings: HubSettings) -> None:
    """The hub refuses to start half-watching, and says which setting to change."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        network_site(hub_settings, port, free_udp_port())
        hub = Hub(hub_settings)
        with pytest.raises(NetworkStartError, match=f"UDP 127.0.0.1:{port}.*trap_port"):
            await hub.start()
        await hub.stop()


def test_testers_without_a_live_roster_are_the_rooms_connected_devices() -> None:
    """No session under way: a room's uplink is judged against its connected devices (the
    disconnected one does not count); this once raised on a field Device does not have."""
    switch = NetDevice(name="sw-1", address="10.0.0.3", kind="switch", community="public",
                       rooms=(ROOM,), ports={12: ROOM})  # fmt: skip
    fleet = {f"dev-{n}": Device(device_id=f"dev-{n}", first_seen=0.0, room=ROOM) for n in range(4)}
    for n in range(3):
        fleet[f"dev-{n}"].connections = {"c": "10.0.0.9:5"}
    watch = NetworkWatch(NetworkConfig(devices=(switch,)), lambda events: None,
                         lambda devices, rooms: None, fleet, {}, lambda room: 6000.0)  # fmt: skip
    port = InterfaceState(index=12, name="Gi0/12", up=True, speed_bps=10_000_000, in_bps=0.0,
                          out_bps=0.0, errors_per_s=0.0, utilisation=0.01)  # fmt: skip
    watch.states["sw-1"] = NetDeviceState(
        name="sw-1", kind="switch", rooms=(ROOM,), reachable=True, interfaces=(port,)
    )
    (short,) = watch.room_health(ROOM, now=2.0).reasons
    assert short.code == "net.uplink_short" and "its 3 testers" in short.message
