"""Provides RoomsScreen: the default view, one card per room, coloured by its worst device."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll

from testday.console_client.fleet_model import FleetChanges
from testday.console_client.fleet_order import natural_key
from testday.console_client.incident_defaults import draft_for_room
from testday.tui.screens.live import LiveScreen
from testday.tui.widgets.field import Field
from testday.tui.widgets.room_card import RoomCard

# A fleet with no room yet: say what the technician is waiting for, rather than show nothing.
NO_DEVICES = (
    "No devices yet: a testing device appears here once its testday-agent reports "
    "(README: Running it for real, Deploying the agent)."
)


class RoomGrid(VerticalScroll, can_focus=False):
    """The cards take the focus, so arrows move between rooms rather than scroll."""


class RoomsScreen(LiveScreen):
    """-empty (no room yet) swaps the grid for what the dashboard is waiting for."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_room", "Room's devices"),
        Binding("n", "log_incident", "Incident"),
        Binding("left", "move(-1)", "Previous room", show=False),
        Binding("right", "move(1)", "Next room", show=False),
        Binding("up", "move_row(-1)", "Room above", show=False),
        Binding("down", "move_row(1)", "Room below", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._cards: dict[str, RoomCard] = {}
        self._stale_shown = False

    def compose_body(self) -> ComposeResult:
        yield Field("ROOMS", id="title", classes="title")
        yield RoomGrid(id="room-grid")
        yield Field(id="no-rooms")

    def show_changes(self, changes: FleetChanges) -> None:
        model = self.model
        rooms = set(model.room_names())
        grid = self.query_one(RoomGrid)
        touched = set(changes.rooms) | (set(self._cards) if changes.reset else set())
        for room in sorted(touched, key=natural_key):
            card = self._cards.get(room)
            if room not in rooms:
                if card is not None:
                    del self._cards[room]
                    card.remove()
                continue
            if card is None:
                # Rooms keep their natural order: the new card goes before the next room's.
                following = [r for r in self._cards if natural_key(r) > natural_key(room)]
                before = self._cards[min(following, key=natural_key)] if following else None
                card = self._cards[room] = RoomCard(room)
                grid.mount(card, before=before)
            card.show(model.room(room), model.stale)
        now, tz, warnings = model.hub_now(), self.dashboard.tz, self.dashboard.pause_warnings
        for card in self._cards.values():  # clocks move every second, changed or not
            session = card.session
            card.show_clock(now, tz, warnings.get(session.id) if session else None)
        if self._stale_shown != model.stale:
            # Staleness dims every card, changed or not.
            for card in self._cards.values():
                card.set_class(model.stale, "-stale")
            self._stale_shown = model.stale
        self._show_empty()
        title = f"ROOMS  {len(rooms)} rooms · {len(model.devices)} devices"
        self.query_one("#title", Field).show(title + self.stale_mark)
        if self.focused is None and self._cards:
            first = min(self._cards, key=natural_key)
            self._cards[first].focus()

    def _show_empty(self) -> None:
        """Before the first snapshot, the link's own words ("hub unreachable at …: refused")."""
        model, empty = self.model, not self._cards
        self.set_class(empty, "-empty")
        waiting = f"Waiting for the hub: {model.detail}" if not model.has_snapshot else NO_DEVICES
        self.query_one("#no-rooms", Field).show(waiting if empty else "")

    def _focused_card(self) -> RoomCard | None:
        return self.focused if isinstance(self.focused, RoomCard) else None

    def action_open_room(self) -> None:
        card = self._focused_card()
        if card is not None:
            self.dashboard.open_room(card.room)

    def action_log_incident(self) -> None:
        card = self._focused_card()
        if card is not None:
            self.dashboard.open_incident_form(draft_for_room(self.model, card.room))

    def action_move(self, step: int) -> None:
        self._move_by(step)

    def action_move_row(self, rows: int) -> None:
        columns = self.query_one(RoomGrid).styles.grid_size_columns or 1
        self._move_by(rows * columns)

    def _move_by(self, step: int) -> None:
        order = sorted(self._cards, key=natural_key)
        card = self._focused_card()
        if not order:
            return
        index = order.index(card.room) if card else 0
        target = self._cards[order[max(0, min(len(order) - 1, index + step))]]
        target.focus()
        target.scroll_visible()
