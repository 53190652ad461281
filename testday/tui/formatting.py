"""Provides the dashboard's words for devices and events: table cells, problem lines, log lines."""

from __future__ import annotations

import re
from datetime import tzinfo

from testday.console_client.fleet_order import room_of
from testday.console_protocol.device_views import DeviceView, EventView, ReasonView
from testday.console_protocol.event_views import (
    CommandResult,
    Connected,
    Disconnected,
    DuplicateIdentity,
    NetworkNoted,
    SpoolDropped,
    VerdictChanged,
    event_data,
)
from testday.core.presentation import (
    age,
    app_text,
    battery_text,
    hms,
    latency_text,
    verdict_label,
)
from testday.core.reasons import REASONS

PROBLEM_WIDTH = 22  # the full sentence is on the line under the table
# (key, label, width): the key addresses the DataTable column, so cells can be updated one by
# one. Fixed widths: with auto-sized columns, every cell that grows makes DataTable re-measure
# its whole column on idle, which stalled the loop for seconds at 2,000 devices and 200 changes/s.
DEVICE_COLUMNS = (
    ("device", "Device", 12),
    ("room", "Room", 8),
    ("verdict", "Verdict", 9),
    ("battery", "Battery", 16),
    ("app", "App", 10),
    ("latency", "Latency", 7),
    ("seen", "Seen", 8),
    ("problem", "Problem", PROBLEM_WIDTH),
)
# Table-sized names where the catalogue's title is too long for PROBLEM_WIDTH.
SHORT_TITLES = {
    "device.unreported": "No report yet",
    "identity.duplicate": "Duplicate identity",
    "battery.forecast": "Battery won't last",
    "app.missing": "App not installed",
    "app.version_unknown": "App version unknown",
    "os.unsupported": "OS not supported",
    "os.version_unknown": "OS version unknown",
    "network.down": "No network",
    "dns.failed": "Name lookup fails",
    "endpoint.unreachable": "Service unreachable",
    "endpoint.slow": "Service slow",
    "clock.skew": "Clock wrong",
    "collector.failed": "A check failed",
    "hub.error": "Hub could not judge",
}
NOTABLE_STATUSES = ("not_ready", "offline")
# Network watch events ("net." kinds, from testday.hub.network_watch) and the verdict colour each
# is logged in: a failure reads like a device going not ready, a recovery like one turning ready.
NET_EVENT_TONE = {
    "net.unreachable": "not_ready",
    "net.link_down": "not_ready",
    "net.ups_on_battery": "not_ready",
    "net.trap": "warning",
    "net.rebooted": "warning",
    "net.reachable": "ready",
    "net.link_up": "ready",
    "net.ups_on_mains": "ready",
}
_AROUND = re.compile(r"around (\d{1,2}:\d{2})")


def css_class(verdict: str) -> str:
    """The class a widget carries for a verdict: ``-not-ready``, ``-offline``, …"""
    return "-" + verdict.replace("_", "-")


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# --- devices ----------------------------------------------------------------------------------


def reason(device: DeviceView, code: str) -> ReasonView | None:
    return next((r for r in device.reasons if r.code == code), None)


def forecast_text(device: DeviceView) -> str:
    """Short form of the battery.forecast reason: "empty 10:42" or "→ 8% at end"."""
    found = reason(device, "battery.forecast")
    if found is None:
        return ""
    match = _AROUND.search(found.message)
    if match:
        return f"empty {match.group(1)}"
    value = found.value
    return f"→ {value:.0f}% at end" if isinstance(value, int | float) else "will not last"


def battery_cell(device: DeviceView) -> str:
    text = battery_text(device.facts.battery if device.facts else None)
    forecast = forecast_text(device)
    return f"{text} {forecast}" if forecast else text


def reason_title(r: ReasonView | None) -> str:
    """A reason's short name ("Battery critical"); the full sentence is in the detail."""
    if r is None:
        return ""
    spec = REASONS.get(r.code)
    return spec.title if spec else r.code


def short_title(r: ReasonView | None) -> str:
    """A reason's name sized for a table cell or a card line."""
    if r is None:
        return ""
    return SHORT_TITLES.get(r.code) or reason_title(r)


def problem_cell(device: DeviceView) -> str:
    reasons = device.reasons
    if not reasons:
        return ""
    more = f" +{len(reasons) - 1}" if len(reasons) > 1 else ""
    return clip(short_title(reasons[0]), PROBLEM_WIDTH - len(more)) + more


def problem_line(device: DeviceView) -> str:
    """The selected device's first reason in full, for the line under the table."""
    reasons = device.reasons
    text = reasons[0].message if reasons else "ready"
    more = f"  (+{len(reasons) - 1} more: Enter)" if len(reasons) > 1 else ""
    return f"{device.name}: {text}{more}"


def device_cells(device: DeviceView, now: float) -> dict[str, str]:
    """Every column of one device's row, keyed like DEVICE_COLUMNS."""
    facts = device.facts
    return {
        "device": device.name,
        "room": room_of(device),
        "verdict": verdict_label(device.verdict),
        "battery": battery_cell(device),
        "app": app_text(facts.apps if facts else ()),
        "latency": latency_text(facts.network if facts else None),
        "seen": age(device.last_seen, now),
        "problem": problem_cell(device),
    }


def searchable(device: DeviceView) -> str:
    """The text `/` matches: names, room, verdict and every reason, lower-cased."""
    parts = [
        device.id,
        device.hostname or "",
        room_of(device),
        device.asset_tag or "",
        verdict_label(device.verdict),
    ]
    for r in device.reasons:
        parts += [r.code, r.message]
    return " ".join(parts).lower()


# --- events -----------------------------------------------------------------------------------


def is_notable(event: EventView) -> bool:
    """What the Incidents log shows: devices turning not ready or offline, duplicate identities,
    and every network watch event (its failures and, as the all-clear, its recoveries)."""
    kind = event.kind
    if kind == "identity.duplicate" or kind.startswith("net."):
        return True
    data = event_data(event)
    return isinstance(data, VerdictChanged) and data.status in NOTABLE_STATUSES


def event_text(event: EventView) -> str:
    """One event in plain words, without its time or device."""
    data = event_data(event)
    if isinstance(data, NetworkNoted) and data.text:
        return data.text  # the hub words it: "sw-1 port Gi0/12 down"
    if isinstance(data, VerdictChanged):
        text = f"now {verdict_label(data.status)}"
        text += f" (was {verdict_label(data.was)})" if data.was else ""
        return f"{text}: {', '.join(data.reasons)}" if data.reasons else text
    if isinstance(data, Connected):
        return f"connected from {data.peer or '?'}"
    if isinstance(data, Disconnected):
        return "disconnected" + (f" ({data.why})" if data.why else "")
    if isinstance(data, DuplicateIdentity):
        return "duplicate identity: " + ", ".join(data.peers)
    if isinstance(data, SpoolDropped):
        return f"agent dropped {data.count} spooled reports"
    if isinstance(data, CommandResult):
        return f"command {'succeeded' if data.ok else 'failed'}"
    return event.kind


def event_tone(event: EventView) -> str | None:
    """The verdict whose colour an event is logged in (None: plain)."""
    if event.kind.startswith("net."):
        return NET_EVENT_TONE.get(event.kind, "warning")
    data = event_data(event)
    return data.status if isinstance(data, VerdictChanged) else None


def event_line(event: EventView, who: str, tz: tzinfo | None) -> str:
    room = event.room or "-"
    return f"{hms(event.ts, tz)}  {room:<8} {who:<14} {event_text(event)}"
