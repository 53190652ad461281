"""Tests polling Debian's snmpd on loopback: MIB-II and IF-MIB over v2c and v3, and failures."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator

import pytest

from testday.core.net_state import NetDevice, PollSample, SnmpV3User
from testday.netwatch import oids
from testday.netwatch.poller import poll_once
from testday.netwatch.snmp_client import SnmpClient
from tests.eventually import eventually
from tests.netwatch.conftest import COMMUNITY, V3_AUTH, V3_PRIV, V3_USER

pytestmark = pytest.mark.slow


@pytest.fixture
async def client() -> AsyncIterator[SnmpClient]:
    async with SnmpClient() as snmp:  # one engine per test's event loop
        snmp.open()  # its one-time start is not charged to the first request's timeout
        yield snmp


def switch(port: int, **kw: object) -> NetDevice:
    fields: dict = {"community": COMMUNITY, "timeout_s": 0.5, "retries": 1} | kw
    return NetDevice("closet-switch", "127.0.0.1", "switch", port=port, **fields)


def v3(auth_key: str = V3_AUTH, user: str = V3_USER, **kw: object) -> SnmpV3User:
    fields: dict = {"auth_protocol": "SHA", "priv_protocol": "AES", "priv_key": V3_PRIV} | kw
    return SnmpV3User(user, auth_key=auth_key, **fields)


def assert_system_and_lo(sample: PollSample) -> None:
    assert sample.failure is None, sample.detail
    assert sample.uptime_s is not None and sample.uptime_s >= 0
    assert sample.description  # "Linux <host> …"
    lo = next(i for i in sample.interfaces if i.name == "lo")
    assert lo.oper_up is True
    assert lo.speed_bps == 10_000_000  # ifHighSpeed 10 (Mbit/s)
    assert lo.counter_bits == 64  # ifHCInOctets preferred over ifInOctets
    assert isinstance(lo.in_octets, int) and isinstance(lo.out_octets, int)
    assert lo.in_errors == 0 and lo.out_discards == 0


async def test_v2c_poll_reads_uptime_description_and_lo(
    client: SnmpClient, snmpd_port: int
) -> None:
    device = switch(snmpd_port)
    first = await poll_once(client, device, {})
    assert_system_and_lo(first)
    second = await poll_once(client, device, {})
    # Our own SNMP traffic crosses lo, so its counters are not zero; snmpd caches IF-MIB for a
    # few seconds, so two quick polls may see the same value, never a smaller one.
    lo1 = next(i for i in first.interfaces if i.name == "lo")
    lo2 = next(i for i in second.interfaces if i.name == "lo")
    assert lo2.in_octets is not None and lo1.in_octets is not None
    assert lo2.in_octets >= lo1.in_octets > 0
    assert second.ts >= first.ts


async def test_v3_sha_aes_poll_reads_the_same(client: SnmpClient, snmpd_port: int) -> None:
    sample = await poll_once(client, switch(snmpd_port, community=None, v3=v3()), {})
    assert_system_and_lo(sample)


async def test_get_and_bounded_walk_return_plain_values(
    client: SnmpClient, snmpd_port: int
) -> None:
    device = switch(snmpd_port)
    got = await client.get(device, [oids.SYS_UPTIME, "1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.99.0"])
    assert isinstance(got[oids.SYS_UPTIME], int)
    assert got["1.3.6.1.2.1.1.5.0"] == "test-snmpd"
    assert "1.3.6.1.2.1.1.99.0" not in got  # noSuchObject is left out
    rows = await client.walk(device, oids.IF_DESCR, max_rows=1)
    assert rows == [(f"{oids.IF_DESCR}.1", "lo")]
    rows = await client.walk(device, oids.IF_DESCR)
    assert rows and all(oid.startswith(oids.IF_DESCR + ".") for oid, _ in rows)  # stays inside


async def test_wrong_community_is_a_timeout_that_says_so(
    client: SnmpClient, snmpd_port: int
) -> None:
    """snmpd ignores a wrong community: the poll times out after timeout × tries, and says why."""
    started = time.monotonic()
    polling = asyncio.ensure_future(
        poll_once(client, switch(snmpd_port, community="not-the-community"), {})
    )
    # A bound only, beside 0.5 s × 2 tries; how close to 1 s it ends is the benchmark's.
    sample = await eventually(lambda: polling.done() and polling.result(), 10, what="the poll")
    assert time.monotonic() - started >= 0.9  # it waited out both tries
    assert sample.failure == "timeout"
    assert sample.detail == (
        "no answer within 0.5 s (2 tries) — device down, unreachable, or wrong community"
    )
    assert sample.uptime_s is None and sample.interfaces == ()


async def test_a_silent_device_costs_one_request_and_its_retry(client: SnmpClient) -> None:
    """Polling a device that never answers stops at the first GET: its two tries, no more."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.setblocking(False)
        sample = await poll_once(client, switch(silent.getsockname()[1]), {})
        datagrams = 0
        with contextlib.suppress(BlockingIOError):  # loopback delivers before sendto returns
            while silent.recv(65536):
                datagrams += 1
    assert sample.failure == "timeout"
    assert datagrams == 2  # the system GET and its one retry: later requests never go out


async def test_wrong_v3_auth_key_is_auth(client: SnmpClient, snmpd_port: int) -> None:
    device = switch(snmpd_port, community=None, v3=v3(auth_key="not-the-key-123"))
    sample = await poll_once(client, device, {})
    assert sample.failure == "auth"
    assert "wrong v3 auth key" in sample.detail
    # The engine is shared: the right key on the next poll still works.
    assert (
        await poll_once(client, switch(snmpd_port, community=None, v3=v3()), {})
    ).failure is None


async def test_unknown_v3_user_is_unknown_user(client: SnmpClient, snmpd_port: int) -> None:
    sample = await poll_once(client, switch(snmpd_port, community=None, v3=v3(user="nobody")), {})
    assert sample.failure == "unknown_user"


async def test_v3_without_privacy_for_a_priv_user_is_refused(
    client: SnmpClient, snmpd_port: int
) -> None:
    device = switch(snmpd_port, community=None, v3=v3(priv_protocol="none", priv_key=""))
    sample = await poll_once(client, device, {})
    assert sample.failure == "auth"
    assert "authorizationError" in sample.detail


async def test_wrong_v3_privacy_key_times_out_naming_the_key(
    client: SnmpClient, snmpd_port: int
) -> None:
    # snmpd drops what it cannot decrypt, so this looks like a dead device on the wire.
    device = switch(snmpd_port, community=None, v3=v3(priv_key="not-the-priv-123"))
    sample = await poll_once(client, device, {})
    assert sample.failure == "timeout"
    assert sample.detail.endswith("or wrong v3 privacy key")
