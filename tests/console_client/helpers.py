"""Provides what the console-client tests share: an inbox sink, running clients, raw agents."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeVar

from testday_agent.protocol import (
    DEVICE_HEADER,
    Ack,
    BatteryFacts,
    Facts,
    Hello,
    Report,
    Welcome,
    decode_hub_message,
    encode,
)
from websockets.asyncio.client import ClientConnection, connect

from testday.console_protocol.client import HubClient
from testday.console_protocol.device_views import DeviceView
from testday.console_protocol.messages import HubMessage
from testday.hub.hub import Hub
from tests.conftest import AGENT_TOKEN

M = TypeVar("M")


class Inbox:
    """A dashboard's sink: keeps every message and lets a test wait for a particular one."""

    def __init__(self) -> None:
        self.messages: list[HubMessage] = []
        self._queue: asyncio.Queue[HubMessage] = asyncio.Queue()

    def __call__(self, message: HubMessage) -> None:
        self.messages.append(message)
        self._queue.put_nowait(message)

    async def next(
        self, kind: type[M], where: Callable[[M], Any] = lambda m: True, timeout: float = 10.0
    ) -> M:
        """The next message of `kind` satisfying `where`; earlier ones are skipped. The timeout
        only bounds the wait (a loaded CI machine is slow); latency is the benchmarks' to time."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching {kind.__name__} within {timeout} s")
            try:
                message = await asyncio.wait_for(self._queue.get(), remaining)
            except TimeoutError:
                continue
            if isinstance(message, kind) and where(message):
                return message


@contextlib.asynccontextmanager
async def running(client: HubClient, inbox: Inbox) -> AsyncIterator[HubClient]:
    task = asyncio.create_task(client.run(inbox))
    try:
        yield client
    finally:
        await client.close()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task  # run() may end only by close() or cancellation, never by raising


def report(seq: int, percent: float = 80.0) -> Report:
    facts = Facts(battery=BatteryFacts(present=True, percent=percent, plugged=False))
    return Report(seq=seq, sent_at=time.time(), facts=facts)


async def agent(hub: Hub, device_id: str, room: str = "112") -> ClientConnection:
    """A device that has said hello over the real agent protocol and been welcomed."""
    ws = await connect(
        f"ws://127.0.0.1:{hub.port}/agent",
        additional_headers={"Authorization": f"Bearer {AGENT_TOKEN}", DEVICE_HEADER: device_id},
        max_queue=None,  # acks a test does not read must not stop it reading the close frame
    )
    hello = Hello(
        device_id=device_id,
        agent_version="test",
        os_family="linux",
        os_version="12",
        hostname=f"host-{device_id}",
        room=room,
    )
    await ws.send(encode(hello))
    assert isinstance(decode_hub_message(await ws.recv()), Welcome)
    return ws


async def acked(ws: ClientConnection) -> None:
    """Read up to the next ack: the hub has applied and stored the report."""
    while not isinstance(decode_hub_message(await asyncio.wait_for(ws.recv(), 5)), Ack):
        pass


async def send_report(ws: ClientConnection, seq: int, percent: float) -> None:
    await ws.send(encode(report(seq, percent)))
    await acked(ws)


def device(devices: Sequence[DeviceView], device_id: str) -> DeviceView | None:
    return next((d for d in devices if d.id == device_id), None)


def battery(devices: Sequence[DeviceView], device_id: str) -> float | None:
    found = device(devices, device_id)
    if found is None or found.facts is None or found.facts.battery is None:
        return None
    return found.facts.battery.percent
