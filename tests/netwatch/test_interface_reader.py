"""Tests the IF-MIB reader against snmpsim: later polls skip names and speeds, yet stay right."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import pytest

from testday.core.net_state import NetDevice
from testday.netwatch.interfaces import C32, COUNTERS, HC, REFRESH_EVERY, InterfaceReader
from testday.netwatch.snmp_client import SnmpClient, Value
from tests.netwatch.conftest import Sim
from tests.netwatch.recordings import switch

pytestmark = pytest.mark.slow


class CountingClient(SnmpClient):
    """Records which columns each poll walks."""

    def __init__(self) -> None:
        super().__init__()
        self.walked: list[str] = []

    async def walk(
        self, device: NetDevice, root_oid: str, max_rows: int = 512, expect_rows: int = 0
    ) -> list[tuple[str, Value]]:
        self.walked.append(root_oid)
        return await super().walk(device, root_oid, max_rows, expect_rows)

    def take(self) -> set[str]:
        walked, self.walked = set(self.walked), []
        return walked


@pytest.fixture
async def client() -> AsyncIterator[CountingClient]:
    async with CountingClient() as snmp:
        snmp.open()
        yield snmp


def cols(*groups: dict[str, str]) -> set[str]:
    return {oid for group in groups for oid in group.values()}


def names(samples: Sequence) -> list[str]:
    return [s.name for s in samples]


async def test_later_polls_walk_only_counters_and_keep_names(
    client: CountingClient, snmpsim: Sim
) -> None:
    snmpsim.record("sw", switch())
    device = NetDevice("sw", "127.0.0.1", "switch", port=snmpsim.port, community="sw")
    reader = InterfaceReader()
    first = await reader.read(client, device)
    assert len(client.take()) == 13  # everything, once
    assert names(first) == ["Gi1/0/1", "Gi1/0/2", "Gi1/0/3"]
    assert all(s.counter_bits == 64 and s.speed_bps == 1_000_000_000 for s in first)

    second = await reader.read(client, device)
    assert client.take() == cols(COUNTERS, HC)  # no names, speeds or 32-bit counters
    assert second == first

    # A port going down brings a fresh read of names and speeds in the same poll.
    snmpsim.record("sw", switch(names=("Gi1/0/1", "uplink", "Gi1/0/3"), down=2))
    third = await reader.read(client, device)
    assert names(third) == ["Gi1/0/1", "uplink", "Gi1/0/3"]
    assert [s.oper_up for s in third] == [True, False, True]


async def test_a_renamed_port_shows_within_ten_polls(client: CountingClient, snmpsim: Sim) -> None:
    snmpsim.record("sw", switch())
    device = NetDevice("sw", "127.0.0.1", "switch", port=snmpsim.port, community="sw")
    reader = InterfaceReader()
    await reader.read(client, device)
    snmpsim.record("sw", switch(names=("a", "b", "c")))  # same rows, same oper states
    seen = [names(await reader.read(client, device)) for _ in range(REFRESH_EVERY)]
    assert seen[0] == ["Gi1/0/1", "Gi1/0/2", "Gi1/0/3"]  # names are not re-read every poll
    assert seen[-1] == ["a", "b", "c"]


async def test_an_agent_without_64_bit_counters_is_read_at_32(
    client: CountingClient, snmpsim: Sim
) -> None:
    device = NetDevice("wlc", "127.0.0.1", "switch", port=snmpsim.port, community="wlc")
    reader = InterfaceReader()
    (first,) = await reader.read(client, device)
    client.take()
    (second,) = await reader.read(client, device)
    assert client.take() == cols(COUNTERS, C32)
    assert second == first and first.counter_bits == 32
