"""Tests the network watch on the dashboard: room cards, the Network view, its detail, the log."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import ModalScreen
from textual.widgets import Footer

from testday.console_client.network_text import EMPTY
from testday.console_protocol.messages import EventsAppended, NetworkChanged
from testday.console_protocol.network_views import UpsView
from testday.tui.app import TestdayApp
from testday.tui.screens.devices import DevicesScreen
from testday.tui.screens.help import HelpScreen
from testday.tui.screens.net_device import NetDeviceScreen
from testday.tui.screens.network import NetworkScreen
from testday.tui.widgets.event_log import EventLog
from testday.tui.widgets.field import Field
from testday.tui.widgets.network_table import NetDeviceTable, RoomNetTable
from tests.core.devices import NOW
from tests.tui.desk_data import desk, running
from tests.tui.net_data import (
    net_device,
    net_devices,
    net_reason,
    network_snapshot,
    port,
    room_net,
)
from tests.tui.scripted import (
    ScriptedClient,
    event,
    room_card,
    row_ids,
    row_texts,
    settle,
    snapshot,
)
from tests.tui.scripted import noting_dashboard as dashboard

UNREACHABLE = net_reason(
    "net.ap_unreachable", "problem", "ap-101",
    "Access point ap-101 has not answered since 07:58 — check it has power",
)  # fmt: skip


def ap_101_down() -> NetworkChanged:
    """ap-101 stops answering: room 101 turns problem."""
    device = net_device(
        "ap-101", "access_point", ("101",), reachable=False, unreachable_since=NOW - 120,
        failure="timeout", detail="no answer within 2 s (2 tries)",
    )  # fmt: skip
    room = room_net("101", "problem", "AP ap-101 unreachable since 07:58", UNREACHABLE)
    return NetworkChanged(devices=[device], rooms=[room], hub_time=NOW)


async def network_view(app: TestdayApp, pilot: Pilot[None]) -> NetworkScreen:
    await pilot.press("w")
    await pilot.pause()
    assert isinstance(app.screen, NetworkScreen)
    return app.screen


async def test_room_card_shows_the_network_line_and_its_class() -> None:
    """The network line takes the profile's place (the profile moves to its tooltip)."""
    client = ScriptedClient(network_snapshot())
    async with dashboard(client) as (app, pilot, _notes):
        c112, library = room_card(app, "112"), room_card(app, "Library")
        line = c112.query_one(".profile", Field)
        assert line.text == "net: AP ap-112 · 28 clients / 30 · uplink 41 %"
        assert "profile test-platform" in str(line.tooltip)
        assert c112.has_class("-net-warning") and not c112.has_class("-net-problem")
        assert library.query_one(".profile", Field).text == "profile test-platform"
        assert not library.has_class("-net-warning") and not library.has_class("-net-problem")
        client.push(ap_101_down())
        await settle(pilot, client)
        c101 = room_card(app, "101")
        assert c101.query_one(".profile", Field).text == "net: AP ap-101 unreachable since 07:58"
        assert c101.has_class("-net-problem") and not c101.has_class("-net-warning")


async def test_network_view_lists_rooms_problems_first_and_every_device() -> None:
    client = ScriptedClient(network_snapshot())
    async with dashboard(client) as (app, pilot, _notes):
        screen = await network_view(app, pilot)
        rooms, devices = screen.query_one(RoomNetTable), screen.query_one(NetDeviceTable)
        assert row_ids(rooms) == ["112", "101"]  # a warning before an ok
        assert row_texts(rooms, "112") == {
            "room": "112",
            "status": "warning",
            "summary": "AP ap-112 · 28 clients / 30 · uplink 41 %",
            "reason": "AP over capacity (ap-112)",
        }
        assert row_ids(devices) == ["ap-101", "ap-112", "sw-1", "ups-1"]
        assert row_texts(devices, "ap-112")["load"] == "28/30 clients"
        assert row_texts(devices, "sw-1") == {
            "name": "sw-1",
            "kind": "switch",
            "rooms": "101, 112",
            "state": "ok",
            "load": "all up · 41 %",
            "polled": "12s ago",
        }
        assert row_texts(devices, "ups-1")["load"] == "on mains · 100 %"
        selected = screen.query_one("#net-selected", Field).text
        assert selected.startswith("112: Access point ap-112 carries 28 devices")
        client.push(ap_101_down())
        await settle(pilot, client)
        assert row_ids(rooms) == ["101", "112"]
        assert row_ids(devices)[0] == "ap-101"
        assert row_texts(devices, "ap-101")["state"] == "unreachable since 07:58"
        title = screen.query_one("#title", Field).text
        assert title == "NETWORK  2 rooms · 1 problem · 1 warning"


async def test_a_network_change_updates_a_row_in_place_and_ages_tick() -> None:
    """More clients on ap-112 rewrite its cells; rows and cursor stay; ages move on alone."""
    client = ScriptedClient(network_snapshot())
    async with dashboard(client) as (app, pilot, _notes):
        screen = await network_view(app, pilot)
        devices = screen.query_one(NetDeviceTable)
        await pilot.press("tab", "down")
        assert devices.cursor_id == "ap-112" and app.focused is devices
        busier = net_device("ap-112", "access_point", ("112",), ap_clients=31)
        summary = "AP ap-112 · 31 clients / 30 · uplink 44 %"
        rooms = [room_net("112", "warning", summary)]
        client.push(NetworkChanged(devices=[busier], rooms=rooms, hub_time=NOW))
        await settle(pilot, client)
        assert row_texts(devices, "ap-112")["load"] == "31/30 clients"
        assert row_texts(screen.query_one(RoomNetTable), "112")["summary"] == summary
        assert devices.row_count == 4
        assert devices.cursor_id == "ap-112" and devices.cursor_row == 1
        app.clock.advance(60)  # type: ignore[attr-defined]
        await settle(pilot, client)
        assert row_texts(devices, "sw-1")["polled"] == "72s ago"
        # A UPS going on battery climbs above the rest; the cursor keeps its device.
        battery = UpsView(on_battery=True, charge_percent=62, minutes_left=14)
        ups = net_device("ups-1", "ups", ("112",), ups=battery)
        client.push(NetworkChanged(devices=[ups], rooms=[], hub_time=NOW))
        await settle(pilot, client)
        assert row_ids(devices)[0] == "ups-1"
        assert row_texts(devices, "ups-1")["load"] == "on battery · 62 % · 14 min"
        assert devices.cursor_id == "ap-112"


