"""Tests a dashboard attached to a real hub over /console: the same fleet as the API, live."""

from __future__ import annotations

import asyncio
import time

from testday_agent.protocol import Ack, BatteryFacts, Facts, Report, SystemFacts, encode
from textual.coordinate import Coordinate

from testday.console_client.remote import RemoteClient
from testday.console_protocol.requests import SessionActionRequest
from testday.core import hash_chain
from testday.core.sessions import RosterEntry, Session
from testday.hub.hub import Hub
from testday.store.incident_store import IncidentStore
from testday.store.session_store import SessionStore
from testday.tui.app import TestdayApp
from testday.tui.screens.devices import DevicesScreen
from testday.tui.widgets.device_table import DeviceTable
from tests.conftest import CONSOLE_TOKEN, api_devices
from tests.eventually import eventually
from tests.hub.test_agent_endpoint import greet, recv_message


def facts(hostname: str, percent: float) -> Facts:
    return Facts(
        battery=BatteryFacts(present=True, percent=percent, plugged=False),
        system=SystemFacts(os_family="linux", os_version="12", hostname=hostname),
    )


async def report(ws, seq: int, hostname: str, percent: float) -> None:  # type: ignore[no-untyped-def]
    await ws.send(encode(Report(seq=seq, sent_at=time.time(), facts=facts(hostname, percent))))
    await recv_message(ws, Ack)


def table_rows(table: DeviceTable) -> dict[str, tuple[str, str]]:
    """device id → (verdict, battery) as the table shows them."""
    rows = {}
    for r in range(table.row_count):
        key = str(table.coordinate_to_cell_key(Coordinate(r, 0)).row_key.value)
        rows[key] = (table.get_cell(key, "verdict").plain, table.get_cell(key, "battery").plain)
    return rows


async def test_attached_dashboard_matches_the_api_and_follows_a_report(hub: Hub) -> None:
    """Attached with --hub semantics (RemoteClient), the table equals /api/devices and a
    report's new battery reading shows (within 1 s: benchmarks/latency_budgets.py)."""
    agents = []
    for n in range(3):
        ws, _ = await greet(hub, f"dev-{n}")
        await report(ws, 1, f"lab-{n}", 90.0 - n * 30)
        agents.append(ws)
    app = TestdayApp(RemoteClient(f"http://127.0.0.1:{hub.port}", CONSOLE_TOKEN))
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("d")
            table = app.screen.query_one(DeviceTable)
            assert isinstance(app.screen, DevicesScreen)
            await eventually(lambda: table.row_count == 3, 10, what="three rows")
            api = await asyncio.to_thread(api_devices, hub.port)
            shown = table_rows(table)
            assert set(shown) == {d["id"] for d in api}
            assert {k: v[0] for k, v in shown.items()} == {
                d["id"]: d["verdict"].replace("_", " ") for d in api
            }

            await report(agents[0], 2, "lab-0", 42.0)
            await eventually(
                lambda: table.get_cell("dev-0", "battery").plain.startswith("42%"),
                10,
                what="dev-0's new battery reading in the table",
            )
    finally:
        for ws in agents:
            await ws.close()


async def test_an_incident_logged_from_the_dashboard_lands_in_the_hubs_chain(hub: Hub) -> None:
    """d, n, the description, Enter on a real hub: the incident is stored with the device,
    the room's live session and the student on that device, and the chain verifies."""
    ws, _ = await greet(hub, "dev-0")  # greet() puts devices in room 112
    await report(ws, 1, "lab-0", 80.0)
    now = time.time()
    roster = (RosterEntry("S1234567", "dev-0"),)
    session = Session("ela-8", "Grade 8 ELA", "loopback-test", ("112",), now, now + 3600,
                      roster=roster)  # fmt: skip
    assert hub.store is not None
    await SessionStore(hub.store).create(session, now, "planner")
    await hub.answer(SessionActionRequest(session_id="ela-8", action="start"), "tech")
    app = TestdayApp(RemoteClient(f"http://127.0.0.1:{hub.port}", CONSOLE_TOKEN))
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("d")
            table = app.screen.query_one(DeviceTable)
            await eventually(lambda: table.row_count == 1, 10, what="dev-0's row")
            await pilot.press("n", *"Screen froze; restarted, resumed", "enter")
            (incident,) = await eventually(hub.incidents.incident_views, 10, what="the incident")
            assert incident.devices == ("dev-0",) and incident.room == "112"
            assert incident.session_id == "ela-8" and incident.students == ("S1234567",)
            assert incident.source == "dashboard"
            assert incident.sequence[0].text.endswith("Screen froze; restarted, resumed")
            entries = await IncidentStore(hub.store).load()
            assert entries and hash_chain.verify(entries).ok
    finally:
        await ws.close()
