"""Provides NetworkScreen: each room's network health, problems first, and the watched devices."""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from testday.console_client.fleet_model import FleetChanges
from testday.console_client.network_text import EMPTY, STATUS_RANK, device_line, room_line
from testday.tui.screens.live import LiveScreen
from testday.tui.screens.net_device import NetDeviceScreen
from testday.tui.widgets.field import Field
from testday.tui.widgets.network_table import NetDeviceTable, RoomNetTable


class NetworkScreen(LiveScreen):
    """-empty (no device watched) swaps both tables for a pointer to the site file's docs."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "switch_table", "Rooms/devices", key_display="tab"),
    ]

    def compose_body(self) -> ComposeResult:
        yield Field("NETWORK", id="title", classes="title")
        yield RoomNetTable(id="net-rooms")
        yield Field(id="net-devices-title", classes="title")
        yield NetDeviceTable(id="net-devices")
        yield Field(id="net-selected")
        yield Field(EMPTY, id="no-network")

    @property
    def rooms_table(self) -> RoomNetTable:
        return self.query_one(RoomNetTable)

    @property
    def devices_table(self) -> NetDeviceTable:
        return self.query_one(NetDeviceTable)

    def show_changes(self, changes: FleetChanges) -> None:
        model, rooms, devices = self.model, self.rooms_table, self.devices_table
        now = model.hub_now()
        with self.app.batch_update():
            room_ids = set(changes.rooms) & (set(model.network_rooms) | rooms.shown_ids)
            device_ids = set(changes.network)
            if changes.reset:  # a fresh snapshot: everything it holds, and nothing it dropped
                room_ids |= set(model.network_rooms) | rooms.shown_ids
                device_ids |= set(model.network_devices) | devices.shown_ids
            if room_ids:
                rooms.sync(model, room_ids)
            if device_ids:
                devices.sync(model, device_ids, now, self.dashboard.tz)
            devices.refresh_ages(model, now)
        empty = not model.network_devices and not model.network_rooms
        self.set_class(empty, "-empty")
        if empty and self.focused is not None:
            self.set_focus(None)  # a hidden table keeps no focus: the first data picks one
        elif not empty and self.focused is None:
            (rooms if model.network_rooms else devices).focus()
        self._show_titles()
        self._show_selected()

    def _show_titles(self) -> None:
        model = self.model
        counts: Counter[str] = Counter(r.status for r in model.network_rooms.values())
        judged = " · ".join(f"{counts[s]} {s}" for s in STATUS_RANK if counts[s])
        stale = self.stale_mark
        title = f"NETWORK  {len(model.network_rooms)} rooms" + (f" · {judged}" if judged else "")
        self.query_one("#title", Field).show(title + stale)
        devices = model.network_devices.values()
        unreachable = sum(1 for d in devices if d.reachable is False)
        waiting = sum(1 for d in devices if d.reachable is None)
        line = f"DEVICES  {len(model.network_devices)} watched · {unreachable} unreachable"
        line += f" · {waiting} not polled yet" if waiting else ""
        self.query_one("#net-devices-title", Field).show(line)

    def _show_selected(self) -> None:
        """The full sentence behind the highlighted row of the table in use."""
        model, text = self.model, ""
        if self.focused is self.devices_table:
            device = model.network_devices.get(self.devices_table.cursor_id or "")
            text = device_line(device, self.dashboard.tz) if device else ""
        else:
            room = model.network_rooms.get(self.rooms_table.cursor_id or "")
            text = room_line(room) if room else ""
        self.query_one("#net-selected", Field).show(text)

    def action_switch_table(self) -> None:
        rooms, devices = self.rooms_table, self.devices_table
        (devices if self.focused is rooms else rooms).focus()
        self._show_selected()

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        self._show_selected()

    @on(DataTable.RowSelected, "#net-rooms")
    def _room_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.dashboard.open_room(event.row_key.value)

    @on(DataTable.RowSelected, "#net-devices")
    def _device_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.app.push_screen(NetDeviceScreen(event.row_key.value))
