"""Provides IncidentForm: log an incident in two keys and a sentence — `n`, the text, Enter."""

from __future__ import annotations

from typing import ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select

from testday.console_client.incident_defaults import IncidentDraft
from testday.console_protocol.requests import Answer, IncidentAddRequest, RequestError
from testday.core.incident_fields import CATEGORIES, SEVERITIES
from testday.core.presentation import label
from testday.tui.screens.live import Dashboard
from testday.tui.widgets.field import Field

HINT = "Enter logs it · Tab reaches category, subcategory, severity · Escape cancels"


def choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(label(value), value) for value in values]


class IncidentForm(ModalScreen[Answer | None]):
    """Prefilled from the selection; dismissed with the hub's answer, or None if cancelled.

    A refused request keeps the form open with the hub's reason, so nothing typed is lost.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, draft: IncidentDraft) -> None:
        super().__init__()
        self.draft = draft
        self._sending = False
        self._subcategories = CATEGORIES.get(draft.category, ("other",))

    def compose(self) -> ComposeResult:
        draft = self.draft
        category = draft.category if draft.category in CATEGORIES else "other"
        subcategory = draft.subcategory if draft.subcategory in self._subcategories else None
        with Vertical(id="form-box") as box:
            box.border_title = "Log an incident"
            yield Field(self._context_line(), id="form-context")
            if draft.ask_room:
                hint = f" ({', '.join(draft.room_choices)})" if draft.room_choices else ""
                yield Input(draft.room, placeholder=f"room{hint}", id="form-room")
            yield Input(placeholder="what happened", id="form-description")
            with Horizontal(id="form-choices"):
                yield Select(choices(tuple(CATEGORIES)), value=category, allow_blank=False,
                             compact=True, id="form-category")  # fmt: skip
                yield Select(choices(self._subcategories), allow_blank=False, compact=True,
                             value=subcategory or Select.NULL, id="form-subcategory")  # fmt: skip
                severity = draft.severity if draft.severity in SEVERITIES else SEVERITIES[0]
                yield Select(choices(SEVERITIES), value=severity, allow_blank=False,
                             compact=True, id="form-severity")  # fmt: skip
                yield Button("Log it", id="form-submit", compact=True)
            yield Field(id="form-error")
            yield Field(HINT, id="form-hint")

    def on_mount(self) -> None:
        for text in self.query(Input):
            text.cursor_blink = False  # a blinking cursor repaints twice a second over SSH
        room = self.query("#form-room").first(Input) if self.draft.ask_room else None
        (room if room is not None and not room.value else self.description).focus()

    @property
    def dashboard(self) -> Dashboard:
        return cast(Dashboard, self.app)

    @property
    def description(self) -> Input:
        return self.query_one("#form-description", Input)

    def _context_line(self) -> str:
        """The prefilled facts in one line: room, device, session, students."""
        model = self.dashboard.model
        draft, parts = self.draft, []
        if draft.room and not draft.ask_room:
            parts.append(f"room {draft.room}")
        for device_id in draft.devices:
            device = model.devices.get(device_id)
            parts.append(f"device {device.name if device else device_id}")
        session = model.sessions.get(draft.session_id or "")
        if draft.session_id:
            parts.append(f"session {session.title if session else draft.session_id}")
        if draft.students:
            parts.append(f"students {', '.join(draft.students)}")
        return " · ".join(parts) or "no room, device or session selected"

    def _value(self, selector: str) -> str:
        return str(self.query_one(selector, Select).value)

    def _show_error(self, message: str) -> None:
        self.query_one("#form-error", Field).show(message)
        self.set_class(bool(message), "-error")

    # --- events -----------------------------------------------------------------------------

    @on(Select.Changed, "#form-category")
    def _category_changed(self, event: Select.Changed) -> None:
        subcategories = CATEGORIES.get(str(event.value), ("other",))
        if subcategories != self._subcategories:  # keep a prefilled subcategory that still fits
            self._subcategories = subcategories
            self.query_one("#form-subcategory", Select).set_options(choices(subcategories))

    @on(Input.Submitted, "#form-room")
    def _room_submitted(self) -> None:
        if self.description.value.strip():
            self.action_submit()
        else:
            self.description.focus()

    @on(Input.Submitted, "#form-description")
    @on(Button.Pressed, "#form-submit")
    def _submitted(self) -> None:
        self.action_submit()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_submit(self) -> None:
        if self._sending:
            return
        description = self.description.value.strip()
        room = self.draft.room
        if self.draft.ask_room:
            room_input = self.query_one("#form-room", Input)
            room = room_input.value.strip()
            if not room:
                self._show_error("Which room? Type it first.")
                room_input.focus()
                return
        if not description:
            self._show_error("Say what happened first.")
            self.description.focus()
            return
        ask = IncidentAddRequest(
            category=self._value("#form-category"),
            subcategory=self._value("#form-subcategory"),
            severity=self._value("#form-severity"),
            room=room,
            description=description,
            devices=self.draft.devices,
            students=self.draft.students,
            session_id=self.draft.session_id or None,
        )
        self._send(ask)

    @work(group="incident-form", exclusive=True, exit_on_error=False)
    async def _send(self, ask: IncidentAddRequest) -> None:
        self._sending = True
        self._show_error("")
        self.query_one("#form-hint", Field).show("logging…")
        try:
            answer = await self.dashboard.request(ask)
        except RequestError as error:
            self._show_error(str(error) or "the hub refused the incident")
            return
        finally:
            self._sending = False
            self.query_one("#form-hint", Field).show(HINT)
        self.dismiss(answer)
