"""Provides the per-fact readiness checks: battery, operating system, resources, apps, network."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import tzinfo

from testday_agent.protocol import Facts, SystemFacts

from testday.core.battery_forecast import forecast
from testday.core.presentation import hhmm, megabytes
from testday.core.profile import Profile
from testday.core.reasons import Reason, Severity, make_reason
from testday.core.versions import VersionError, at_least, matches, parse_version

_OS_LABEL = {"windows": "Windows", "macos": "macOS", "linux": "Linux", "chromeos": "ChromeOS"}


def check_facts(
    profile: Profile,
    facts: Facts,
    samples: Sequence[tuple[float, float, bool]],
    reported_at: float,
    until: float,
    now: float,
    tz: tzinfo | None,
) -> Iterator[Reason]:
    """Every reason one report's facts give; ``until`` is when the battery must last to."""
    yield from battery(profile, facts, samples, reported_at, until, now, tz)
    if facts.system is not None:
        yield from operating_system(profile, facts.system)
        yield from resources(profile, facts.system)
    yield from apps(profile, facts)
    yield from network(profile, facts)
    for name, error in sorted(facts.errors.items()):
        msg = f"The agent could not check {name}: {error}"
        yield make_reason("collector.failed", "warning", msg, name)


def battery(
    profile: Profile,
    facts: Facts,
    samples: Sequence[tuple[float, float, bool]],
    reported_at: float,
    until: float,
    now: float,
    tz: tzinfo | None,
) -> Iterator[Reason]:
    b = facts.battery
    # On AC power, or no battery at all (a desktop): nothing to judge.
    if b is None or not b.present or b.plugged or b.percent is None:
        return
    limits, percent = profile.battery, b.percent
    if percent <= limits.critical_percent:
        msg = f"Battery at {percent:.0f} % (critical at {limits.critical_percent} %) — plug in now"
        yield make_reason("battery.critical", "not_ready", msg, percent, limits.critical_percent)
        return  # "plug in now" is said; a forecast would only repeat it
    if percent <= limits.warn_percent:
        msg = (
            f"Battery at {percent:.0f} % (low at {limits.warn_percent} %) — plug in before testing"
        )
        yield make_reason("battery.low", "warning", msg, percent, limits.warn_percent)
    # The samples should hold the latest report; if the hub kept none, that report is the sample.
    fc = forecast(samples or ((reported_at, percent, False),), now, until, b.minutes_left)
    if fc is None:
        return
    empty_at, end = fc.when_it_hits(0), round(fc.percent_at_end, 1)
    if empty_at is not None and empty_at < until:
        msg = (
            f"Battery will run out around {hhmm(empty_at, tz)}, before the test ends at "
            f"{hhmm(until, tz)} — plug in now"
        )
        yield make_reason("battery.forecast", "not_ready", msg, end, limits.floor_percent)
    elif fc.percent_at_end < limits.floor_percent:
        msg = f"Battery will reach {fc.percent_at_end:.0f} % by {hhmm(until, tz)} — plug in now"
        yield make_reason("battery.forecast", "warning", msg, end, limits.floor_percent)


def operating_system(profile: Profile, system: SystemFacts) -> Iterator[Reason]:
    if not profile.os.items():
        return  # the profile states no OS requirements at all
    label = _OS_LABEL.get(system.os_family, "This operating system")
    rule, version = profile.os.get(system.os_family), system.os_version
    if rule is None:
        msg = f"{profile.name} lists no requirements for {label} — check the vendor supports it"
        yield make_reason("os.unsupported", "warning", msg, system.os_family)
        return
    if system.os_family == "chromeos" and _is_platform_version(version):
        # 16063.45.2 would pass any milestone minimum and never match an excluded "131".
        msg = (
            f"ChromeOS reported platform version {version!r}, not the Chrome milestone "
            f"{profile.name}'s rules use — check the version by hand"
        )
        yield make_reason("os.version_unknown", "warning", msg, version, rule.min_version)
        return
    for excluded in rule.excluded:
        if matches(version, excluded):
            msg = f"{label} {version} is a version {profile.name} does not support — update it"
            yield make_reason("os.unsupported", "not_ready", msg, version, excluded)
            return
    checks: tuple[tuple[str | None, Severity], ...] = (
        (rule.min_version, "not_ready"),
        (rule.warn_below, "warning"),
    )
    for minimum, severity in checks:
        if minimum is None:
            continue
        ok = at_least(version, minimum)
        if ok is None:
            msg = f"Could not compare {label} version {version!r} with {minimum} — check by hand"
            yield make_reason("os.version_unknown", "warning", msg, version, minimum)
            return
        if not ok:
            advice = (
                f"the {minimum} {profile.name} requires — update it before testing"
                if severity == "not_ready"
                else f"{minimum}, outside {profile.name}'s support — update it when you can"
            )
            msg = f"{label} {version} is older than {advice}"
            yield make_reason("os.unsupported", severity, msg, version, minimum)
            return


