"""Tests the poller against recorded devices in snmpsim: a changed recording is seen next poll."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from testday.core.net_state import NetDevice, PollSample, UpsSample
from testday.netwatch.ap_vendors import load_vendors
from testday.netwatch.poller import NetworkPoller, poll_once
from testday.netwatch.snmp_client import SnmpClient
from tests.netwatch.conftest import Sim
from tests.netwatch.recordings import ap, ups, wlc

pytestmark = pytest.mark.slow

INTERVAL = 1.0


@pytest.fixture
async def client() -> AsyncIterator[SnmpClient]:
    async with SnmpClient() as snmp:  # one engine per test's event loop
        snmp.open()  # its one-time start is not charged to the first request's timeout
        yield snmp


def device(sim: Sim, name: str, kind: str, community: str, **kw: object) -> NetDevice:
    fields: dict = {"poll_interval_s": INTERVAL, "timeout_s": 1.0, "retries": 1} | kw
    return NetDevice(name, "127.0.0.1", kind, port=sim.port, community=community, **fields)  # type: ignore[arg-type]


async def next_sample(
    queue: asyncio.Queue[PollSample], match: Callable[[PollSample], bool] = lambda s: True
) -> PollSample:
    """The first sample matching ``match``; the bound only bounds (a poll takes well under 1 s)."""

    async def wait() -> PollSample:
        while not match(sample := await queue.get()):
            pass
        return sample

    return await asyncio.wait_for(wait(), 10)


async def change_seen_by_the_next_poll(
    dev: NetDevice,
    write_before: Callable[[], None],
    write_after: Callable[[], None],
    before: Callable[[PollSample], bool],
    after: Callable[[PollSample], bool],
) -> PollSample:
    """Poll ``dev`` with a NetworkPoller; change the recording; the next poll shows the change.
    Counted in polls, not seconds: the interval's own timing is benchmarks/'s to measure."""
    write_before()
    samples: asyncio.Queue[PollSample] = asyncio.Queue()
    poller = NetworkPoller([dev], samples.put_nowait, vendors=load_vendors())
    poller.start()
    try:
        first = await next_sample(samples)
        assert first.failure is None, first.detail
        assert before(first), first
        write_after()
        while not samples.empty():  # polls that finished before the change
            samples.get_nowait()
        # A poll under way at the change may still read the old recording; the next may not.
        polls = [await next_sample(samples)]
        if not after(polls[0]):
            polls.append(await next_sample(samples))
        assert after(polls[-1]), polls
        return polls[-1]
    finally:
        await poller.stop()


async def test_ups_going_on_battery_is_seen_by_the_next_poll(snmpsim: Sim) -> None:
    seen = await change_seen_by_the_next_poll(
        device(snmpsim, "closet-ups", "ups", "ups"),
        lambda: snmpsim.record("ups", ups()),
        lambda: snmpsim.record("ups", ups(source=5, status=3, charge=38, minutes=7)),
        lambda s: (
            s.ups
            == UpsSample(on_battery=False, battery_status=2, charge_percent=100, minutes_left=45)
        ),
        lambda s: bool(s.ups and s.ups.on_battery),
    )
    assert seen.ups == UpsSample(
        on_battery=True, battery_status=3, charge_percent=38, minutes_left=7
    )
    assert seen.description == "Simulated UPS" and seen.uptime_s == 1234.56
    assert seen.interfaces == ()  # a UPS is not walked for IF-MIB


async def test_ap_interface_going_down_is_seen_by_the_next_poll(snmpsim: Sim) -> None:
    def wifi_up(s: PollSample) -> bool | None:
        return next(i.oper_up for i in s.interfaces if i.name == "ath0")

    seen = await change_seen_by_the_next_poll(
        device(snmpsim, "ap-112", "access_point", "ap", vendor="ubiquiti-unifi"),
        lambda: snmpsim.record("ap", ap()),
        lambda: snmpsim.record("ap", ap(wifi_up=False, stations=(0, 0, 0))),
        lambda s: wifi_up(s) is True,
        lambda s: wifi_up(s) is False,
    )
    assert seen.ap_clients == 0
    eth0 = next(i for i in seen.interfaces if i.name == "eth0")
    assert eth0.oper_up is True and eth0.counter_bits == 64
    assert eth0.in_octets == 5_000_000_000  # past 2^32: the Counter64 column, not ifInOctets
    assert eth0.speed_bps == 1_000_000_000
    assert (eth0.in_errors, eth0.in_discards, eth0.out_errors, eth0.out_discards) == (2, 1, 4, 3)


async def test_ap_client_count_sums_the_vendor_column(client: SnmpClient, snmpsim: Sim) -> None:
    snmpsim.record("ap", ap(stations=(5, 7, 0)))
    dev = device(snmpsim, "ap-112", "access_point", "ap", vendor="ubiquiti-unifi")
    sample = await poll_once(client, dev, load_vendors())
    assert sample.failure is None, sample.detail
    assert sample.ap_clients == 12
    assert [i.index for i in sample.interfaces] == [1, 2]


async def test_controller_client_counts_by_row_count_and_by_scalar(
    client: SnmpClient, snmpsim: Sim
) -> None:
    snmpsim.record("wlc", wlc(clients=4))
    vendors = load_vendors()
    cisco = device(snmpsim, "wlc", "wireless_controller", "wlc", vendor="cisco-wlc-stations")
    aruba = device(snmpsim, "wlc2", "wireless_controller", "wlc", vendor="aruba-controller")
    counted, scalar = await asyncio.gather(
        poll_once(client, cisco, vendors), poll_once(client, aruba, vendors)
    )
    assert counted.ap_clients == 4 and scalar.ap_clients == 40
    # No ifXTable in this recording: the 32-bit counters and ifSpeed are used.
    (port,) = counted.interfaces
    assert port.counter_bits == 32 and port.in_octets == 10**12 % 2**32
    assert port.name == "Gi0/1" and port.speed_bps == 1_000_000_000


async def test_unknown_vendor_leaves_the_client_count_empty(
    client: SnmpClient, snmpsim: Sim
) -> None:
    dev = device(snmpsim, "ap-9", "access_point", "ap", vendor="no-such-vendor")
    sample = await poll_once(client, dev, load_vendors())
    assert sample.failure is None and sample.ap_clients is None
