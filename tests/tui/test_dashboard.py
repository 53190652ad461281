"""Tests the live dashboard's behaviour with Pilot: a scripted hub client and a frozen clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC

from textual.pilot import Pilot
from textual.widgets import Input

from testday.console_protocol.device_views import SiteView
from testday.console_protocol.messages import ConnectionState, EventsAppended, Snapshot
from testday.tui.app import TestdayApp
from testday.tui.screens.detail import DeviceDetailScreen
from testday.tui.screens.devices import DevicesScreen
from testday.tui.screens.help import HelpScreen
from testday.tui.screens.rooms import RoomsScreen
from testday.tui.widgets.device_table import DeviceTable
from testday.tui.widgets.event_log import EventLog
from testday.tui.widgets.field import Field
from testday.tui.widgets.room_card import RoomCard
from testday.tui.widgets.status_line import StatusLine
from tests.core.devices import NOW, battery_at
from tests.eventually import eventually
from tests.tui.scripted import (
    SITE,
    SIZE,
    FrozenClock,
    ScriptedClient,
    changed,
    event,
    make_device,
    noting_dashboard,
    outdated_app,
    row_ids,
    row_texts,
    settle,
    snapshot,
)


@asynccontextmanager
async def dashboard(
    client: ScriptedClient | None = None,
) -> AsyncIterator[tuple[TestdayApp, Pilot[None], ScriptedClient]]:
    """The app on ``client`` (by default the sample fleet) at 100×30, with that client."""
    client = client or ScriptedClient(snapshot())
    async with noting_dashboard(client) as (app, pilot, _notes):
        yield app, pilot, client


async def devices_screen(app: TestdayApp, pilot: Pilot[None]) -> DeviceTable:
    await pilot.press("d")
    await pilot.pause()
    assert isinstance(app.screen, DevicesScreen)
    return app.screen.query_one(DeviceTable)


async def test_snapshot_then_changes_update_the_cells() -> None:
    """A Snapshot fills the table problems first; a DevicesChanged updates those cells in place."""
    async with dashboard() as (app, pilot, client):
        table = await devices_screen(app, pilot)
        ids = row_ids(table)
        assert ids[:5] == ["c112-04", "lab-05", "c112-05", "c112-06", "lib-02"]
        assert row_texts(table, "lab-01")["verdict"] == "ready"
        assert row_texts(table, "lab-01")["battery"] == "95%"
        assert row_texts(table, "c112-06")["battery"] == "37% empty 08:41"
        assert row_texts(table, "c112-04")["seen"] == "20m ago"

        client.push(changed(make_device("lab-01", "101", battery_at(8.0, plugged=False))))
        await settle(pilot, client)
        assert row_texts(table, "lab-01")["verdict"] == "not ready"
        assert row_texts(table, "lab-01")["battery"] == "8%"
        assert row_texts(table, "lab-01")["problem"] == "Battery critical"
        assert table.row_count == 13


async def test_new_devices_are_added_and_removed_ones_dropped() -> None:
    """A device first seen gets a row; one missing from a fresh Snapshot loses its row."""
    async with dashboard() as (app, pilot, client):
        table = await devices_screen(app, pilot)
        client.push(changed(make_device("lib-03", "Library")))
        await settle(pilot, client)
        assert "lib-03" in row_ids(table)
        fewer = [d for d in snapshot().devices if d.id != "lab-02"]
        client.push(
            Snapshot(devices=fewer, events=[], hub_time=NOW, site=SiteView(name="Lincoln High"))
        )
        await settle(pilot, client)
        assert "lab-02" not in row_ids(table)
        assert "lib-03" not in row_ids(table)
        assert table.row_count == 12


async def test_slash_filters_rows_as_you_type_and_escape_clears() -> None:
    """`/` opens a text filter that narrows rows on each key; Escape clears and closes it."""
    async with dashboard() as (app, pilot, _client):
        table = await devices_screen(app, pilot)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"c112")
        assert sorted(row_ids(table)) == [f"c112-0{n}" for n in range(1, 7)]
        await pilot.press(*" battery")  # words match anywhere: room, name, reasons
        assert row_ids(table) == ["c112-06"]
        await pilot.press("escape")
        assert table.row_count == 13
        assert not app.screen.has_class("-filtering")
        assert app.focused is table
        await pilot.press("slash", *"lib", "enter")  # letters that are keys elsewhere type text
        assert isinstance(app.screen, DevicesScreen)
        assert sorted(row_ids(table)) == ["lib-01", "lib-02"]
        assert app.focused is table  # Enter keeps the filter and goes back to the rows


async def test_verdict_and_room_filters_cycle_with_keys() -> None:
    """`v` shows problems only; `o` steps through the rooms."""
    async with dashboard() as (app, pilot, _client):
        table = await devices_screen(app, pilot)
        await pilot.press("v")
        assert row_ids(table) == ["c112-04", "lab-05", "c112-05", "c112-06", "lib-02"]
        await pilot.press("o")  # first room in natural order: 101
        assert row_ids(table) == ["lab-05"]
        await pilot.press("escape")  # Escape drops the filters before leaving
        assert table.row_count == 13


async def test_enter_opens_detail_with_reasons_and_escape_returns() -> None:
    """Enter on a row shows that device's reasons, measured values and runbooks; Escape returns."""
    async with dashboard() as (app, pilot, _client):
        table = await devices_screen(app, pilot)
        table.move_cursor(row=row_ids(table).index("c112-06"))
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DeviceDetailScreen)
        text = " ".join(str(f.text) for f in screen.query(Field))
        assert "Battery will not last the test" in text
        assert "Battery will run out around 08:41" in text
        assert "runbook battery-will-not-last" in text
        assert "measured 37 % · threshold 40 %" in text
        assert "now not ready (was warning)" in text  # its event history
        await pilot.press("escape")
        assert isinstance(app.screen, DevicesScreen)
        assert table.cursor_id == "c112-06"