def _is_platform_version(version: str) -> bool:
    """ChromeOS platform versions start in the thousands; Chrome milestones are below 1000."""
    try:
        return parse_version(version).parts[0] >= 1000
    except VersionError:
        return False


def resources(profile: Profile, system: SystemFacts) -> Iterator[Reason]:
    free, need = system.disk_free_mb, profile.disk.min_free_mb
    if free is not None and free < need:
        where = f" on {system.disk_path}" if system.disk_path else ""
        msg = (
            f"Only {megabytes(free)} free{where} (needs {megabytes(need)}) — "
            "free space so answers can be saved"
        )
        yield make_reason("disk.low", "not_ready", msg, free, need)
    avail, want = system.memory_available_mb, profile.memory.min_available_mb
    if avail is not None and avail < want:
        msg = (
            f"Only {megabytes(avail)} of memory free (wants {megabytes(want)}) — "
            "close other apps or restart"
        )
        yield make_reason("memory.low", "warning", msg, avail, want)


def apps(profile: Profile, facts: Facts) -> Iterator[Reason]:
    if "apps" in facts.errors:
        return  # the collector failed: collector.failed says so, "missing" would be a guess
    family = facts.system.os_family if facts.system else None
    found = {a.name: a for a in facts.apps}
    for app in profile.apps:
        if family is not None and app.detect.get(family) is None:
            continue  # the vendor ships nothing to detect on this OS
        if family is None and app.name not in found:
            continue  # OS unknown: judge only what the agent reported
        minimum = app.min_version_for(family)
        fact = found.get(app.name)
        if fact is None or not fact.installed:
            msg = f"Testing app {app.name} is not installed here — install it before testing"
            yield make_reason("app.missing", "not_ready", msg, None, minimum)
            continue
        if minimum is None:
            continue
        ok = None if fact.version is None else at_least(fact.version, minimum)
        if ok is None:
            msg = f"Could not read the version of {app.name} — check it is {minimum} or newer"
            yield make_reason("app.version_unknown", "warning", msg, fact.version, minimum)
        elif not ok:
            msg = (
                f"Testing app {app.name} {fact.version} is older than the required {minimum} — "
                "update it before testing"
            )
            yield make_reason("app.outdated", "not_ready", msg, fact.version, minimum)


def network(profile: Profile, facts: Facts) -> Iterator[Reason]:
    net = facts.network
    if net is None:
        return
    if not net.interface:
        missing = "no network interface is up"
    elif not net.ipv4:
        missing = "no IPv4 address"
    elif not net.gateway:
        missing = "no default gateway"
    else:
        missing = ""
    if missing:
        # Every lookup and connect fails too; listing them would bury the cause.
        msg = f"No network connection: {missing} — check the cable or Wi-Fi"
        yield make_reason("network.down", "not_ready", msg, missing)
        return
    spec = profile.network
    wanted = set(spec.hosts) | {e.host for e in spec.endpoints}
    unresolved: set[str] = set()
    for lookup in net.dns:
        if lookup.host in wanted and not lookup.ok:
            unresolved.add(lookup.host)
            why = f" ({lookup.error})" if lookup.error else ""
            msg = f"Cannot look up {lookup.host}{why} — check DNS and the web filter's allow-list"
            yield make_reason("dns.failed", "not_ready", msg, lookup.host)
    endpoints = {e.name: e for e in spec.endpoints}
    for r in net.endpoints:
        e = endpoints.get(r.name)
        if e is None or (not r.ok and r.host in unresolved):
            continue  # not ours, or already explained by the failed lookup
        target = f"{e.name} ({r.host}:{r.port})"
        if not r.ok:
            why = f": {r.error}" if r.error else ""
            msg = f"Cannot reach {target}{why} — check the firewall and proxy allow-lists"
            severity: Severity = "not_ready" if e.required else "warning"
            value = r.error or "unreachable"
            yield make_reason("endpoint.unreachable", severity, msg, value, f"{r.host}:{r.port}")
        elif r.connect_ms is not None and r.connect_ms > spec.slow_connect_ms:
            msg = (
                f"{target} took {r.connect_ms:.0f} ms to answer (slow above "
                f"{spec.slow_connect_ms:.0f} ms) — the network may be congested"
            )
            ms = round(r.connect_ms, 1)
            yield make_reason("endpoint.slow", "warning", msg, ms, spec.slow_connect_ms)
