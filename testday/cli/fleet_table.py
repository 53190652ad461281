"""Provides the plain-text fleet table printed by `testday devices` and `testday demo`."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence

from testday.console_client.fleet_order import sort_key
from testday.console_protocol.device_views import DeviceView
from testday.core.presentation import (
    VERDICTS,
    age,
    app_text,
    battery_text,
    latency_text,
    verdict_label,
)

COLUMNS = ("DEVICE", "ROOM", "VERDICT", "BATTERY", "APP", "LATENCY", "SEEN", "REASON")


def render_table(devices: Sequence[DeviceView], now: float | None = None) -> str:
    """Problems first, then by room and name; the first reason's sentence in the last column."""
    now = time.time() if now is None else now
    ordered = sorted(devices, key=sort_key)
    rows = [COLUMNS]
    for d in ordered:
        facts = d.facts
        rows.append(
            (
                d.name,
                d.room or "-",
                verdict_label(d.verdict),
                battery_text(facts.battery if facts else None),
                app_text(facts.apps if facts else ()),
                latency_text(facts.network if facts else None),
                age(d.last_seen, now),
                d.reasons[0].message if d.reasons else "",
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(COLUMNS) - 1)]
    lines = [
        "  ".join(str(cell).ljust(w) for cell, w in zip(row[:-1], widths, strict=True))
        + "  "
        + str(row[-1])
        for row in rows
    ]
    counts: Counter[str] = Counter(d.verdict for d in devices)
    summary = ", ".join(f"{counts[s]} {verdict_label(s)}" for s in VERDICTS if counts[s])
    lines.append(f"\n{len(devices)} devices: {summary or 'none'}")
    return "\n".join(line.rstrip() for line in lines)
