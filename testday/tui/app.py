"""Provides TestdayApp: the live dashboard — hub client in a worker, redrawn on a steady tick."""

from __future__ import annotations

import getpass
import time
from collections.abc import Callable, Iterable
from datetime import tzinfo
from functools import partial
from typing import Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from testday.console_client.fleet_model import FleetModel
from testday.console_client.incident_defaults import IncidentDraft
from testday.console_client.session_clock import PauseWarning, pause_warnings
from testday.console_protocol.client import HubClient
from testday.console_protocol.messages import ConnectionState
from testday.console_protocol.requests import Answer, HubRequest
from testday.tui.messages import HubClientEnded
from testday.tui.screens.devices import DevicesScreen
from testday.tui.screens.help import HelpScreen
from testday.tui.screens.incident_form import IncidentForm
from testday.tui.screens.incidents import IncidentsScreen
from testday.tui.screens.live import LiveScreen
from testday.tui.screens.network import NetworkScreen
from testday.tui.screens.rooms import RoomsScreen
from testday.tui.screens.sessions import SessionsScreen

# Bindings kept out of the footer for room, yet listed in Help and the command palette.
LISTED_UNSHOWN = frozenset({"view.network", "device.runbook"})
# The view keys share one footer label ("r i s views"): every footer then fits 80 columns.
VIEWS = Binding.Group("views", compact=True)


