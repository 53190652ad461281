"""Provides the Network view's tables: rooms' network health and the watched devices."""

from __future__ import annotations

from datetime import tzinfo
from typing import ClassVar

from textual.binding import Binding, BindingType

from testday.console_client.fleet_model import FleetModel
from testday.console_client.network_text import (
    DEVICE_COLUMNS,
    ROOM_COLUMNS,
    age_text,
    device_cells,
    device_order,
    device_rank,
    room_cells,
    room_order,
)
from testday.tui.widgets.keyed_table import KeyedTable, Row, narrowed

ROOM_STYLES = {"problem": "net-table--problem", "warning": "net-table--warning"}
DEVICE_STYLES = {0: "net-table--problem", 1: "net-table--warning"}  # by device_rank
NET_COMPONENTS = {"net-table--problem", "net-table--warning"}


class RoomNetTable(KeyedTable):
    """Rows keyed by room, problems first; the status and reason cells carry its colour."""

    COLUMNS = ROOM_COLUMNS
    NARROW = narrowed(COLUMNS, room=8, status=8, summary=30, reason=22)
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Room's devices")]
    COMPONENT_CLASSES: ClassVar[set[str]] = NET_COMPONENTS

    def sync(self, model: FleetModel, ids: set[str] | frozenset[str]) -> None:
        """Bring the rows of ``ids`` up to date; a room the watch no longer judges loses its row."""

        def row(room_name: str) -> Row | None:
            room = model.network_rooms.get(room_name)
            if room is None:
                return None
            style = ROOM_STYLES.get(room.status)
            styles = {"status": style, "reason": style} if style else {}
            return room_cells(room), room_order(room), styles

        self.sync_rows(ids, row)


class NetDeviceTable(KeyedTable):
    """Rows keyed by device name, unreachable first; ages tick through ``refresh_ages``."""

    COLUMNS = DEVICE_COLUMNS
    # Rooms give way (the room table above says each room's devices); the state keeps its time.
    NARROW = narrowed(COLUMNS, name=12, kind=6, state=23, load=(19, "Load"), polled=8)
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Detail")]
    COMPONENT_CLASSES: ClassVar[set[str]] = NET_COMPONENTS

    def sync(
        self, model: FleetModel, ids: set[str] | frozenset[str], now: float, tz: tzinfo | None
    ) -> None:
        def row(name: str) -> Row | None:
            device = model.network_devices.get(name)
            if device is None:
                return None
            style = DEVICE_STYLES.get(device_rank(device))
            styles = {"name": style, "state": style, "load": style} if style else {}
            return device_cells(device, now, tz), device_order(device), styles

        self.sync_rows(ids, row)

    def refresh_ages(self, model: FleetModel, now: float) -> None:
        """Every tick: only the "polled" cells, and only those whose text moved on."""
        for name in self.shown_ids:
            device = model.network_devices.get(name)
            if device is not None:
                self.set_cell(name, "polled", age_text(device, now))
