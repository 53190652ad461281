"""Provides Field: a one-line plain-text label that repaints only when its text changes."""

from __future__ import annotations

from textual.widgets import Static


class Field(Static):
    """Plain text (hostnames may hold "[", so no markup); ``show`` is a no-op for the same text.

    Dashboards call ``show`` on every tick; skipping identical text keeps an idle screen idle,
    which matters over a slow SSH link.
    """

    def __init__(self, text: str = "", *, id: str | None = None, classes: str = "") -> None:
        super().__init__(text, markup=False, id=id, classes=classes)
        self._text = text

    @property
    def text(self) -> str:
        return self._text

    def show(self, text: str) -> None:
        if text != self._text:
            self._text = text
            self.update(text)
