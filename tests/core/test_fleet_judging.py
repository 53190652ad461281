"""Tests that a device the hub cannot judge is marked, and costs no other device anything."""

from __future__ import annotations

import pytest
from testday_agent.protocol import Hello

from testday.core.fleet import FleetState
from testday.core.profile import Profile
from tests.core.devices import NOW, PROFILE


def profile_for(room: str | None) -> Profile:
    if room == "broken":
        raise LookupError("no profile for room 'broken'")
    return PROFILE


def hello(device_id: str, room: str) -> Hello:
    return Hello(device_id=device_id, agent_version="test", os_family="linux", os_version="12",
                 hostname=device_id, room=room)  # fmt: skip


def test_a_failed_judgement_marks_that_device_and_no_other(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """hub.error names what failed; the connection stays counted; the tick goes on for all."""
    fleet = FleetState(profile_for, interval_s=1.0)
    events = fleet.connect(hello("dev-x", "broken"), "c1", "10.0.0.9:5", NOW)
    fleet.connect(hello("dev-ok", "112"), "c2", "10.0.0.8:5", NOW)
    broken = fleet.devices["dev-x"]
    assert broken.verdict is not None and broken.verdict.status == "not_ready"
    (reason,) = broken.verdict.reasons
    assert reason.code == "hub.error" and "no profile for room 'broken'" in reason.message
    assert reason.runbook == "hub-error"
    assert [e.kind for e in events] == ["device.connected", "verdict.changed"]
    assert broken.connections == {"c1": "10.0.0.9:5"}  # still connected: the close will say so
    assert fleet.rejudge_all(NOW + 30) == []  # no raise, nothing new for anyone
    assert fleet.tick(NOW + 60)  # both turn late: the tick reached every device
    assert fleet.devices["dev-ok"].verdict is not None
    assert fleet.devices["dev-ok"].verdict.reasons[0].code != "hub.error"
    assert "judging device dev-x failed" in caplog.text
