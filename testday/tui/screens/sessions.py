"""Provides SessionsScreen: every testing session, its clock and readiness, and its actions."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable

from testday.console_client.fleet_model import FleetChanges
from testday.console_client.session_clock import UNDER_WAY
from testday.console_protocol.desk_views import SessionView
from testday.tui.screens.session_actions import SessionActionsScreen
from testday.tui.screens.session_detail import SessionDetailScreen
from testday.tui.widgets.field import Field
from testday.tui.widgets.session_table import SessionTable


class SessionsScreen(SessionActionsScreen):
    def compose_body(self) -> ComposeResult:
        yield Field("SESSIONS", id="title", classes="title")
        yield SessionTable(id="session-table")
        yield Field("no sessions yet", id="no-sessions")

    @property
    def table(self) -> SessionTable:
        return self.query_one(SessionTable)

    def selected_session(self) -> SessionView | None:
        return self.model.sessions.get(self.table.cursor_id or "")

    def show_changes(self, changes: FleetChanges) -> None:
        model, table = self.model, self.table
        dashboard = self.dashboard
        now = model.hub_now()
        # Shown rows every tick, as clocks move without any change; only changed cells redraw.
        ids = set(changes.sessions) | table.shown_ids
        if changes.reset:  # a fresh snapshot: every session it holds, and none it dropped
            ids |= set(model.sessions)
        table.sync(model, ids, now, dashboard.tz, dashboard.pause_warnings)
        self.set_class(not model.sessions, "-empty")
        if model.sessions and self.focused is None:  # the table was hidden while empty
            table.focus()
        under_way = sum(s.state in UNDER_WAY for s in model.sessions.values())
        stale = self.stale_mark
        title = f"SESSIONS  {len(model.sessions)} · {under_way} under way{stale}"
        self.query_one("#title", Field).show(title)
        self.follow_selection()

    @on(DataTable.RowHighlighted, "#session-table")
    def _row_highlighted(self) -> None:
        self.follow_selection()

    @on(DataTable.RowSelected, "#session-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.app.push_screen(SessionDetailScreen(event.row_key.value))
