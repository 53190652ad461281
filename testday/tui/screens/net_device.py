"""Provides NetDeviceScreen: one network device's state, description, uptime and interfaces."""

from __future__ import annotations

from datetime import tzinfo

from textual.app import ComposeResult
from textual.containers import VerticalScroll

from testday.console_client.fleet_model import FleetChanges
from testday.console_client.network_text import (
    KIND_LABEL,
    age_text,
    failure_text,
    interface_lines,
    state_text,
    ups_text,
    uptime_text,
)
from testday.console_protocol.network_views import NetDeviceView
from testday.core.presentation import hhmm
from testday.tui.screens.live import LiveScreen
from testday.tui.widgets.field import Field

SECTIONS = (("facts", "Device"), ("interfaces", "Interfaces"))
UPS_BATTERY = {2: "normal", 3: "low", 4: "depleted"}  # UPS-MIB upsBatteryStatus


def device_facts(device: NetDeviceView, tz: tzinfo | None) -> str:
    """What the last poll told about the device itself, one fact a line."""
    lines = [f"description  {device.description or 'not reported'}"]
    uptime = device.uptime_s
    lines.append(f"uptime       {uptime_text(uptime) if uptime is not None else 'not reported'}")
    if device.rebooted_at is not None:
        lines.append(f"restarted    at {hhmm(device.rebooted_at, tz)}")
    if device.kind == "access_point" or device.ap_clients is not None:
        clients = device.ap_clients
        counted = "not reported" if clients is None else str(clients)
        lines.append(f"clients      {counted} (carries {device.capacity or '?'} well)")
    if device.ups is not None:
        ups = device.ups
        status = UPS_BATTERY.get(ups.battery_status or 0, "unknown")
        lines.append(f"power        {ups_text(ups)} · battery {status}")
    return "\n".join(lines)


class NetDeviceScreen(LiveScreen):
    """Follows the device live; Escape goes back to the Network view."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.device_name = name

    def compose_body(self) -> ComposeResult:
        yield Field(id="title", classes="title")
        with VerticalScroll(id="net-body"):
            yield Field(id="net-state")
            for key, label in SECTIONS:
                yield Field(label, classes="section")
                yield Field(id=f"net-{key}")

    def show_changes(self, changes: FleetChanges) -> None:
        model, tz = self.model, self.dashboard.tz
        device = model.network_devices.get(self.device_name)
        title = self.query_one("#title", Field)
        if device is None:
            title.show(f"{self.device_name} — no longer watched by the hub")
            return
        if changes.reset or self.device_name in changes.network:
            kind = KIND_LABEL.get(device.kind, device.kind)
            rooms = ", ".join(device.rooms) or "no room"
            stale = self.stale_mark
            title.show(f"{device.name} · {kind} · {device.address} · {rooms}{stale}")
            self.query_one("#net-facts", Field).show(device_facts(device, tz))
            self.query_one("#net-interfaces", Field).show("\n".join(interface_lines(device)))
        # Every tick: the poll's age moves on while nothing else changes.
        state = state_text(device, tz)
        why = failure_text(device) if device.reachable is False else ""
        line = state + (f" — {why}" if why else "")
        if device.last_poll is not None:
            line += f" · polled {age_text(device, model.hub_now())}"
        field = self.query_one("#net-state", Field)
        field.show(line)
        field.set_class(device.reachable is False, "-down")
