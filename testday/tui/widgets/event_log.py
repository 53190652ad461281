"""Provides EventLog: a bounded live log of hub events, coloured by the verdict they announce."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import tzinfo
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.widgets import RichLog

from testday.console_client.fleet_model import FleetModel
from testday.console_protocol.device_views import EventView
from testday.tui.formatting import css_class, event_line, event_tone

MAX_LINES = 1_000


class EventLog(RichLog):
    """New events at the bottom; styles come from the stylesheet through component classes."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "event-log--offline",
        "event-log--not-ready",
        "event-log--warning",
        "event-log--ready",
        "event-log--duplicate",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(max_lines=MAX_LINES, wrap=False, markup=False, auto_scroll=True, id=id)

    def add(self, events: Iterable[EventView], model: FleetModel, tz: tzinfo | None) -> int:
        """Write each event as one line; returns how many were written."""
        written = 0
        for event in events:
            device = model.devices.get(event.device_id or "")
            who = device.name if device else (event.device_id or "-")
            self.write(Text(event_line(event, who, tz), style=self._style(event), end=""))
            written += 1
        return written

    def _style(self, event: EventView) -> Style | str:
        if event.kind == "identity.duplicate":
            component = "event-log--duplicate"
        else:
            status = event_tone(event)
            if status is None:
                return ""
            component = f"event-log-{css_class(status)}"
        return self.get_component_rich_style(component, partial=True)
