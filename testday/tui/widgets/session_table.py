"""Provides SessionTable: the testing sessions, under way first, their clocks ticking in place."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import tzinfo
from typing import ClassVar

from textual.binding import Binding, BindingType

from testday.console_client.fleet_model import SESSION_RANK, FleetModel
from testday.console_client.messages import SessionDict
from testday.console_client.session_clock import PauseWarning
from testday.tui.desk_text import SESSION_COLUMNS, session_cells
from testday.tui.widgets.keyed_table import KeyedTable


def session_order(session: SessionDict) -> Hashable:
    """FleetModel.sorted_sessions' order: under way, checking, scheduled, then finished."""
    rank = SESSION_RANK.get(session.get("state", ""), 3)
    return (rank, session.get("scheduled_start") or 0.0, session["id"])


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

        def row(session_id: str) -> tuple[dict[str, str], Hashable, dict[str, str]] | None:
            session = model.sessions.get(session_id)
            if session is None:
                return None
            return self._row(session, now, tz, warnings.get(session_id))

        with self.app.batch_update():
            self.sync_rows(ids, row)

    def _row(
        self, session: SessionDict, now: float, tz: tzinfo | None, warning: PauseWarning | None
    ) -> tuple[dict[str, str], Hashable, dict[str, str]]:
        styles = {"state": state_style(session.get("state", ""))}
        if warning is not None:
            level = f"session-table--pause-{warning.level}"
            styles |= {"name": level, "clock": level}
            self.pause_levels[session["id"]] = warning.level
        else:
            self.pause_levels.pop(session["id"], None)
        return session_cells(session, now, tz), session_order(session), styles


def state_style(state: str) -> str:
    return STATE_STYLES.get(state, "")
