"""Provides DeviceDetailScreen: one device's reasons, battery trend, every fact and its history."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.widgets import Sparkline

from testday.console_client.fleet_model import FleetChanges
from testday.console_client.fleet_order import room_of
from testday.console_client.incident_defaults import draft_for_device
from testday.console_protocol.device_views import DeviceView, ReasonView
from testday.core.presentation import VERDICTS, duration, hms, verdict_label
from testday.tui.detail_text import fact_groups, reason_lines
from testday.tui.formatting import css_class, event_text, reason
from testday.tui.screens.live import LiveScreen
from testday.tui.screens.runbook import open_device_runbook
from testday.tui.widgets.field import Field

HISTORY_LINES = 30
GROUPS = ("battery", "apps", "network", "system", "agent")


class DeviceDetailScreen(LiveScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("n", "log_incident", "Incident"),
        Binding("b", "runbook", "Runbook"),
    ]

    def __init__(self, device_id: str) -> None:
        super().__init__()
        self.device_id = device_id
        self._reasons_shown: tuple[ReasonView, ...] | None = None

    def compose_body(self) -> ComposeResult:
        yield Field(id="title", classes="title")
        with VerticalScroll(id="detail-body"):
            yield Field("Why", classes="section")
            yield Vertical(id="reasons")
            yield Field("Battery", classes="section")
            with Horizontal(id="battery"):
                yield Sparkline([], id="battery-spark")
                yield Field(id="battery-text")
            yield Field("Facts", classes="section")
            with Grid(id="facts"):
                for group in GROUPS:
                    box = Field(id=f"facts-{group}", classes="fact-group")
                    box.border_title = group
                    yield box
            yield Field("History", classes="section")
            yield Field(id="history")

    def action_log_incident(self) -> None:
        self.dashboard.open_incident_form(draft_for_device(self.model, self.device_id))

    def action_runbook(self) -> None:
        """The first reason's runbook; `b` again there steps to the next reason's."""
        open_device_runbook(self.app, self.model.devices.get(self.device_id))

    def show_changes(self, changes: FleetChanges) -> None:
        device = self.model.devices.get(self.device_id)
        if device is None:
            self.query_one("#title", Field).show(f"{self.device_id} — no longer known to the hub")
            return
        if changes.reset or self.device_id in changes.devices:
            self._show_device(device)
        mine = [e for e in changes.events if e.device_id == self.device_id]
        if changes.reset or mine or self.device_id in changes.devices:
            self._show_history()

    def _show_device(self, device: DeviceView) -> None:
        verdict = device.verdict
        title = " · ".join(
            [
                device.name,
                f"room {room_of(device)}",
                verdict_label(verdict).upper(),
                f"profile {device.profile or '—'}",
                f"{device.os.family or '?'} {device.os.version or ''}".strip(),
            ]
        )
        field = self.query_one("#title", Field)
        field.show(title + self.stale_mark)
        for v in VERDICTS:
            field.set_class(v == verdict, css_class(v))
        self._show_reasons(device.reasons)
        self._show_battery(device)
        for group, rows in fact_groups(device).items():
            width = max((len(label) for label, _ in rows), default=0)
            text = "\n".join(f"{label:<{width}}  {value}" for label, value in rows)
            self.query_one(f"#facts-{group}", Field).show(text)

    def _show_reasons(self, reasons: tuple[ReasonView, ...]) -> None:
        if reasons == self._reasons_shown:
            return
        self._reasons_shown = reasons
        box = self.query_one("#reasons", Vertical)
        box.remove_children()
        if not reasons:
            box.mount(Field("Ready: nothing to fix.", classes="reason -ready"))
            return
        for r in reasons:
            headline, details = reason_lines(r)
            severity = css_class(r.severity)
            box.mount(
                Vertical(
                    Field(headline, classes="headline"),
                    Field(details, classes="details"),
                    classes=f"reason {severity}",
                )
            )

    def _show_battery(self, device: DeviceView) -> None:
        points = self.model.battery_history(self.device_id)
        self.query_one(Sparkline).data = [p for _, p, _ in points]
        lines = []
        if points:
            first, last = points[0], points[-1]
            plugged = "on AC" if last[2] else "on battery"
            lines.append(f"{last[1]:.0f} % now, {plugged}")
            if len(points) > 1:
                span = duration(last[0] - first[0])
                lines.append(f"{first[1]:.0f} % → {last[1]:.0f} % over {span}")
        else:
            lines.append("no battery readings")
        forecast = reason(device, "battery.forecast")
        battery = device.facts.battery if device.facts else None
        if forecast:
            lines.append(forecast.message)
        elif device.verdict == "offline":
            lines.append("forecast: none while it is offline")
        elif battery is not None and battery.present and not battery.plugged:
            lines.append("forecast: will last the test")
        self.query_one("#battery-text", Field).show("\n".join(lines))

    def _show_history(self) -> None:
        events = self.model.events_for(self.device_id)[-HISTORY_LINES:]
        tz = self.dashboard.tz
        lines = [f"{hms(e.ts, tz)}  {event_text(e)}" for e in reversed(events)]
        self.query_one("#history", Field).show("\n".join(lines) or "no events held for it")
