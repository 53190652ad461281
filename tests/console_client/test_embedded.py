"""Tests the embedded client: the same messages as remote, from a hub in the same process."""

from __future__ import annotations

import asyncio

from testday_agent.protocol import encode

from testday.console_client.embedded import EmbeddedClient
from testday.console_protocol.messages import (
    ConnectionState,
    DevicesChanged,
    EventsAppended,
    Snapshot,
)
from testday.hub.hub import Hub, HubSettings
from tests.console_client.helpers import Inbox, agent, battery, report, running, send_report


async def test_embedded_client_follows_the_hub(hub: Hub) -> None:
    """Connected, a Snapshot with the device, its battery change and its events."""
    ws = await agent(hub, "dev-a")
    await send_report(ws, 1, 80.0)
    inbox = Inbox()
    client = EmbeddedClient(hub)
    assert client.description == "embedded hub"
    async with running(client, inbox):
        assert (await inbox.next(ConnectionState)).connected
        snapshot = await inbox.next(Snapshot)
        assert inbox.messages.index(snapshot) == 1
        assert battery(snapshot.devices, "dev-a") == 80.0
        assert "device.connected" in [e.kind for e in snapshot.events]
        assert snapshot.site.default_profile == "loopback-test"
        await ws.send(encode(report(2, 12.0)))
        await inbox.next(DevicesChanged, lambda m: battery(m.devices, "dev-a") == 12.0)
        await inbox.next(EventsAppended, lambda m: "verdict.changed" in [e.kind for e in m.events])
        await ws.close()
        changed = await inbox.next(DevicesChanged)
        assert changed.devices[0].presence == "offline"
    assert hub.feed.subscriber_count == 0  # close() let go of the subscription


async def test_embedded_client_outlives_a_hub_restart(hub_settings: HubSettings) -> None:
    """The hub stops: ConnectionState(False); it starts again: connected, with a fresh Snapshot."""
    hub = Hub(hub_settings)
    await hub.start()
    inbox = Inbox()
    try:
        async with running(EmbeddedClient(hub), inbox):
            await inbox.next(Snapshot)
            await hub.stop()
            assert not (await inbox.next(ConnectionState)).connected
            await asyncio.sleep(0.2)  # down a while before it comes back: that is the scenario
            await hub.start()
            assert (await inbox.next(ConnectionState)).connected
            await inbox.next(Snapshot)
    finally:
        await hub.stop()
