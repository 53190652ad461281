"""Provides SessionTable: the testing sessions, under way first, their clocks ticking in place."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import ClassVar

from textual.binding import Binding, BindingType

from testday.console_client.fleet_model import FleetModel
from testday.console_client.fleet_order import SESSION_RANK
from testday.console_client.session_clock import PauseWarning
from testday.console_protocol.desk_views import SessionView
from testday.tui.desk_text import SESSION_COLUMNS, session_cells
from testday.tui.widgets.keyed_table import KeyedTable, Order, Row, narrowed


def session_order(session: SessionView) -> Order:
    """FleetModel.sorted_sessions' order: under way, checking, scheduled, then finished."""
    return (SESSION_RANK.get(session.state, 3), session.scheduled_start, session.id)


STATE_STYLES = {
    "checking": "session-table--checking",
    "in_progress": "session-table--in-progress",
    "paused": "session-table--paused",
    "completed": "session-table--finished",
    "cancelled": "session-table--finished",
}


class SessionTable(KeyedTable):
    """Rows keyed by session id; a paused-too-long session's name and clock carry its level."""

    COLUMNS = SESSION_COLUMNS
    NARROW = narrowed(COLUMNS, name=18, rooms=10, clock=31, readiness=9)  # the clock says the state
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Detail")]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "session-table--in-progress",
        "session-table--paused",
        "session-table--checking",
        "session-table--finished",
        "session-table--pause-warning",
        "session-table--pause-expired",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.pause_levels: dict[str, str] = {}  # session id → "warning" | "expired", as shown

    def sync(
        self,
        model: FleetModel,
        ids: set[str] | frozenset[str],
        now: float,
        tz: tzinfo | None,
        warnings: Mapping[str, PauseWarning],
    ) -> None:
        """Bring the rows of ``ids`` up to date; a session no longer held loses its row."""

        def row(session_id: str) -> Row | None:
            session = model.sessions.get(session_id)
            if session is None:
                return None
            return self._row(session, now, tz, warnings.get(session_id))

        with self.app.batch_update():
            self.sync_rows(ids, row)

    def _row(
        self, session: SessionView, now: float, tz: tzinfo | None, warning: PauseWarning | None
    ) -> Row:
        styles = {"state": state_style(session.state)}
        if warning is not None:
            level = f"session-table--pause-{warning.level}"
            styles |= {"name": level, "clock": level}
            self.pause_levels[session.id] = warning.level
        else:
            self.pause_levels.pop(session.id, None)
        return session_cells(session, now, tz), session_order(session), styles


def state_style(state: str) -> str:
    return STATE_STYLES.get(state, "")
