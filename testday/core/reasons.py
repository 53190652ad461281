"""Provides readiness reasons: the catalogue of stable codes (runbook, title) and the Reason record.

Codes are part of the product's interface (stored verdicts, runbook front matter, exports): add new
ones, never rename. A runbook id is the file name of ``runbooks/<id>.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Severity = Literal["warning", "not_ready", "offline"]
Status = Literal["ready", "warning", "not_ready", "offline"]

# Worst first; a verdict's status is its worst reason's severity.
SEVERITY_RANK: Mapping[str, int] = MappingProxyType(
    {"offline": 3, "not_ready": 2, "warning": 1, "ready": 0}
)


@dataclass(frozen=True)
class ReasonSpec:
    runbook: str
    title: str


def _spec(runbook: str, title: str) -> ReasonSpec:
    return ReasonSpec(runbook, title)


REASONS: Mapping[str, ReasonSpec] = MappingProxyType(
    {
        "device.offline": _spec("device-offline", "Device offline"),
        "device.late": _spec("device-late", "Reports are late"),
        "device.unreported": _spec("device-unreported", "Connected, no report yet"),
        "identity.duplicate": _spec("duplicate-identity", "Two devices share one identity"),
        "battery.critical": _spec("battery-critical", "Battery critical"),
        "battery.low": _spec("battery-low", "Battery low"),
        "battery.forecast": _spec("battery-will-not-last", "Battery will not last the test"),
        "app.missing": _spec("kiosk-app-missing", "Testing app not installed"),
        "app.outdated": _spec("kiosk-app-outdated", "Testing app outdated"),
        "app.version_unknown": _spec("kiosk-app-version-unknown", "Testing app version unknown"),
        "os.unsupported": _spec("os-unsupported", "Operating system not supported"),
        "os.version_unknown": _spec("os-version-unknown", "Operating system version unknown"),
        "network.down": _spec("network-down", "No network connection"),
        "dns.failed": _spec("dns-failed", "Name lookup fails"),
        "endpoint.unreachable": _spec("endpoint-unreachable", "Testing service unreachable"),
        "endpoint.slow": _spec("endpoint-slow", "Testing service slow to answer"),
        "clock.skew": _spec("clock-skew", "Device clock is wrong"),
        "disk.low": _spec("disk-low", "Disk nearly full"),
        "memory.low": _spec("memory-low", "Memory nearly exhausted"),
        "collector.failed": _spec("collector-failed", "A check could not run"),
        "hub.error": _spec("hub-error", "The hub could not judge this device"),
    }
)


@dataclass(frozen=True)
class Reason:
    """Why a device is not ready: a stable code, a sentence for a proctor, what was measured."""

    code: str
    severity: Severity
    message: str
    value: str | float | None
    threshold: str | float | None
    runbook: str


def make_reason(
    code: str,
    severity: Severity,
    message: str,
    value: str | float | None = None,
    threshold: str | float | None = None,
) -> Reason:
    """A Reason with its runbook looked up; an unknown code is a bug, so it raises KeyError."""
    return Reason(code, severity, message, value, threshold, REASONS[code].runbook)
