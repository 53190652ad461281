"""Provides the device detail's words: every fact grouped, reasons with their units."""

from __future__ import annotations

from testday_agent.protocol import AgentFacts, AppFacts, BatteryFacts, NetworkFacts, SystemFacts

from testday.console_protocol.device_views import DeviceView, Measure, ReasonView
from testday.core.presentation import duration
from testday.tui.formatting import reason_title

_UNITS = {"battery": " %", "disk": " MB", "memory": " MB", "endpoint.slow": " ms"}
_SECONDS = ("device.offline", "device.late", "clock.skew")
Rows = list[tuple[str, str]]


def measure(code: str, value: Measure) -> str:
    """A reason's measured value or threshold with its unit: "20 min", "8 %", "1.12.0"."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return str(value)
    if code in _SECONDS:
        return duration(value)
    unit = _UNITS.get(code) or _UNITS.get(code.split(".")[0], "")
    return f"{value:g}{unit}"


def reason_lines(r: ReasonView) -> tuple[str, str]:
    """A reason as (headline, measured · threshold · runbook)."""
    facts = []
    if r.value is not None:
        # A forecast's value is not measured: it is the charge expected when the test ends.
        label = "expected at the end" if r.code == "battery.forecast" else "measured"
        facts.append(f"{label} {measure(r.code, r.value)}")
    if r.threshold is not None:
        facts.append(f"threshold {measure(r.code, r.threshold)}")
    facts.append(f"runbook {r.runbook or '?'}")
    return f"{reason_title(r)} — {r.message}", " · ".join(facts)


def _yes(value: bool | None) -> str:
    return "?" if value is None else ("yes" if value else "no")


def _num(value: float | None, unit: str = "", digits: int = 0) -> str:
    return "?" if value is None else f"{value:,.{digits}f}{unit}"


def fact_groups(device: DeviceView) -> dict[str, Rows]:
    """Every fact the device reported, grouped: battery, apps, network, system, agent."""
    facts = device.facts
    if facts is None:
        return {
            "battery": [("battery", "not reported")],
            "apps": [("apps", "none checked")],
            "network": [("network", "not reported")],
            "system": [("system", "not reported")],
            "agent": _agent(device, None, {}),
        }
    return {
        "battery": _battery(facts.battery),
        "apps": _apps(facts.apps),
        "network": _network(facts.network),
        "system": _system(facts.system),
        "agent": _agent(device, facts.agent, facts.errors),
    }


def _battery(b: BatteryFacts | None) -> Rows:
    if b is None:
        return [("battery", "not reported")]
    return [
        ("present", _yes(b.present)),
        ("charge", _num(b.percent, " %")),
        ("on AC", _yes(b.plugged)),
        ("OS estimate", _num(b.minutes_left, " min")),
    ]


def _apps(apps: list[AppFacts]) -> Rows:
    rows = []
    for app in apps:
        state = (app.version or "version ?") if app.installed else "not installed"
        if app.running is not None:
            state += ", running" if app.running else ", not running"
        rows.append((app.name, state))
        if app.source:
            rows.append(("  found at", app.source))  # to check by hand at the machine
    return rows or [("apps", "none checked")]


def _system(s: SystemFacts | None) -> Rows:
    if s is None:
        return [("system", "not reported")]
    disk = _num(s.disk_free_mb, " MB free")
    memory = _num(s.memory_available_mb, " MB free")
    return [
        ("OS", f"{s.os_family} {s.os_version}".strip()),
        ("hostname", s.hostname or "?"),
        ("uptime", duration(s.uptime_s) if s.uptime_s is not None else "?"),
        ("disk", disk + (f" on {s.disk_path}" if s.disk_path else "")),
        ("memory", memory + f" of {_num(s.memory_total_mb, ' MB')}"),
        ("CPU", f"{_num(s.cpu_percent, ' %')}, load {_num(s.load1, '', 2)}"),
    ]


def _agent(device: DeviceView, a: AgentFacts | None, errors: dict[str, str]) -> Rows:
    skew, seq = device.clock_skew_s, device.last_seq
    queued, dropped = (a.spool_depth, a.spool_dropped) if a else (0, 0)
    rows = [
        ("version", (a.version if a else None) or device.agent_version or "?"),
        ("memory", _num(a.rss_mb if a else None, " MB", 1)),
        ("CPU", _num(a.cpu_percent if a else None, " %", 1)),
        ("collect", _num(a.collect_ms if a else None, " ms")),
        ("spool", f"{queued} queued, {dropped} dropped"),
        ("clock skew", "?" if skew is None else f"{skew:+.1f} s"),
        ("last seq", "?" if seq is None else str(seq)),
    ]
    return rows + [(f"error: {k}", v) for k, v in sorted(errors.items())]


def _network(n: NetworkFacts | None) -> Rows:
    if n is None:
        return [("network", "not reported")]
    rows = [
        ("interface", f"{n.interface or '?'} ({n.kind or '?'})"),
        ("IPv4", n.ipv4 or "?"),
        ("gateway", n.gateway or "?"),
    ]
    if n.wifi_signal_percent is not None:
        rows.append(("Wi-Fi signal", _num(n.wifi_signal_percent, " %")))
    for d in n.dns:
        found = ", ".join(d.addresses)
        if d.ok:
            answer = _num(d.ms, " ms") + (f" → {found}" if found else "")
        else:
            answer = f"fails: {d.error or '?'}"
        rows.append((f"DNS {d.host}", answer))
    for e in n.endpoints:
        ok = _num(e.connect_ms, " ms") if e.ok else (e.error or "down")
        rows.append((f"{e.name} {e.host}:{e.port}", ok))
    return rows
