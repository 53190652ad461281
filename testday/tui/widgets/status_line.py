"""Provides StatusLine: the always-visible top line — hub link, site, verdict counts, time."""

from __future__ import annotations

from datetime import datetime, tzinfo

from textual.app import ComposeResult
from textual.containers import Horizontal

from testday.console_client.fleet_model import VERDICTS, FleetModel
from testday.tui.formatting import VERDICT_LABEL, clip, css_class
from testday.tui.widgets.field import Field


class StatusLine(Horizontal):
    """One line that answers "can I trust what I see?" before anything else."""

    def __init__(self) -> None:
        super().__init__()
        self._link = Field(id="link")
        self._site = Field(id="site")
        self._counts = {v: Field(classes=f"count {css_class(v)}") for v in VERDICTS}
        self._clock = Field(id="clock")

    def compose(self) -> ComposeResult:
        yield self._link
        yield self._site
        yield from self._counts.values()
        yield self._clock

    def show(self, model: FleetModel, now: float, tz: tzinfo | None) -> None:
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
            text = f"{count} {VERDICT_LABEL[verdict]}"
            if field.text != text:
                field.show(text)
                field.set_class(count == 0, "-zero")
        self._clock.show(datetime.fromtimestamp(now, tz).strftime("%H:%M:%S"))
