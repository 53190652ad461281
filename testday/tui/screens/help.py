"""Provides HelpScreen: every key the dashboard answers to, listed over the current screen."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen

from testday.tui.widgets.field import Field


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Close"),
        Binding("question_mark", "app.pop_screen", "Close", key_display="?"),
    ]

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self._keys = keys

    def compose(self) -> ComposeResult:
        width = max((len(key) for key, _ in self._keys), default=0)
        lines = [f"{key:>{width}}  {description}" for key, description in self._keys]
        with Vertical(id="help-box") as box:
            box.border_title = "Keys"
            box.border_subtitle = "Escape closes"
            yield Field("\n".join(lines), id="help-keys")
            yield Field("Ctrl+P opens the command palette: every key is there too.", id="help-tip")
