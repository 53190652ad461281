"""Provides SessionsScreen: the testing sessions frame, laid out for the issue that fills it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import DataTable

from testday.tui.screens.live import LiveScreen
from testday.tui.widgets.field import Field

SESSION_COLUMNS = (("name", "Session"), ("rooms", "Rooms"), ("state", "State"), ("clock", "Clock"))


class SessionsScreen(LiveScreen):
    """Columns are fixed now so the later issue only adds rows."""

    def compose_body(self) -> ComposeResult:
        yield Field("SESSIONS", id="title", classes="title")
        table: DataTable[str] = DataTable(id="session-table", cursor_type="row")
        for key, label in SESSION_COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Field("no sessions yet", id="no-sessions")