async def test_enter_on_a_device_shows_its_interfaces_and_enter_on_a_room_its_devices() -> None:
    client = ScriptedClient(network_snapshot())
    async with dashboard(client) as (app, pilot, _notes):
        await network_view(app, pilot)
        await pilot.press("tab", "down", "down", "enter")  # sw-1
        screen = app.screen
        assert isinstance(screen, NetDeviceScreen)
        assert screen.query_one("#title", Field).text == "sw-1 · switch · 10.0.0.4 · 101, 112"
        assert screen.query_one("#net-state", Field).text == "ok · polled 12s ago"
        assert "description  switch sw-1" in screen.query_one("#net-facts", Field).text
        assert "uptime       3 d 0 h" in screen.query_one("#net-facts", Field).text
        lines = screen.query_one("#net-interfaces", Field).text.splitlines()
        assert lines[0].split() == ["INTERFACE", "LINK", "SPEED", "IN", "OUT", "UTIL", "ERR/S",
                                    "ROOM"]  # fmt: skip
        assert lines[1].split() == ["Gi0/12", "up", "1", "Gbit/s", "410", "Mbit/s", "2",
                                    "Mbit/s", "41", "%", "0", "112"]  # fmt: skip
        gi12 = port(12, "Gi0/12", "112", up=False)
        down = net_device("sw-1", "switch", ("101", "112"), interfaces=(gi12,))
        client.push(NetworkChanged(devices=[down], rooms=[], hub_time=NOW))
        await settle(pilot, client)
        assert "Gi0/12     down" in screen.query_one("#net-interfaces", Field).text
        await pilot.press("escape")
        assert isinstance(app.screen, NetworkScreen)
        await pilot.press("tab", "enter")  # the rooms table, its first room: 112
        await pilot.pause()
        assert isinstance(app.screen, DevicesScreen)
        assert app.screen.filter.room == "112"


async def test_no_network_devices_says_where_to_list_them() -> None:
    client = ScriptedClient(snapshot())
    async with dashboard(client) as (app, pilot, _notes):
        screen = await network_view(app, pilot)
        assert screen.has_class("-empty")
        assert screen.query_one("#no-network", Field).text == EMPTY
        client.push(NetworkChanged(devices=net_devices(), rooms=[], hub_time=NOW))
        await settle(pilot, client)
        assert not screen.has_class("-empty")
        assert app.focused is screen.query_one(NetDeviceTable)


async def test_network_events_show_in_the_incidents_log() -> None:
    """Link down and its recovery, in the hub's words, among the notable events."""
    client = ScriptedClient(network_snapshot())
    async with dashboard(client) as (app, pilot, _notes):
        await pilot.press("i")
        await pilot.pause()
        log = app.screen.query_one(EventLog)
        before = len(log.lines)
        down = event(NOW, "net.link_down", "net:sw-1", "112", interface="Gi0/12",
                     text="sw-1 port Gi0/12 down")  # fmt: skip
        up = event(NOW + 30, "net.link_up", "net:sw-1", "112", interface="Gi0/12",
                   text="sw-1 port Gi0/12 up")  # fmt: skip
        client.push(EventsAppended([down, up]))
        await settle(pilot, client)
        lines = [strip.text for strip in log.lines[before:]]
        assert len(lines) == 2
        assert "net:sw-1" in lines[0] and lines[0].endswith("sw-1 port Gi0/12 down")
        assert lines[1].endswith("sw-1 port Gi0/12 up")


async def test_w_is_in_help_and_the_palette_but_not_the_footer() -> None:
    client = ScriptedClient(network_snapshot())
    async with dashboard(client) as (app, pilot, _notes):
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Network" in commands
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert "w  Network" in app.screen.query_one("#help-keys", Field).text


FOOTER_ROUTES = (
    (), ("d",), ("d", "enter"), ("d", "n"), ("i",), ("s",), ("s", "enter"), ("s", "e"), ("w",),
    ("w", "tab", "enter"), ("question_mark",),
)  # fmt: skip


@pytest.mark.parametrize("width", [100, 80])
async def test_the_footer_fits_on_every_screen(width: int) -> None:
    """Every key the footer shows is on screen, at 100 and at 80 columns: nothing scrolls off
    its right edge, a modal (form, confirmation, help) open over the screen included."""
    client = ScriptedClient(network_snapshot(), desk(running()))
    async with dashboard(client, (width, 24)) as (app, pilot, _notes):
        for route in FOOTER_ROUTES:
            for key in route:
                await pilot.press(key)
                await pilot.pause()
            await pilot.pause()
            base = next(s for s in reversed(app.screen_stack) if not isinstance(s, ModalScreen))
            footer: Any = base.query_one(Footer)
            name = f"{type(base).__name__} under {type(app.screen).__name__}"
            assert footer.virtual_size.width <= footer.size.width == width, name
            while len(app.screen_stack) > 1:
                app.pop_screen()
            await pilot.press("r")
            await pilot.pause()
