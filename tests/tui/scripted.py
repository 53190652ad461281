"""Provides test peers for the dashboard: a scripted hub client, a frozen clock, a small fleet."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC
from typing import Any

from testday_agent.protocol import AppFacts, BatteryFacts, Facts
from textual.pilot import Pilot

from testday.console_client.messages import (
    DeviceDict,
    DevicesChanged,
    EventDict,
    HubMessage,
    NetDeviceDict,
    RoomNetworkDict,
    Sink,
    Snapshot,
)
from testday.core.fleet import Device
from testday.core.readiness import Observed, evaluate
from testday.hub.device_rows import device_json
from testday.tui.app import TestdayApp
from tests.core.devices import NOW, PROFILE, battery_at, drain, endpoint_down, healthy, with_
from tests.eventually import eventually

SIZE = (100, 30)
OPERATOR = "proctor1"
SITE = {"name": "Lincoln High", "rooms": {"101": PROFILE.id, "112": PROFILE.id}}


class FrozenClock:
    """Time stands still unless a test moves it."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


Request = tuple[str, dict[str, Any], str]  # op, args, actor


class ScriptedClient:
    """A HubClient that delivers exactly the messages a test pushes, in order.

    Requests are recorded; each is answered with the next reply a test queued (a dict, or an
    exception to raise), else with an empty dict.
    """

    description = "scripted hub"

    def __init__(self, *messages: HubMessage) -> None:
        self._queue: asyncio.Queue[HubMessage] = asyncio.Queue()
        self.closed = False
        self.requests: list[Request] = []
        self.replies: deque[dict[str, Any] | Exception] = deque()
        self.push(*messages)

    def reply(self, *replies: dict[str, Any] | Exception) -> None:
        self.replies.extend(replies)

    async def request(self, op: str, args: dict[str, Any], actor: str) -> dict[str, Any]:
        self.requests.append((op, args, actor))
        reply = self.replies.popleft() if self.replies else {}
        if isinstance(reply, Exception):
            raise reply
        return reply

    def push(self, *messages: HubMessage) -> None:
        for message in messages:
            self._queue.put_nowait(message)

    async def run(self, sink: Sink) -> None:
        while True:
            message = await self._queue.get()
            sink(message)
            self._queue.task_done()

    async def delivered(self) -> None:
        await self._queue.join()

    async def close(self) -> None:
        self.closed = True


async def settle(pilot: Pilot[Any], client: ScriptedClient) -> None:
    """Wait until every pushed message is delivered and a refresh tick has applied it."""
    await asyncio.wait_for(client.delivered(), timeout=10)
    app: Any = pilot.app
    seen = app.tick_count
    await eventually(lambda: app.tick_count > seen, 10, what="a refresh tick")
    await pilot.pause()


@asynccontextmanager
async def noting_dashboard(
    client: ScriptedClient,
) -> AsyncIterator[tuple[TestdayApp, Pilot[None], list[str]]]:
    """The app on ``client`` at 100×30, and the notifications it raised ("title: message")."""
    app = TestdayApp(client, clock=FrozenClock(), tz=UTC, operator=OPERATOR)
    notes: list[str] = []
    notify = app.notify

    def recording(message: str, *, title: str = "", **kw: Any) -> None:
        notes.append(f"{title}: {message}")
        notify(message, title=title, **kw)

    app.notify = recording  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, client)
        yield app, pilot, notes


# --- a small fleet, judged by the real readiness engine ------------------------------------------


def make_device(
    device_id: str,
    room: str | None,
    facts: Facts | None = None,
    *,
    hostname: str | None = None,
    presence: str = "online",
    last_seen: float = NOW - 5,
    samples: Iterable[tuple[float, float, bool]] = (),
) -> DeviceDict:
    """A device dict exactly as the hub serves it (device_json), with a real verdict."""
    facts = healthy() if facts is None else facts
    device = Device(
        device_id=device_id,
        first_seen=NOW - 3600,
        hostname=hostname or device_id,
        room=room,
        os_family="windows",
        os_version="10.0.22631",
        agent_version="0.1.0",
        last_seen=last_seen,
        last_seq=42,
        facts=facts,
        presence=presence,  # type: ignore[arg-type]
    )
    if presence != "offline":
        device.connections = {"c1": "10.0.0.9:50000"}
    device.battery_samples.extend(samples)
    observed = Observed(
        facts=facts,
        presence=presence,  # type: ignore[arg-type]
        last_seen=last_seen,
        battery_samples=tuple(samples),
    )
    device.verdict = evaluate(PROFILE, observed, NOW, tz=UTC)
    return device_json(device, PROFILE.id)


def outdated_app() -> Facts:
    return with_(healthy(), apps=[AppFacts(name="TestApp", installed=True, version="1.12.0")])


