"""Provides the device detail's words: every fact grouped, reasons with their units."""

from __future__ import annotations

from typing import Any

from testday.console_client.messages import DeviceDict
from testday.core.reasons import duration
from testday.tui.formatting import reason_title

_UNITS = {"battery": " %", "disk": " MB", "memory": " MB", "endpoint.slow": " ms"}
_SECONDS = ("device.offline", "device.late", "clock.skew")


def measure(code: str, value: Any) -> str:
    """A reason's measured value or threshold with its unit: "20 min", "8 %", "1.12.0"."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return ", ".join(value) if isinstance(value, list) else str(value)
    if code in _SECONDS:
        return duration(value)
    unit = _UNITS.get(code) or _UNITS.get(code.split(".")[0], "")
    return f"{value:g}{unit}"


def reason_lines(r: dict[str, Any]) -> tuple[str, str]:
    """A reason as (headline, measured · threshold · runbook)."""
    code = r.get("code", "")
    facts = []
    if r.get("value") is not None:
        # A forecast's value is not measured: it is the charge expected when the test ends.
        label = "expected at the end" if code == "battery.forecast" else "measured"
        facts.append(f"{label} {measure(code, r['value'])}")
    if r.get("threshold") is not None:
        facts.append(f"threshold {measure(code, r['threshold'])}")
    facts.append(f"runbook {r.get('runbook', '?')}")
    return f"{reason_title(r)} — {r.get('message', '')}", " · ".join(facts)


def _yes(value: Any) -> str:
    return "?" if value is None else ("yes" if value else "no")


def _num(value: Any, unit: str = "", digits: int = 0) -> str:
    return "?" if value is None else f"{value:,.{digits}f}{unit}"


def fact_groups(device: DeviceDict) -> dict[str, list[tuple[str, str]]]:
    """Every fact the device reported, grouped: battery, apps, network, system, agent."""
    facts = device.get("facts") or {}
    b = facts.get("battery")
    battery = [
        ("present", _yes(b.get("present"))),
        ("charge", _num(b.get("percent"), " %")),
        ("on AC", _yes(b.get("plugged"))),
        ("OS estimate", _num(b.get("minutes_left"), " min")),
    ]
    return {
        "battery": battery if b else [("battery", "not reported")],
        "apps": _apps(facts.get("apps") or []),
        "network": _network(facts.get("network")),
        "system": _system(facts.get("system")),
        "agent": _agent(device, facts),
    }


def _apps(apps: list[dict[str, Any]]) -> list[tuple[str, str]]:
    rows = []
    for app in apps:
        state = (app.get("version") or "version ?") if app.get("installed") else "not installed"
        if app.get("running") is not None:
            state += ", running" if app["running"] else ", not running"
        rows.append((app.get("name", "?"), state))
        if app.get("source"):
            rows.append(("  found at", app["source"]))  # to check by hand at the machine
    return rows or [("apps", "none checked")]


def _system(s: dict[str, Any] | None) -> list[tuple[str, str]]:
    if not s:
        return [("system", "not reported")]
    disk = _num(s.get("disk_free_mb"), " MB free")
    memory = _num(s.get("memory_available_mb"), " MB free")
    return [
        ("OS", f"{s.get('os_family', '?')} {s.get('os_version', '')}".strip()),
        ("hostname", s.get("hostname") or "?"),
        ("uptime", duration(s["uptime_s"]) if s.get("uptime_s") is not None else "?"),
        ("disk", disk + (f" on {s['disk_path']}" if s.get("disk_path") else "")),
        ("memory", memory + f" of {_num(s.get('memory_total_mb'), ' MB')}"),
        ("CPU", f"{_num(s.get('cpu_percent'), ' %')}, load {_num(s.get('load1'), '', 2)}"),
    ]


def _agent(device: DeviceDict, facts: dict[str, Any]) -> list[tuple[str, str]]:
    a = facts.get("agent") or {}
    skew = device.get("clock_skew_s")
    seq = device.get("last_seq")
    rows = [
        ("version", a.get("version") or device.get("agent_version") or "?"),
        ("memory", _num(a.get("rss_mb"), " MB", 1)),
        ("CPU", _num(a.get("cpu_percent"), " %", 1)),
        ("collect", _num(a.get("collect_ms"), " ms")),
        ("spool", f"{a.get('spool_depth', 0)} queued, {a.get('spool_dropped', 0)} dropped"),
        ("clock skew", "?" if skew is None else f"{skew:+.1f} s"),
        ("last seq", "?" if seq is None else str(seq)),
    ]
    return rows + [(f"error: {k}", v) for k, v in sorted((facts.get("errors") or {}).items())]


def _network(n: dict[str, Any] | None) -> list[tuple[str, str]]:
    if not n:
        return [("network", "not reported")]
    rows = [
        ("interface", f"{n.get('interface') or '?'} ({n.get('kind') or '?'})"),
        ("IPv4", n.get("ipv4") or "?"),
        ("gateway", n.get("gateway") or "?"),
    ]
    if n.get("wifi_signal_percent") is not None:
        rows.append(("Wi-Fi signal", _num(n["wifi_signal_percent"], " %")))
    for d in n.get("dns") or []:
        found = ", ".join(d.get("addresses") or [])
        if d.get("ok"):
            answer = _num(d.get("ms"), " ms") + (f" → {found}" if found else "")
        else:
            answer = f"fails: {d.get('error') or '?'}"
        rows.append((f"DNS {d['host']}", answer))
    for e in n.get("endpoints") or []:
        ok = _num(e.get("connect_ms"), " ms") if e.get("ok") else (e.get("error") or "down")
        rows.append((f"{e.get('name')} {e.get('host')}:{e.get('port')}", ok))
    return rows
