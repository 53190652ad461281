"""Provides DevicesScreen: every device, problems first, filtered by room, verdict and `/` text."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Input

from testday.console_client.fleet_model import FleetChanges
from testday.console_client.incident_defaults import draft_for_device
from testday.tui.device_filter import DeviceFilter
from testday.tui.formatting import problem_line
from testday.tui.screens.detail import DeviceDetailScreen
from testday.tui.screens.live import LiveScreen
from testday.tui.screens.runbook import open_device_runbook
from testday.tui.widgets.device_table import DeviceTable
from testday.tui.widgets.field import Field


class DevicesScreen(LiveScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "open_filter", "Filter", key_display="/"),
        Binding("v", "cycle_verdict", "Verdict"),
        Binding("o", "cycle_room", "Room"),
        Binding("n", "log_incident", "Incident"),
        # The footer is full at 100 columns: listed in Help once app.LISTED_UNSHOWN names it.
        Binding("b", "runbook", "Runbook", show=False, id="device.runbook"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter = DeviceFilter()

    def compose_body(self) -> ComposeResult:
        yield Field("DEVICES", id="title", classes="title")
        yield DeviceTable(id="device-table")
        yield Field(id="selected", classes="selected")
        text = Input(placeholder="type to filter: name, room, reason…", id="filter-input")
        text.cursor_blink = False  # a blinking cursor repaints twice a second over SSH
        yield text

    @property
    def table(self) -> DeviceTable:
        return self.query_one(DeviceTable)

    def show_changes(self, changes: FleetChanges) -> None:
        model = self.model
        table = self.table
        now = model.hub_now()
        if changes.devices:
            table.sync(model, changes.devices, self.filter.matches, now)
        table.settle_order()
        table.refresh_ages(model, now)
        self._show_title()
        self._show_selected()

    def _show_selected(self) -> None:
        device = self.model.devices.get(self.table.cursor_id or "")
        self.query_one("#selected", Field).show(problem_line(device) if device else "")

    def _show_title(self) -> None:
        shown, total = self.table.row_count, len(self.model.devices)
        stale = self.stale_mark
        line = f"DEVICES  {shown} of {total} · {self.filter.describe()}{stale}"
        self.query_one("#title", Field).show(line)

    def apply_filter(self, new: DeviceFilter) -> None:
        """A user's change of filter: every device is checked against it (never on a tick)."""
        if new == self.filter:
            return
        self.filter = new
        model = self.model
        self.table.sync(model, model.devices, new.matches, model.hub_now(), membership_only=True)
        self._show_title()
        self._show_selected()

    def show_room(self, room: str) -> None:
        self.apply_filter(DeviceFilter(room=room))
        self.table.focus()

    # --- actions --------------------------------------------------------------------------------

    def action_open_filter(self) -> None:
        self.add_class("-filtering")
        self.query_one(Input).focus()

    def action_cycle_verdict(self) -> None:
        self.apply_filter(self.filter.next_verdict())

    def action_cycle_room(self) -> None:
        self.apply_filter(self.filter.next_room(self.model.room_names()))

    def action_log_incident(self) -> None:
        device_id = self.table.cursor_id
        if device_id is not None:
            self.dashboard.open_incident_form(draft_for_device(self.model, device_id))

    def action_runbook(self) -> None:
        """The runbook of the selected device's first reason: one key from its row."""
        open_device_runbook(self.app, self.model.devices.get(self.table.cursor_id or ""))

    def action_back(self) -> None:
        """Escape: close the text filter first, then drop the filters, then back to the rooms."""
        text = self.query_one(Input)
        if self.has_class("-filtering"):
            self.remove_class("-filtering")
            text.value = ""  # its Changed message clears the text filter
            self.table.focus()
        elif self.filter.active:
            self.apply_filter(DeviceFilter())
        else:
            self.dashboard.show_view("rooms")

    @on(Input.Changed, "#filter-input")
    def _text_changed(self, event: Input.Changed) -> None:
        self.apply_filter(DeviceFilter(self.filter.room, self.filter.verdict_choice, event.value))

    @on(Input.Submitted, "#filter-input")
    def _text_submitted(self) -> None:
        self.table.focus()  # the filter stays; Escape clears it

    @on(DataTable.RowHighlighted, "#device-table")
    def _row_highlighted(self) -> None:
        self._show_selected()

    @on(DataTable.RowSelected, "#device-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.app.push_screen(DeviceDetailScreen(event.row_key.value))
