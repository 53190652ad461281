"""Tests the readiness engine's rules: ordering, suppression, battery, messages and fields."""

from __future__ import annotations

from dataclasses import asdict, replace

import msgspec
import pytest
from testday_agent.protocol import AppFacts, BatteryFacts

from testday.core.profile import parse_profile
from testday.core.readiness import Reason

from .devices import (
    NOW,
    battery_at,
    drain,
    failed_lookup,
    healthy,
    judge,
    observe,
    system,
    with_,
)


def test_reasons_are_worst_first() -> None:
    """Status is the worst reason; reasons are ordered offline > not_ready > warning."""
    facts = with_(battery_at(35), system=system(memory_available_mb=10.0, disk_free_mb=1.0))
    verdict = judge(observe(facts, presence="late", last_seen=NOW - 40))
    severities = [r.severity for r in verdict.reasons]
    assert verdict.status == "not_ready"
    assert severities == sorted(severities, key=["not_ready", "warning"].index)
    assert {"disk.low", "battery.low", "memory.low", "device.late"} <= {
        r.code for r in verdict.reasons
    }


def test_offline_shows_only_offline_with_last_battery() -> None:
    """An offline device's stale facts raise nothing else; a last low battery is mentioned."""
    verdict = judge(observe(battery_at(4), presence="offline", last_seen=NOW - 600))
    assert [r.code for r in verdict.reasons] == ["device.offline"]
    assert verdict.status == "offline"
    assert "since 07:50" in verdict.reasons[0].message
    assert "4 %" in verdict.reasons[0].message
    assert verdict.reasons[0].value == pytest.approx(600)
    full = judge(observe(battery_at(90), presence="offline", last_seen=NOW - 600))
    assert "battery" not in full.reasons[0].message


def test_plugged_in_is_never_battery_flagged() -> None:
    """On AC power even 3 % and a steep drain history raise no battery reason."""
    facts = battery_at(3, plugged=True)
    verdict = judge(observe(facts, battery_samples=drain(3, 2.0)))
    assert verdict.status == "ready"


def test_no_battery_is_fine() -> None:
    """A desktop without a battery is ready."""
    facts = with_(healthy(), battery=BatteryFacts(present=False))
    assert judge(observe(facts)).status == "ready"


def test_battery_low_carries_value_and_threshold() -> None:
    """battery.low reports the measured percent and the profile's threshold."""
    (reason,) = judge(observe(battery_at(35))).reasons
    assert (reason.code, reason.value, reason.threshold) == ("battery.low", 35.0, 40)
    assert "35 %" in reason.message


def test_critical_battery_does_not_also_forecast() -> None:
    """A critical battery says "plug in now" once, not again as a forecast."""
    verdict = judge(observe(battery_at(8), battery_samples=drain(8, 1.0)))
    assert [r.code for r in verdict.reasons] == ["battery.critical"]


def test_forecast_messages_name_times() -> None:
    """Forecast messages give the percent and the test's end as local HH:MM."""
    warn = judge(observe(battery_at(70), battery_samples=drain(70, 1.0))).reasons[0]
    assert warn.message == "Battery will reach 10 % by 09:00 — plug in now"
    assert (warn.value, warn.threshold) == (10.0, 20)
    out = judge(observe(battery_at(80), battery_samples=drain(80, 2.0))).reasons[0]
    assert "run out around 08:40" in out.message
    assert "09:00" in out.message


def test_forecast_uses_must_last_until() -> None:
    """A drain that survives a 30-minute session is fine there but not for the default hour."""
    observed = observe(battery_at(70), battery_samples=drain(70, 1.0))
    assert judge(replace(observed, must_last_until=NOW + 1800)).status == "ready"
    assert judge(observed).status == "warning"


def test_forecast_falls_back_to_os_estimate() -> None:
    """With no usable samples, the OS's minutes-left estimate drives the forecast."""
    facts = with_(healthy(), battery=BatteryFacts(present=True, percent=50, minutes_left=30))
    verdict = judge(observe(facts))
    assert [(r.code, r.severity) for r in verdict.reasons] == [("battery.forecast", "not_ready")]


def test_app_outdated_message() -> None:
    """The outdated-app message names app, versions and the action, with value and threshold."""
    facts = with_(healthy(), apps=[AppFacts(name="TestApp", installed=True, version="1.12.0")])
    (reason,) = judge(observe(facts)).reasons
    assert reason.message == (
        "Testing app TestApp 1.12.0 is older than the required 1.13.2 — update it before testing"
    )
    assert (reason.value, reason.threshold, reason.runbook) == (
        "1.12.0",
        "1.13.2",
        "kiosk-app-outdated",
    )


def test_app_collector_failure_is_not_reported_missing() -> None:
    """When app detection failed, the engine says so instead of guessing "missing"."""
    facts = with_(healthy(), apps=[], errors={"apps": "permission denied"})
    codes = [r.code for r in judge(observe(facts)).reasons]
    assert codes == ["collector.failed"]


def test_app_without_rule_for_this_os_is_not_required() -> None:
    """An app with no detection rule for the device's OS is not demanded there."""
    facts = with_(
        healthy(), apps=[], system=system(os_family="chromeos", os_version="140.0.7339.1")
    )
    assert judge(observe(facts)).status == "ready"


def test_network_down_hides_dependent_failures() -> None:
    """With no IPv4 address, failed lookups and connects are not listed on top."""
    net = msgspec.structs.replace(failed_lookup(), ipv4=None)
    codes = [r.code for r in judge(observe(with_(healthy(), network=net))).reasons]
    assert codes == ["network.down"]


def test_failed_lookup_hides_its_endpoint() -> None:
    """A host that does not resolve is one reason, not also an unreachable endpoint."""
    codes = [r.code for r in judge(observe(with_(healthy(), network=failed_lookup()))).reasons]
    assert codes == ["dns.failed"]


def test_clock_skew_direction_and_threshold() -> None:
    """Skew says ahead or behind, and carries the threshold it crossed."""
    (ahead,) = judge(observe(clock_skew_s=120.0)).reasons
    (behind,) = judge(observe(clock_skew_s=-400.0)).reasons
    assert "ahead of" in ahead.message and ahead.threshold == 60
    assert "behind" in behind.message and behind.threshold == 300
    assert judge(observe(clock_skew_s=-30.0)).status == "ready"


def test_profile_without_os_rules_judges_no_os() -> None:
    """A profile listing no OS requirements accepts any OS and version."""
    bare = parse_profile('id = "bare"\nname = "Bare"\nvendor = "X"\n', "bare.toml")
    facts = with_(healthy(), system=system(os_family="other", os_version="???"))
    assert not [r for r in judge(observe(facts), bare).reasons if r.code.startswith("os.")]


def test_reason_round_trips_as_dict() -> None:
    """Reasons survive asdict → Reason(**d), as the store does."""
    reason = judge(observe(battery_at(35))).reasons[0]
    assert Reason(**asdict(reason)) == reason