def fleet() -> list[DeviceDict]:
    """Three rooms: one all ready, one with every kind of problem, one without a site profile."""
    draining = drain(start=37.0, per_min=0.9)
    return [
        *(make_device(f"lab-0{n}", "101") for n in range(1, 5)),
        make_device("lab-05", "101", battery_at(8.0, plugged=False)),
        *(make_device(f"c112-0{n}", "112") for n in range(1, 4)),
        make_device("c112-04", "112", presence="offline", last_seen=NOW - 1200),
        make_device("c112-05", "112", outdated_app()),
        make_device(
            "c112-06",
            "112",
            with_(healthy(), battery=BatteryFacts(present=True, percent=37.0, plugged=False)),
            samples=draining,
        ),
        make_device("lib-01", "Library"),
        make_device("lib-02", "Library", with_(healthy(), network=endpoint_down("Cache"))),
    ]


def events() -> list[EventDict]:
    return [
        event(NOW - 1200, "device.disconnected", "c112-04", "112", peer="10.0.0.4", why="closed"),
        event(NOW - 1190, "verdict.changed", "c112-04", "112", status="offline", was="ready"),
        event(NOW - 300, "verdict.changed", "lab-05", "101", status="not_ready", was="warning",
              reasons=["battery.critical"]),
        event(NOW - 60, "verdict.changed", "c112-06", "112", status="not_ready", was="warning",
              reasons=["battery.forecast", "battery.low"]),
    ]  # fmt: skip


def event(ts: float, kind: str, device_id: str, room: str, **data: Any) -> EventDict:
    return {"ts": ts, "kind": kind, "device_id": device_id, "room": room, "data": data}


def snapshot(devices: list[DeviceDict] | None = None) -> Snapshot:
    devices = fleet() if devices is None else devices
    history = {
        "c112-06": [(float(t), float(p), bool(plugged)) for t, p, plugged in drain(37.0, 0.9)]
    }
    return Snapshot(devices, events(), NOW, SITE, history)


def changed(*devices: DeviceDict, hub_time: float = NOW) -> DevicesChanged:
    return DevicesChanged(list(devices), hub_time)


# --- the network watch: an access point, a switch and a UPS serving rooms 101 and 112 -----------


def net_device(name: str, kind: str, rooms: tuple[str, ...], **state: Any) -> NetDeviceDict:
    """A NetDeviceDict as the hub serves it (network_rows.net_device_json), polled 12 s ago."""
    base: NetDeviceDict = {
        "name": name, "kind": kind, "address": f"10.0.0.{len(name)}", "rooms": list(rooms),
        "capacity": 30 if kind == "access_point" else None, "reachable": True,
        "unreachable_since": None, "failure": None, "detail": "", "last_poll": NOW - 12,
        "uptime_s": 86_400.0 * 3, "rebooted_at": None, "description": f"{kind} {name}",
        "ap_clients": None, "ups": None, "interfaces": [],
    }  # fmt: skip
    return {**base, **state}


def port(
    index: int, name: str, room: str | None, *, up: bool = True, util: float = 0.41
) -> dict[str, Any]:
    return {"index": index, "name": name, "up": up, "speed_bps": 1_000_000_000,
            "in_bps": util * 1e9, "out_bps": 2e6, "utilisation": util if up else None,
            "errors_per_s": 0.0, "room": room}  # fmt: skip


def net_devices() -> list[NetDeviceDict]:
    return [
        net_device("ap-112", "access_point", ("112",), ap_clients=28),
        net_device("ap-101", "access_point", ("101",), ap_clients=12),
        net_device(
            "sw-1", "switch", ("101", "112"),
            interfaces=[port(12, "Gi0/12", "112"), port(13, "Gi0/13", "101", util=0.03)],
        ),
        net_device("ups-1", "ups", ("112",),
                   ups={"on_battery": False, "charge_percent": 100, "minutes_left": 40,
                        "battery_status": 2}),
    ]  # fmt: skip


def room_net(room: str, status: str, summary: str, *reasons: dict[str, Any]) -> RoomNetworkDict:
    return {"room": room, "status": status, "summary": summary, "reasons": list(reasons)}


def net_reason(code: str, severity: str, device: str, message: str) -> dict[str, Any]:
    return {"code": code, "severity": severity, "message": message, "device": device,
            "value": None, "threshold": None}  # fmt: skip


def net_rooms() -> list[RoomNetworkDict]:
    busy = net_reason(
        "net.ap_over_capacity", "warning", "ap-112",
        "Access point ap-112 carries 28 devices, close to the 30 it serves well for testing",
    )  # fmt: skip
    return [
        room_net("101", "ok", "AP ap-101 · 12 clients / 30 · uplink 3 %"),
        room_net("112", "warning", "AP ap-112 · 28 clients / 30 · uplink 41 %", busy),
    ]


def network_snapshot() -> Snapshot:
    """The sample fleet with the network watch's devices and room health."""
    base = snapshot()
    return Snapshot(
        base.devices, base.events, NOW, SITE, base.battery_history,
        network_devices=net_devices(), network_rooms=net_rooms(),
    )  # fmt: skip
