"""Tests the remote client against a real hub on port 0, with agents on real sockets."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import pytest
from testday_agent.protocol import encode
from websockets.asyncio.client import connect

from testday.console_client.remote import RemoteClient
from testday.console_protocol.device_views import SiteView
from testday.console_protocol.messages import (
    ConnectionState,
    DevicesChanged,
    EventsAppended,
    Snapshot,
)
from testday.hub.hub import Hub, HubSettings
from tests.conftest import CONSOLE_TOKEN
from tests.console_client.helpers import (
    Inbox,
    agent,
    battery,
    device,
    report,
    running,
    send_report,
)
from tests.eventually import eventually


def remote(hub: Hub, token: str = CONSOLE_TOKEN) -> RemoteClient:
    return RemoteClient(f"ws://127.0.0.1:{hub.port}", token, backoff_cap_s=0.2)


async def test_snapshot_then_each_battery_change(hub: Hub) -> None:
    """The client gets a Snapshot holding the device, then each new battery level it reports.

    How fast (≤ 1 s) is measured by benchmarks/latency_budgets.py."""
    ws = await agent(hub, "dev-a")
    await send_report(ws, 1, 80.0)
    inbox = Inbox()
    async with running(remote(hub), inbox):
        state = await inbox.next(ConnectionState)
        assert state.connected and str(hub.port) in state.detail
        snapshot = await inbox.next(Snapshot)
        assert battery(snapshot.devices, "dev-a") == 80.0
        # write_site configures no rooms: all take the default
        assert snapshot.site == SiteView(name="Test School", default_profile="loopback-test")
        assert [p for _, p, _ in snapshot.battery_history["dev-a"]] == [80.0]
        for seq in range(2, 12):
            await ws.send(encode(report(seq, 100.0 - seq)))
            await inbox.next(
                DevicesChanged, lambda m, s=seq: battery(m.devices, "dev-a") == 100.0 - s
            )
    await ws.close()


async def test_two_remote_clients_follow_at_once(hub: Hub) -> None:
    """Two dashboards on the same hub both see a new device and its reports."""
    first, second = Inbox(), Inbox()
    async with running(remote(hub), first), running(remote(hub), second):
        for inbox in (first, second):
            assert (await inbox.next(Snapshot)).devices == []
        ws = await agent(hub, "dev-b", room="204")
        await send_report(ws, 1, 63.0)
        for inbox in (first, second):
            changed = await inbox.next(DevicesChanged, lambda m: battery(m.devices, "dev-b"))
            found = device(changed.devices, "dev-b")
            assert found is not None and found.room == "204"
        await ws.close()
        for inbox in (first, second):
            await inbox.next(
                DevicesChanged,
                lambda m: getattr(device(m.devices, "dev-b"), "presence", None) == "offline",
            )


async def test_events_arrive_as_events_appended(hub: Hub) -> None:
    """device.connected and verdict.changed reach the dashboard as they are logged."""
    inbox = Inbox()
    async with running(remote(hub), inbox):
        await inbox.next(Snapshot)
        ws = await agent(hub, "dev-c")
        await send_report(ws, 1, 90.0)
        kinds: list[str] = []
        while not {"device.connected", "verdict.changed"} <= set(kinds):
            appended = await inbox.next(EventsAppended)
            kinds += [e.kind for e in appended.events if e.device_id == "dev-c"]
        await ws.close()
        await inbox.next(
            EventsAppended, lambda m: "device.disconnected" in [e.kind for e in m.events]
        )
    # A dashboard that connects later finds the same events in its snapshot, each once.
    late = Inbox()
    async with running(remote(hub), late):
        events = (await late.next(Snapshot)).events
    kinds = [e.kind for e in events if e.device_id == "dev-c"]
    assert kinds[0] == "device.connected" and kinds.count("device.connected") == 1
    assert "device.disconnected" in kinds


async def test_wrong_operator_secret_is_reported_in_plain_words(
    hub: Hub, caplog: pytest.LogCaptureFixture
) -> None:
    """A refused secret reads 'operator secret refused (HTTP 401)', and nothing else arrives."""
    caplog.set_level(logging.INFO, logger="websockets.server")  # it logs each refused handshake

    def refusals() -> int:
        return sum("(401 " in r.getMessage() for r in caplog.records)

    inbox = Inbox()
    async with running(remote(hub, token="not-the-secret"), inbox):
        state = await inbox.next(ConnectionState)
        assert not state.connected
        assert "operator secret refused (HTTP 401)" in state.detail
        await eventually(lambda: refusals() >= 3, 10, what="three handshakes refused by the hub")
    assert all(isinstance(m, ConnectionState) and not m.connected for m in inbox.messages)


async def test_client_reconnects_when_the_hub_comes_back(hub_settings: HubSettings) -> None:
    """Hub stopped: the client says so and keeps trying; hub back on that port: a fresh Snapshot."""
    first = Hub(hub_settings)
    await first.start()
    port = first.port
    ws = await agent(first, "dev-d")
    await send_report(ws, 1, 70.0)
    inbox = Inbox()
    client = remote(first)
    async with running(client, inbox):
        await inbox.next(Snapshot)
        await first.stop()
        lost = await inbox.next(ConnectionState)
        assert not lost.connected and "lost" in lost.detail
        refused = await inbox.next(ConnectionState, timeout=2)
        assert not refused.connected and "connection refused" in refused.detail
        # The hub stays down a while, across a few retries: the outage is the scenario here.
        await asyncio.sleep(0.5)
        second = Hub(dataclasses.replace(hub_settings, port=port))
        await second.start()
        try:
            back = await inbox.next(ConnectionState, timeout=5)
            assert back.connected
            snapshot = await inbox.next(Snapshot)
            found = device(snapshot.devices, "dev-d")
            assert found is not None and found.presence == "offline"
            assert battery(snapshot.devices, "dev-d") == 70.0
            ws = await agent(second, "dev-d")
            await send_report(ws, 2, 69.0)
            await inbox.next(DevicesChanged, lambda m: battery(m.devices, "dev-d") == 69.0)
            await ws.close()
        finally:
            await client.close()
            await second.stop()


async def test_a_dashboard_that_never_reads_does_not_slow_another(hub: Hub) -> None:
    """A /console connection left unread does not hold up changes to a reading dashboard.

    How fast they still arrive (≤ 1 s) is measured by benchmarks/latency_budgets.py."""
    stuck = await connect(
        f"ws://127.0.0.1:{hub.port}/console",
        additional_headers={"Authorization": f"Bearer {CONSOLE_TOKEN}"},
        max_size=None,
        max_queue=1,
        close_timeout=0.1,  # it reads nothing, not even the hub's answer to its close
    )
    ws = await agent(hub, "dev-e")
    inbox = Inbox()
    async with running(remote(hub), inbox):
        await inbox.next(Snapshot)
        for seq in range(1, 11):
            await ws.send(encode(report(seq, 100.0 - seq)))
            await inbox.next(
                DevicesChanged, lambda m, s=seq: battery(m.devices, "dev-e") == 100.0 - s
            )
    await ws.close()
    await stuck.close()
