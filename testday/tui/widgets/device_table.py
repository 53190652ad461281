"""Provides DeviceTable: the devices, problems first, kept current cell by cell without rebuilds."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate

from testday.console_client.fleet_model import FleetModel
from testday.console_protocol.device_views import DeviceView
from testday.core.presentation import age
from testday.tui.formatting import DEVICE_COLUMNS, css_class, device_cells
from testday.tui.widgets.keyed_table import KeyedTable, narrowed

# Past this many removals in one go, one rebuild is cheaper than removing rows one by one
# (each removal re-indexes every row). Only bulk changes get here (a filter, a reconnect).
REBUILD_AFTER = 150
# Re-sorting re-indexes every row and drops the render caches: at 5,000 devices it was the
# largest cost of a tick. Rows change in place at once; their place catches up at most this late.
RESORT_AT_MOST_EVERY_S = 1.0
RESORT_AT_ONCE_BELOW = 1000  # rows: a small table re-sorts on every tick, it is cheap

Matcher = Callable[[DeviceView], bool]


class DeviceTable(KeyedTable):
    """Rows keyed by device id; ``sync`` applies changed devices in place, the verdict cell
    carrying its colour. Thousands of rows: re-sorts are throttled, ages refresh on screen only.
    """

    COLUMNS = DEVICE_COLUMNS
    # App and latency give way: a problem with either is named in the Problem column anyway.
    NARROW = narrowed(COLUMNS, device=12, room=8, verdict=9, battery=15, seen=8, problem=14)
    # DataTable binds Enter quietly; say what it does here, in the footer and the palette.
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Detail")]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "device-table--offline",
        "device-table--not-ready",
        "device-table--warning",
        "device-table--ready",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._sorted_at = float("-inf")  # monotonic

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
        devices, shown = model.devices, self._shown
        ids = list(ids)
        leaving = [i for i in ids if i in shown and (i not in devices or not matches(devices[i]))]
        if len(leaving) > REBUILD_AFTER:
            self.rebuild(model, matches, now)
            return
        anchor = self.cursor_anchor()
        with self.app.batch_update():
            for device_id in leaving:
                self.drop(device_id)
            for device_id in ids:
                device = devices.get(device_id)
                if device is None or not matches(device):
                    continue
                if device_id not in shown or not membership_only:
                    self._put(device, model, now)
            self._sort_if_due()
            self.restore_cursor(anchor)

    def settle_order(self) -> None:
        """Apply a re-sort that an earlier tick deferred; called on every tick."""
        if not self._sorted:
            anchor = self.cursor_anchor()
            with self.app.batch_update():
                if self._sort_if_due():
                    self.restore_cursor(anchor)

    def rebuild(self, model: FleetModel, matches: Matcher, now: float) -> None:
        """Every matching device anew: for a changed filter, never for a tick's changes."""
        anchor = self.cursor_anchor()
        with self.app.batch_update():
            self.drop_all()
            for device in model.sorted_devices(d for d in model.devices.values() if matches(d)):
                self._put(device, model, now)
            self._sorted = True  # added in order
            self.restore_cursor(anchor, moved=True)

    def refresh_ages(self, model: FleetModel, now: float) -> None:
        """ "12s ago" moves with the clock: refresh it on the rows on screen only."""
        top = int(self.scroll_y)
        with self.app.batch_update():
            for row in range(top, min(self.row_count, top + self.size.height)):
                device_id = self.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value
                device = model.devices.get(device_id or "")
                if device is not None and device_id is not None:
                    self.set_cell(device_id, "seen", age(device.last_seen, now))

    def _put(self, device: DeviceView, model: FleetModel, now: float) -> None:
        style = f"device-table-{css_class(device.verdict)}"
        cells = device_cells(device, now)
        self.put(device.id, cells, model.sort_key_of(device.id), {"verdict": style})

    def _sort_if_due(self) -> bool:
        due = (
            self.row_count < RESORT_AT_ONCE_BELOW
            or time.monotonic() - self._sorted_at >= RESORT_AT_MOST_EVERY_S
        )
        if not due or not self.sort_rows():
            return False
        self._sorted_at = time.monotonic()
        return True
