"""Provides IncidentTable: the logged incidents, newest first, each row updated in place."""

from __future__ import annotations

from datetime import tzinfo
from typing import ClassVar

from textual.binding import Binding, BindingType

from testday.console_client.fleet_model import FleetModel
from testday.tui.desk_text import INCIDENT_COLUMNS, incident_cells
from testday.tui.widgets.keyed_table import KeyedTable, Row, narrowed


class IncidentTable(KeyedTable):
    """Rows keyed by incident id, newest first; a serious one's severity carries its colour."""

    COLUMNS = INCIDENT_COLUMNS
    # Devices and source give way: the detail lists both.
    NARROW = narrowed(COLUMNS, time=5, id=10, room=8, category=22, severity=10, status=8)
    REVERSE = True
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Detail")]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"incident-table--serious"}

    def sync(self, model: FleetModel, ids: set[str] | frozenset[str], tz: tzinfo | None) -> None:
        # Creation order breaks ties between incidents logged in the same second.
        position = {incident_id: n for n, incident_id in enumerate(model.incidents)}

        def row(incident_id: str) -> Row | None:
            incident = model.incidents.get(incident_id)
            if incident is None:
                return None
            serious = incident.severity == "serious"
            styles = {"severity": "incident-table--serious"} if serious else {}
            order = (incident.when, position[incident_id])
            return incident_cells(incident, tz), order, styles

        with self.app.batch_update():
            self.sync_rows(ids, row)
