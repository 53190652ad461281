"""Provides IncidentsScreen: a live log of notable events (not ready, offline, duplicates)."""

from __future__ import annotations

from textual.app import ComposeResult

from testday.console_client.fleet_model import FleetChanges
from testday.tui.formatting import is_notable
from testday.tui.screens.live import LiveScreen
from testday.tui.widgets.event_log import EventLog
from testday.tui.widgets.field import Field


class IncidentsScreen(LiveScreen):
    """Fed by the event stream now; logging and editing incidents arrive in a later issue."""

    _count = 0

    def compose_body(self) -> ComposeResult:
        yield Field(id="title", classes="title")
        yield EventLog(id="incident-log")

    def show_changes(self, changes: FleetChanges) -> None:
        log = self.query_one(EventLog)
        model = self.model
        if changes.reset:
            # A fresh snapshot carries the hub's recent events: show those, not a mix.
            log.clear()
            self._count = log.add(filter(is_notable, model.events), model, self.dashboard.tz)
        else:
            self._count += log.add(filter(is_notable, changes.events), model, self.dashboard.tz)
        title = f"INCIDENTS  {self._count} notable events · devices turning not ready or offline"
        self.query_one("#title", Field).show(title)
