"""Provides StatusLine: the always-visible top line — hub link, site, counts, time, pauses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical

from testday.console_client.fleet_model import FleetModel
from testday.console_client.session_clock import PauseWarning
from testday.core.presentation import VERDICTS, hms, verdict_label
from testday.tui.formatting import clip, css_class
from testday.tui.widgets.field import Field


class StatusLine(Vertical):
    """One line that answers "can I trust what I see?" before anything else.

    A pause running past its rule adds a second line: -pause-warning or -pause-expired.
    """

    def __init__(self) -> None:
        super().__init__()
        self._link = Field(id="link")
        self._site = Field(id="site")
        self._counts = {v: Field(classes=f"count {css_class(v)}") for v in VERDICTS}
        self._clock = Field(id="clock")
        self._pause = Field(id="pause")
        self._pause_level: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="status-row"):
            yield self._link
            yield self._site
            yield from self._counts.values()
            yield self._clock
        yield self._pause

    @property
    def pause_text(self) -> str:
        return self._pause.text

    def show(
        self,
        model: FleetModel,
        now: float,
        tz: tzinfo | None,
        pauses: Sequence[PauseWarning] = (),
    ) -> None:
        if model.stale:
            link = "○ hub lost · STALE"  # the last state stays on screen, marked
        elif model.connected:
            link = "● hub connected"
        else:
            link = "○ connecting…"
        if self._link.text != link:  # classes restyle: touch them only when the link changes
            self._link.show(link)
            self._link.set_class(model.stale, "-stale")
            self._link.set_class(model.connected and not model.stale, "-connected")
        if self._link.tooltip != model.detail:
            self._link.tooltip = model.detail
        self._site.show(clip(model.site_name, 24))
        for verdict, count in model.counts().items():
            field = self._counts[verdict]
            text = f"{count} {verdict_label(verdict)}"
            if field.text != text:
                field.show(text)
                field.set_class(count == 0, "-zero")
        self._clock.show(hms(now, tz))
        self._show_pauses(pauses)

    def _show_pauses(self, pauses: Sequence[PauseWarning]) -> None:
        """The most urgent pause in words; how many more are running long after it."""
        first = pauses[0] if pauses else None
        more = f"  (+{len(pauses) - 1} more paused too long)" if len(pauses) > 1 else ""
        self._pause.show(f"⚠ {first.message}{more}" if first else "")
        level = first.level if first else None
        if level != self._pause_level:
            self.set_class(level == "warning", "-pause-warning")
            self.set_class(level == "expired", "-pause-expired")
            self._pause_level = level
