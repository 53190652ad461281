"""Tests the trap receiver with net-snmp's snmptrap on loopback: v2c, v1, wrong community."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from testday.netwatch.trap_receiver import TrapReceiver
from tests.eventually import eventually
from tests.netwatch.conftest import need

pytestmark = pytest.mark.slow

LINK_DOWN = ["1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.3", "i", "3"]
TRAP_BOUND_S = 10  # only bounds the wait; trap latency (≤ 1 s) is benchmarks/latency_budgets.py's


async def snmptrap(env: dict[str, str], port: int, *args: str) -> None:
    version, community, rest = args[0], args[1], args[2:]
    target = f"127.0.0.1:{port}"
    command = [need("snmptrap"), "-v", version, "-c", community, target, *rest]
    proc = await asyncio.create_subprocess_exec(*command, env=env)
    assert await proc.wait() == 0


async def test_v2c_link_down_reaches_on_trap(cli_env: dict[str, str]) -> None:
    """A v2c linkDown arrives decoded and stamped when it came (how soon: the benchmark's)."""
    traps: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    async with TrapReceiver("127.0.0.1", 0, {"public"}, traps.put_nowait) as receiver:
        assert receiver.port > 0
        sent = time.time()
        await snmptrap(cli_env, receiver.port, "2c", "public", "", *LINK_DOWN)
        trap = await asyncio.wait_for(traps.get(), TRAP_BOUND_S)
        received = time.time()
    assert trap["name"] == "linkDown" and trap["trap_oid"] == "1.3.6.1.6.3.1.1.5.3"
    assert trap["if_index"] == 3
    assert trap["source"] == "127.0.0.1"
    assert trap["varbinds"]["1.3.6.1.2.1.2.2.1.1.3"] == 3
    assert sent <= trap["ts"] <= received  # the receiver's own clock, at arrival
    assert isinstance(trap["uptime_s"], float)


async def test_v1_cold_start_and_ups_on_battery_are_named(cli_env: dict[str, str]) -> None:
    traps: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    async with TrapReceiver("127.0.0.1", 0, {"public"}, traps.put_nowait) as receiver:
        # v1: enterprise, agent address, generic trap 0 (coldStart), specific 0, uptime
        await snmptrap(
            cli_env,
            receiver.port,
            "1",
            "public",
            "1.3.6.1.4.1.8072.3.2.10",
            "127.0.0.1",
            "0",
            "0",
            "",
        )
        cold = await asyncio.wait_for(traps.get(), TRAP_BOUND_S)
        ups = ["1.3.6.1.2.1.33.2.1", "1.3.6.1.2.1.33.1.2.3.0", "i", "25"]
        await snmptrap(cli_env, receiver.port, "2c", "public", "", *ups)
        battery = await asyncio.wait_for(traps.get(), TRAP_BOUND_S)
    assert cold["name"] == "coldStart" and cold["if_index"] is None
    assert cold["agent_address"] == "127.0.0.1"
    assert "1.3.6.1.6.3.18.1.4.0" not in cold["varbinds"]  # the community stays out of logs
    assert battery["name"] == "upsOnBattery"
    assert battery["varbinds"]["1.3.6.1.2.1.33.1.2.3.0"] == 25


async def test_wrong_community_is_dropped_and_counted(cli_env: dict[str, str]) -> None:
    traps: list[dict[str, Any]] = []
    async with TrapReceiver("127.0.0.1", 0, {"public", "school"}, traps.append) as receiver:
        await snmptrap(cli_env, receiver.port, "2c", "not-ours", "", *LINK_DOWN)
        await snmptrap(cli_env, receiver.port, "2c", "school", "", "1.3.6.1.6.3.1.1.5.4")
        await eventually(
            lambda: receiver.dropped + receiver.received == 2, TRAP_BOUND_S, what="both traps"
        )
    assert [t["name"] for t in traps] == ["linkUp"]
    assert receiver.dropped == 1 and receiver.received == 1


async def test_any_community_when_none_is_configured(cli_env: dict[str, str]) -> None:
    traps: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    async with TrapReceiver("127.0.0.1", 0, None, traps.put_nowait) as receiver:
        await snmptrap(cli_env, receiver.port, "2c", "whatever", "", *LINK_DOWN)
        trap = await asyncio.wait_for(traps.get(), TRAP_BOUND_S)
    assert trap["name"] == "linkDown"


async def test_a_taken_port_raises_at_start() -> None:
    async with TrapReceiver("127.0.0.1", 0, None, lambda t: None) as first:
        with pytest.raises(OSError):
            TrapReceiver("127.0.0.1", first.port, None, lambda t: None).start()
