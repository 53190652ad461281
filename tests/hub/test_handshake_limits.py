"""Tests that a client failing its handshakes is turned away alone, never honest devices."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from testday.hub.hub import Hub, HubSettings
from testday.hub.limits import Limits
from tests.hub.test_agent_endpoint import greet

ATTACKER = "127.0.0.2"  # a second loopback address: the honest devices come from 127.0.0.1
ATTEMPTS = 60


@pytest.fixture
async def small_hub(hub_settings: HubSettings) -> AsyncIterator[Hub]:
    """A hub whose budget for handshakes is ten at once: easy to spend, if bad ones could."""
    limits = Limits(handshakes_per_s=1.0, handshake_burst=10.0)
    async with Hub(replace(hub_settings, limits=limits)) as hub:
        yield hub


async def bad_upgrade(hub: Hub, n: int) -> int:
    """One upgrade with a wrong secret from ATTACKER; the HTTP status it got."""
    headers = {"Authorization": "Bearer guessed-wrong", "X-Testday-Device": f"dev-{n}"}
    try:
        async with connect(f"ws://127.0.0.1:{hub.port}/agent", additional_headers=headers,
                           local_addr=(ATTACKER, 0)):  # fmt: skip
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


async def test_bad_credentials_from_one_address_never_lock_out_honest_devices(
    small_hub: Hub,
) -> None:
    """Sixty wrong secrets at once from one address: it is refused (401, then 429), and ten
    honest devices right after all get in (no 503)."""
    statuses = await asyncio.gather(*(bad_upgrade(small_hub, n) for n in range(ATTEMPTS)))
    assert set(statuses) <= {401, 429} and 429 in statuses, statuses
    assert small_hub.metrics.handshakes_rejected["address_failing"] > 0
    assert small_hub.metrics.handshakes_rejected["rate_limited"] == 0
    honest = [await greet(small_hub, f"lab-{n}") for n in range(10)]
    for ws, _ in honest:
        await ws.close()
