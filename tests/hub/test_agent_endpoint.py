"""Tests the hub's agent endpoint over real loopback websockets: auth, frames, limits, acks."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request

import pytest
from testday_agent.protocol import (
    DEVICE_HEADER,
    Ack,
    BatteryFacts,
    Error,
    Facts,
    Hello,
    Replay,
    Report,
    Welcome,
    decode_hub_message,
    encode,
)
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from testday.hub.hub import Hub
from tests.conftest import AGENT_TOKEN, CONSOLE_TOKEN, api_devices
from tests.eventually import eventually


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()


def hello(device_id: str, room: str = "112") -> Hello:
    return Hello(
        device_id=device_id,
        agent_version="test",
        os_family="linux",
        os_version="12",
        hostname=f"host-{device_id}",
        room=room,
    )


def report(seq: int, percent: float = 80.0) -> Report:
    facts = Facts(battery=BatteryFacts(present=True, percent=percent, plugged=False))
    return Report(seq=seq, sent_at=time.time(), facts=facts)


async def open_agent(hub: Hub, device_id: str, token: str = AGENT_TOKEN) -> ClientConnection:
    return await connect(
        f"ws://127.0.0.1:{hub.port}/agent",
        additional_headers={"Authorization": f"Bearer {token}", DEVICE_HEADER: device_id},
        max_size=None,
    )


async def greet(
    hub: Hub, device_id: str, token: str = AGENT_TOKEN
) -> tuple[ClientConnection, Welcome]:
    ws = await open_agent(hub, device_id, token)
    await ws.send(encode(hello(device_id)))
    welcome = decode_hub_message(await ws.recv())
    assert isinstance(welcome, Welcome), welcome
    return ws, welcome


async def recv_message(ws: ClientConnection, kind: type, timeout: float = 5.0):
    while True:
        message = decode_hub_message(await asyncio.wait_for(ws.recv(), timeout))
        if isinstance(message, kind):
            return message


async def test_wrong_secret_is_refused_with_401_before_any_frame(hub: Hub) -> None:
    """A bad credential gets HTTP 401 on the upgrade and is counted."""
    with pytest.raises(InvalidStatus) as refused:
        await open_agent(hub, "dev-a", token="not-the-secret")
    assert refused.value.response.status_code == 401
    assert 'testday_handshakes_rejected_total{reason="bad_credential"} 1' in hub.render_metrics()


async def test_missing_device_header_is_refused(hub: Hub) -> None:
    """An upgrade without a device identity is a 400 naming the header."""
    with pytest.raises(InvalidStatus) as refused:
        await connect(
            f"ws://127.0.0.1:{hub.port}/agent",
            additional_headers={"Authorization": f"Bearer {AGENT_TOKEN}"},
        )
    assert refused.value.response.status_code == 400
    assert DEVICE_HEADER.encode() in refused.value.response.body


async def test_enrollment_gives_a_key_that_works_only_for_that_device(hub: Hub) -> None:
    """The site secret yields a device key; the key then authenticates that device and no other."""
    ws, welcome = await greet(hub, "dev-a")
    await ws.close()
    assert welcome.device_key
    assert welcome.config.checks.profile == "loopback-test"
    assert [e.name for e in welcome.config.checks.endpoints] == ["platform"]
    ws, again = await greet(hub, "dev-a", token=welcome.device_key)
    assert again.device_key is None  # a keyed device is not handed a new key
    await ws.close()
    with pytest.raises(InvalidStatus) as refused:
        await open_agent(hub, "dev-b", token=welcome.device_key)
    assert refused.value.response.status_code == 401


async def test_hello_for_another_device_is_refused(hub: Hub) -> None:
    """Credentials for one device cannot report as another."""
    ws = await open_agent(hub, "dev-a")
    await ws.send(encode(hello("dev-z")))
    error = decode_hub_message(await ws.recv())
    assert isinstance(error, Error) and "dev-z" in error.message
    with pytest.raises(ConnectionClosed):
        await ws.recv()
    assert ws.close_code == 1008


async def test_report_is_acked_after_it_is_stored(hub: Hub) -> None:
    """A report appears in the fleet and is acked once committed to SQLite."""
    ws, _ = await greet(hub, "dev-a")
    await ws.send(encode(report(seq=7, percent=55.0)))
    ack = await recv_message(ws, Ack)
    assert ack.seqs == [7]
    assert hub.store is not None
    stored = await hub.store.reports("dev-a")
    assert [r.seq for r in stored] == [7]
    device = next(d for d in await asyncio.to_thread(api_devices, hub.port) if d["id"] == "dev-a")
    assert device["facts"]["battery"]["percent"] == 55.0
    assert device["room"] == "112" and device["presence"] == "online"
    await ws.close()


async def test_replayed_history_is_stored_once_and_acked(hub: Hub) -> None:
    """Replayed reports are stored as history; a report sent twice is stored once."""
    ws, _ = await greet(hub, "dev-a")
    await ws.send(encode(Replay(reports=[report(1), report(2), report(3)], dropped=2)))
    assert (await recv_message(ws, Ack)).seqs == [1, 2, 3]
    await ws.send(encode(Replay(reports=[report(3), report(4)])))
    assert (await recv_message(ws, Ack)).seqs == [3, 4]
    assert hub.store is not None
    stored = await hub.store.reports("dev-a")
    assert [(r.seq, r.history) for r in stored] == [(1, True), (2, True), (3, True), (4, True)]
    assert "testday_agent_spool_drops_total 2" in hub.render_metrics()
    await ws.close()


async def test_bad_frames_get_errors_naming_the_fault_while_others_keep_reporting(hub: Hub) -> None:
    """Invalid JSON, a wrong shape and a 1 MiB frame are refused; another agent is unaffected."""
    good, _ = await greet(hub, "dev-good")
    bad, _ = await greet(hub, "dev-bad")

    await bad.send("{not json")
    error = await recv_message(bad, Error)
    assert error.code == "bad_frame" and "not JSON" in error.message

    await bad.send(
        json.dumps({"type": "report", "v": 1, "seq": "seven", "sent_at": 1, "facts": {}})
    )
    error = await recv_message(bad, Error)
    assert "$.seq" in error.message and "Expected `int`, got `str`" in error.message

    await good.send(encode(report(seq=1)))
    assert (await recv_message(good, Ack)).seqs == [1]

    await bad.send("x" * (1024 * 1024))
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(bad.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    assert "exceeds limit" in closed.value.rcvd.reason

    await good.send(encode(report(seq=2)))
    assert (await recv_message(good, Ack)).seqs == [2]
    metrics = hub.render_metrics()
    assert 'testday_frames_rejected_total{reason="invalid"} 2' in metrics
    assert 'testday_frames_rejected_total{reason="too_large"} 1' in metrics
    await good.close()


async def test_a_connection_that_keeps_sending_garbage_is_closed(hub: Hub) -> None:
    """After a handful of bad frames the hub closes with 1008 (policy violation)."""
    ws, _ = await greet(hub, "dev-a")
    with pytest.raises(ConnectionClosed):
        for _ in range(20):
            await ws.send("[]")
            await asyncio.wait_for(ws.recv(), 5)
    assert ws.close_code == 1008


async def test_a_flooding_connection_is_closed(hub: Hub) -> None:
    """More messages per second than an agent ever needs closes that connection only."""
    good, _ = await greet(hub, "dev-good")
    flood, _ = await greet(hub, "dev-flood")
    with pytest.raises(ConnectionClosed):
        for seq in range(1, 500):
            await flood.send(encode(report(seq)))
        while True:
            await asyncio.wait_for(flood.recv(), 5)
    assert flood.close_code == 1008
    assert flood.close_reason == "rate limit exceeded"
    await good.send(encode(report(seq=1)))
    assert (await recv_message(good, Ack)).seqs == [1]
    await good.close()


async def test_two_live_connections_for_one_identity_are_flagged(hub: Hub) -> None:
    """A cloned identity is visible in the device's state, not silently merged."""
    first, _ = await greet(hub, "dev-a")
    second, _ = await greet(hub, "dev-a", token=AGENT_TOKEN)
    await second.send(encode(report(seq=1)))
    await recv_message(second, Ack)
    device = next(d for d in await asyncio.to_thread(api_devices, hub.port) if d["id"] == "dev-a")
    assert len(device["duplicate_peers"]) == 2
    assert "identity.duplicate" in [r["code"] for r in device["reasons"]]
    await second.close()

    async def no_duplicates() -> bool:
        devices = await asyncio.to_thread(api_devices, hub.port)
        return next(d for d in devices if d["id"] == "dev-a")["duplicate_peers"] == []

    await eventually(no_duplicates, 10, what="dev-a's duplicate flag cleared by the close")
    await first.close()


