"""Provides SessionDetailScreen: one session's plan, clock, must-fix list, roster and history."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll

from testday.console_client.fleet_model import FleetChanges
from testday.console_client.session_clock import session_clock, state_label
from testday.console_protocol.desk_views import SessionView
from testday.tui.desk_text import session_history, session_plan, session_roster, session_sweep
from testday.tui.screens.session_actions import SessionActionsScreen
from testday.tui.widgets.field import Field

SECTIONS = (("plan", "Plan"), ("sweep", "Must fix"), ("roster", "Roster"), ("history", "History"))


class SessionDetailScreen(SessionActionsScreen):
    """The same action keys as the list act on this session; Escape goes back."""

    def __init__(self, session_id: str) -> None:
        super().__init__()
        self.session_id = session_id

    def compose_body(self) -> ComposeResult:
        yield Field(id="title", classes="title")
        with VerticalScroll(id="session-body"):
            yield Field(id="session-clock")
            for key, label in SECTIONS:
                yield Field(label, classes="section")
                yield Field(id=f"session-{key}")

    def selected_session(self) -> SessionView | None:
        return self.model.sessions.get(self.session_id)

    def show_changes(self, changes: FleetChanges) -> None:
        session = self.selected_session()
        title = self.query_one("#title", Field)
        if session is None:
            title.show(f"{self.session_id} — no longer known to the hub")
            self.follow_selection()
            return
        tz = self.dashboard.tz
        if changes.reset or self.session_id in changes.sessions or changes.devices:
            rooms = ", ".join(session.rooms)
            stale = self.stale_mark
            title.show(f"{session.title} · {state_label(session).upper()} · {rooms}{stale}")
            self.query_one("#session-plan", Field).show(session_plan(session, tz))
            self.query_one("#session-sweep", Field).show(session_sweep(session, tz))
            self.query_one("#session-roster", Field).show(session_roster(session, self.model))
            self.query_one("#session-history", Field).show(session_history(session, tz))
        now = self.model.hub_now()
        warning = self.dashboard.pause_warnings.get(self.session_id)
        clock = self.query_one("#session-clock", Field)
        clock.show(warning.message if warning else session_clock(session, now, tz))
        clock.set_class(warning is not None and warning.level == "warning", "-pause-warning")
        clock.set_class(warning is not None and warning.level == "expired", "-pause-expired")
        self.follow_selection()
