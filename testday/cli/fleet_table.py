"""Provides the plain-text fleet table printed by `testday devices` and `testday demo`."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

COLUMNS = ("DEVICE", "ROOM", "VERDICT", "BATTERY", "APP", "LATENCY", "SEEN", "REASON")
STATUS_ORDER = {"offline": 0, "not_ready": 1, "warning": 2, "ready": 3}


def _battery(facts: dict[str, Any] | None) -> str:
    battery = (facts or {}).get("battery")
    if not battery:
        return "?"
    if not battery.get("present"):
        return "none"
    percent = battery.get("percent")
    text = f"{percent:.0f}%" if percent is not None else "?"
    return text + (" AC" if battery.get("plugged") else "")


def _app(facts: dict[str, Any] | None) -> str:
    apps = (facts or {}).get("apps") or []
    if not apps:
        return "-"
    app = apps[0]
    if not app.get("installed"):
        return "missing"
    return str(app.get("version") or "?")


def _latency(facts: dict[str, Any] | None) -> str:
    endpoints = ((facts or {}).get("network") or {}).get("endpoints") or []
    times = [e["connect_ms"] for e in endpoints if e.get("ok") and e.get("connect_ms") is not None]
    if not endpoints:
        return "-"
    if not times:
        return "down"
    return f"{max(times):.0f}ms"


def _seen(last_seen: float | None, now: float) -> str:
    if last_seen is None:
        return "never"
    age = max(0.0, now - last_seen)
    if age < 90:
        return f"{age:.0f}s ago"
    if age < 5400:
        return f"{age / 60:.0f}m ago"
    return f"{age / 3600:.1f}h ago"


def render_table(devices: list[dict[str, Any]], now: float | None = None) -> str:
    """Problems first, then by room and name; the first reason's sentence in the last column."""
    now = time.time() if now is None else now
    ordered = sorted(
        devices,
        key=lambda d: (
            STATUS_ORDER.get(d["verdict"], 9),
            d.get("room") or "",
            d.get("hostname") or d["id"],
        ),
    )
    rows = [COLUMNS]
    for d in ordered:
        facts = d.get("facts")
        reason = d["reasons"][0]["message"] if d.get("reasons") else ""
        rows.append(
            (
                d.get("hostname") or d["id"],
                d.get("room") or "-",
                d["verdict"].replace("_", " "),
                _battery(facts),
                _app(facts),
                _latency(facts),
                _seen(d.get("last_seen"), now),
                reason,
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(COLUMNS) - 1)]
    lines = [
        "  ".join(str(cell).ljust(w) for cell, w in zip(row[:-1], widths, strict=True))
        + "  "
        + str(row[-1])
        for row in rows
    ]
    counts = Counter(d["verdict"] for d in devices)
    summary = ", ".join(f"{counts[s]} {s.replace('_', ' ')}" for s in STATUS_ORDER if counts[s])
    lines.append(f"\n{len(devices)} devices: {summary or 'none'}")
    return "\n".join(line.rstrip() for line in lines)