async def test_detail_follows_the_device_live() -> None:
    """An open detail shows the device's newest state after the next tick."""
    async with dashboard() as (app, pilot, client):
        table = await devices_screen(app, pilot)
        table.move_cursor(row=row_ids(table).index("c112-05"))
        await pilot.press("enter")
        await pilot.pause()
        client.push(changed(make_device("c112-05", "112")))
        await settle(pilot, client)
        title = app.screen.query_one("#title", Field).text
        assert "READY" in title
        assert "NOT READY" not in title


async def test_q_quits_and_closes_the_client() -> None:
    """`q` ends the app cleanly and the hub client is closed."""
    async with dashboard() as (app, pilot, client):
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert client.closed


async def test_connection_lost_marks_stale_and_keeps_rows() -> None:
    """ConnectionState(False) shows STALE in the header; the last rows stay on screen."""
    async with dashboard() as (app, pilot, client):
        table = await devices_screen(app, pilot)
        client.push(ConnectionState(False, "hub unreachable: connection refused"))
        await settle(pilot, client)
        link = app.screen.query_one(StatusLine).query_one("#link", Field)
        assert "STALE" in link.text
        assert link.has_class("-stale")
        assert table.row_count == 13
        client.push(ConnectionState(True, "connected"), snapshot())
        await settle(pilot, client)
        assert "STALE" not in link.text


async def test_cursor_stays_on_the_same_device_when_rows_resort() -> None:
    """A device above the cursor turning not ready moves rows; the cursor keeps its device."""
    async with dashboard() as (app, pilot, client):
        table = await devices_screen(app, pilot)
        table.move_cursor(row=row_ids(table).index("lab-03"))
        await pilot.pause()
        before = table.cursor_row
        client.push(changed(make_device("c112-01", "112", outdated_app())))
        await settle(pilot, client)
        assert row_ids(table).index("c112-01") < row_ids(table).index("lab-03")
        assert table.cursor_id == "lab-03"
        assert table.cursor_row == before + 1


async def test_cursor_row_keeps_its_line_on_screen_when_scrolled() -> None:
    """Scrolled down a long list, a re-sort leaves the selected device on the same screen line."""
    devices = [make_device(f"d-{i:03d}", "101") for i in range(120)]
    client = ScriptedClient(Snapshot(devices=devices, events=[], hub_time=NOW, site=SITE))
    async with dashboard(client) as (app, pilot, client):
        table = await devices_screen(app, pilot)
        table.move_cursor(row=80)
        await pilot.pause()
        line = table.cursor_row - int(table.scroll_y)
        assert table.scroll_y > 0
        client.push(changed(make_device("d-100", "101", outdated_app())))  # jumps to the top
        await settle(pilot, client)
        assert row_ids(table)[0] == "d-100"
        assert table.cursor_id == "d-080"
        assert table.cursor_row == 81
        assert table.cursor_row - int(table.scroll_y) == line


