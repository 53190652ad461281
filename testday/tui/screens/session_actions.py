"""Provides SessionActionsScreen: the keys that move a session along, on the list and the detail."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.binding import Binding, BindingType

from testday.console_client.incident_defaults import draft_for_session
from testday.console_protocol.desk_views import SessionAction, SessionView
from testday.console_protocol.requests import RequestError, SessionActionRequest
from testday.core.sessions import TRANSITIONS
from testday.tui.screens.confirm import ConfirmScreen
from testday.tui.screens.live import LiveScreen

SESSION_BINDINGS: list[BindingType] = [
    Binding("c", "session('check')", "Check"),
    Binding("g", "session('start')", "Start"),
    Binding("p", "session('pause')", "Pause"),
    Binding("u", "session('resume')", "Resume"),
    Binding("e", "session('end')", "End"),
    Binding("x", "session('cancel')", "Cancel"),
    Binding("n", "log_incident", "Incident"),
]
# Ending or cancelling cannot be undone: those two ask first.
CONFIRM = {
    "end": "End session {name}? It is marked completed and cannot be resumed.",
    "cancel": "Cancel session {name}? It cannot be restarted.",
}
# action → the states it may start from, keyed by plain strings as bindings pass them.
ALLOWED_FROM: dict[str, tuple[str, ...]] = {a: states for a, (states, _) in TRANSITIONS.items()}


class SessionActionsScreen(LiveScreen):
    """Only the actions the selected session's state allows are shown and answered."""

    BINDINGS: ClassVar[list[BindingType]] = SESSION_BINDINGS

    def __init__(self) -> None:
        super().__init__()
        self._bindings_for: tuple[str, str] | None = None

    def selected_session(self) -> SessionView | None:
        """The session the keys act on."""
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "session" and parameters:
            session = self.selected_session()
            allowed = ALLOWED_FROM.get(str(parameters[0]), ())
            return session is not None and session.state in allowed
        if action == "log_incident":
            return self.selected_session() is not None
        return True

    def follow_selection(self) -> None:
        """Re-check the footer when the selected session or its state changed."""
        session = self.selected_session()
        shown = (session.id, session.state) if session else None
        if shown != self._bindings_for:
            self._bindings_for = shown
            self.refresh_bindings()

    def action_session(self, action: SessionAction) -> None:
        session = self.selected_session()
        if session is not None:
            self.run_session_action(session.id, session.title, action)

    def action_log_incident(self) -> None:
        session = self.selected_session()
        if session is not None:
            self.dashboard.open_incident_form(draft_for_session(session))

    @work(group="session-action", exit_on_error=False)
    async def run_session_action(self, session_id: str, name: str, action: SessionAction) -> None:
        question = CONFIRM.get(action)
        if question and not await self.app.push_screen_wait(
            ConfirmScreen(question.format(name=name))
        ):
            return
        ask = SessionActionRequest(session_id=session_id, action=action)
        try:
            await self.dashboard.request(ask)
        except RequestError as error:
            # Success needs no word: the hub's DeskChanged redraws the session.
            self.app.notify(str(error), title=f"Could not {action} {name}", severity="error")
