"""Provides LiveScreen: a screen the app's refresh tick keeps current, with the status line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from typing import Protocol, cast

from textual.app import ComposeResult
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Footer

from testday.console_client.fleet_model import FleetChanges, FleetModel
from testday.console_client.incident_defaults import IncidentDraft
from testday.console_client.session_clock import PauseWarning
from testday.console_protocol.requests import Answer, HubRequest
from testday.tui.widgets.status_line import StatusLine


class Dashboard(Protocol):
    """What a live screen needs from the app (the app's module imports the screens, not back)."""

    model: FleetModel
    clock: Callable[[], float]
    tz: tzinfo | None
    live_screens: set[LiveScreen]
    operator: str
    pause_warnings: dict[str, PauseWarning]  # this tick's, the most urgent first

    def open_room(self, room: str) -> None: ...

    def show_view(self, view: str) -> None: ...

    def open_incident_form(self, draft: IncidentDraft) -> None: ...

    async def request(self, ask: HubRequest) -> Answer: ...


class LiveScreen(Screen[None]):
    """Subclasses compose their body and apply each tick's changes in ``show_changes``."""

    def compose(self) -> ComposeResult:
        yield StatusLine()
        yield from self.compose_body()
        # Every key must fit 100 columns: the palette's own hint gives way (Help names Ctrl+P).
        yield Footer(compact=True, show_command_palette=False)

    def compose_body(self) -> ComposeResult:
        yield from ()

    @property
    def dashboard(self) -> Dashboard:
        return cast(Dashboard, self.app)

    @property
    def model(self) -> FleetModel:
        return self.dashboard.model

    @property
    def stale_mark(self) -> str:
        """ " · STALE" while the hub link is lost: every title says its data may be old."""
        return " · STALE" if self.model.stale else ""

    def on_mount(self) -> None:
        self.dashboard.live_screens.add(self)
        # A screen opened late catches up with everything the model holds, as if all changed.
        model = self.model
        everything = FleetChanges(
            devices=frozenset(model.devices),
            rooms=frozenset(model.room_names()),
            reset=True,
            sessions=frozenset(model.sessions),
            incidents=frozenset(model.incidents),
            network=frozenset(model.network_devices),
        )
        self.refresh_live(everything)

    def on_unmount(self) -> None:
        self.dashboard.live_screens.discard(self)

    def refresh_live(self, changes: FleetChanges) -> None:
        """Called by the app's timer with what changed since the last tick."""
        dashboard = self.dashboard
        try:
            pauses = list(dashboard.pause_warnings.values())
            self.query_one(StatusLine).show(
                dashboard.model, dashboard.clock(), dashboard.tz, pauses
            )
            self.show_changes(changes)
        except NoMatches:
            # A screen being closed loses its widgets before it is unmounted; a tick can fall
            # in between. The screen on top of the stack missing a widget is a bug, though.
            if self.is_active:
                raise

    def show_changes(self, changes: FleetChanges) -> None:
        """Apply ``changes`` to the body; ``changes.reset`` means reload from the model."""
