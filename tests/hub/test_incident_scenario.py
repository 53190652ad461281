"""Tests the issue's scripted incident scenario end to end: real agents, hub, SQLite and chain."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from testday_agent.identity import Identity

from testday.console_protocol.desk_views import IncidentView
from testday.console_protocol.requests import SessionActionRequest
from testday.core import hash_chain
from testday.core.sessions import RosterEntry, Session
from testday.demo.scenario import Scenario, SimulatedAgent, Step
from testday.demo.simulated_device import SimulatedDevice
from testday.demo.simulated_fleet import SimulatedFleet
from testday.hub.hub import Hub, HubSettings
from testday.store.incident_store import IncidentStore
from testday.store.session_store import SessionStore
from tests.conftest import AGENT_TOKEN
from tests.eventually import eventually
from tests.hub.desk_clock import add_clock_session, swept_after

ROOM_A, ROOM_B = "112", "114"
DEVICES = {
    ROOM_A: [f"dev-a{n:02d}" for n in range(1, 16)],
    ROOM_B: [f"dev-b{n:02d}" for n in range(1, 16)],
}
ALL = [d for room in (ROOM_A, ROOM_B) for d in DEVICES[room]]
STUDENT = {device: f"1000{n:03d}" for n, device in enumerate(ALL, start=1)}
LOST_IN_A = ["dev-a05", "dev-a09", "dev-a12"]
DROPPED_IN_B = DEVICES[ROOM_B][:12]
WINDOW_S = 1.5


def hostname(device_id: str) -> str:
    return device_id.replace("dev-", "lab-")


def agent(device_id: str, room: str) -> SimulatedAgent:
    device = SimulatedDevice(
        hostname=hostname(device_id), room=room, os_family="linux", os_version="12",
        app_version="1.13.2", battery_present=False, wifi=False,
    )  # fmt: skip
    return SimulatedAgent(device, Identity(device_id=device_id, serial=f"SN-{device_id}"))


@pytest.fixture
async def scenario_hub(hub_settings: HubSettings) -> AsyncIterator[Hub]:
    settings = dataclasses.replace(hub_settings, detect_window_s=WINDOW_S, tick_s=0.25)
    async with Hub(settings) as running:
        yield running


@pytest.fixture
async def fleet(scenario_hub: Hub, tmp_path: Path) -> AsyncIterator[SimulatedFleet]:
    agents = [agent(d, room) for room, devices in DEVICES.items() for d in devices]
    simulated = SimulatedFleet(
        Scenario(agents, conditions={}), f"ws://127.0.0.1:{scenario_hub.port}", AGENT_TOKEN,
        tmp_path / "agents", interval_s=0.5,
    )  # fmt: skip
    await simulated.start()
    yield simulated
    await simulated.stop()


def ready(hub: Hub, device_ids: list[str]) -> bool:
    devices = hub.fleet.devices
    return all(
        d in devices and devices[d].verdict is not None and devices[d].verdict.status == "ready"
        for d in device_ids
    )


def offline(hub: Hub, device_ids: list[str]) -> bool:
    return all(hub.fleet.devices[d].presence == "offline" for d in device_ids)


def texts(incident: IncidentView) -> list[str]:
    # Drop the leading clock ("10:14:03 "): the wall clock of the run is not the point.
    return [line.text.split(" ", 1)[1] for line in incident.sequence]


async def start_session(hub: Hub) -> None:
    now = time.time()
    session = Session(
        id="g7-math", name="Grade 7 Math", profile_id="loopback-test", rooms=(ROOM_A, ROOM_B),
        scheduled_start=now, scheduled_end=now + 5400, program="State Assessment",
        test="Mathematics", grade="7", proctor="Rivera", test_administrator="Chen",
        roster=tuple(RosterEntry(STUDENT[d], d) for d in ALL),
    )  # fmt: skip
    assert hub.store is not None
    await SessionStore(hub.store).create(session, now, "coordinator")  # as the CLI would
    answer = await hub.answer(SessionActionRequest(session_id="g7-math", action="start"), "ta")
    assert answer.session is not None and answer.session.state == "in_progress"


async def test_drops_in_two_rooms_become_three_device_losses_and_one_room_outage(
    scenario_hub: Hub, fleet: SimulatedFleet, caplog: pytest.LogCaptureFixture
) -> None:
    """3 losses in room A (one returns) and 12 of 15 in room B: exactly 4 drafted incidents."""
    hub = scenario_hub
    assert await fleet.wait_connected(30) == 30
    await eventually(lambda: ready(hub, ALL), 30, what="every device ready")
    await add_clock_session(hub)
    await start_session(hub)

    for device_id in LOST_IN_A:
        await fleet.drop(device_id)
        # One at a time as the hub sees them, so the incidents come in LOST_IN_A's order.
        await eventually(lambda d=device_id: offline(hub, [d]), 10, what=f"{device_id} offline")
    # Each loss is held a detection window (1.5 s), then written; the bound is only a bound.
    lost = await eventually(
        lambda: len(hub.incidents.incident_views()) == 3 and hub.incidents.incident_views(),
        15, what="room A incidents",
    )  # fmt: skip
    await fleet.apply(Step(0, "return", "dev-a05"))  # after its incident was written
    await eventually(lambda: ready(hub, ["dev-a05"]), 30, what="dev-a05 ready again")

    await asyncio.gather(*(fleet.drop(d) for d in DROPPED_IN_B))
    await eventually(lambda: offline(hub, DROPPED_IN_B), 10, what="room B's drops seen")
    seen_at = time.time()
    await eventually(lambda: len(hub.incidents.incident_views()) == 4, 15, what="room B incident")
    # Nothing else is released later: a tick begun a window after every drop has flushed all.
    await swept_after(hub, seen_at + WINDOW_S)
    incidents = {i.id: i for i in hub.incidents.incident_views()}
    assert len(incidents) == 4

    lost = [incidents[i.id] for i in lost]
    assert [(i.subcategory, i.room, i.devices, i.students) for i in lost] == [
        ("device_lost", ROOM_A, (d,), (STUDENT[d],)) for d in LOST_IN_A
    ]
    outage = next(i for i in incidents.values() if i.subcategory == "network_outage")
    assert (outage.category, outage.severity, outage.room) == ("technical", "serious", ROOM_B)
    assert outage.devices == tuple(DROPPED_IN_B)
    assert outage.students == tuple(STUDENT[d] for d in DROPPED_IN_B)
    for incident in incidents.values():
        assert (incident.source, incident.created_by, incident.status) == (
            "detector", "testday", "open",
        )  # fmt: skip
        assert incident.session_id == "g7-math"

    # The returned device's draft was redrafted after its incident was written.
    a05 = texts(lost[0])
    assert a05[0] == "lab-a05 (room 112) disconnected"
    assert "lab-a05 reconnected" in a05
    assert "lab-a05 ready again" in a05
    assert a05[-1] == f"student {STUDENT['dev-a05']} resumed on the same device"
    assert texts(lost[1]) == ["lab-a09 (room 112) disconnected"]
    assert texts(outage)[0] == "12 of 15 devices in room 114 dropped"

    assert hub.store is not None
    entries = await IncidentStore(hub.store).load()
    assert hash_chain.verify(entries).ok
    assert [e.event["kind"] for e in entries].count("created") == 4
    drafts: dict[str, list[Any]] = {}
    for entry in entries:
        if entry.event["kind"] == "timeline_drafted":
            drafts.setdefault(entry.event["incident_id"], []).append(entry.event["data"]["lines"])
    assert len(drafts[lost[0].id]) >= 2  # drafted, then redrafted when dev-a05 came back
    assert all(a != b for lines in drafts.values() for a, b in itertools.pairwise(lines))
    assert len(drafts[lost[1].id]) == 1  # nothing happened to dev-a09 afterwards
    assert not [r for r in caplog.records if r.name.startswith("testday.hub") and r.levelno >= 40]

    await hub.answer(SessionActionRequest(session_id="g7-math", action="end"), "ta")
