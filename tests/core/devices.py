"""Provides readiness test fixtures: a test profile, a healthy device's facts and builders."""

from __future__ import annotations

from datetime import UTC

import msgspec
from testday_agent.protocol import (
    AppFacts,
    BatteryFacts,
    DnsResult,
    EndpointResult,
    Facts,
    NetworkFacts,
    SystemFacts,
)

from testday.core.profile import Profile, parse_profile
from testday.core.readiness import Observed, Verdict, evaluate

NOW = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC

PROFILE_TOML = """
id = "test-platform"
name = "Test Platform"
vendor = "Testco"
typical_test_minutes = 60

[battery]
warn_percent = 40
critical_percent = 10
floor_percent = 20

[clock]
warn_skew_s = 60
not_ready_skew_s = 300

[disk]
min_free_mb = 500

[memory]
min_available_mb = 256

[network]
hosts = ["tests.example.org"]
slow_connect_ms = 500

[[network.endpoints]]
name = "Delivery"
host = "tests.example.org"

[[network.endpoints]]
name = "Cache"
host = "cache.lan"
port = 4480
required = false

[os.windows]
min_version = "10.0.19045"
warn_below = "10.0.22631"

[os.chromeos]
min_version = "116"
excluded = ["131"]

[os.macos]
min_version = "14"

[[apps]]
name = "TestApp"
min_version = "1.13.2"

[apps.detect.windows]
paths = ['C:\\Program Files\\TestApp\\TestApp.exe']

[apps.detect.macos]
bundle = "/Applications/TestApp.app"
"""

PROFILE: Profile = parse_profile(PROFILE_TOML, "test-platform.toml")


def healthy() -> Facts:
    """A Windows 11 laptop with nothing wrong."""
    return Facts(
        battery=BatteryFacts(present=True, percent=95.0, plugged=False),
        apps=[AppFacts(name="TestApp", installed=True, version="1.14.0")],
        network=NetworkFacts(
            interface="eth0",
            kind="wired",
            ipv4="10.0.0.5",
            gateway="10.0.0.1",
            dns=[
                DnsResult(host="tests.example.org", ok=True, ms=3.0),
                DnsResult(host="cache.lan", ok=True, ms=1.0),
            ],
            endpoints=[
                EndpointResult(
                    name="Delivery", host="tests.example.org", port=443, ok=True, connect_ms=40
                ),
                EndpointResult(name="Cache", host="cache.lan", port=4480, ok=True, connect_ms=2),
            ],
        ),
        system=SystemFacts(
            os_family="windows",
            os_version="10.0.22631 (Windows 11 Education)",
            hostname="lab-01",
            disk_free_mb=20_000,
            memory_available_mb=4_000,
        ),
    )


def with_(facts: Facts, **parts: object) -> Facts:
    """A copy of facts with top-level parts replaced."""
    return msgspec.structs.replace(facts, **parts)


def system(**changes: object) -> SystemFacts:
    return msgspec.structs.replace(healthy().system, **changes)


def network(**changes: object) -> NetworkFacts:
    return msgspec.structs.replace(healthy().network, **changes)


def observe(facts: Facts | None = None, **kw: object) -> Observed:
    defaults: dict[str, object] = {"presence": "online", "last_seen": NOW - 5}
    defaults.update(kw)
    return Observed(facts=healthy() if facts is None else facts, **defaults)  # type: ignore[arg-type]


def judge(observed: Observed, profile: Profile = PROFILE) -> Verdict:
    return evaluate(profile, observed, NOW, tz=UTC)


def drain(start: float, per_min: float, minutes: int = 10) -> tuple[tuple[float, float, bool], ...]:
    """Unplugged samples every 30 s ending at NOW at ``start`` %, losing per_min %/min."""
    n = minutes * 2 + 1
    return tuple(
        (NOW - (n - 1 - i) * 30, start + per_min * (n - 1 - i) / 2, False) for i in range(n)
    )


def battery_at(percent: float, **kw: object) -> Facts:
    return with_(healthy(), battery=BatteryFacts(present=True, percent=percent, **kw))


def failed_lookup() -> NetworkFacts:
    return network(
        dns=[DnsResult(host="tests.example.org", ok=False, error="NXDOMAIN")],
        endpoints=[
            EndpointResult(name="Delivery", host="tests.example.org", port=443, ok=False),
            EndpointResult(name="Cache", host="cache.lan", port=4480, ok=True, connect_ms=2),
        ],
    )


def endpoint_down(name: str) -> NetworkFacts:
    results = [
        msgspec.structs.replace(r, ok=False, connect_ms=None, error="connection refused")
        if r.name == name
        else r
        for r in healthy().network.endpoints
    ]
    return network(endpoints=results)
