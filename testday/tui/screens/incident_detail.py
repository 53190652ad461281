"""Provides IncidentDetailScreen: every field of one incident and its drafted timeline."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll

from testday.console_client.fleet_model import FleetChanges
from testday.core.presentation import label
from testday.tui.desk_text import incident_fields, incident_timeline
from testday.tui.screens.live import LiveScreen
from testday.tui.widgets.field import Field


class IncidentDetailScreen(LiveScreen):
    """Follows the incident live: the hub may add to its timeline while it is open."""

    def __init__(self, incident_id: str) -> None:
        super().__init__()
        self.incident_id = incident_id

    def compose_body(self) -> ComposeResult:
        yield Field(id="title", classes="title")
        with VerticalScroll(id="incident-body"):
            yield Field(id="incident-fields")
            yield Field("Timeline", classes="section")
            yield Field(id="incident-timeline")

    def show_changes(self, changes: FleetChanges) -> None:
        incident = self.model.incidents.get(self.incident_id)
        title = self.query_one("#title", Field)
        if incident is None:
            title.show(f"{self.incident_id} — no longer known to the hub")
            return
        if not (changes.reset or self.incident_id in changes.incidents or changes.devices):
            return
        tz = self.dashboard.tz
        kind = label(f"{incident.category}/{incident.subcategory}")
        stale = self.stale_mark
        title.show(f"INCIDENT {self.incident_id} · {kind} · room {incident.room}{stale}")
        title.set_class(incident.severity == "serious", "-serious")
        self.query_one("#incident-fields", Field).show(incident_fields(incident, self.model, tz))
        self.query_one("#incident-timeline", Field).show(incident_timeline(incident, tz))
