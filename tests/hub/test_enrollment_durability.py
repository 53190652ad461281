"""Tests that a device key is on disk before the Welcome carrying it: a SIGKILL cannot lose it."""

from __future__ import annotations

import re
import time
import urllib.request
from pathlib import Path

import pytest
from testday_agent.protocol import (
    AGENT_PATH,
    DEVICE_HEADER,
    Facts,
    Hello,
    Replay,
    Report,
    Welcome,
    decode_hub_message,
    encode,
)
from websockets.sync.client import ClientConnection, connect

from testday.demo.loopback_platform import write_site
from tests.conftest import AGENT_TOKEN, HubProcess
from tests.eventually import eventually_blocking

pytestmark = pytest.mark.slow

# Enough spooled reports that the hub's writer needs several batches (500 rows each) for them:
# a new device's row then queues behind them, after the events of its connect.
FLOOD_FRAMES, REPORTS_PER_FRAME = 8, 400


def agent_link(hub: HubProcess, device_id: str, credential: str) -> ClientConnection:
    headers = {"Authorization": f"Bearer {credential}", DEVICE_HEADER: device_id}
    return connect(hub.url + AGENT_PATH, additional_headers=headers, open_timeout=10)


def hello(device_id: str) -> str:
    return encode(
        Hello(
            device_id=device_id,
            agent_version="test",
            os_family="linux",
            os_version="12",
            hostname=device_id,
            room="112",
        )
    ).decode()


def welcome(ws: ClientConnection) -> Welcome:
    message = decode_hub_message(ws.recv(timeout=20))
    assert isinstance(message, Welcome), message
    return message


def flood(ws: ClientConnection) -> None:
    """Spooled reports, as an agent back from an outage sends them: thousands of rows to write."""
    now = time.time()
    for frame in range(FLOOD_FRAMES):
        first = frame * REPORTS_PER_FRAME
        reports = [
            Report(seq=first + i, sent_at=now, facts=Facts()) for i in range(REPORTS_PER_FRAME)
        ]
        ws.send(encode(Replay(reports=reports)).decode())


def replayed(hub: HubProcess) -> float:
    """Spooled reports the hub has received (and queued for its writer), from /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{hub.port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    found = re.search(r"^testday_history_reports_received_total (\S+)$", text, re.MULTILINE)
    return float(found[1]) if found else 0.0


def test_a_key_from_a_welcome_works_after_a_kill_right_after_it(
    tmp_path: Path, profiles_dir: Path
) -> None:
    """The hub is killed the moment a new device's Welcome arrives; restarted, the key works."""
    data_dir = write_site(tmp_path / "hub")
    hub = HubProcess(data_dir, profiles_dir).start()
    try:
        with agent_link(hub, "dev-busy", AGENT_TOKEN) as busy:
            busy.send(hello("dev-busy"))
            welcome(busy)
            flood(busy)
            # Every spooled report is in the writer's queue before the new device says hello.
            flooded = FLOOD_FRAMES * REPORTS_PER_FRAME
            eventually_blocking(lambda: replayed(hub) >= flooded, 20, what="the flood received")
            with agent_link(hub, "dev-new", AGENT_TOKEN) as new:
                new.send(hello("dev-new"))
                key = welcome(new).device_key
                hub.kill()  # before anything else can be committed
        assert key
        hub = HubProcess(data_dir, profiles_dir, port=hub.port).start()
        with agent_link(hub, "dev-new", key) as again:
            again.send(hello("dev-new"))
            assert welcome(again).device_key is None  # known by its key: no new one
    finally:
        hub.stop()