async def test_rooms_cards_show_counts_and_enter_opens_the_room() -> None:
    """Each room card carries its state as a class; Enter lists that room's devices."""
    async with dashboard() as (app, pilot, _client):
        assert isinstance(app.screen, RoomsScreen)
        cards = {card.room: card for card in app.screen.query(RoomCard)}
        assert list(cards) == ["101", "112", "Library"]
        assert cards["101"].has_class("-not-ready")
        assert cards["112"].has_class("-offline")
        assert cards["Library"].has_class("-warning")
        texts = [f.text for f in cards["112"].query(Field)]
        assert texts[:2] == ["3/6 ready", "1 offline · 2 not ready"]
        assert "no session" in texts
        assert "c112-04: Device offline" in texts
        await pilot.press("right", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DevicesScreen)
        assert app.screen.filter.room == "112"
        assert len(row_ids(app.screen.query_one(DeviceTable))) == 6


async def test_incidents_log_lists_notable_events_live() -> None:
    """The Incidents view shows devices turning not ready or offline, new ones as they come."""
    async with dashboard() as (app, pilot, client):
        await pilot.press("i")
        await pilot.pause()
        log = app.screen.query_one(EventLog)
        lines = [strip.text for strip in log.lines]
        assert len(lines) == 3  # the disconnect itself is not an incident
        assert "now offline (was ready)" in lines[0]
        duplicate = event(
            NOW, "identity.duplicate", "lab-02", "101", peers=["10.0.0.7", "10.0.0.8"]
        )
        client.push(EventsAppended([duplicate]))
        await settle(pilot, client)
        last = log.lines[-1].text
        assert "duplicate identity: 10.0.0.7, 10.0.0.8" in last
        assert "lab-02" in last


async def test_help_lists_the_keys() -> None:
    """`?` opens a list of every key on the current screen; Escape closes it."""
    async with dashboard() as (app, pilot, _client):
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = app.screen.query_one("#help-keys", Field).text
        for expected in ("Devices", "Incidents", "Sessions", "Quit", "Room's devices"):
            assert expected in keys
        await pilot.press("escape")
        assert isinstance(app.screen, RoomsScreen)
        await pilot.press("s", "escape")  # Escape from any view goes back to the rooms
        assert isinstance(app.screen, RoomsScreen)


class FailingClient(ScriptedClient):
    async def run(self, sink):  # type: ignore[no-untyped-def]
        raise RuntimeError("socket exploded")


async def test_a_failing_client_becomes_a_notification_not_a_crash() -> None:
    """A hub client that raises is reported and marks the dashboard disconnected."""
    client = FailingClient()
    app = TestdayApp(client, clock=FrozenClock(), tz=UTC)
    async with app.run_test(size=SIZE):
        await eventually(
            lambda: "socket exploded" in app.model.detail and client.closed,
            10,
            what="the client's failure reported and the client closed",
        )
        assert app.is_running
        assert not app.model.connected
        assert "socket exploded" in app.model.detail
        assert client.closed


async def test_growing_age_text_fits_its_column() -> None:
    """ "9s ago" becoming "10s ago" as the clock moves is shown whole, not clipped."""
    clock = FrozenClock()
    recent = make_device("lab-01", "101", battery_at(95.0, plugged=False), last_seen=clock() - 9)
    client = ScriptedClient(snapshot([recent]))
    app = TestdayApp(client, clock=clock, tz=UTC)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, client)
        table = await devices_screen(app, pilot)
        assert row_texts(table, "lab-01")["seen"] == "9s ago"
        clock.advance(1)
        await eventually(
            lambda: row_texts(table, "lab-01")["seen"] == "10s ago", 10, what="10s ago"
        )
        column = next(c for c in table.columns.values() if c.key.value == "seen")
        assert column.get_render_width(table) - 2 * table.cell_padding >= len("10s ago")
