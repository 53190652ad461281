"""Provides the hub's counters and their Prometheus text rendering for GET /metrics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from testday.core.fleet import Device


class HubMetrics:
    """Counters the hub increments as it works; rendered on demand."""

    def __init__(self) -> None:
        self.reports_received = 0
        self.history_reports_received = 0
        self.frames_rejected: Counter[str] = Counter()  # reason → count
        self.handshakes_rejected: Counter[str] = Counter()
        self.connections_closed: Counter[str] = Counter()  # close reason → count
        self.spool_drops_reported = 0

    def render(self, devices: Iterable[Device], connected: int, store: dict[str, float]) -> str:
        lines: list[str] = []

        def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
            lines.append(f"# HELP {name} {help_text}")
            lines.append(f"# TYPE {name} {kind}")
            for labels, value in samples:
                lines.append(f"{name}{labels} {value:g}")

        metric("testday_agents_connected", "gauge", "Agents connected now.", [("", connected)])
        metric(
            "testday_reports_received_total",
            "counter",
            "Live reports received from agents.",
            [("", self.reports_received)],
        )
        metric(
            "testday_history_reports_received_total",
            "counter",
            "Spooled reports replayed by agents after an outage.",
            [("", self.history_reports_received)],
        )
        metric(
            "testday_frames_rejected_total",
            "counter",
            "Agent frames refused, by reason.",
            _labelled("reason", self.frames_rejected),
        )
        metric(
            "testday_handshakes_rejected_total",
            "counter",
            "Connection attempts refused before any frame, by reason.",
            _labelled("reason", self.handshakes_rejected),
        )
        metric(
            "testday_agent_spool_drops_total",
            "counter",
            "Reports agents dropped from a full offline spool.",
            [("", self.spool_drops_reported)],
        )
        verdicts: Counter[tuple[str, str]] = Counter()
        for device in devices:
            status = device.verdict.status if device.verdict else "offline"
            verdicts[(device.room or "", status)] += 1
        metric(
            "testday_devices",
            "gauge",
            "Devices per room and verdict.",
            [
                (f'{{room="{_escape(room)}",verdict="{status}"}}', count)
                for (room, status), count in sorted(verdicts.items())
            ],
        )
        for name, value in sorted(store.items()):
            metric(f"testday_store_{name}", "gauge", f"Store writer: {name}.", [("", value)])
        return "\n".join(lines) + "\n"


def _labelled(label: str, counter: Counter[str]) -> list[tuple[str, float]]:
    return [(f'{{{label}="{_escape(key)}"}}', value) for key, value in sorted(counter.items())]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
