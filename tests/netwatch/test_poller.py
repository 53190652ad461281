"""Tests the NetworkPoller's schedule: an unreachable device costs only its own timeout."""

from __future__ import annotations

import asyncio
import time

import pytest

from testday.core.net_state import NetDevice, PollSample
from testday.netwatch.poller import NetworkPoller
from testday.netwatch.snmp_client import SnmpClient
from tests.eventually import eventually
from tests.netwatch.conftest import COMMUNITY, free_udp_port

pytestmark = pytest.mark.slow


def dev(name: str, port: int, interval: float, **kw: object) -> NetDevice:
    fields: dict = {"community": COMMUNITY, "poll_interval_s": interval} | kw
    return NetDevice(name, "127.0.0.1", "switch", port=port, **fields)


async def test_unreachable_device_fails_within_its_timeout_and_delays_no_one(
    snmpd_port: int,
) -> None:
    """A dead device fails after timeout × tries and is tried again; meanwhile the live one is
    polled on its own schedule. How regular that schedule is: benchmarks/latency_budgets.py."""
    dead = dev("dead", free_udp_port(), 0.5, timeout_s=0.5, retries=1)  # nothing listens there
    live = dev("live", snmpd_port, 0.25, timeout_s=1.0)
    arrivals: dict[str, list[tuple[float, PollSample]]] = {"dead": [], "live": []}

    def on_sample(sample: PollSample) -> None:
        arrivals[sample.device].append((time.monotonic() - started, sample))

    async with SnmpClient() as client:
        client.open()  # the engine's one-time start blocks the loop: not on the clock
        poller = NetworkPoller([dead, live], on_sample, client=client, vendors={})
        started = time.monotonic()
        poller.start()
        try:
            await eventually(
                lambda: len(arrivals["dead"]) >= 2 and len(arrivals["live"]) >= 9,
                20,
                what="two failed polls of the dead device and nine of the live one",
            )
        finally:
            await poller.stop()

    first_at, first = arrivals["dead"][0]
    assert first.failure == "timeout"
    assert "no answer within 0.5 s (2 tries)" in first.detail
    assert first_at >= 0.9  # it waited out timeout × tries; a busy machine only adds to that

    live_times = [t for t, s in arrivals["live"] if s.failure is None]
    assert len(live_times) == len(arrivals["live"])  # every live poll answered
    # Not held up by the dead device: the live one was polled again and again (every 0.25 s,
    # from 0.125 s) while the dead one's first poll was still timing out.
    assert len([t for t in live_times if t < first_at]) >= 2, (first_at, live_times)


async def test_a_failing_consumer_does_not_stop_polling(snmpd_port: int) -> None:
    """A consumer that raises on every sample does not stop the schedule; stop() does."""
    calls: list[PollSample] = []

    def on_sample(sample: PollSample) -> None:
        calls.append(sample)
        raise RuntimeError("consumer bug")

    async with SnmpClient() as client:
        client.open()
        poller = NetworkPoller([dev("live", snmpd_port, 0.2)], on_sample, client, vendors={})
        poller.start()
        try:
            await eventually(lambda: len(calls) >= 3, 10, what="three polls despite the errors")
        finally:
            await poller.stop()
    count = len(calls)
    await asyncio.sleep(0.4)  # two intervals pass with nothing polled: time passing is the test
    assert len(calls) == count  # stop() really stopped it


async def test_poll_now_polls_outside_the_schedule(snmpd_port: int) -> None:
    device = dev("live", snmpd_port, 3600)
    async with SnmpClient() as client:
        poller = NetworkPoller([device], lambda s: None, client, vendors={})
        first, second = await poller.poll_now(device), await poller.poll_now(device)
    assert first.failure is None and second.failure is None
    assert [i.name for i in second.interfaces] == [i.name for i in first.interfaces]
