"""Provides IncidentsScreen: the logged incidents, newest first, above the notable-event log."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from testday.console_client.fleet_model import FleetChanges
from testday.console_client.incident_defaults import draft_for_incident
from testday.tui.formatting import is_notable
from testday.tui.screens.incident_detail import IncidentDetailScreen
from testday.tui.screens.live import LiveScreen
from testday.tui.widgets.event_log import EventLog
from testday.tui.widgets.field import Field
from testday.tui.widgets.incident_table import IncidentTable


class IncidentsScreen(LiveScreen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("n", "log_incident", "Incident")]

    _count = 0

    def compose_body(self) -> ComposeResult:
        yield Field(id="title", classes="title")
        yield IncidentTable(id="incident-table")
        yield Field(id="log-title", classes="title")
        yield EventLog(id="incident-log")

    @property
    def table(self) -> IncidentTable:
        return self.query_one(IncidentTable)

    def show_changes(self, changes: FleetChanges) -> None:
        model, tz = self.model, self.dashboard.tz
        table = self.table
        ids = set(changes.incidents)
        if changes.reset:  # a fresh snapshot: every incident it holds, and none it dropped
            ids |= set(model.incidents) | table.shown_ids
        if ids:
            table.sync(model, ids, tz)
        log = self.query_one(EventLog)
        if changes.reset:
            # A fresh snapshot carries the hub's recent events: show those, not a mix.
            log.clear()
            self._count = log.add(filter(is_notable, model.events), model, tz)
        else:
            self._count += log.add(filter(is_notable, changes.events), model, tz)
        stale = self.stale_mark
        self.query_one("#title", Field).show(f"INCIDENTS  {len(model.incidents)} logged{stale}")
        line = f"NOTABLE EVENTS  {self._count} · devices not ready or offline · network"
        self.query_one("#log-title", Field).show(line)

    def action_log_incident(self) -> None:
        incident = self.model.incidents.get(self.table.cursor_id or "")
        self.dashboard.open_incident_form(draft_for_incident(self.model, incident))

    @on(DataTable.RowSelected, "#incident-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.app.push_screen(IncidentDetailScreen(event.row_key.value))