async def test_clean_close_makes_the_device_offline_at_once(hub: Hub) -> None:
    """A clean close marks the device offline without waiting for a missed ping.

    How fast (≤ 1 s) is measured by benchmarks/latency_budgets.py."""
    ws, _ = await greet(hub, "dev-a")
    await ws.send(encode(report(seq=1)))
    await recv_message(ws, Ack)
    await ws.close()
    await eventually(
        lambda: hub.fleet.devices["dev-a"].presence == "offline",
        10,  # under the ping timeout (6 + 10 s): the close marks it, not a missed ping
        what="dev-a offline after its close",
    )
    device = next(d for d in await asyncio.to_thread(api_devices, hub.port) if d["id"] == "dev-a")
    assert device["verdict"] == "offline"


async def test_http_routes(hub: Hub) -> None:
    """healthz and metrics are open; the device API needs the operator secret."""
    base = f"http://127.0.0.1:{hub.port}"
    assert await asyncio.to_thread(fetch, base + "/healthz") == b"ok\n"
    assert b"testday_agents_connected 0" in await asyncio.to_thread(fetch, base + "/metrics")
    with pytest.raises(urllib.error.HTTPError) as refused:
        await asyncio.to_thread(api_devices, hub.port, "wrong")
    assert refused.value.code == 401
    assert await asyncio.to_thread(api_devices, hub.port, CONSOLE_TOKEN) == []
