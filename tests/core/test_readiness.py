"""Tests the readiness engine's reason table: every code is raised, at its severity."""

from __future__ import annotations

import re

import pytest
from testday_agent.protocol import AppFacts, EndpointResult

from testday.core.readiness import REASONS, Observed, Verdict

from .devices import (
    NOW,
    battery_at,
    drain,
    endpoint_down,
    failed_lookup,
    healthy,
    judge,
    network,
    observe,
    system,
    with_,
)

# (case id, observed, the code it must raise, that reason's severity)
CASES: list[tuple[str, Observed, str, str]] = [
    ("offline", observe(presence="offline", last_seen=NOW - 600), "device.offline", "offline"),
    ("never-seen", observe(presence="offline", last_seen=None), "device.offline", "offline"),
    ("late", observe(presence="late", last_seen=NOW - 45), "device.late", "warning"),
    (
        "no-report-yet",
        Observed(facts=None, presence="online", last_seen=NOW),
        "device.unreported",
        "warning",
    ),
    ("duplicate", observe(duplicate_peers=("10.0.0.9",)), "identity.duplicate", "not_ready"),
    ("battery-critical", observe(battery_at(8)), "battery.critical", "not_ready"),
    ("battery-low", observe(battery_at(35)), "battery.low", "warning"),
    (
        "battery-runs-out",
        observe(battery_at(80), battery_samples=drain(80, 2.0)),
        "battery.forecast",
        "not_ready",
    ),
    (
        "battery-under-floor",
        observe(battery_at(70), battery_samples=drain(70, 1.0)),
        "battery.forecast",
        "warning",
    ),
    (
        "app-not-installed",
        observe(with_(healthy(), apps=[AppFacts(name="TestApp", installed=False)])),
        "app.missing",
        "not_ready",
    ),
    ("app-not-reported", observe(with_(healthy(), apps=[])), "app.missing", "not_ready"),
    (
        "app-old",
        observe(
            with_(healthy(), apps=[AppFacts(name="TestApp", installed=True, version="1.12.0")])
        ),
        "app.outdated",
        "not_ready",
    ),
    (
        "app-version-unreadable",
        observe(with_(healthy(), apps=[AppFacts(name="TestApp", installed=True)])),
        "app.version_unknown",
        "warning",
    ),
    (
        "windows-below-min",
        observe(with_(healthy(), system=system(os_version="10.0.17763"))),
        "os.unsupported",
        "not_ready",
    ),
    (
        "windows-below-supported",
        observe(with_(healthy(), system=system(os_version="10.0.19045 (Windows 10 Pro)"))),
        "os.unsupported",
        "warning",
    ),
    (
        "chromeos-excluded",
        observe(with_(healthy(), system=system(os_family="chromeos", os_version="131.0.6778"))),
        "os.unsupported",
        "not_ready",
    ),
    (
        "linux-unlisted",
        observe(with_(healthy(), system=system(os_family="linux", os_version="24.04, Ubuntu"))),
        "os.unsupported",
        "warning",
    ),
    (
        "windows-display-version",
        observe(with_(healthy(), system=system(os_version="23H2"))),
        "os.version_unknown",
        "warning",
    ),
    (
        "chromeos-platform-version",
        observe(with_(healthy(), system=system(os_family="chromeos", os_version="16063.45.2"))),
        "os.version_unknown",
        "warning",
    ),
    ("no-ipv4", observe(with_(healthy(), network=network(ipv4=None))), "network.down", "not_ready"),
    (
        "no-gateway",
        observe(with_(healthy(), network=network(gateway=None))),
        "network.down",
        "not_ready",
    ),
    ("dns", observe(with_(healthy(), network=failed_lookup())), "dns.failed", "not_ready"),
    (
        "delivery-down",
        observe(with_(healthy(), network=endpoint_down("Delivery"))),
        "endpoint.unreachable",
        "not_ready",
    ),
    (
        "optional-cache-down",
        observe(with_(healthy(), network=endpoint_down("Cache"))),
        "endpoint.unreachable",
        "warning",
    ),
    (
        "slow",
        observe(
            with_(
                healthy(),
                network=network(
                    endpoints=[
                        EndpointResult(
                            name="Delivery",
                            host="tests.example.org",
                            port=443,
                            ok=True,
                            connect_ms=900,
                        )
                    ]
                ),
            )
        ),
        "endpoint.slow",
        "warning",
    ),
    ("clock-ahead", observe(clock_skew_s=120.0), "clock.skew", "warning"),
    ("clock-way-behind", observe(clock_skew_s=-400.0), "clock.skew", "not_ready"),
    (
        "disk",
        observe(with_(healthy(), system=system(disk_free_mb=120.0, disk_path="C:\\Users\\s"))),
        "disk.low",
        "not_ready",
    ),
    (
        "memory",
        observe(with_(healthy(), system=system(memory_available_mb=100.0))),
        "memory.low",
        "warning",
    ),
    (
        "collector",
        observe(with_(healthy(), errors={"battery": "sensors_battery() failed"})),
        "collector.failed",
        "warning",
    ),
]


@pytest.mark.parametrize(("case", "observed", "code", "severity"), CASES, ids=[c[0] for c in CASES])
def test_case_raises_its_reason(case: str, observed: Observed, code: str, severity: str) -> None:
    """Each case raises its code at its severity, and the verdict is no better than that."""
    verdict = judge(observed)
    found = [r for r in verdict.reasons if r.code == code]
    assert found, f"{case}: {code} not in {[r.code for r in verdict.reasons]}"
    assert found[0].severity == severity
    rank = ["ready", "warning", "not_ready", "offline"]
    assert rank.index(verdict.status) >= rank.index(severity)


def test_every_reason_code_is_exercised() -> None:
    """The case table triggers every code in REASONS, and the engine emits no uncatalogued code
    (but hub.error, which the fleet gives when judging fails: test_fleet_judging.py)."""
    emitted = {r.code for _, observed, _, _ in CASES for r in judge(observed).reasons}
    assert emitted | {"hub.error"} == set(REASONS)


def test_healthy_device_is_ready() -> None:
    """A device with nothing wrong is ready, with no reasons."""
    assert judge(observe()) == Verdict("ready", ())


def test_runbooks_are_catalogued_kebab_case() -> None:
    """Every reason carries its catalogue runbook id, in kebab-case."""
    for _, observed, _, _ in CASES:
        for reason in judge(observed).reasons:
            assert reason.runbook == REASONS[reason.code].runbook
            assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", reason.runbook)
