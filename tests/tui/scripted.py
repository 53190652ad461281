"""Provides test peers for the dashboard: a scripted hub client, a frozen clock, a small fleet."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC
from typing import Any

from testday_agent.protocol import AppFacts, BatteryFacts, Facts
from textual.coordinate import Coordinate
from textual.pilot import Pilot
from textual.widgets import DataTable

from testday.console_protocol.device_views import (
    DeviceView,
    EventView,
    Presence,
    SiteRoom,
    SiteView,
)
from testday.console_protocol.messages import DevicesChanged, HubMessage, Sink, Snapshot
from testday.console_protocol.requests import Answer, HubRequest
from testday.core.fleet import Device
from testday.core.readiness import Observed, evaluate
from testday.hub.device_views import device_view
from testday.tui.app import TestdayApp
from testday.tui.widgets.room_card import RoomCard
from tests.core.devices import NOW, PROFILE, battery_at, drain, endpoint_down, healthy, with_
from tests.eventually import eventually

SIZE = (100, 30)
OPERATOR = "proctor1"
SITE = SiteView(
    name="Lincoln High",
    rooms=(SiteRoom(room="101", profile=PROFILE.id), SiteRoom(room="112", profile=PROFILE.id)),
)


class FrozenClock:
    """Time stands still unless a test moves it."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


Request = tuple[HubRequest, str]  # what was asked, and by whom


class ScriptedClient:
    """A HubClient that delivers exactly the messages a test pushes, in order.

    Requests are recorded; each is answered with the next reply a test queued (an Answer, or an
    exception to raise), else with an empty Answer.
    """

    description = "scripted hub"

    def __init__(self, *messages: HubMessage) -> None:
        self._queue: asyncio.Queue[HubMessage] = asyncio.Queue()
        self.closed = False
        self.requests: list[Request] = []
        self.replies: deque[Answer | Exception] = deque()
        self.push(*messages)

    def reply(self, *replies: Answer | Exception) -> None:
        self.replies.extend(replies)

    async def request(self, ask: HubRequest, actor: str) -> Answer:
        self.requests.append((ask, actor))
        reply = self.replies.popleft() if self.replies else Answer()
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
    client: ScriptedClient, size: tuple[int, int] = SIZE
) -> AsyncIterator[tuple[TestdayApp, Pilot[None], list[str]]]:
    """The app on ``client`` (at 100×30), and the notifications it raised ("title: message")."""
    app = TestdayApp(client, clock=FrozenClock(), tz=UTC, operator=OPERATOR)
    notes: list[str] = []
    notify = app.notify

    def recording(message: str, *, title: str = "", **kw: Any) -> None:
        notes.append(f"{title}: {message}")
        notify(message, title=title, **kw)

    app.notify = recording  # type: ignore[method-assign]
    async with app.run_test(size=size) as pilot:
        await settle(pilot, client)
        yield app, pilot, notes


def row_ids(table: DataTable[Any]) -> list[str]:
    """A table's row keys in display order."""
    keys = (table.coordinate_to_cell_key(Coordinate(r, 0)).row_key for r in range(table.row_count))
    return [str(key.value) for key in keys]


def row_texts(table: DataTable[Any], row_id: str) -> dict[str, str]:
    """One row's cells as shown, keyed by column."""
    columns = [str(column.key.value) for column in table.columns.values()]
    return {key: cell.plain for key, cell in zip(columns, table.get_row(row_id), strict=True)}


def room_card(app: TestdayApp, room: str) -> RoomCard:
    return next(c for c in app.screen.query(RoomCard) if c.room == room)


# --- a small fleet, judged by the real readiness engine ------------------------------------------


def make_device(
    device_id: str,
    room: str | None,
    facts: Facts | None = None,
    *,
    hostname: str | None = None,
    presence: Presence = "online",
    last_seen: float = NOW - 5,
    samples: Iterable[tuple[float, float, bool]] = (),
) -> DeviceView:
    """A device exactly as the hub serves it (device_view), with a real verdict."""
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
        presence=presence,
        profile_id=PROFILE.id,
    )
    if presence != "offline":
        device.connections = {"c1": "10.0.0.9:50000"}
    device.battery_samples.extend(samples)
    observed = Observed(
        facts=facts,
        presence=presence,
        last_seen=last_seen,
        battery_samples=tuple(samples),
    )
    device.verdict = evaluate(PROFILE, observed, NOW, tz=UTC)
    return device_view(device)


def outdated_app() -> Facts:
    return with_(healthy(), apps=[AppFacts(name="TestApp", installed=True, version="1.12.0")])


def fleet() -> list[DeviceView]:
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


def events() -> list[EventView]:
    return [
        event(NOW - 1200, "device.disconnected", "c112-04", "112", peer="10.0.0.4", why="closed"),
        event(NOW - 1190, "verdict.changed", "c112-04", "112", status="offline", was="ready"),
        event(NOW - 300, "verdict.changed", "lab-05", "101", status="not_ready", was="warning",
              reasons=["battery.critical"]),
        event(NOW - 60, "verdict.changed", "c112-06", "112", status="not_ready", was="warning",
              reasons=["battery.forecast", "battery.low"]),
    ]  # fmt: skip


def event(ts: float, kind: str, device_id: str, room: str, **data: Any) -> EventView:
    return EventView(ts=ts, kind=kind, device_id=device_id, room=room, data=data)


def snapshot(devices: list[DeviceView] | None = None) -> Snapshot:
    devices = fleet() if devices is None else devices
    history = {
        "c112-06": [(float(t), float(p), bool(plugged)) for t, p, plugged in drain(37.0, 0.9)]
    }
    return Snapshot(
        devices=devices, events=events(), hub_time=NOW, site=SITE, battery_history=history
    )


def changed(*devices: DeviceView, hub_time: float = NOW) -> DevicesChanged:
    return DevicesChanged(devices=list(devices), hub_time=hub_time)
