"""Tests the hub's console feed: coalescing, slow subscribers, closing, with real agents."""

from __future__ import annotations

import asyncio

from testday_agent.protocol import encode

from testday.console_protocol.messages import DevicesChanged, HubMessage, Snapshot
from testday.hub.console_feed import Subscription
from testday.hub.hub import Hub
from tests.console_client.helpers import agent, battery, report


async def next_message(subscription: Subscription, timeout: float = 10.0) -> HubMessage:
    return await asyncio.wait_for(anext(subscription), timeout)


async def changes_until(subscription: Subscription, device_id: str) -> None:
    """Read DevicesChanged until one holds `device_id` (how soon: benchmarks/latency_budgets.py)."""
    while True:
        message = await next_message(subscription)
        if isinstance(message, DevicesChanged) and any(d.id == device_id for d in message.devices):
            return


async def test_a_slow_subscriber_is_resynced_without_holding_up_a_fast_one(hub: Hub) -> None:
    """Unread, a subscriber's queue stays bounded; read again, it gets a Snapshot, then changes."""
    # A few messages' worth, so a handful of agents connecting overflows it.
    slow, fast = hub.feed.subscribe(max_items=6), hub.subscribe()
    assert isinstance(await next_message(slow), Snapshot)
    assert isinstance(await next_message(fast), Snapshot)
    agents = []
    for i in range(5):
        agents.append(await agent(hub, f"dev-{i}"))
        await changes_until(fast, f"dev-{i}")
        assert slow.backlog <= 6 + 2 * 2  # its limit plus one broadcast of a connect
    assert slow.resyncs >= 1 and fast.resyncs == 0

    snapshot = await next_message(slow)
    assert isinstance(snapshot, Snapshot)
    assert sorted(d.id for d in snapshot.devices) == [f"dev-{i}" for i in range(5)]
    # Read again, it follows like any other: the next changes come as changes.
    resyncs = slow.resyncs
    await agents[0].send(encode(report(1, 33.0)))
    while True:
        changed = await next_message(slow)
        assert not isinstance(changed, Snapshot)
        if isinstance(changed, DevicesChanged) and battery(changed.devices, "dev-0") == 33.0:
            break
    assert slow.resyncs == resyncs

    for ws in agents:
        await ws.close()
    slow.close()
    fast.close()
    assert hub.feed.subscriber_count == 0


async def test_changes_between_broadcasts_are_coalesced(hub: Hub) -> None:
    """Ten reports sent at once reach a subscriber as a few messages, ending with the last value."""
    ws = await agent(hub, "dev-a")
    async with hub.subscribe() as subscription:
        assert isinstance(await next_message(subscription), Snapshot)
        for seq in range(1, 11):
            await ws.send(encode(report(seq, 50.0 + seq)))
        seen: list[float | None] = []
        while not seen or seen[-1] != 60.0:
            message = await next_message(subscription)
            if isinstance(message, DevicesChanged):
                seen.append(battery(message.devices, "dev-a"))
        # Coalesced: fewer messages than reports (usually one or two; a loaded machine may read
        # the ten frames over more than one broadcast period, so the exact count is not fixed).
        assert len(seen) < 10, seen
    assert hub.feed.subscriber_count == 0
    await ws.close()


async def test_closing_a_subscription_ends_its_iteration(hub: Hub) -> None:
    """A reader waiting on a quiet feed wakes and stops when its subscription is closed."""
    subscription = hub.subscribe()
    assert isinstance(await next_message(subscription), Snapshot)
    reader = asyncio.create_task(anext(subscription))
    await asyncio.sleep(0.05)  # lets the reader reach its wait; if it has not, close() ends it too
    subscription.close()
    try:
        await asyncio.wait_for(reader, 10)
    except StopAsyncIteration:
        pass
    else:
        raise AssertionError("iteration went on after close()")
    assert hub.feed.subscriber_count == 0
