"""Provides ConfirmScreen: a yes/no question over the current screen, answered with `y` or `n`."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen

from testday.tui.widgets.field import Field


class ConfirmScreen(ModalScreen[bool]):
    """Dismissed with True for `y`, False for `n` or Escape."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "No", show=False),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self._question = question
        self._detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box") as box:
            box.border_title = "Confirm"
            box.border_subtitle = "y yes · n no"
            yield Field(self._question, id="confirm-question")
            if self._detail:
                yield Field(self._detail, id="confirm-detail")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