class TestdayApp(App[None]):
    """Messages from the hub only touch the FleetModel; the screen follows on a 2–4 Hz timer,
    so a burst of 500 changes a second costs one redraw per tick, not one per change."""

    __test__ = False  # its name starts with "Test": keep pytest from collecting it
    CSS_PATH = "app.tcss"
    TITLE = "testday"
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        "rooms": RoomsScreen,
        "devices": DevicesScreen,
        "incidents": IncidentsScreen,
        "sessions": SessionsScreen,
        "network": NetworkScreen,
    }
    DEFAULT_MODE = "rooms"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "show_view('rooms')", "Rooms", group=VIEWS),
        Binding("d", "show_view('devices')", "Devices", group=VIEWS),
        Binding("i", "show_view('incidents')", "Incidents", group=VIEWS),
        Binding("s", "show_view('sessions')", "Sessions", group=VIEWS),
        # Five views' keys overflow a 100-column footer on the busiest screens: this one is
        # listed in Help and the command palette only (see LISTED_UNSHOWN).
        Binding("w", "show_view('network')", "Network", show=False, id="view.network"),
        Binding("escape", "back", "Back"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        client: HubClient,
        clock: Callable[[], float] = time.time,
        refresh_hz: float = 4,
        *,
        tz: tzinfo | None = None,
        operator: str | None = None,
    ) -> None:
        super().__init__()
        if refresh_hz <= 0:
            raise ValueError("refresh_hz must be positive")
        self.client = client
        self.clock = clock
        self.tz = tz  # None: this machine's local time
        self.refresh_hz = refresh_hz
        self.operator = operator or current_user()  # the actor the hub records for each request
        self.model = FleetModel(clock=clock)
        self.live_screens: set[LiveScreen] = set()
        self.pause_warnings: dict[str, PauseWarning] = {}  # the most urgent first
        self.tick_count = 0  # tests wait on it
        self._link_shown: tuple[bool, bool] | None = None
        self._pauses_announced: set[tuple[str, float, str]] = set()

    def on_mount(self) -> None:
        self.sub_title = client_name(self.client)
        self.run_client()
        self.set_interval(1 / self.refresh_hz, self.refresh_dashboard)

    async def on_unmount(self) -> None:
        """Close the hub client before the event loop ends: a dashboard's own hub stops here,
        or its database thread would keep the process alive after the dashboard quit."""
        await self.client.close()

    @work(group="hub-client", exclusive=True, exit_on_error=False)
    async def run_client(self) -> None:
        """The client only feeds the model: no widget is touched from here."""
        try:
            await self.client.run(self.model.apply)
        finally:
            await self.client.close()
        self.post_message(HubClientEnded())

    def refresh_dashboard(self) -> None:
        """One tick: drain what changed and let each open screen apply it."""
        if not self.is_running:
            return  # shutting down: the screens are being taken apart
        changes = self.model.take_changes()
        self._announce_link()
        # Session times are the hub's: judge pauses on its clock, as the hub itself would.
        self.pause_warnings = pause_warnings(
            self.model.sessions.values(), self.model.hub_now(), self.tz
        )
        self._announce_pauses()
        with self.batch_update():  # one repaint for the whole tick, however much changed
            for screen in list(self.live_screens):
                screen.refresh_live(changes)
        self.tick_count += 1

    def _announce_link(self) -> None:
        model = self.model
        state = (model.connected, model.stale)
        if state == self._link_shown:
            return
        if model.stale:
            self.notify(
                f"Showing the last known state. {model.detail}",
                title="Hub connection lost",
                severity="warning",
            )
        elif self._link_shown is not None and self._link_shown[1] and not model.stale:
            self.notify(model.detail, title="Hub connection restored")
        self._link_shown = state

    def _announce_pauses(self) -> None:
        """Notify once per pause and level: the status line keeps saying it meanwhile."""
        for warning in self.pause_warnings.values():
            key = (warning.session_id, warning.paused_since, warning.level)
            if key in self._pauses_announced:
                continue
            self._pauses_announced.add(key)
            expired = warning.level == "expired"
            self.notify(
                warning.message,
                title="Pause limit passed" if expired else "Pause running long",
                severity="error" if expired else "warning",
                timeout=30,
            )

    # --- requests to the hub --------------------------------------------------------------------

    async def request(self, ask: HubRequest) -> Answer:
        """Ask the hub to act as this operator; raises RequestError with the hub's reason."""
        return await self.client.request(ask, self.operator)

    def open_incident_form(self, draft: IncidentDraft) -> None:
        self.push_screen(IncidentForm(draft), self._incident_logged)

    def _incident_logged(self, answer: Answer | None) -> None:
        if answer is None:
            return  # cancelled
        incident = answer.incident
        where = f" · room {incident.room}" if incident and incident.room else ""
        self.notify(f"{incident.id if incident else '?'}{where}", title="Incident logged")

    # --- one place where background failures become notifications -------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        self.notify(
            f"{type(error).__name__}: {error}",
            title="Background task failed",
            severity="error",
            timeout=30,
        )
        if event.worker.group == "hub-client":
            self.model.apply(ConnectionState(False, f"hub client failed: {error}"))

    def on_hub_client_ended(self, _message: HubClientEnded) -> None:
        self.model.apply(ConnectionState(False, "hub client stopped"))

    # --- navigation -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The key of the view on screen is noise in a crowded footer: hide it there, unless a
        # detail is open over the view (the key then goes back to its top). A modal is no detail.
        if action == "show_view" and parameters and parameters[0] == self.current_mode:
            return any(not isinstance(s, ModalScreen) for s in self.screen_stack[1:])
        if action == "back":  # nowhere to go back to from the rooms overview
            return self.current_mode != "rooms" or len(self.screen_stack) > 1
        return True

    async def action_back(self) -> None:
        """Escape: close what is on top, else return to the rooms overview."""
        if len(self.screen_stack) > 1:
            self.pop_screen()
        else:
            self.show_view("rooms")

    def action_show_view(self, view: str) -> None:
        self.show_view(view)

    def show_view(self, view: str) -> None:
        """Switch to a view; asking for the current one goes back to its top (closes a detail)."""
        if view == self.current_mode:
            while len(self.screen_stack) > 1:
                self.pop_screen()
        else:
            self.switch_mode(view)

    def open_room(self, room: str) -> None:
        """The Devices view, filtered to one room (Enter on a room card)."""
        self.show_view("devices")
        self.call_after_refresh(self._filter_room, room)

    def _filter_room(self, room: str) -> None:
        screen = self.screen
        if isinstance(screen, DevicesScreen):
            screen.show_room(room)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(HelpScreen(list(binding_keys(self.screen))))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every key's action in the command palette too, for those who prefer to type."""
        builtin = list(super().get_system_commands(screen))
        yield from builtin
        titles = {command.title for command in builtin}  # Textual has its own "Quit"
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if listed(binding) and binding.description not in titles:
                run = partial(self.run_action, binding.action, active.node)
                yield SystemCommand(binding.description, f"key {binding.key_display or key}", run)


def binding_keys(screen: Screen[Any]) -> Iterable[tuple[str, str]]:
    """(key, description) of each binding shown to the user on ``screen``."""
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if listed(binding):
            yield binding.key_display or key, binding.description


def listed(binding: Binding) -> bool:
    """Shown in the footer, or kept out of it only for room (LISTED_UNSHOWN)."""
    return bool(binding.description) and (binding.show or binding.id in LISTED_UNSHOWN)


def current_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in this environment (a bare container)
        return "dashboard"


def client_name(client: HubClient) -> str:
    return str(getattr(client, "description", "hub"))
