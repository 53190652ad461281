"""Provides DeviceTable: the devices, problems first, kept current cell by cell without rebuilds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from testday.console_client.fleet_model import FleetModel
from testday.console_client.messages import DeviceDict
from testday.tui.formatting import DEVICE_COLUMNS, css_class, device_cells, seen_cell

# Past this many removals in one go, one rebuild is cheaper than removing rows one by one
# (each removal re-indexes every row). Only bulk changes get here (a filter, a reconnect).
REBUILD_AFTER = 150
# Re-sorting re-indexes every row and drops the render caches: at 5,000 devices it was the
# largest cost of a tick. Rows change in place at once; their place catches up at most this late.
RESORT_AT_MOST_EVERY_S = 1.0
RESORT_AT_ONCE_BELOW = 1000  # rows: a small table re-sorts on every tick, it is cheap

Matcher = Callable[[DeviceDict], bool]


class SortedCell(Text):
    """The device cell carries its row's problems-first key, so DataTable.sort can use it."""

    def __init__(self, text: str, key: tuple[Any, ...]) -> None:
        super().__init__(text, no_wrap=True, end="")
        self.sort_key = key


class DeviceTable(DataTable[Text]):
    """Rows are keyed by device id; ``sync`` applies changed devices in place.

    The cursor stays on the same device when rows re-sort, and that row stays at the same
    height on screen: a technician reading a row must not see it jump away.
    """

    # DataTable binds Enter quietly; say what it does here, in the footer and the palette.
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Detail")]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "device-table--offline",
        "device-table--not-ready",
        "device-table--warning",
        "device-table--ready",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", id=id)
        self._shown: dict[str, dict[str, str]] = {}  # device id → cell texts as displayed
        self._keys: dict[str, tuple[Any, ...]] = {}  # device id → sort key as displayed
        self._resort_pending = False
        self._sorted_at = float("-inf")  # monotonic

    def on_mount(self) -> None:
        for key, label, width in DEVICE_COLUMNS:
            self.add_column(label, key=key, width=width)

    @property
    def shown_ids(self) -> set[str]:
        return set(self._shown)

    @property
    def cursor_device_id(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key.value

    def sync(
        self,
        model: FleetModel,
        ids: Iterable[str],
        matches: Matcher,
        now: float,
        *,
        membership_only: bool = False,
    ) -> None:
        """Bring the rows of ``ids`` up to date: changed cells only, added and removed rows.

        ``membership_only`` (a new filter) adds and removes rows but leaves shown ones alone:
        the ticks keep those current, and a keystroke must not re-render 5,000 rows.
        """
        devices = model.devices
        ids = list(ids)
        leaving = [
            i for i in ids if i in self._shown and (i not in devices or not matches(devices[i]))
        ]
        if len(leaving) > REBUILD_AFTER:
            self.rebuild(model, matches, now)
            return
        anchor = self._anchor()
        resort = False
        with self.app.batch_update():
            for device_id in leaving:
                self.remove_row(device_id)
                del self._shown[device_id], self._keys[device_id]
            for device_id in ids:
                device = devices.get(device_id)
                if device is None or not matches(device):
                    continue
                key = model.sort_key_of(device_id)
                if device_id in self._shown:
                    if not membership_only:
                        resort |= self._update(device, key, now)
                else:
                    self._add(device, key, now)
                    resort = True
            self._resort_pending |= resort
            self._sort_if_due()
            self._restore(anchor)

    def settle_order(self) -> None:
        """Apply a re-sort that an earlier tick deferred; called on every tick."""
        if self._resort_pending:
            anchor = self._anchor()
            with self.app.batch_update():
                if self._sort_if_due():
                    self._restore(anchor)

    def _sort_if_due(self) -> bool:
        due = (
            self.row_count < RESORT_AT_ONCE_BELOW
            or time.monotonic() - self._sorted_at >= RESORT_AT_MOST_EVERY_S
        )
        if not (self._resort_pending and due):
            return False
        self.sort("device", key=lambda cell: cell.sort_key)
        self._resort_pending = False
        self._sorted_at = time.monotonic()
        return True

    def rebuild(self, model: FleetModel, matches: Matcher, now: float) -> None:
        """Every matching device anew: for a changed filter, never for a tick's changes."""
        anchor = self._anchor()
        with self.app.batch_update():
            self.clear()
            self._shown.clear()
            self._keys.clear()
            for device in model.sorted_devices(d for d in model.devices.values() if matches(d)):
                self._add(device, model.sort_key_of(device["id"]), now)
            self._restore(anchor, moved=True)

    def refresh_ages(self, model: FleetModel, now: float) -> None:
        """ "12 s ago" moves with the clock: refresh it on the rows on screen only."""
        top = int(self.scroll_y)
        with self.app.batch_update():
            for row in range(top, min(self.row_count, top + self.size.height)):
                device_id = self.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value
                device = model.devices.get(device_id or "")
                if device is None or device_id is None:
                    continue
                text = seen_cell(device, now)
                if self._shown[device_id]["seen"] != text:
                    self._shown[device_id]["seen"] = text
                    self.update_cell(device_id, "seen", Text(text, end=""))

    # --- internals ------------------------------------------------------------------------------

    def _cell(self, column: str, text: str, device: DeviceDict, key: tuple[Any, ...]) -> Text:
        if column == "device":
            return SortedCell(text, key)
        if column == "verdict":
            verdict = css_class(device.get("verdict", "offline"))
            style = self.get_component_rich_style(f"device-table-{verdict}", partial=True)
            return Text(text, style=style, end="")
        return Text(text, end="")

    def _add(self, device: DeviceDict, key: tuple[Any, ...], now: float) -> None:
        cells = device_cells(device, now)
        row = [self._cell(column, text, device, key) for column, text in cells.items()]
        self.add_row(*row, key=device["id"])
        self._shown[device["id"]], self._keys[device["id"]] = cells, key

    def _update(self, device: DeviceDict, key: tuple[Any, ...], now: float) -> bool:
        """Update changed cells; True when the row's place in the order changed."""
        device_id = device["id"]
        cells = device_cells(device, now)
        old = self._shown[device_id]
        moved = key != self._keys[device_id]
        for column, text in cells.items():
            if text != old[column] or (moved and column == "device"):
                value = self._cell(column, text, device, key)
                self.update_cell(device_id, column, value)
        self._shown[device_id], self._keys[device_id] = cells, key
        return moved

    def _anchor(self) -> tuple[str | None, int]:
        """The device under the cursor and its line on screen."""
        return self.cursor_device_id, self.cursor_row - int(self.scroll_y)

    def _restore(self, anchor: tuple[str | None, int], moved: bool = False) -> None:
        device_id, line = anchor
        if device_id is None or device_id not in self._shown:
            return
        row = self.get_row_index(device_id)
        if row == self.cursor_row and not moved:
            return
        self.move_cursor(row=row, scroll=False)
        # After the new rows are measured, scroll so the row sits where the reader left it.
        self.call_after_refresh(self.scroll_to, y=max(0, row - line), animate=False)
